"""The lead lifecycle: states, commands, who may issue them, and the events they cause.

`apply(lead, command, actor=..., authority=..., at=...)` is the one place a lead changes.
It returns the new lead and the events to append, or raises a `LeadError` whose message a
person can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

SYSTEM = "system"
INTAKE = "intake"


class LeadStatus(StrEnum):
    RECEIVED = "received"
    NURTURE = "nurture"
    PENDING = "pending"
    ACCEPTED = "accepted"
    ATTEMPTED = "attempted"
    CONNECTED = "connected"
    MEETING = "meeting"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    RETURNED = "returned"


CLOSED = frozenset({LeadStatus.WON, LeadStatus.LOST, LeadStatus.RETURNED})
WORKING = frozenset(
    {
        LeadStatus.ACCEPTED,
        LeadStatus.ATTEMPTED,
        LeadStatus.CONNECTED,
        LeadStatus.MEETING,
        LeadStatus.OPPORTUNITY,
    }
)
OPEN = WORKING | {LeadStatus.PENDING}
REQUALIFIABLE = frozenset({LeadStatus.NURTURE, LeadStatus.RETURNED, LeadStatus.LOST})


class Outcome(StrEnum):
    ATTEMPTED = "attempted"
    CONNECTED = "connected"
    MEETING = "meeting"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    RETURN = "return"

    @property
    def status(self) -> LeadStatus:
        return LeadStatus.RETURNED if self is Outcome.RETURN else LeadStatus(self.value)


# How far down the funnel a status is; an outcome never moves a lead backwards.
PROGRESS = {
    LeadStatus.ACCEPTED: 0,
    LeadStatus.ATTEMPTED: 1,
    LeadStatus.CONNECTED: 2,
    LeadStatus.MEETING: 3,
    LeadStatus.OPPORTUNITY: 4,
    LeadStatus.WON: 5,
    LeadStatus.LOST: 5,
    LeadStatus.RETURNED: 5,
}
CONTACTED = frozenset(s for s, rank in PROGRESS.items() if rank >= 2) - {LeadStatus.RETURNED}


class ReturnReason(StrEnum):
    NOT_A_FIT = "not_a_fit"
    BAD_CONTACT_DATA = "bad_contact_data"
    NOT_READY = "not_ready"
    DUPLICATE = "duplicate"
    COMPETITOR_OR_PARTNER = "competitor_or_partner"
    OTHER = "other"

    @property
    def label(self) -> str:
        return RETURN_REASON_LABELS[self]


RETURN_REASON_LABELS = {
    ReturnReason.NOT_A_FIT: "Not a fit",
    ReturnReason.BAD_CONTACT_DATA: "Bad contact data",
    ReturnReason.NOT_READY: "Not ready — nurture",
    ReturnReason.DUPLICATE: "Duplicate",
    ReturnReason.COMPETITOR_OR_PARTNER: "Competitor or partner",
    ReturnReason.OTHER: "Other",
}


class FollowUpMethod(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    LINKEDIN = "linkedin"
    MEETING = "meeting"


class EventKind(StrEnum):
    RECEIVED = "received"
    QUALIFIED = "qualified"
    HANDOFF_STARTED = "handoff_started"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    REROUTED = "rerouted"
    OUTCOME = "outcome"
    CORRECTION = "correction"
    ACTIVITY = "activity"
    TOUCH = "touch"
    LEAKED = "leaked"
    SNOOZED = "snoozed"


class LeadError(Exception):
    """A request about a lead that cannot be carried out, explained for a person."""


class NotAllowed(LeadError):
    """The person asking may not do this to this lead."""


class AlreadyDecided(LeadError):
    """Someone else decided on this round first."""


class LeadClosed(LeadError):
    """The lead is won, lost or returned; it takes no more outcomes."""


@dataclass(frozen=True)
class Lead:
    """What the lifecycle needs to know about a lead."""

    short_id: str
    status: LeadStatus
    region: str | None = None
    handoff_round: int = 0
    campaign: str | None = None
    source: str | None = None
    rep_id: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    feedback_due_at: datetime | None = None
    next_step_at: datetime | None = None
    leaked_at: datetime | None = None


@dataclass(frozen=True)
class Authority:
    """Who may act on a lead: its deciders (manager and backup, or triage deciders)."""

    deciders: frozenset[str] = frozenset()
    marketing: frozenset[str] = frozenset()
    named: tuple[str, ...] = ()  # the deciders in the order to name them: manager first


@dataclass(frozen=True)
class LeadEvent:
    kind: EventKind
    actor: str
    at: datetime
    handoff_round: int
    region: str | None
    campaign: str | None
    source: str | None
    status_before: LeadStatus | None
    status_after: LeadStatus
    reason_code: str | None = None
    amount: Decimal | None = None
    notes: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    lead: Lead
    events: tuple[LeadEvent, ...]


# Commands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Qualify:
    """Place a new or re-qualified lead: sales-ready starts a handoff round, else nurture."""

    sales_ready: bool
    reason: str
    region: str | None


@dataclass(frozen=True)
class Requeue:
    """Marketing sends a closed or nurtured lead back for a new handoff round."""

    region: str | None
    note: str | None = None


@dataclass(frozen=True)
class Accept:
    rep_id: str
    comment: str
    method: FollowUpMethod
    feedback_due_at: datetime
    handoff_round: int


@dataclass(frozen=True)
class Return:
    reason: ReturnReason
    notes: str | None
    handoff_round: int | None = None


@dataclass(frozen=True)
class Reroute:
    region: str | None
    note: str | None
    handoff_round: int


@dataclass(frozen=True)
class LogOutcome:
    outcome: Outcome
    amount: Decimal | None = None
    notes: str | None = None
    next_step_at: datetime | None = None
    return_reason: ReturnReason | None = None
    currency: str | None = None  # as typed with the amount; None: the configured currency


@dataclass(frozen=True)
class CorrectOutcome:
    """Withdraw an earlier outcome; the lead falls back to `status_after`."""

    corrected_event_id: int
    status_after: LeadStatus
    outcome: Outcome
    next_step_at: datetime | None = None


@dataclass(frozen=True)
class RecordActivity:
    activity: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class LogTouch:
    reached: bool
    notes: str
    by: str | None = None  # who made the touch, when not the person logging it


@dataclass(frozen=True)
class FlagLeaked:
    leakage_days: int


Command = (
    Qualify
    | Requeue
    | Accept
    | Return
    | Reroute
    | LogOutcome
    | CorrectOutcome
    | RecordActivity
    | LogTouch
    | FlagLeaked
)


def apply(
    lead: Lead, command: Command, *, actor: str, authority: Authority, at: datetime
) -> Change:
    """Carry out `command` on `lead` for `actor`, or raise a LeadError saying why not."""
    match (lead.status, command):
        case (LeadStatus.RECEIVED, Qualify()):
            return _qualify(lead, command, actor, at)
        case (status, Qualify()) if status in REQUALIFIABLE:
            return _qualify(lead, command, actor, at)
        case (status, Requeue()) if status in REQUALIFIABLE:
            _require_marketing(actor, authority)
            return _start_round(lead, command.region, actor, at, command.note)
        case (LeadStatus.PENDING, Accept() | Return() | Reroute()):
            _require_decider(lead, actor, authority)
            _require_current_round(lead, command)
            return _decide(lead, command, actor, at)
        case (_, Accept() | Reroute()) | (_, Return(handoff_round=int())):
            raise AlreadyDecided(_already_decided(lead, command))
        case (status, Return()) if status in WORKING:
            _require_worker(lead, actor, authority)
            return _return(lead, command, actor, at)
        case (status, LogOutcome()) if status in WORKING:
            _require_worker(lead, actor, authority)
            return _log_outcome(lead, command, actor, at)
        case (status, CorrectOutcome()) if status in WORKING | CLOSED and lead.rep_id:
            _require_worker(lead, actor, authority)
            return _correct(lead, command, actor, at)
        case (status, RecordActivity()) if status is not LeadStatus.RECEIVED:
            data = {"activity": list(command.activity)}
            return _record_only(lead, EventKind.ACTIVITY, actor, at, data=data)
        case (status, LogTouch()) if status in WORKING | CLOSED and lead.rep_id:
            _require_marketing(actor, authority)
            data = {"reached": command.reached, "by": command.by or actor}
            return _record_only(lead, EventKind.TOUCH, actor, at, notes=command.notes, data=data)
        case (status, FlagLeaked()) if status in WORKING and lead.leaked_at is None:
            return _flag_leaked(lead, command, actor, at)
    if lead.status in CLOSED:
        raise LeadClosed(_refusal(lead, command))
    raise LeadError(_refusal(lead, command))


def _qualify(lead: Lead, command: Qualify, actor: str, at: datetime) -> Change:
    """Qualify a lead; a new one gets a single `received` event saying where it went."""
    verdict = "sales-ready" if command.sales_ready else "nurture"
    if command.sales_ready:
        new = _next_round(lead, command.region)
    else:
        new = replace(lead, status=LeadStatus.NURTURE, region=command.region)
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
            notes=command.reason,
        )
        for kind in kinds
    )
    return Change(new, events)


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
        notes=command.notes,
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


def _record_only(
    lead: Lead,
    kind: EventKind,
    actor: str,
    at: datetime,
    *,
    notes: str | None = None,
    data: dict[str, Any],
) -> Change:
    event = event_of(lead, kind, actor, at, status_before=lead.status, notes=notes, data=data)
    return Change(lead, (event,))


def event_of(
    lead: Lead,
    kind: EventKind,
    actor: str,
    at: datetime,
    *,
    status_before: LeadStatus | None = None,
    status_after: LeadStatus | None = None,
    reason_code: str | None = None,
    amount: Decimal | None = None,
    notes: str | None = None,
    data: dict[str, Any] | None = None,
) -> LeadEvent:
    """An event of `lead` as it stands after the change (its round, region, campaign, source)."""
    return LeadEvent(
        kind=kind,
        actor=actor,
        at=at,
        handoff_round=lead.handoff_round,
        region=lead.region,
        campaign=lead.campaign,
        source=lead.source,
        status_before=status_before,
        status_after=status_after or lead.status,
        reason_code=reason_code,
        amount=amount,
        notes=notes,
        data=data or {},
    )


def _require_decider(lead: Lead, actor: str, authority: Authority) -> None:
    if actor not in authority.deciders:
        who = _people(authority.deciders) or "the region's manager"
        raise NotAllowed(f"Only {who} can decide on {lead.short_id}.")


def _require_worker(lead: Lead, actor: str, authority: Authority) -> None:
    if actor != lead.rep_id and actor not in authority.deciders:
        named = [p for p in authority.named if p in authority.deciders]
        deciders = named + sorted(authority.deciders - set(named))
        people = list(dict.fromkeys([p for p in (lead.rep_id,) if p] + deciders))
        raise NotAllowed(f"Only {_listed(people)} can log outcomes on {lead.short_id}.")


def _require_marketing(actor: str, authority: Authority) -> None:
    if actor not in authority.marketing:
        raise NotAllowed(
            f"Only marketing ({_people(authority.marketing) or 'nobody configured'}) can do that."
        )


def _require_current_round(lead: Lead, command: Accept | Return | Reroute) -> None:
    asked_round = command.handoff_round
    if asked_round is not None and asked_round != lead.handoff_round:
        raise AlreadyDecided(
            f"{lead.short_id} has moved on since that message: it is in round {lead.handoff_round}."
        )


def _already_decided(lead: Lead, command: Command) -> str:
    asked_round = getattr(command, "handoff_round", None)
    if asked_round is not None and asked_round != lead.handoff_round:
        return f"{lead.short_id} has moved on since that message (now round {lead.handoff_round})."
    who = f"<@{lead.decided_by}>" if lead.decided_by and lead.decided_by != SYSTEM else "Someone"
    if lead.status is LeadStatus.RETURNED:
        what = "returned it to marketing"
    elif lead.rep_id:
        what = f"accepted it for <@{lead.rep_id}>"
    else:
        what = f"moved it to {lead.status}"
    return f"{lead.short_id} was already decided: {who} {what}."


def _refusal(lead: Lead, command: Command) -> str:
    action = type(command).__name__.lower()
    if lead.status in CLOSED and isinstance(command, LogOutcome | Return):
        return f"{lead.short_id} is closed ({lead.status}); it takes no more outcomes."
    if lead.status in CLOSED:
        return f"{lead.short_id} is closed ({lead.status}); it cannot be changed that way."
    if isinstance(command, LogOutcome | CorrectOutcome) and lead.status is LeadStatus.PENDING:
        return f"{lead.short_id} awaits a manager's decision; log outcomes once accepted."
    if isinstance(command, LogOutcome | CorrectOutcome | Return) and lead.status not in WORKING:
        return f"{lead.short_id} is {lead.status} and not with sales; it takes no outcomes."
    return f"{lead.short_id} is {lead.status}; “{action}” does not apply to it now."


def _people(user_ids) -> str:
    return _listed(sorted(set(user_ids)))


def _listed(user_ids: list[str]) -> str:
    """Mentions in the given order: `<@A>`, `<@A> or <@B>`, `<@A>, <@B> or <@C>`."""
    mentions = [f"<@{u}>" for u in user_ids]
    if len(mentions) <= 1:
        return "".join(mentions)
    return ", ".join(mentions[:-1]) + " or " + mentions[-1]
