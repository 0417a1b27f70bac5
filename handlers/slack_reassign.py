"""Listeners for a manager acting on an accepted lead: Nudge, Reassign… and its modal."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks, blocks_reassign
from bot.slack.acks import answer_at_ack, run_service
from bot.slack.answers import tell
from bot.slack.ids import ActionId, LeadRef
from bot.slack.payloads import SlackBody, read_click, read_submission
from bot.slack.submissions import ReassignValues, reassign_values
from handlers.slack_services import SlackServices, open_lead_modal

log = logging.getLogger(__name__)
NEEDS_REP = "Pick the rep to give the lead to."


def register(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.action(ActionId.NUDGE)
    @answer_at_ack
    async def nudge_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        click = read_click(body, LeadRef.loads)
        key = f"nudge:{click.ref.lead}:{click.trigger_id}"
        message = await run_service(nudge, services, click.ref, click.asker.user, key)
        services.outbox_changed()
        if message is not None:
            await tell(client, click.asker, message)

    @bolt.action(ActionId.REASSIGN)
    @answer_at_ack
    async def reassign_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        await open_lead_modal(client, body, services, reassign_modal)

    @bolt.view(ActionId.REASSIGN_MODAL)
    @answer_at_ack
    async def reassign_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, LeadRef.loads)
        form = reassign_values(sent.values)
        if form.rep_id is None:
            await ack(**blocks.modal_errors({ActionId.REASSIGN_REP_BLOCK: NEEDS_REP}))
            return
        await ack()
        key = f"view:{sent.request_id}"
        message = await run_service(reassign, services, sent.ref.lead, form, sent.asker.user, key)
        services.outbox_changed()
        if message is not None:
            await tell(client, sent.asker, message)


def nudge(services: SlackServices, ref: LeadRef, user: str, key: str) -> dict[str, Any] | None:
    """Ask the rep for feedback and say so (None: a repeat); blocking."""
    done = services.nudge_rep(ref.lead, actor=user, handoff_round=ref.round, request_key=key)
    return (
        None if done.repeated else blocks_reassign.nudged_answer(done.short_id, rep_id=done.rep_id)
    )


def reassign_modal(services: SlackServices, short_id: str, user: str) -> dict[str, Any]:
    """The Reassign modal, once `user` is known to be able to reassign the lead; blocking."""
    form = services.reassign_form(short_id, user)
    view = services.lead_view(form.lead_id)
    return blocks_reassign.reassign_modal(view, rep_id=form.rep_id, reps=form.reps)


def reassign(
    services: SlackServices, short_id: str, form: ReassignValues, user: str, key: str
) -> dict[str, Any] | None:
    """Reassign the lead and say so (None: a repeat); blocking."""
    done = services.reassign_lead(
        short_id, actor=user, rep_id=form.rep_id or "", note=form.note, request_key=key
    )
    if done.repeated:
        return None
    log.info(
        "lead %s reassigned by %s: %s → %s",
        done.short_id,
        user,
        done.from_rep or "nobody",
        done.to_rep,
        extra={"lead": done.short_id, "by": user, "from_rep": done.from_rep, "rep": done.to_rep},
    )
    return blocks_reassign.reassigned_answer(
        done.short_id, to_rep=done.to_rep, from_rep=done.from_rep
    )
