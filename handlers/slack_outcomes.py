"""Listeners for logging an outcome in a form: the **Log outcome…** button and its modal."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Baton
from bot.domain.amounts import AmountError, parse_money
from bot.domain.lead import LeadError, Outcome, ReturnReason
from bot.services import outcomes
from bot.slack import blocks, blocks_rep
from bot.slack.bolt import answer_at_ack, run_service
from bot.slack.ids import ActionId, LeadRef, OutcomeRef
from handlers.slack_reply import answer, tell


def register(bolt: AsyncApp, baton: Baton) -> None:
    @bolt.action(ActionId.LOG_OUTCOME)
    @answer_at_ack
    async def log_outcome_clicked(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        ref = LeadRef.loads(body["actions"][0]["value"])
        channel = (body.get("channel") or {}).get("id")
        user = body["user"]["id"]
        await open_outcome_form(client, baton, body["trigger_id"], ref.lead, user, channel)

    @bolt.view(ActionId.OUTCOME_MODAL)
    @answer_at_ack
    async def outcome_submitted(ack, body, view, client) -> None:  # type: ignore[no-untyped-def]
        ref = OutcomeRef.loads(view["private_metadata"])
        entry, errors = _entry(view["state"]["values"], today=_today(baton, ref.timezone))
        if errors:
            await ack(**blocks.modal_errors(errors))
            return
        await ack()
        user = body["user"]["id"]

        def log() -> dict[str, Any] | None:
            logged = outcomes.log_outcome(
                ref.lead,
                entry,
                actor=user,
                request_key=f"view:{view['id']}",
                uow_factory=baton.unit_of_work,
                config=baton.config,
                clock=baton.clock,
            )
            if logged.repeated:
                return None
            return blocks_rep.logged_message(logged, currency=baton.config.currency)

        if await answer(client, user, ref.channel, log, about=f"logging an outcome on {ref.lead}"):
            baton.outbox_changed()


async def open_outcome_form(
    client: AsyncWebClient,
    baton: Baton,
    trigger_id: str,
    short_id: str,
    user: str,
    channel: str | None,
) -> None:
    """Open the outcome modal, or tell `user` why they cannot log an outcome on this lead."""
    try:
        form = await run_service(
            outcomes.outcome_form,
            short_id,
            user,
            uow_factory=baton.unit_of_work,
            config=baton.config,
            clock=baton.clock,
        )
    except LeadError as error:
        await tell(client, user, channel, blocks.ephemeral(str(error)))
        return
    ref = OutcomeRef(lead=form.short_id, channel=channel, timezone=form.timezone)
    modal = blocks_rep.outcome_modal(form, ref=ref, today=_today(baton, form.timezone))
    await client.views_open(trigger_id=trigger_id, view=modal)


def _entry(values: dict[str, Any], *, today: date) -> tuple[outcomes.OutcomeEntry, dict[str, str]]:
    """Read the modal's values; the errors are shown under their inputs, and nothing is logged."""
    errors: dict[str, str] = {}
    outcome = Outcome(_selected(values, ActionId.OUTCOME_BLOCK, ActionId.OUTCOME_INPUT) or "")
    notes = _value(values, ActionId.NOTES_BLOCK, ActionId.NOTES_INPUT, "value")
    amount_text = _value(values, ActionId.AMOUNT_BLOCK, ActionId.AMOUNT_INPUT, "value")
    amount = currency = None
    if amount_text:
        try:
            money = parse_money(amount_text)
            amount, currency = money.amount, money.currency
        except AmountError as error:
            errors[ActionId.AMOUNT_BLOCK] = str(error)
    picked = _value(values, ActionId.NEXT_STEP_BLOCK, ActionId.NEXT_STEP_INPUT, "selected_date")
    next_step = date.fromisoformat(picked) if picked else None
    if next_step is not None and next_step < today:
        errors[ActionId.NEXT_STEP_BLOCK] = "That day has passed; pick today or later."
    reason_value = _selected(values, ActionId.REASON_BLOCK, ActionId.REASON_INPUT)
    reason = ReturnReason(reason_value) if reason_value else None
    if outcome is Outcome.RETURN:
        next_step = None
        if reason is None:
            errors[ActionId.REASON_BLOCK] = "Pick why the lead goes back to marketing."
        elif reason is ReturnReason.OTHER and not notes:
            errors[ActionId.NOTES_BLOCK] = "Say why: notes are required for “Other”."
    entry = outcomes.OutcomeEntry(
        outcome=outcome,
        amount=amount,
        currency=currency,
        notes=notes,
        next_step=next_step,
        return_reason=reason if outcome is Outcome.RETURN else None,
    )
    return entry, errors


def _today(baton: Baton, timezone: str) -> date:
    now: datetime = baton.clock.now()
    return now.astimezone(ZoneInfo(timezone)).date()


def _selected(values: dict[str, Any], block: str, action: str) -> str | None:
    option = values.get(block, {}).get(action, {}).get("selected_option")
    return option["value"] if option else None


def _value(values: dict[str, Any], block: str, action: str, key: str) -> str | None:
    value = values.get(block, {}).get(action, {}).get(key)
    return value.strip() or None if isinstance(value, str) else None
