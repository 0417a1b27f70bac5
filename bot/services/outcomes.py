"""Reps in the loop: log an outcome, return a worked lead, undo one's own last outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.days import DayError, parse_day
from bot.domain.lead import (
    WORKING,
    Change,
    CorrectOutcome,
    LeadClosed,
    LeadError,
    LeadStatus,
    LogOutcome,
    Outcome,
    ReturnReason,
    apply,
)
from bot.domain.outcomes import PastOutcome, standing, to_undo
from bot.services.crm_out import crm_work
from bot.services.handoff import authority_for, timezone_of
from bot.services.ports import UnitOfWork
from bot.services.records import EventLine, StoredLead, Work, WorkKind
from config.model import BatonConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutcomeEntry:
    """An outcome as a person gave it: on the command line or in the modal."""

    outcome: Outcome
    amount: Decimal | None = None
    currency: str | None = None
    notes: str | None = None
    next_step: str | date | None = None  # as typed ("friday"), or a picked date
    return_reason: ReturnReason | None = None


@dataclass(frozen=True)
class Logged:
    short_id: str
    outcome: Outcome
    status_before: LeadStatus
    status: LeadStatus
    next_step_at: datetime | None = None
    timezone: str = "UTC"
    repeated: bool = False

    @property
    def status_kept(self) -> bool:
        """Whether the outcome was recorded without moving the lead (status moves forward only)."""
        return self.status is self.status_before and self.outcome.status is not self.status


@dataclass(frozen=True)
class Undone:
    short_id: str
    outcome: Outcome
    status: LeadStatus
    repeated: bool = False


@dataclass(frozen=True)
class OutcomeForm:
    """What the outcome modal shows about its lead."""

    short_id: str
    name: str | None
    company: str | None
    email: str
    status: LeadStatus
    timezone: str


def outcome_form(
    short_id: str,
    actor: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> OutcomeForm:
    """Check that `actor` may log an outcome on the lead now, and say what the modal shows."""
    with uow_factory() as uow:
        stored = _load(uow, short_id)
    # A dry run through the lifecycle refuses exactly what logging would refuse.
    _apply(stored, LogOutcome(Outcome.ATTEMPTED), actor, config, clock.now())
    facts = stored.facts
    name = " ".join(p for p in (facts.get("first_name"), facts.get("last_name")) if p) or None
    return OutcomeForm(
        short_id=stored.lead.short_id,
        name=name,
        company=facts.get("company"),
        email=stored.email,
        status=stored.lead.status,
        timezone=timezone_of(config, stored.lead.region),
    )


def log_outcome(
    short_id: str,
    entry: OutcomeEntry,
    *,
    actor: str,
    request_key: str | None,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Logged:
    """Record an outcome (or a return) on a worked lead; its thread, card and people are told."""
    now = clock.now()
    with uow_factory() as uow:
        if request_key and not uow.requests.first_handling(request_key, now=now):
            return Logged(
                short_id, entry.outcome, LeadStatus.ACCEPTED, LeadStatus.ACCEPTED, repeated=True
            )
        stored = _load(uow, short_id, for_update=True)
        before = stored.lead
        next_step_at = _next_step_at(entry.next_step, config, before.region, now)
        command = LogOutcome(
            outcome=entry.outcome,
            amount=entry.amount,
            notes=(entry.notes or "").strip() or None,
            next_step_at=next_step_at,
            return_reason=entry.return_reason,
            currency=entry.currency,
        )
        change = _apply(stored, command, actor, config, now)
        stored.lead = change.lead
        stored.priority = 0  # the owner has acted on whatever brought the lead back
        uow.leads.save(stored, now=now)
        [event_id] = uow.events.append([(stored.id, e) for e in change.events])
        work = _outcome_work(stored, event_id, returned=entry.outcome is Outcome.RETURN)
        work += crm_work(uow, config, stored.id, stored.lead, [(event_id, change.events[0])])
        uow.outbox.queue(work, now=now)
        uow.commit()
    _log_outcome(before.short_id, entry.outcome, actor, before.status, change.lead.status)
    return Logged(
        short_id=before.short_id,
        outcome=entry.outcome,
        status_before=before.status,
        status=change.lead.status,
        next_step_at=next_step_at,
        timezone=timezone_of(config, before.region),
    )


def undo_outcome(
    short_id: str,
    *,
    actor: str,
    request_key: str | None,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Undone:
    """Withdraw the caller's own last outcome within a day; the lead falls back to where it was."""
    now = clock.now()
    with uow_factory() as uow:
        if request_key and not uow.requests.first_handling(request_key, now=now):
            return Undone(short_id, Outcome.ATTEMPTED, LeadStatus.ACCEPTED, repeated=True)
        stored = _load(uow, short_id, for_update=True)
        history = past_outcomes(uow.events.round_events(stored.id, stored.lead.handoff_round))
        target = to_undo(history, actor=actor, now=now, short_id=stored.lead.short_id)
        after = standing(history, without=target.event_id)
        command = CorrectOutcome(target.event_id, after.status, target.outcome, after.next_step_at)
        change = _apply(stored, command, actor, config, now)
        stored.lead = change.lead
        uow.leads.save(stored, now=now)
        [event_id] = uow.events.append([(stored.id, e) for e in change.events])
        work = _outcome_work(stored, event_id, returned=False)
        if target.outcome is Outcome.RETURN:
            work.append(
                _work(WorkKind.RETURN_WITHDRAWN, f"unreturned:{event_id}", stored, event_id)
            )
        uow.outbox.queue(work, now=now)
        uow.commit()
    return Undone(stored.lead.short_id, target.outcome, change.lead.status)


