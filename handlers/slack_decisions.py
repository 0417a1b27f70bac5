"""Listeners for the handoff message: Accept…, Return…, Send to another region…, and their modals."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.lead import ReturnReason
from bot.slack import blocks
from bot.slack.acks import answer_at_ack, run_service
from bot.slack.answers import open_modal
from bot.slack.blocks import TRIAGE
from bot.slack.ids import ActionId, LeadRef, read_choice
from bot.slack.payloads import SlackBody, read_click, read_submission
from bot.slack.submissions import accept_values, reroute_values, return_values
from bot.slack.views import deciding_view
from handlers.slack_services import SlackServices

NEEDS_COMMENT = "Add a comment for the rep."
NEEDS_NOTES = "Say why: notes are required for “Other”."


def register(bolt: AsyncApp, services: SlackServices) -> None:
    register_accept(bolt, services)
    register_return(bolt, services)
    register_reroute(bolt, services)


def register_accept(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.action(ActionId.ACCEPT)
    @answer_at_ack
    async def accept_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        click = read_click(body, LeadRef.loads)
        modal = await run_service(accept_modal, services, click.ref, click.asker.user)
        await open_modal(client, click.trigger_id, modal)

    @bolt.view(ActionId.ACCEPT_MODAL)
    @answer_at_ack
    async def accept_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, LeadRef.loads)
        form = accept_values(sent.values)
        if form.comment is None:
            await ack(**blocks.modal_errors({ActionId.COMMENT_BLOCK: NEEDS_COMMENT}))
            return
        await ack()
        await run_service(
            services.accept_lead,
            sent.ref.lead,
            actor=sent.asker.user,
            handoff_round=sent.ref.round,
            rep_id=form.rep_id,
            comment=form.comment,
            method=form.method,
            due_date=form.due_date,
        )
        services.outbox_changed()


def register_return(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.action(ActionId.RETURN)
    @answer_at_ack
    async def return_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        click = read_click(body, LeadRef.loads)
        modal = await run_service(return_modal, services, click.ref, click.asker.user)
        await open_modal(client, click.trigger_id, modal)

    @bolt.view(ActionId.RETURN_MODAL)
    @answer_at_ack
    async def return_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, LeadRef.loads)
        form = return_values(sent.values)
        if form.reason is ReturnReason.OTHER and not form.notes:
            await ack(**blocks.modal_errors({ActionId.NOTES_BLOCK: NEEDS_NOTES}))
            return
        await ack()
        await run_service(
            services.return_lead,
            sent.ref.lead,
            actor=sent.asker.user,
            handoff_round=sent.ref.round,
            reason=form.reason,
            notes=form.notes,
        )
        services.outbox_changed()


def register_reroute(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.action(ActionId.MORE)
    @answer_at_ack
    async def more_chosen(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        click = read_click(body, read_choice)
        choice, ref = click.ref
        if choice is ActionId.REROUTE:
            modal = await run_service(reroute_modal, services, ref, click.asker.user)
            await open_modal(client, click.trigger_id, modal)

    @bolt.view(ActionId.REROUTE_MODAL)
    @answer_at_ack
    async def reroute_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, LeadRef.loads)
        form = reroute_values(sent.values)
        await ack()
        await run_service(
            services.reroute_lead,
            sent.ref.lead,
            actor=sent.asker.user,
            handoff_round=sent.ref.round,
            region=form.region,
            note=form.note,
        )
        services.outbox_changed()


def accept_modal(services: SlackServices, ref: LeadRef, user: str) -> dict[str, Any]:
    """The Accept modal, once `user` is known to decide on the lead; blocking."""
    form = services.accept_form(ref.lead, user, handoff_round=ref.round)
    return blocks.accept_modal(
        deciding_view(form.lead, services.config),
        reps=form.reps,
        suggested_rep=form.suggested_rep,
        suggestion_reason=form.suggestion_reason,
        due_date=form.due_date,
        ref=ref,
    )


def return_modal(services: SlackServices, ref: LeadRef, user: str) -> dict[str, Any]:
    stored = services.check_decider(ref.lead, user, handoff_round=ref.round)
    return blocks.return_modal(deciding_view(stored, services.config), ref=ref)


def reroute_modal(services: SlackServices, ref: LeadRef, user: str) -> dict[str, Any]:
    stored = services.check_decider(ref.lead, user, handoff_round=ref.round)
    regions = [r.name for r in services.config.regions if r.name != stored.lead.region]
    if stored.lead.region is not None:
        regions.append(TRIAGE)
    view = deciding_view(stored, services.config)
    return blocks.reroute_modal(view, regions=regions, ref=ref)
