"""When timers are due on a working clock, how far back a pass must look, and the snooze rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain.lead import Authority, EventKind, Lead, LeadStatus, LogTouch, NotAllowed, apply
from bot.domain.timers import (
    FiredTimer,
    SnoozeRefused,
    TimerKind,
    earliest_cause,
    feedback_overdue,
    handoff_due,
    leakage_due,
    next_step_due,
    on_the_clock,
    snooze_event,
    snooze_until,
    working_day_hours,
)
from bot.domain.workingtime import WorkingCalendar

BERLIN = WorkingCalendar(
    "Europe/Berlin",
    working_hours=((time(9), time(12, 30)), (time(13, 30), time(17, 30))),
    holidays=frozenset({date(2026, 12, 25), date(2026, 12, 26)}),
)
NEW_YORK = WorkingCalendar("America/New_York", working_hours=((time(8, 30), time(17, 30)),))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-23T10:00+01:00", "2026-11-23T10:00+01:00"),  # working: as it is
        ("2026-11-23T17:30+01:00", "2026-11-23T17:30+01:00"),  # closes the day: as it is
        ("2026-11-23T12:45+01:00", "2026-11-23T13:30+01:00"),  # lunch: after lunch
        ("2026-11-23T18:00+01:00", "2026-11-24T09:00+01:00"),  # evening: next morning
        ("2026-11-28T09:00+01:00", "2026-11-30T09:00+01:00"),  # Saturday: Monday
        ("2026-12-25T09:00+01:00", "2026-12-28T09:00+01:00"),  # Christmas: after it
    ],
)
def test_a_due_time_off_the_clock_moves_to_the_next_working_moment(
    moment: str, expected: str
) -> None:
    assert on_the_clock(BERLIN, at(moment)) == at(expected)


def test_a_working_day_is_as_long_as_its_hours() -> None:
    assert working_day_hours(BERLIN) == 7.5
    assert working_day_hours(NEW_YORK) == 9


def test_the_manager_is_told_a_full_working_day_after_feedback_was_due() -> None:
    assert feedback_overdue(BERLIN, at("2026-11-27T17:30+01:00")) == at("2026-11-30T17:30+01:00")
    assert feedback_overdue(BERLIN, at("2026-11-28T12:00+01:00")) == at("2026-11-30T17:30+01:00")


def test_the_sla_counts_only_working_hours_across_a_dst_change() -> None:
    due = handoff_due(NEW_YORK, at("2026-10-30T15:30-04:00"), 4)
    assert due == at("2026-11-02T10:30-05:00")


def test_a_next_step_on_a_holiday_is_reminded_of_the_next_working_morning() -> None:
    assert next_step_due(BERLIN, at("2026-12-25T09:00+01:00")) == at("2026-12-28T09:00+01:00")


def test_leakage_counts_calendar_days() -> None:
    assert leakage_due(at("2026-11-09T10:00Z"), 14) == at("2026-11-23T10:00Z")


@pytest.mark.parametrize("after", ["2026-11-30T10:00+01:00", "2026-12-28T11:00+01:00"])
@pytest.mark.parametrize("hours", [1, 4, 8, 40])
def test_earliest_cause_bounds_every_start_that_is_due_after_a_moment(
    after: str, hours: int
) -> None:
    limit = at(after)

    def due(start: datetime) -> datetime:
        return handoff_due(BERLIN, start, hours)

    bound = earliest_cause(due, limit)
    assert due(bound) <= limit
    start = limit - timedelta(days=30)
    while start < limit:
        if due(start) > limit:
            assert start > bound
        start += timedelta(minutes=37)


def fired(**changes) -> FiredTimer:  # type: ignore[no-untyped-def]
    values = {
        "kind": TimerKind.HANDOFF_SLA,
        "short_id": "L-AAAAA",
        "snoozed_until": None,
        "refired": False,
    }
    return FiredTimer(**(values | changes))


def snooze(timer: FiredTimer, *, actor: str = "U0MGR00001", days: int = 2) -> datetime:
    return snooze_until(
        timer,
        actor=actor,
        allowed=frozenset({"U0MGR00001"}),
        days=days,
        max_days=2,
        calendar=BERLIN,
        now=at("2026-11-27T15:00+01:00"),
    )


def test_a_reminder_snoozes_for_working_days() -> None:
    assert snooze(fired(), days=1) == at("2026-11-30T15:00+01:00")
    assert snooze(fired(), days=2) == at("2026-12-01T15:00+01:00")


@pytest.mark.parametrize(
    ("timer", "actor", "days", "refusal"),
    [
        (fired(kind=TimerKind.ESCALATION), "U0MGR00001", 1, "Escalations on L-AAAAA cannot"),
        (fired(kind=TimerKind.LEAKAGE), "U0MGR00001", 1, "Leakage flags on L-AAAAA cannot"),
        (fired(), "U0STRANGER", 1, "Only <@U0MGR00001> can snooze"),
        (
            fired(snoozed_until=at("2026-11-30T15:00+01:00")),
            "U0MGR00001",
            1,
            "already snoozed once (until Mon 30 Nov, 15:00)",
        ),
        (fired(refired=True), "U0MGR00001", 1, "already snoozed once"),
        (fired(), "U0MGR00001", 3, "at most 2 working days"),
        (fired(), "U0MGR00001", 0, "at most 2 working days"),
    ],
    ids=["escalation", "leakage", "stranger", "twice", "back already", "too long", "zero"],
)
def test_a_snooze_is_refused_with_the_reason(
    timer: FiredTimer, actor: str, days: int, refusal: str
) -> None:
    with pytest.raises(SnoozeRefused, match=refusal.replace("(", r"\(").replace(")", r"\)")):
        snooze(timer, actor=actor, days=days)


def test_a_snooze_is_recorded_as_an_event_with_its_reason_that_changes_nothing() -> None:
    lead = Lead("L-AAAAA", LeadStatus.PENDING, region="emea", handoff_round=2)
    now = datetime(2026, 11, 23, 13, tzinfo=UTC)
    snoozed = snooze_event(
        lead, TimerKind.HANDOFF_SLA, actor="U0MGR00001", at=now, until=now, reason="on leave"
    )
    assert (snoozed.kind, snoozed.actor, snoozed.notes) == (
        EventKind.SNOOZED,
        "U0MGR00001",
        "on leave",
    )
    assert snoozed.status_before == snoozed.status_after == LeadStatus.PENDING
    assert snoozed.handoff_round == 2
    assert snoozed.data == {"timer": "handoff_sla", "until": now.isoformat()}


def test_a_touch_records_who_made_it_and_whether_it_reached_the_lead() -> None:
    lead = Lead("L-AAAAA", LeadStatus.ACCEPTED, region="emea", handoff_round=1, rep_id="U0REP00001")
    marketing = Authority(marketing=frozenset({"U0MKTG0001"}))
    now = datetime(2026, 12, 7, 10, tzinfo=UTC)
    change = apply(
        lead,
        LogTouch(reached=True, notes="Busy until January", by="U0MKTG0002"),
        actor="U0MKTG0001",
        authority=marketing,
        at=now,
    )
    [touch] = change.events
    assert (touch.kind, touch.actor, touch.notes) == (
        EventKind.TOUCH,
        "U0MKTG0001",
        "Busy until January",
    )
    assert touch.data == {"reached": True, "by": "U0MKTG0002"}
    assert change.lead == lead
    with pytest.raises(NotAllowed):
        apply(
            lead,
            LogTouch(reached=False, notes="x"),
            actor="U0REP00001",
            authority=marketing,
            at=now,
        )