def _log_outcome(
    short_id: str, outcome: Outcome, actor: str, before: LeadStatus, after: LeadStatus
) -> None:
    log.info(
        "outcome on %s: %s by %s, %s → %s",
        short_id,
        outcome.value,
        actor,
        before.value,
        after.value,
        extra={"lead": short_id, "outcome": outcome.value, "by": actor, "status": after.value},
    )


def past_outcomes(events: Sequence[EventLine]) -> list[PastOutcome]:
    """The round's outcomes (a rep's return among them), each marked if it was withdrawn."""
    corrected = {e.data.get("corrects_event_id") for e in events if e.kind == "correction"}
    history = []
    for event in events:
        if event.kind == "outcome" and event.reason_code:
            outcome = Outcome(event.reason_code)
        elif event.kind == "returned" and event.status_before in {s.value for s in WORKING}:
            outcome = Outcome.RETURN
        else:
            continue
        next_step = event.data.get("next_step_at")
        history.append(
            PastOutcome(
                event_id=event.id,
                actor=event.actor,
                at=event.at,
                outcome=outcome,
                next_step_at=datetime.fromisoformat(next_step) if next_step else None,
                corrected=event.id in corrected,
            )
        )
    return history


def _apply(
    stored: StoredLead,
    command: LogOutcome | CorrectOutcome,
    actor: str,
    config: BatonConfig,
    now: datetime,
) -> Change:
    try:
        return apply(
            stored.lead,
            command,
            actor=actor,
            authority=authority_for(config, stored.lead.region),
            at=now,
        )
    except LeadClosed as error:
        if isinstance(command, CorrectOutcome):
            raise
        raise LeadClosed(
            f"{error} If your last outcome on it was a mistake, "
            f"`/lead undo {stored.lead.short_id}` withdraws it within a day."
        ) from None


def _next_step_at(
    given: str | date | None, config: BatonConfig, region_name: str | None, now: datetime
) -> datetime | None:
    """The start of the working day chosen for the next step, in the lead's region."""
    if given is None:
        return None
    region = config.region(region_name) if region_name else None
    zone = ZoneInfo(region.timezone if region else "UTC")
    today = now.astimezone(zone).date()
    try:
        day = given if isinstance(given, date) else parse_day(given, today=today)
    except DayError as error:
        raise LeadError(f"{error} (`next:{given}` sets the date of your next step.)") from None
    if day < today:
        raise LeadError(f"The next step ({day.isoformat()}) is in the past; pick today or later.")
    opening = region.calendar().working_hours[0][0] if region else time(9, 0)
    return datetime.combine(day, opening, zone)


def _outcome_work(stored: StoredLead, event_id: int, *, returned: bool) -> list[Work]:
    round_no = stored.lead.handoff_round
    work = [
        Work(
            WorkKind.HANDOFF_UPDATE,
            f"update:{stored.id}:{round_no}:{event_id}",
            stored.id,
            round_no,
        ),
        Work.thread_note(stored.id, round_no, event_id),
    ]
    if returned:
        key = f"returned:{stored.id}:{round_no}:{event_id}"
        work.append(_work(WorkKind.RETURNED_NOTICE, key, stored, event_id))
    return work


def _work(kind: WorkKind, key: str, stored: StoredLead, event_id: int) -> Work:
    return Work(kind, key, stored.id, stored.lead.handoff_round, data={"event_id": event_id})


def _load(uow: UnitOfWork, short_id: str, *, for_update: bool = False) -> StoredLead:
    stored = uow.leads.by_short_id(short_id, for_update=for_update)
    if stored is None:
        raise LeadError(
            f"There is no lead {short_id}. `/lead find EMAIL-OR-COMPANY` finds a lead's id."
        )
    return stored
