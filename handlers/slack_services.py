"""The services Slack's listeners call, with their collaborators bound by the composition root.

A listener runs each of them on a service thread (`run_service`); none of them calls Slack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.domain.definitions import DefinitionVersion
from bot.domain.proposals import Proposal, ProposalChange
from bot.domain.report import Report
from bot.services.desk import Desk
from bot.services.handoff import AcceptForm, Decided
from bot.services.outcomes import Logged, OutcomeForm, Undone
from bot.services.reassign import Nudged, Reassigned, ReassignForm
from bot.services.records import LeadDetail, LeadLine, StoredLead
from bot.services.recycle import ChoiceForm, Chosen
from bot.services.report import ReportQuery
from bot.services.rules import Overview
from bot.services.snooze import Snoozed, SnoozeForm
from bot.services.touch import Touched
from bot.slack.acks import run_service
from bot.slack.answers import open_modal
from bot.slack.ids import LeadRef
from bot.slack.payloads import SlackBody, read_click
from bot.slack.views import LeadView
from config.model import BatonConfig


@dataclass(frozen=True)
class SlackServices:
    """Each field is a service function with its store, config and clock bound; the comments
    give what the listener passes."""

    config: BatonConfig
    clock: Clock
    # Wakes the delivery worker: a change queued Slack work.
    outbox_changed: Callable[[], None]

    # The lead as it stands now (by its database id), for a modal.
    lead_view: Callable[[int], LeadView]

    # (short_id, actor, *, handoff_round)
    check_decider: Callable[..., StoredLead]
    accept_form: Callable[..., AcceptForm]
    # (short_id, *, actor, handoff_round, and the decision's fields)
    accept_lead: Callable[..., Decided]
    return_lead: Callable[..., Decided]
    reroute_lead: Callable[..., Decided]

    # (short_id, actor)
    outcome_form: Callable[[str, str], OutcomeForm]
    # (short_id, entry, *, actor, request_key) and (short_id, *, actor, request_key)
    log_outcome: Callable[..., Logged]
    undo_outcome: Callable[..., Undone]

    # (user, *, week=True)
    desk_of: Callable[..., Desk]
    show_lead: Callable[[str], LeadDetail]
    find_leads: Callable[[str], list[LeadLine]]
    report: Callable[[ReportQuery], Report]

    # (fire_id, actor) and the form it returns, to the modal showing what is due
    snooze_form: Callable[[int, str], SnoozeForm]
    snooze_modal: Callable[[SnoozeForm], dict[str, Any]]
    # (fire_id, *, actor, days, reason)
    snooze_reminder: Callable[..., Snoozed]
    # (short_id, actor) -> the lead's database id
    touch_form: Callable[[str, str], int]
    # (short_id, *, actor, by, reached, notes, request_key)
    log_touch: Callable[..., Touched]

    # The lead definition: the live version, its history and the open proposal
    rules_overview: Callable[[], Overview]
    # (actor) -> the live version to edit, once they may propose
    propose_form: Callable[[str], DefinitionVersion]
    # (rules, *, why, by, request_key=None) -> None when the request was handled already
    propose_rules: Callable[..., Proposal | None]
    # (proposal_id, Approve() or Reject(reason), *, actor, request_key=None)
    decide_rules: Callable[..., ProposalChange | None]
    # (proposal_id, actor) -> the proposal, once they may reject it
    check_rules_decider: Callable[[int, str], Proposal]
    # (short_id, actor) -> the lead, its rep and the region's reps
    reassign_form: Callable[[str, str], ReassignForm]
    # (short_id, *, actor, rep_id, note, request_key)
    reassign_lead: Callable[..., Reassigned]
    # (short_id, *, actor, handoff_round, request_key)
    nudge_rep: Callable[..., Nudged]

    # (short_id, actor) -> the returned lead, the regions, who returned it
    choice_form: Callable[[str, str], ChoiceForm]
    # (short_id, *, actor, request_key, and: region, note | nothing | question)
    send_back: Callable[..., Chosen]
    keep_nurturing: Callable[..., Chosen]
    ask_why: Callable[..., Chosen]
    # (why, Slack's error code): Slack said the token is gone; delivery pauses until it works
    token_gone: Callable[[str, str], None]


async def open_lead_modal(
    client: AsyncWebClient,
    body: SlackBody,
    services: SlackServices,
    build: Callable[[SlackServices, str, str], dict[str, Any]],
) -> None:
    """Open the modal `build` makes (blocking, on a service thread) for a lead button's click."""
    click = read_click(body, LeadRef.loads)
    modal = await run_service(build, services, click.ref.lead, click.asker.user)
    await open_modal(client, click.trigger_id, modal)
