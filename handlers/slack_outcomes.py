"""Listeners for logging an outcome in a form: the **Log outcome…** button and its modal."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.domain.amounts import AmountError, parse_money
from bot.domain.lead import Outcome, ReturnReason
from bot.services.outcomes import OutcomeEntry
from bot.slack import blocks, blocks_rep
from bot.slack.acks import answer_at_ack, run_service
from bot.slack.answers import open_modal, tell
from bot.slack.ids import ActionId, LeadRef, OutcomeRef
from bot.slack.payloads import Asker, SlackBody, read_click, read_submission
from bot.slack.submissions import OutcomeValues, outcome_values
from handlers.slack_services import SlackServices


def register(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.action(ActionId.LOG_OUTCOME)
    @answer_at_ack
    async def log_outcome_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        click = read_click(body, LeadRef.loads)
        await open_outcome_form(client, services, click.trigger_id, click.ref.lead, click.asker)

    @bolt.view(ActionId.OUTCOME_MODAL)
    @answer_at_ack
    async def outcome_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, OutcomeRef.loads)
        today = today_in(services.clock, sent.ref.timezone)
        entry, errors = outcome_entry(outcome_values(sent.values), today=today)
        if errors:
            await ack(**blocks.modal_errors(errors))
            return
        await ack()
        key = f"view:{sent.request_id}"
        message = await run_service(log_outcome, services, sent.ref, entry, sent.asker, key)
        services.outbox_changed()
        if message is not None:
            await tell(client, sent.asker, message)


async def open_outcome_form(
    client: AsyncWebClient, services: SlackServices, trigger_id: str, short_id: str, asker: Asker
) -> None:
    """Open the outcome modal for `asker`, whose answers go where they asked (a LeadError says
    why they cannot log an outcome on this lead)."""
    modal = await run_service(outcome_modal, services, short_id, asker)
    await open_modal(client, trigger_id, modal)


def outcome_modal(services: SlackServices, short_id: str, asker: Asker) -> dict[str, Any]:
    """The outcome modal, once `asker` is known to be able to log an outcome; blocking."""
    form = services.outcome_form(short_id, asker.user)
    ref = OutcomeRef(lead=form.short_id, channel=asker.channel, timezone=form.timezone)
    today = today_in(services.clock, form.timezone)
    return blocks_rep.outcome_modal(form, ref=ref, today=today)


def log_outcome(
    services: SlackServices, ref: OutcomeRef, entry: OutcomeEntry, asker: Asker, key: str
) -> dict[str, Any] | None:
    """Log the outcome and say so (None: a repeat, already answered); blocking."""
    logged = services.log_outcome(ref.lead, entry, actor=asker.user, request_key=key)
    if logged.repeated:
        return None
    return blocks_rep.logged_message(logged, currency=services.config.currency)


def outcome_entry(form: OutcomeValues, *, today: date) -> tuple[OutcomeEntry, dict[str, str]]:
    """The outcome to log, and the mistakes to show under their inputs (then nothing is logged)."""
    errors: dict[str, str] = {}
    amount = currency = None
    if form.amount:
        try:
            money = parse_money(form.amount)
            amount, currency = money.amount, money.currency
        except AmountError as error:
            errors[ActionId.AMOUNT_BLOCK] = str(error)
    next_step = form.next_step
    if next_step is not None and next_step < today:
        errors[ActionId.NEXT_STEP_BLOCK] = "That day has passed; pick today or later."
    reason = form.return_reason
    if form.outcome is Outcome.RETURN:
        next_step = None
        if reason is None:
            errors[ActionId.REASON_BLOCK] = "Pick why the lead goes back to marketing."
        elif reason is ReturnReason.OTHER and not form.notes:
            errors[ActionId.NOTES_BLOCK] = "Say why: notes are required for “Other”."
    entry = OutcomeEntry(
        outcome=form.outcome,
        amount=amount,
        currency=currency,
        notes=form.notes,
        next_step=next_step,
        return_reason=reason if form.outcome is Outcome.RETURN else None,
    )
    return entry, errors


def today_in(clock: Clock, timezone: str) -> date:
    """Today on the clock of `timezone` (a lead's, for its next-step date)."""
    return clock.now().astimezone(ZoneInfo(timezone)).date()
