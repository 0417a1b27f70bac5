"""The lead lifecycle: `apply(lead, command, actor=..., authority=..., at=...)` is the one
place a lead changes, as one `match (status, command)` table.

It returns the new lead and the events to append, or raises a `LeadError` whose message a
person can read. The states and events are in states.py, the commands in commands.py, who may
do what and the refusals' wording in refusals.py; all of them are reachable from here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.domain.commands import (
    Accept,
    AskWhy,
    Command,
    CorrectOutcome,
    FlagLeaked,
    KeepNurturing,
    LogOutcome,
    LogTouch,
    Nudge,
    Qualify,
    Reassign,
    RecordActivity,
    RecordCampaignTouch,
    RecordDeal,
    RecordDetails,
    Requeue,
    Reroute,
    Return,
)
from bot.domain.definitions import DEFINITION_VERSION
from bot.domain.lead_events import event_of, record_only
from bot.domain.lead_hands import for_manager, for_marketing
from bot.domain.refusals import (
    AlreadyDecided,
    LeadClosed,
    LeadError,
    NotAllowed,
    already_decided,
    refusal,
    require_current_round,
    require_decider,
    require_marketing,
    require_worker,
)
from bot.domain.states import (
    CLOSED,
    CONTACTED,
    INTAKE,
    OPEN,
    PROGRESS,
    REQUALIFIABLE,
    RETURN_REASON_LABELS,
    SYSTEM,
    WORKING,
    Authority,
    Change,
    EventKind,
    FollowUpMethod,
    Lead,
    LeadEvent,
    LeadStatus,
    Outcome,
    ReturnReason,
)

# The lifecycle's whole vocabulary, for `from bot.domain.lead import ...`.
__all__ = [
    "CLOSED",
    "CONTACTED",
    "INTAKE",
    "OPEN",
    "PROGRESS",
    "REQUALIFIABLE",
    "RETURN_REASON_LABELS",
    "SYSTEM",
    "WORKING",
    "Accept",
    "AlreadyDecided",
    "AskWhy",
    "Authority",
    "Change",
    "Command",
    "CorrectOutcome",
    "EventKind",
    "FlagLeaked",
    "FollowUpMethod",
    "KeepNurturing",
    "Lead",
    "LeadClosed",
    "LeadError",
    "LeadEvent",
    "LeadStatus",
    "LogOutcome",
    "LogTouch",
    "NotAllowed",
    "Nudge",
    "Outcome",
    "Qualify",
    "Reassign",
    "RecordActivity",
    "RecordCampaignTouch",
    "RecordDeal",
    "RecordDetails",
    "Requeue",
    "Reroute",
    "Return",
    "ReturnReason",
    "apply",
    "event_of",
    "for_another_reason",
]


def apply(
    lead: Lead, command: Command, *, actor: str, authority: Authority, at: datetime
) -> Change:
    """Carry out `command` on `lead` for `actor`, or raise a LeadError saying why not."""
    match (lead.status, command):
        case (status, Qualify()) if status in REQUALIFIABLE | {LeadStatus.RECEIVED}:
            return _qualify(lead, command, actor, at)
        case (status, Requeue()) if status in REQUALIFIABLE:
            require_marketing(actor, authority)
            return _start_round(lead, command.region, actor, at, command.note)
        case (LeadStatus.PENDING, Accept() | Return() | Reroute()):
            require_decider(lead, actor, authority)
            require_current_round(lead, command)
            return _decide(lead, command, actor, at)
        case (_, Accept() | Reroute()) | (_, Return(handoff_round=int())):
            raise AlreadyDecided(already_decided(lead, command))
        case (status, Return()) if status in WORKING:
            require_worker(lead, actor, authority)
            return _return(lead, command, actor, at)
        case (status, LogOutcome()) if status in WORKING:
            require_worker(lead, actor, authority)
            return _log_outcome(lead, command, actor, at)
        case (status, RecordDeal()) if status in WORKING | CLOSED and lead.rep_id:
            return _record_deal(lead, command, actor, at)
        case (status, CorrectOutcome()) if status in WORKING | CLOSED and lead.rep_id:
            require_worker(lead, actor, authority)
            return _correct(lead, command, actor, at)
        case (status, RecordActivity()) if status is not LeadStatus.RECEIVED:
            activity: dict[str, Any] = {"activity": list(command.activity)}
            return record_only(lead, EventKind.ACTIVITY, actor, at, data=activity)
        case (status, RecordDetails()) if status is not LeadStatus.RECEIVED:
            return record_only(lead, EventKind.DETAILS, actor, at, data=dict(command.details))
        case (status, RecordCampaignTouch()) if status is not LeadStatus.RECEIVED:
            touch = {"campaign": command.campaign, "source": command.source}
            return record_only(lead, EventKind.CAMPAIGN_TOUCH, actor, at, data=touch)
        case (status, LogTouch()) if status in WORKING | CLOSED and lead.rep_id:
            require_marketing(actor, authority)
            data = {"reached": command.reached, "by": command.by or actor}
            return record_only(lead, EventKind.TOUCH, actor, at, notes=command.notes, data=data)
        case (status, FlagLeaked()) if status in WORKING and lead.leaked_at is None:
            return _flag_leaked(lead, command, actor, at)
        case (status, Nudge() | Reassign()) if status in WORKING:
            return for_manager(lead, command, actor, authority, at)
        case (LeadStatus.RETURNED, KeepNurturing() | AskWhy()):
            return for_marketing(lead, command, actor, authority, at)
    if lead.status in CLOSED:
        raise LeadClosed(refusal(lead, command))
    raise LeadError(refusal(lead, command))


def _qualify(lead: Lead, command: Qualify, actor: str, at: datetime) -> Change:
    """Qualify a lead; a new one gets a single `received` event saying where it went."""
    verdict = "sales-ready" if command.sales_ready else "nurture"
    if command.sales_ready:
        new = _next_round(lead, command.region)
    else:
        new = replace(lead, status=LeadStatus.NURTURE, region=command.region)
    # The version that decided, on the lead and in the qualification's event (not the
    # handoff's): the report and the backtest read it from there.
    data = None
    if command.version is not None:
        new = replace(new, definition_version=command.version)
        data = {DEFINITION_VERSION: command.version}
    kinds: tuple[EventKind, ...]
    if lead.status is LeadStatus.RECEIVED:
        kinds = (EventKind.RECEIVED,)
    elif command.sales_ready:
        kinds = (EventKind.QUALIFIED, EventKind.HANDOFF_STARTED)
    else:
        kinds = (EventKind.QUALIFIED,)
    events = tuple(
        event_of(
            new,
            kind,
            actor,
            at,
            status_before=lead.status,
            reason_code=verdict,
            notes=command.reason,  # the reason's only place (see for_another_reason)
            data=data if kind is not EventKind.HANDOFF_STARTED else None,
        )
        for kind in kinds
    )
    return Change(new, events)


def for_another_reason(qualified: Change, reason: str) -> Change:
    """The change a Qualify command made (see `_qualify`), as the same command with another
    reason makes it: the reason is in the events' notes, and nowhere else."""
    return Change(qualified.lead, tuple(replace(e, notes=reason) for e in qualified.events))


