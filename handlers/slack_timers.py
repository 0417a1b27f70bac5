"""Listeners for the timers: Snooze… on a reminder, Touch logged… on a leakage task, their modals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Baton
from bot.domain.lead import LeadError
from bot.services import lead_views, snooze, touch
from bot.slack import blocks
from bot.slack import text as t
from bot.slack.blocks_timers import snooze_modal, touch_modal
from bot.slack.bolt import answer_at_ack, run_service
from bot.slack.ids import ActionId, LeadRef, TimerRef
from bot.slack.views import lead_view, timer_item
from handlers.slack_reply import answer, tell


def register(bolt: AsyncApp, baton: Baton) -> None:
    def bound() -> dict[str, Any]:
        return {
            "uow_factory": baton.unit_of_work,
            "config": baton.config,
            "clock": baton.clock,
        }

    @bolt.action(ActionId.SNOOZE)
    @answer_at_ack
    async def snooze_clicked(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        ref, user = TimerRef.loads(body["actions"][0]["value"]), body["user"]["id"]

        def modal() -> dict[str, Any]:
            form = snooze.snooze_form(ref.fire, user, **bound())
            fired = lead_views.fired_timer(form.fire_id, reader=baton.snapshots)
            item = timer_item(fired, again=False, config=baton.config)
            return snooze_modal(item, choices=form.choices, once=form.once)

        await _open(client, body, modal)

    @bolt.view(ActionId.SNOOZE_MODAL)
    @answer_at_ack
    async def snooze_submitted(ack, body, view, client) -> None:  # type: ignore[no-untyped-def]
        values, ref = view["state"]["values"], TimerRef.loads(view["private_metadata"])
        reason = _text(values, ActionId.SNOOZE_REASON_BLOCK, ActionId.SNOOZE_REASON_INPUT)
        if not reason:
            errors = {ActionId.SNOOZE_REASON_BLOCK: "Say why: the reason is recorded."}
            await ack(**blocks.modal_errors(errors))
            return
        await ack()
        user = body["user"]["id"]
        days = int(_selected(values, ActionId.SNOOZE_DAYS_BLOCK, ActionId.SNOOZE_DAYS_INPUT))

        def snoozed() -> dict[str, Any]:
            done = snooze.snooze_reminder(ref.fire, actor=user, days=days, reason=reason, **bound())
            until = t.when(done.until, done.timezone)
            return blocks.ephemeral(f"💤 Snoozed the reminder about {done.short_id} until {until}.")

        if await answer(client, user, None, snoozed, about=f"snoozing a reminder on {ref.lead}"):
            baton.outbox_changed()

    @bolt.action(ActionId.TOUCH)
    @answer_at_ack
    async def touch_clicked(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        ref, user = LeadRef.loads(body["actions"][0]["value"]), body["user"]["id"]

        def modal() -> dict[str, Any]:
            lead_id = touch.touch_form(ref.lead, user, **bound())
            snapshot = lead_views.current_lead(lead_id, reader=baton.snapshots)
            return touch_modal(lead_view(snapshot, baton.config), by=user)

        await _open(client, body, modal)

    @bolt.view(ActionId.TOUCH_MODAL)
    @answer_at_ack
    async def touch_submitted(ack, body, view, client) -> None:  # type: ignore[no-untyped-def]
        values, ref = view["state"]["values"], LeadRef.loads(view["private_metadata"])
        notes = _text(values, ActionId.TOUCH_NOTES_BLOCK, ActionId.TOUCH_NOTES_INPUT)
        if not notes:
            errors = {ActionId.TOUCH_NOTES_BLOCK: "Say what you learned."}
            await ack(**blocks.modal_errors(errors))
            return
        await ack()
        user = body["user"]["id"]
        by = values[ActionId.TOUCH_BY_BLOCK][ActionId.TOUCH_BY_INPUT].get("selected_user")
        reached = _selected(values, ActionId.TOUCH_REACHED_BLOCK, ActionId.TOUCH_REACHED_INPUT)

        def logged() -> None:
            touch.log_touch(
                ref.lead,
                actor=user,
                by=by,
                reached=reached == "reached",
                notes=notes,
                request_key=f"touch:{view.get('id') or body['trigger_id']}",
                **bound(),
            )

        if await answer(client, user, None, logged, about=f"logging a touch on {ref.lead}"):
            baton.outbox_changed()


async def _open(
    client: AsyncWebClient, body: dict[str, Any], build: Callable[[], dict[str, Any]]
) -> None:
    """Open the modal `build` returns, or tell the person (only them) why they cannot."""
    try:
        modal = await run_service(build)
    except LeadError as error:
        await tell(client, body["user"]["id"], _channel(body), blocks.ephemeral(str(error)))
        return
    await client.views_open(trigger_id=body["trigger_id"], view=modal)


def _channel(body: dict[str, Any]) -> str | None:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")


def _selected(values: dict[str, Any], block: str, action: str) -> str:
    return values[block][action]["selected_option"]["value"]


def _text(values: dict[str, Any], block: str, action: str) -> str | None:
    value = values.get(block, {}).get(action, {}).get("value")
    return value.strip() or None if value else None
