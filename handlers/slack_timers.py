"""Listeners for the timers: Snooze… on a reminder, Touch logged… on a leakage task, their modals."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks
from bot.slack import text as t
from bot.slack.acks import answer_at_ack, run_service
from bot.slack.answers import open_modal, tell
from bot.slack.blocks_timers import touch_modal
from bot.slack.ids import ActionId, LeadRef, TimerRef
from bot.slack.payloads import SlackBody, read_click, read_submission
from bot.slack.submissions import SnoozeValues, snooze_values, touch_values
from handlers.slack_services import SlackServices

NEEDS_REASON = "Say why: the reason is recorded."
NEEDS_NOTES = "Say what you learned."


def register(bolt: AsyncApp, services: SlackServices) -> None:
    register_snooze(bolt, services)
    register_touch(bolt, services)


def register_snooze(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.action(ActionId.SNOOZE)
    @answer_at_ack
    async def snooze_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        click = read_click(body, TimerRef.loads)
        modal = await run_service(snooze_modal_for, services, click.ref, click.asker.user)
        await open_modal(client, click.trigger_id, modal)

    @bolt.view(ActionId.SNOOZE_MODAL)
    @answer_at_ack
    async def snooze_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, TimerRef.loads)
        form = snooze_values(sent.values)
        if not form.reason:
            await ack(**blocks.modal_errors({ActionId.SNOOZE_REASON_BLOCK: NEEDS_REASON}))
            return
        await ack()
        message = await run_service(snooze, services, sent.ref, form, sent.asker.user)
        services.outbox_changed()
        await tell(client, sent.asker, message)


def register_touch(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.action(ActionId.TOUCH)
    @answer_at_ack
    async def touch_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        click = read_click(body, LeadRef.loads)
        modal = await run_service(touch_modal_for, services, click.ref, click.asker.user)
        await open_modal(client, click.trigger_id, modal)

    @bolt.view(ActionId.TOUCH_MODAL)
    @answer_at_ack
    async def touch_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, LeadRef.loads)
        form = touch_values(sent.values)
        if not form.notes:
            await ack(**blocks.modal_errors({ActionId.TOUCH_NOTES_BLOCK: NEEDS_NOTES}))
            return
        await ack()
        await run_service(
            services.log_touch,
            sent.ref.lead,
            actor=sent.asker.user,
            by=form.by,
            reached=form.reached,
            notes=form.notes,
            request_key=f"touch:{sent.request_id}",
        )
        services.outbox_changed()


def snooze_modal_for(services: SlackServices, ref: TimerRef, user: str) -> dict[str, Any]:
    """The Snooze modal, once `user` is known to be able to snooze the reminder; blocking."""
    return services.snooze_modal(services.snooze_form(ref.fire, user))


def snooze(services: SlackServices, ref: TimerRef, form: SnoozeValues, user: str) -> dict[str, Any]:
    """Snooze the reminder and say until when; blocking."""
    done = services.snooze_reminder(ref.fire, actor=user, days=form.days, reason=form.reason)
    until = t.when(done.until, done.timezone)
    return blocks.ephemeral(f"💤 Snoozed the reminder about {done.short_id} until {until}.")


def touch_modal_for(services: SlackServices, ref: LeadRef, user: str) -> dict[str, Any]:
    """The Touch logged modal, once `user` is known to be able to log one; blocking."""
    lead_id = services.touch_form(ref.lead, user)
    return touch_modal(services.lead_view(lead_id), by=user)