def _next_round(lead: Lead, region: str | None) -> Lead:
    return replace(
        lead,
        status=LeadStatus.PENDING,
        region=region,
        handoff_round=lead.handoff_round + 1,
        rep_id=None,
        decided_by=None,
        decided_at=None,
        feedback_due_at=None,
        next_step_at=None,
        leaked_at=None,
    )


def _start_round(
    lead: Lead, region: str | None, actor: str, at: datetime, note: str | None
) -> Change:
    new = _next_round(lead, region)
    event = event_of(
        new, EventKind.HANDOFF_STARTED, actor, at, status_before=lead.status, notes=note
    )
    return Change(new, (event,))


def _decide(lead: Lead, command: Accept | Return | Reroute, actor: str, at: datetime) -> Change:
    match command:
        case Accept():
            new = replace(
                lead,
                status=LeadStatus.ACCEPTED,
                rep_id=command.rep_id,
                decided_by=actor,
                decided_at=at,
                feedback_due_at=command.feedback_due_at,
            )
            data = {"rep_id": command.rep_id, "method": command.method.value}
            data["feedback_due_at"] = command.feedback_due_at.isoformat()
            event = event_of(
                new,
                EventKind.ACCEPTED,
                actor,
                at,
                status_before=lead.status,
                notes=command.comment,
                data=data,
            )
            return Change(new, (event,))
        case Return():
            return _return(lead, command, actor, at)
        case Reroute():
            if command.region == lead.region:
                raise LeadError(f"{lead.short_id} is already with {lead.region or 'triage'}.")
            moved = replace(lead, decided_by=actor, decided_at=at)
            rerouted = event_of(
                moved,
                EventKind.REROUTED,
                actor,
                at,
                status_before=lead.status,
                notes=command.note,
                data={"from_region": lead.region, "to_region": command.region},
            )
            started = _start_round(moved, command.region, actor, at, command.note)
            return Change(started.lead, (rerouted, *started.events))


