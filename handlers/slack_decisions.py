"""Listeners for the handoff message: Accept…, Return…, Send to another region…, and their modals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Baton
from bot.domain.lead import FollowUpMethod, LeadError, ReturnReason
from bot.services import handoff, lead_views
from bot.services.ports import StorageUnavailable
from bot.slack import blocks
from bot.slack.bolt import answer_at_ack, run_service
from bot.slack.ids import ActionId, LeadRef, read_choice
from bot.slack.views import LeadView, lead_view
from handlers.slack_reply import storage_problem

log = logging.getLogger(__name__)
TRIAGE = "triage"


def register(bolt: AsyncApp, baton: Baton) -> None:
    services = _Services(baton)

    @bolt.action(ActionId.ACCEPT)
    @answer_at_ack
    async def accept_clicked(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        ref = LeadRef.loads(body["actions"][0]["value"])
        await _open_modal(client, body, lambda: services.accept_modal(ref, body["user"]["id"]))

    @bolt.action(ActionId.RETURN)
    @answer_at_ack
    async def return_clicked(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        ref = LeadRef.loads(body["actions"][0]["value"])
        await _open_modal(client, body, lambda: services.return_modal(ref, body["user"]["id"]))

    @bolt.action(ActionId.MORE)
    @answer_at_ack
    async def more_chosen(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        choice, ref = read_choice(body["actions"][0]["selected_option"]["value"])
        if choice is ActionId.REROUTE:
            await _open_modal(client, body, lambda: services.reroute_modal(ref, body["user"]["id"]))

    @bolt.view(ActionId.ACCEPT_MODAL)
    @answer_at_ack
    async def accept_submitted(ack, body, view, client) -> None:  # type: ignore[no-untyped-def]
        values, ref = view["state"]["values"], LeadRef.loads(view["private_metadata"])
        form = _accept_values(values)
        if form["comment"] is None:
            await ack(
                response_action="errors",
                errors={ActionId.COMMENT_BLOCK: "Add a comment for the rep."},
            )
            return
        await ack()
        await _decide(
            client, baton, body, ref, lambda: services.accept(ref, body["user"]["id"], form)
        )

    @bolt.view(ActionId.RETURN_MODAL)
    @answer_at_ack
    async def return_submitted(ack, body, view, client) -> None:  # type: ignore[no-untyped-def]
        values, ref = view["state"]["values"], LeadRef.loads(view["private_metadata"])
        reason = ReturnReason(_selected(values, ActionId.REASON_BLOCK, ActionId.REASON_INPUT))
        notes = _text(values, ActionId.NOTES_BLOCK, ActionId.NOTES_INPUT)
        if reason is ReturnReason.OTHER and not notes:
            await ack(
                response_action="errors",
                errors={ActionId.NOTES_BLOCK: "Say why: notes are required for “Other”."},
            )
            return
        await ack()
        await _decide(
            client,
            baton,
            body,
            ref,
            lambda: services.return_(ref, body["user"]["id"], reason, notes),
        )

    @bolt.view(ActionId.REROUTE_MODAL)
    @answer_at_ack
    async def reroute_submitted(ack, body, view, client) -> None:  # type: ignore[no-untyped-def]
        values, ref = view["state"]["values"], LeadRef.loads(view["private_metadata"])
        region = _selected(values, ActionId.REGION_BLOCK, ActionId.REGION_INPUT)
        note = _text(values, ActionId.NOTE_BLOCK, ActionId.NOTE_INPUT)
        await ack()
        target = None if region == TRIAGE else region
        await _decide(
            client,
            baton,
            body,
            ref,
            lambda: services.reroute(ref, body["user"]["id"], target, note),
        )


class _Services:
    """The handoff services, bound to this Baton, each returning what the listener shows."""

    def __init__(self, baton: Baton) -> None:
        self.baton = baton
        self.bound = {"uow_factory": baton.uow_factory, "config": baton.config}

    def current_view(self, lead_id: int) -> LeadView:
        """The lead as it stands now, for a modal."""
        snapshot = lead_views.current_lead(lead_id, reader=self.baton.snapshots)
        return lead_view(snapshot, self.baton.config)

    def accept_modal(self, ref: LeadRef, user: str) -> dict[str, Any]:
        form = handoff.accept_form(
            ref.lead, user, clock=self.baton.clock, handoff_round=ref.round, **self.bound
        )
        view = self.current_view(form.lead.id)
        return blocks.accept_modal(
            view,
            reps=form.reps,
            suggested_rep=form.suggested_rep,
            suggestion_reason=form.suggestion_reason,
            due_date=form.due_date,
            ref=ref,
        )

    def return_modal(self, ref: LeadRef, user: str) -> dict[str, Any]:
        stored = handoff.check_decider(ref.lead, user, handoff_round=ref.round, **self.bound)
        return blocks.return_modal(self.current_view(stored.id), ref=ref)

    def reroute_modal(self, ref: LeadRef, user: str) -> dict[str, Any]:
        stored = handoff.check_decider(ref.lead, user, handoff_round=ref.round, **self.bound)
        regions = [r.name for r in self.baton.config.regions if r.name != stored.lead.region]
        if stored.lead.region is not None:
            regions.append(TRIAGE)
        return blocks.reroute_modal(self.current_view(stored.id), regions=regions, ref=ref)

    def accept(self, ref: LeadRef, user: str, form: dict[str, Any]) -> handoff.Decided:
        return handoff.accept_lead(
            ref.lead,
            actor=user,
            handoff_round=ref.round,
            clock=self.baton.clock,
            **form,
            **self.bound,
        )

    def return_(
        self, ref: LeadRef, user: str, reason: ReturnReason, notes: str | None
    ) -> handoff.Decided:
        return handoff.return_lead(
            ref.lead,
            actor=user,
            reason=reason,
            notes=notes,
            handoff_round=ref.round,
            clock=self.baton.clock,
            **self.bound,
        )

    def reroute(
        self, ref: LeadRef, user: str, region: str | None, note: str | None
    ) -> handoff.Decided:
        return handoff.reroute_lead(
            ref.lead,
            actor=user,
            region=region,
            note=note,
            handoff_round=ref.round,
            clock=self.baton.clock,
            **self.bound,
        )


async def _open_modal(
    client: AsyncWebClient, body: dict[str, Any], build: Callable[[], dict[str, Any]]
) -> None:
    try:
        modal = await run_service(build)
    except (LeadError, ValidationError, ValueError) as error:
        await _tell(client, body, str(error))
        return
    except StorageUnavailable as error:
        await _tell(client, body, storage_problem(error))
        return
    await client.views_open(trigger_id=body["trigger_id"], view=modal)


async def _decide(
    client: AsyncWebClient,
    baton: Baton,
    body: dict[str, Any],
    ref: LeadRef,
    decide: Callable[[], handoff.Decided],
) -> None:
    try:
        await run_service(decide)
    except LeadError as error:
        await _tell(client, body, str(error), ref=ref)
        return
    except StorageUnavailable as error:
        log.warning("decision on %s not stored: %s", ref.lead, error)
        await _tell(client, body, storage_problem(error), ref=ref)
        return
    baton.outbox_changed()


async def _tell(
    client: AsyncWebClient, body: dict[str, Any], text: str, *, ref: LeadRef | None = None
) -> None:
    """Answer only the person who acted: ephemeral where they clicked, else a DM."""
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    message = blocks.ephemeral(text)
    try:
        if channel:
            await client.chat_postEphemeral(channel=channel, user=user, **message)
        else:
            await client.chat_postMessage(channel=user, **message)
    except SlackApiError as error:
        log.warning("could not tell %s: %s (%s)", user, text, error.response.get("error"))


def _accept_values(values: dict[str, Any]) -> dict[str, Any]:
    due = values[ActionId.DUE_BLOCK][ActionId.DUE_INPUT].get("selected_date")
    return {
        "rep_id": values[ActionId.REP_BLOCK][ActionId.REP_INPUT].get("selected_user"),
        "comment": _text(values, ActionId.COMMENT_BLOCK, ActionId.COMMENT_INPUT),
        "method": FollowUpMethod(_selected(values, ActionId.METHOD_BLOCK, ActionId.METHOD_INPUT)),
        "due_date": date.fromisoformat(due),
    }


def _selected(values: dict[str, Any], block: str, action: str) -> str:
    return values[block][action]["selected_option"]["value"]


def _text(values: dict[str, Any], block: str, action: str) -> str | None:
    value = values.get(block, {}).get(action, {}).get("value")
    return value.strip() or None if value else None
