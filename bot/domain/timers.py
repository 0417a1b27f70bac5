"""Accountability timers: when each one is due on a region's working clock, and the snooze rule.

A timer fires at most once per lead, kind, handoff round and due time. Reminders may be
snoozed once, for at most a few working days; escalations and leakage flags may not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.lead import EventKind, Lead, LeadError, LeadEvent, event_of
from bot.domain.workingtime import WorkingCalendar

# How far back a pass looks before its last pass: a due time may be set after it passed (a next
# step "today", set in the afternoon), and processes' clocks may differ a little.
GRACE = timedelta(days=1)
# How far back `earliest_cause` searches; no calendar has a longer stretch without work.
HORIZON = timedelta(days=400)


class TimerKind(StrEnum):
    HANDOFF_SLA = "handoff_sla"  # the deciders are reminded of a pending lead
    ESCALATION = "escalation"  # the backup is called in
    FEEDBACK_DUE = "feedback_due"  # the rep is reminded to report
    FEEDBACK_OVERDUE = "feedback_overdue"  # the manager is told, a working day later
    NEXT_STEP = "next_step"  # the rep is reminded of the next step they set
    LEAKAGE = "leakage"  # nobody reached the lead; marketing gets a touch task

    @property
    def snoozable(self) -> bool:
        return self in SNOOZABLE


SNOOZABLE = frozenset({TimerKind.HANDOFF_SLA, TimerKind.FEEDBACK_DUE, TimerKind.NEXT_STEP})


class SnoozeRefused(LeadError):
    """A reminder that cannot be snoozed (again, for that long, or by this person)."""


def on_the_clock(calendar: WorkingCalendar, at: datetime) -> datetime:
    """Return `at` if it falls in working time or closes a working window, else the next opening.

    A due date that lands on a weekend or holiday is chased on the next working morning; one
    at the close of a working day (feedback due "by Friday") is chased right then.
    """
    if calendar.is_working_time(at) or calendar.is_working_time(at - timedelta(microseconds=1)):
        return at
    return calendar.next_working_moment(at)


def working_day_hours(calendar: WorkingCalendar) -> float:
    """Return the length of a working day, in hours."""
    seconds = sum(
        (end.hour * 3600 + end.minute * 60) - (start.hour * 3600 + start.minute * 60)
        for start, end in calendar.working_hours
    )
    return seconds / 3600


def handoff_due(calendar: WorkingCalendar, round_started_at: datetime, hours: float) -> datetime:
    """Return when a lead pending since `round_started_at` has waited `hours` working hours."""
    return calendar.add_working_hours(round_started_at, hours)


def feedback_due(calendar: WorkingCalendar, feedback_due_at: datetime) -> datetime:
    return on_the_clock(calendar, feedback_due_at)


def feedback_overdue(calendar: WorkingCalendar, feedback_due_at: datetime) -> datetime:
    """Return one working day after feedback was due: when the manager is told."""
    return calendar.add_working_hours(
        feedback_due(calendar, feedback_due_at), working_day_hours(calendar)
    )


def next_step_due(calendar: WorkingCalendar, next_step_at: datetime) -> datetime:
    return on_the_clock(calendar, next_step_at)


def leakage_due(decided_at: datetime, days: int) -> datetime:
    """Return when an accepted lead with no contact counts as leaked (calendar days)."""
    return decided_at + timedelta(days=days)


def earliest_cause(due: Callable[[datetime], datetime], after: datetime) -> datetime:
    """Return a moment before which every start `s` has `due(s) <= after`.

    `due` must never decrease as its start moves later, and never precede its start. A pass
    uses this to turn "due since its last pass" into a range of the stored column that drives
    the timer (a round's start, a due date), so that its cost follows what is due, not the table.
    """
    low, high = after - HORIZON, after + timedelta(seconds=1)
    if due(low) > after:
        return low
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if due(middle) > after:
            high = middle
        else:
            low = middle
    # A minute's margin: wall-clock jumps make `due` flat or steep for a moment.
    return low - timedelta(minutes=1)


@dataclass(frozen=True)
class FiredTimer:
    """A timer that fired, as far as snoozing it is concerned."""

    kind: TimerKind
    short_id: str
    snoozed_until: datetime | None
    refired: bool


def snooze_until(
    fired: FiredTimer,
    *,
    actor: str,
    allowed: frozenset[str],
    days: int,
    max_days: int,
    calendar: WorkingCalendar,
    now: datetime,
) -> datetime:
    """Return when a snoozed reminder comes back, or raise SnoozeRefused saying why not."""
    if not fired.kind.snoozable:
        raise SnoozeRefused(f"{_what(fired.kind)} on {fired.short_id} cannot be snoozed.")
    if actor not in allowed:
        people = " or ".join(f"<@{p}>" for p in sorted(allowed)) or "the person reminded"
        raise SnoozeRefused(f"Only {people} can snooze this reminder about {fired.short_id}.")
    if fired.snoozed_until is not None or fired.refired:
        when = f" (until {_wall(calendar, fired.snoozed_until)})" if fired.snoozed_until else ""
        raise SnoozeRefused(
            f"This reminder about {fired.short_id} was already snoozed once{when}; "
            "a reminder can be snoozed only once."
        )
    if not 1 <= days <= max_days:
        most = "1 working day" if max_days == 1 else f"{max_days} working days"
        raise SnoozeRefused(f"A reminder can be snoozed for at most {most}.")
    return calendar.add_working_days(now, days)


def snooze_event(
    lead: Lead, kind: TimerKind, *, actor: str, at: datetime, until: datetime, reason: str
) -> LeadEvent:
    """The event that records a snooze, with its reason."""
    data = {"timer": kind.value, "until": until.isoformat()}
    return event_of(
        lead, EventKind.SNOOZED, actor, at, status_before=lead.status, notes=reason, data=data
    )


def _wall(calendar: WorkingCalendar, at: datetime) -> str:
    local = calendar.local(at)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def _what(kind: TimerKind) -> str:
    return "Leakage flags" if kind is TimerKind.LEAKAGE else "Escalations"