def _return(lead: Lead, command: Return, actor: str, at: datetime) -> Change:
    if command.reason is ReturnReason.OTHER and not (command.notes or "").strip():
        raise LeadError("Say why in the notes when the reason is “Other”.")
    new = replace(
        lead,
        status=LeadStatus.RETURNED,
        decided_by=lead.decided_by or actor,
        decided_at=lead.decided_at or at,
    )
    event = event_of(
        new,
        EventKind.RETURNED,
        actor,
        at,
        status_before=lead.status,
        reason_code=command.reason.value,
        notes=command.notes,
    )
    return Change(new, (event,))


def _log_outcome(lead: Lead, command: LogOutcome, actor: str, at: datetime) -> Change:
    if command.outcome is Outcome.RETURN:
        reason = command.return_reason or ReturnReason.OTHER
        return _return(lead, Return(reason=reason, notes=command.notes), actor, at)
    target = command.outcome.status
    status = target if PROGRESS[target] >= PROGRESS[lead.status] else lead.status
    new = replace(lead, status=status, next_step_at=command.next_step_at or lead.next_step_at)
    data: dict[str, Any] = {"outcome": command.outcome.value}
    if command.next_step_at:
        data["next_step_at"] = command.next_step_at.isoformat()
    return _outcome_change(lead, new, command, data, actor, at, notes=command.notes)


def _record_deal(lead: Lead, command: RecordDeal, actor: str, at: datetime) -> Change:
    """The CRM's deal: a worked lead moves forward to it; a won or lost one takes the CRM's
    verdict; a returned lead keeps its status and the deal is only recorded."""
    target = command.outcome.status
    status = lead.status
    if (status in WORKING and PROGRESS[target] >= PROGRESS[status]) or (
        status in (LeadStatus.WON, LeadStatus.LOST) and target in CLOSED
    ):
        status = target
    new = replace(lead, status=status)
    data: dict[str, Any] = {"outcome": command.outcome.value, "source": "crm"}
    data |= {"deal_id": command.deal_id, "stage": command.stage}
    return _outcome_change(lead, new, command, data, actor, at)


def _outcome_change(
    lead: Lead,
    new: Lead,
    command: LogOutcome | RecordDeal,
    data: dict[str, Any],
    actor: str,
    at: datetime,
    *,
    notes: str | None = None,
) -> Change:
    """`lead` becomes `new` by `command`: one OUTCOME event, its currency (if any) in `data`."""
    if command.currency:
        data["currency"] = command.currency
    event = event_of(
        new,
        EventKind.OUTCOME,
        actor,
        at,
        status_before=lead.status,
        reason_code=command.outcome.value,
        amount=command.amount,
        notes=notes,
        data=data,
    )
    return Change(new, (event,))


def _correct(lead: Lead, command: CorrectOutcome, actor: str, at: datetime) -> Change:
    new = replace(lead, status=command.status_after, next_step_at=command.next_step_at)
    event = event_of(
        new,
        EventKind.CORRECTION,
        actor,
        at,
        status_before=lead.status,
        reason_code=command.outcome.value,
        data={"corrects_event_id": command.corrected_event_id},
    )
    return Change(new, (event,))


def _flag_leaked(lead: Lead, command: FlagLeaked, actor: str, at: datetime) -> Change:
    new = replace(lead, leaked_at=at)
    event = event_of(
        new,
        EventKind.LEAKED,
        actor,
        at,
        status_before=lead.status,
        data={"leakage_days": command.leakage_days},
    )
    return Change(new, (event,))
