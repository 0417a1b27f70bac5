"""Each timer pass, table by table: before, at and after each threshold, on each region's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Baton, build_baton
from bot.clock import FixedClock
from bot.services import timers
from bot.services.dry_run import dry
from bot.services.timers import Job, PassResult
from config.settings import Settings
from storage.db import Database
from storage.rows import EventRow
from tests.bot.services.timer_setup import (
    HAWAII_MANAGER,
    NZ_MANAGER,
    at,
    count_rows,
    events,
    fires,
    kinds,
    lead_row,
    outbox,
    run,
    timers_config,
)
from tests.fakes.leads import add_lead, set_lead

MANAGER, BACKUP, REP = "U0EMEAMGR1", "U0EMEABK01", "U0EMEAREP2"


@pytest.fixture
def baton(settings: Settings, database: Database, clock: FixedClock) -> Baton:
    return build_baton(settings, clock=clock, database=database, config=timers_config())


def pending(baton: Baton, since: str, region: str | None = "emea") -> int:
    lead_id, _ = add_lead(baton.database, status="pending", region=region, created_at=at(since))
    return lead_id


def accepted(baton: Baton, *, decided: str, due: str | None = None, **fields) -> int:  # type: ignore[no-untyped-def]
    values = {
        "status": "accepted",
        "created_at": at(decided) - timedelta(hours=1),
        "decided_at": at(decided),
        "decided_by": MANAGER,
        "rep_id": REP,
        "feedback_due_at": at(due) if due else None,
    }
    lead_id, _ = add_lead(baton.database, **(values | fields))
    return lead_id


# Handoff SLA and escalation ---------------------------------------------------------------
# emea works 09:00-12:30 and 13:30-17:30 in Berlin (UTC+1 in winter): 7.5 hours a day.

HANDOFF_CASES = [
    # (what, region, pending since, pass at, kinds fired)
    ("before the SLA", "emea", "2026-11-23T09:00+01:00", "2026-11-23T13:59:59+01:00", []),
    ("at the SLA", "emea", "2026-11-23T09:00+01:00", "2026-11-23T14:00+01:00", ["handoff_sla"]),
    ("after the SLA", "emea", "2026-11-23T09:00+01:00", "2026-11-23T17:00+01:00", ["handoff_sla"]),
    (
        "before escalation",
        "emea",
        "2026-11-23T09:00+01:00",
        "2026-11-24T09:29:59+01:00",
        ["handoff_sla"],
    ),
    (
        "at escalation",
        "emea",
        "2026-11-23T09:00+01:00",
        "2026-11-24T09:30+01:00",
        ["handoff_sla", "escalation"],
    ),
    ("over a weekend, Saturday", "emea", "2026-11-27T15:00+01:00", "2026-11-28T12:00+01:00", []),
    (
        "over a weekend, Monday early",
        "emea",
        "2026-11-27T15:00+01:00",
        "2026-11-30T10:29+01:00",
        [],
    ),
    (
        "over a weekend, due Monday",
        "emea",
        "2026-11-27T15:00+01:00",
        "2026-11-30T10:30+01:00",
        ["handoff_sla"],
    ),
    (
        "received on Sunday counts from Monday",
        "emea",
        "2026-11-29T20:00+01:00",
        "2026-11-30T13:59+01:00",
        [],
    ),
    (
        "received on Sunday, due Monday afternoon",
        "emea",
        "2026-11-29T20:00+01:00",
        "2026-11-30T14:00+01:00",
        ["handoff_sla"],
    ),
    ("over Christmas", "emea", "2026-12-24T16:00+01:00", "2026-12-28T11:29+01:00", []),
    (
        "over Christmas, due after it",
        "emea",
        "2026-12-24T16:00+01:00",
        "2026-12-28T11:30+01:00",
        ["handoff_sla"],
    ),
    # New York leaves daylight time on Sunday 1 November 2026.
    (
        "across the DST change, before",
        "americas-east",
        "2026-10-30T15:30-04:00",
        "2026-11-02T10:29:59-05:00",
        [],
    ),
    (
        "across the DST change, at",
        "americas-east",
        "2026-10-30T15:30-04:00",
        "2026-11-02T10:30-05:00",
        ["handoff_sla"],
    ),
    # Sunday 22 November 20:00 UTC is Monday 09:00 in Auckland and Sunday 10:00 in Honolulu.
    ("Auckland's Monday", "nz", "2026-11-22T20:00Z", "2026-11-23T00:00Z", ["handoff_sla"]),
    ("Honolulu's Sunday", "hawaii", "2026-11-22T20:00Z", "2026-11-23T00:00Z", []),
    ("Honolulu's Monday", "hawaii", "2026-11-22T20:00Z", "2026-11-23T23:00Z", ["handoff_sla"]),
    ("triage on UTC office hours", None, "2026-11-23T09:00Z", "2026-11-23T13:00Z", ["handoff_sla"]),
]


@pytest.mark.parametrize(
    ("region", "since", "now", "expected"),
    [case[1:] for case in HANDOFF_CASES],
    ids=[case[0] for case in HANDOFF_CASES],
)
def test_a_pending_lead_is_reminded_then_escalated_on_its_regions_working_clock(
    baton: Baton, region: str | None, since: str, now: str, expected: list[str]
) -> None:
    lead_id = pending(baton, since, region)
    run(baton, Job.HANDOFF_SLA, at(now))
    assert kinds(baton, lead_id) == expected


def test_the_reminder_records_when_it_was_due_and_changes_nothing_about_the_lead(
    baton: Baton,
) -> None:
    lead_id = pending(baton, "2026-11-23T09:00+01:00")
    before = lead_row(baton, lead_id)
    run(baton, Job.HANDOFF_SLA, at("2026-11-23T15:10+01:00"))
    assert fires(baton, lead_id) == [("handoff_sla", at("2026-11-23T14:00+01:00"))]
    after = lead_row(baton, lead_id)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)
    assert count_rows(baton, EventRow) == 0


def test_reminders_go_to_the_manager_escalations_to_the_backup_in_the_channel(
    baton: Baton,
) -> None:
    pending(baton, "2026-11-23T09:00+01:00")
    pending(baton, "2026-11-23T09:10+01:00")
    run(baton, Job.HANDOFF_SLA, at("2026-11-25T09:00+01:00"))
    [dm] = outbox(baton, "timer_dm")
    assert dm.payload["person"] == MANAGER
    assert len(dm.payload["items"]) == 2
    [post] = outbox(baton, "timer_post")
    assert (post.payload["channel"], post.payload["mention"]) == ("C0EMEA0001", [BACKUP])
    assert len(post.payload["items"]) == 2
    assert len(outbox(baton, "timer_note")) == 4


def test_a_region_without_a_channel_or_backup_escalates_to_its_manager_by_dm(
    baton: Baton,
) -> None:
    pending(baton, "2026-11-23T09:00-10:00", region="hawaii")
    run(baton, Job.HANDOFF_SLA, at("2026-11-25T09:00-10:00"))
    [dm] = outbox(baton, "timer_dm")
    assert dm.payload["person"] == HAWAII_MANAGER
    assert sorted(kinds(baton)) == ["escalation", "handoff_sla"]
    assert not outbox(baton, "timer_post")


def test_each_manager_gets_one_message_listing_their_leads(baton: Baton) -> None:
    for _ in range(3):
        pending(baton, "2026-11-23T09:00+01:00")
    pending(baton, "2026-11-22T20:00Z", region="nz")
    run(baton, Job.HANDOFF_SLA, at("2026-11-23T15:00+01:00"))
    dms = {row.payload["person"]: len(row.payload["items"]) for row in outbox(baton, "timer_dm")}
    assert dms == {MANAGER: 3, NZ_MANAGER: 1}


def test_a_decided_or_rerouted_lead_is_no_longer_chased(baton: Baton) -> None:
    decided = pending(baton, "2026-11-23T09:00+01:00")
    moved = pending(baton, "2026-11-23T09:00+01:00")
    set_lead(baton.database, decided, status="accepted")
    set_lead(baton.database, moved, handoff_round=2, round_started_at=at("2026-11-23T13:59+01:00"))
    run(baton, Job.HANDOFF_SLA, at("2026-11-23T14:30+01:00"))
    assert fires(baton) == []


def test_a_new_round_is_reminded_again(baton: Baton) -> None:
    lead_id = pending(baton, "2026-11-23T09:00+01:00")
    run(baton, Job.HANDOFF_SLA, at("2026-11-23T14:00+01:00"))
    set_lead(
        baton.database, lead_id, handoff_round=2, round_started_at=at("2026-11-24T09:00+01:00")
    )
    run(baton, Job.HANDOFF_SLA, at("2026-11-24T14:00+01:00"))
    assert kinds(baton, lead_id) == ["handoff_sla", "handoff_sla"]


# Feedback due and overdue ----------------------------------------------------------------

FEEDBACK_CASES = [
    # (what, feedback due, pass at, kinds fired)
    ("before it is due", "2026-11-27T17:30+01:00", "2026-11-27T17:29:59+01:00", []),
    (
        "at the close of the due day",
        "2026-11-27T17:30+01:00",
        "2026-11-27T17:30+01:00",
        ["feedback_due"],
    ),
    (
        "before the manager is told",
        "2026-11-27T17:30+01:00",
        "2026-11-30T17:29:59+01:00",
        ["feedback_due"],
    ),
    (
        "a working day later the manager is told",
        "2026-11-27T17:30+01:00",
        "2026-11-30T17:30+01:00",
        ["feedback_due", "feedback_overdue"],
    ),
    ("due on a Saturday waits for Monday", "2026-11-28T17:30+01:00", "2026-11-30T08:59+01:00", []),
    (
        "due on a Saturday, chased Monday morning",
        "2026-11-28T17:30+01:00",
        "2026-11-30T09:00+01:00",
        ["feedback_due"],
    ),
    (
        "due before Christmas, manager told after it",
        "2026-12-24T17:30+01:00",
        "2026-12-28T17:30+01:00",
        ["feedback_due", "feedback_overdue"],
    ),
    (
        "due before Christmas, not on the holiday",
        "2026-12-24T17:30+01:00",
        "2026-12-25T17:30+01:00",
        ["feedback_due"],
    ),
]


@pytest.mark.parametrize(
    ("due", "now", "expected"),
    [case[1:] for case in FEEDBACK_CASES],
    ids=[case[0] for case in FEEDBACK_CASES],
)
def test_feedback_due_reminds_the_rep_then_tells_the_manager(
    baton: Baton, due: str, now: str, expected: list[str]
) -> None:
    lead_id = accepted(baton, decided="2026-11-23T10:00+01:00", due=due)
    run(baton, Job.FOLLOWUPS, at(now))
    assert kinds(baton, lead_id) == expected


ELSEWHERE_FEEDBACK_CASES = [
    # (what, region, feedback due, pass at, kinds fired); New York works 08:30-17:30.
    (
        "the manager is told across the DST change, not before",
        "americas-east",
        "2026-10-30T17:30-04:00",
        "2026-11-02T17:29:59-05:00",
        ["feedback_due"],
    ),
    (
        "the manager is told across the DST change, at",
        "americas-east",
        "2026-10-30T17:30-04:00",
        "2026-11-02T17:30-05:00",
        ["feedback_due", "feedback_overdue"],
    ),
    (
        "Thanksgiving is not a working day",
        "americas-east",
        "2026-11-25T17:30-05:00",
        "2026-11-27T17:29-05:00",
        ["feedback_due"],
    ),
    # Monday 17:00 in Auckland is Sunday 20:00 in Honolulu, both Sunday 04:00 UTC.
    (
        "due in Auckland's Monday",
        "nz",
        "2026-11-23T17:00+13:00",
        "2026-11-23T04:00Z",
        ["feedback_due"],
    ),
    ("not yet in Honolulu's Sunday", "hawaii", "2026-11-23T17:00-10:00", "2026-11-23T04:00Z", []),
    (
        "due in Honolulu's Monday",
        "hawaii",
        "2026-11-23T17:00-10:00",
        "2026-11-24T03:00Z",
        ["feedback_due"],
    ),
]


@pytest.mark.parametrize(
    ("region", "due", "now", "expected"),
    [case[1:] for case in ELSEWHERE_FEEDBACK_CASES],
    ids=[case[0] for case in ELSEWHERE_FEEDBACK_CASES],
)
def test_feedback_is_chased_on_the_leads_own_regional_clock(
    baton: Baton, region: str, due: str, now: str, expected: list[str]
) -> None:
    lead_id = accepted(baton, decided="2026-10-20T10:00Z", due=due, region=region)
    run(baton, Job.FOLLOWUPS, at(now))
    assert kinds(baton, lead_id) == expected


def test_feedback_is_not_chased_once_an_outcome_is_logged(baton: Baton) -> None:
    lead_id = accepted(
        baton, decided="2026-11-23T10:00+01:00", due="2026-11-27T17:30+01:00", status="attempted"
    )
    run(baton, Job.FOLLOWUPS, at("2026-12-01T12:00+01:00"))
    assert kinds(baton, lead_id) == []


def test_the_rep_and_the_manager_each_get_their_own_message(baton: Baton) -> None:
    accepted(baton, decided="2026-11-23T10:00+01:00", due="2026-11-27T17:30+01:00")
    accepted(baton, decided="2026-11-23T10:00+01:00", due="2026-11-26T17:30+01:00")
    run(baton, Job.FOLLOWUPS, at("2026-11-30T17:30+01:00"))
    people = {
        row.payload["person"]: [item[0] for item in row.payload["items"]]
        for row in outbox(baton, "timer_dm")
    }
    assert set(people) == {REP, MANAGER}
    assert len(people[REP]) == 2 and len(people[MANAGER]) == 2


# Next steps -------------------------------------------------------------------------------

NEXT_STEP_CASES = [
    ("the evening before", "2026-12-01T09:00+01:00", "2026-11-30T20:00+01:00", []),
    ("on the morning", "2026-12-01T09:00+01:00", "2026-12-01T09:00+01:00", ["next_step"]),
    ("later that day", "2026-12-01T09:00+01:00", "2026-12-01T16:00+01:00", ["next_step"]),
    ("set for a Saturday, not on it", "2026-12-05T09:00+01:00", "2026-12-05T12:00+01:00", []),
    (
        "set for a Saturday, reminded Monday",
        "2026-12-05T09:00+01:00",
        "2026-12-07T09:00+01:00",
        ["next_step"],
    ),
]


@pytest.mark.parametrize(
    ("step", "now", "expected"),
    [case[1:] for case in NEXT_STEP_CASES],
    ids=[case[0] for case in NEXT_STEP_CASES],
)
def test_a_rep_is_reminded_of_their_next_step_on_its_day(
    baton: Baton, step: str, now: str, expected: list[str]
) -> None:
    lead_id = accepted(
        baton, decided="2026-11-23T10:00+01:00", status="attempted", next_step_at=at(step)
    )
    run(baton, Job.NEXTSTEPS, at(now))
    assert kinds(baton, lead_id) == expected


@pytest.mark.parametrize(
    ("now", "reminded"),
    [
        ("2026-11-30T19:59Z", []),
        ("2026-11-30T20:00Z", ["nz"]),  # Tuesday 09:00 in Auckland, Monday 10:00 in Honolulu
        ("2026-12-01T19:00Z", ["nz", "hawaii"]),  # Tuesday 09:00 in Honolulu
    ],
)
def test_next_steps_on_both_sides_of_the_date_line_fall_on_their_own_tuesday(
    baton: Baton, now: str, reminded: list[str]
) -> None:
    leads = {
        region: accepted(
            baton,
            decided="2026-11-23T10:00Z",
            status="attempted",
            region=region,
            next_step_at=at(f"2026-12-01T09:00{offset}"),
        )
        for region, offset in (("nz", "+13:00"), ("hawaii", "-10:00"))
    }
    run(baton, Job.NEXTSTEPS, at(now))
    assert [region for region, lead in leads.items() if kinds(baton, lead)] == reminded


def test_a_new_next_step_date_is_a_new_reminder(baton: Baton) -> None:
    lead_id = accepted(
        baton,
        decided="2026-11-23T10:00+01:00",
        status="attempted",
        next_step_at=at("2026-12-01T09:00+01:00"),
    )
    run(baton, Job.NEXTSTEPS, at("2026-12-01T10:00+01:00"))
    set_lead(baton.database, lead_id, next_step_at=at("2026-12-03T09:00+01:00"))
    run(baton, Job.NEXTSTEPS, at("2026-12-01T11:00+01:00"))
    run(baton, Job.NEXTSTEPS, at("2026-12-03T09:05+01:00"))
    run(baton, Job.NEXTSTEPS, at("2026-12-03T10:00+01:00"))
    assert fires(baton, lead_id) == [
        ("next_step", at("2026-12-01T09:00+01:00")),
        ("next_step", at("2026-12-03T09:00+01:00")),
    ]


def test_a_closed_lead_gets_no_next_step_reminder(baton: Baton) -> None:
    lead_id = accepted(
        baton,
        decided="2026-11-23T10:00+01:00",
        status="won",
        next_step_at=at("2026-12-01T09:00+01:00"),
    )
    run(baton, Job.NEXTSTEPS, at("2026-12-01T10:00+01:00"))
    assert kinds(baton, lead_id) == []


# Leakage ----------------------------------------------------------------------------------

LEAKAGE_CASES = [
    # (what, status, source, accepted, pass at, leaked)
    ("a day short", "accepted", "webinar", "2026-11-09T10:00Z", "2026-11-23T09:59:59Z", False),
    ("14 days after", "accepted", "webinar", "2026-11-09T10:00Z", "2026-11-23T10:00Z", True),
    (
        "attempted is not contact",
        "attempted",
        "webinar",
        "2026-11-09T10:00Z",
        "2026-11-24T10:00Z",
        True,
    ),
    (
        "connected is contact",
        "connected",
        "webinar",
        "2026-11-09T10:00Z",
        "2026-12-24T10:00Z",
        False,
    ),
    ("a meeting is contact", "meeting", None, "2026-11-09T10:00Z", "2026-12-24T10:00Z", False),
    (
        "trade shows get 21 days",
        "accepted",
        "trade_show",
        "2026-11-09T10:00Z",
        "2026-11-30T09:59Z",
        False,
    ),
    (
        "trade show at 21 days",
        "accepted",
        "trade_show",
        "2026-11-09T10:00Z",
        "2026-11-30T10:00Z",
        True,
    ),
    ("on a Sunday too", "accepted", None, "2026-11-15T03:00Z", "2026-11-29T03:00Z", True),
]


@pytest.mark.parametrize(
    ("status", "source", "decided", "now", "leaked"),
    [case[1:] for case in LEAKAGE_CASES],
    ids=[case[0] for case in LEAKAGE_CASES],
)
def test_an_accepted_lead_nobody_reached_is_flagged_as_leaked(
    baton: Baton, status: str, source: str | None, decided: str, now: str, leaked: bool
) -> None:
    lead_id = accepted(baton, decided=decided, status=status, source=source)
    run(baton, Job.LEAKAGE, at(now))
    assert kinds(baton, lead_id) == (["leakage"] if leaked else [])
    assert (lead_row(baton, lead_id).leaked_at is not None) is leaked
    assert len(events(baton, "leaked")) == int(leaked)
    assert len(outbox(baton, "timer_leak_task")) == int(leaked)


def test_a_leaked_lead_keeps_its_status_and_records_the_period(baton: Baton) -> None:
    lead_id = accepted(baton, decided="2026-11-01T10:00Z", source="trade_show")
    run(baton, Job.LEAKAGE, at("2026-11-23T10:00Z"))
    row = lead_row(baton, lead_id)
    assert (row.status, row.leaked_at) == ("accepted", at("2026-11-23T10:00Z"))
    [event] = events(baton, "leaked")
    assert event.data == {"leakage_days": 21}


# Once only, late and crashing -------------------------------------------------------------


@pytest.mark.parametrize("job", list(Job))
def test_a_pass_run_again_and_again_fires_each_timer_once(baton: Baton, job: Job) -> None:
    pending(baton, "2026-11-23T09:00+01:00")
    accepted(baton, decided="2026-11-02T10:00+01:00", due="2026-11-06T17:30+01:00")
    accepted(
        baton,
        decided="2026-11-02T10:00+01:00",
        status="attempted",
        next_step_at=at("2026-11-24T09:00+01:00"),
    )
    now = at("2026-11-25T12:00+01:00")
    first = run(baton, job, now)
    queued = len(outbox(baton))
    assert first.fired
    for minutes in (0, 5, 60, 60 * 24):
        again = run(baton, job, now + timedelta(minutes=minutes))
        assert again.fired == {} and again.summary() == "nothing due"
        again = run(baton, job, now + timedelta(minutes=minutes), advance=False)
        assert again.fired == {}
    assert len(outbox(baton)) == queued


def test_a_pass_after_two_days_down_catches_up_each_item_once(baton: Baton) -> None:
    run(baton, Job.HANDOFF_SLA, at("2026-11-27T12:00+01:00"))  # Friday; then the bot is down
    leads = [pending(baton, f"2026-11-27T1{hour}:00+01:00") for hour in (2, 4, 6)]
    result = run(baton, Job.HANDOFF_SLA, at("2026-12-01T11:00+01:00"))  # Tuesday
    assert result.fired == {"handoff_sla": 3, "escalation": 3}
    assert [len(kinds(baton, lead)) for lead in leads] == [2, 2, 2]
    assert len(outbox(baton, "timer_dm")) == 1
    assert run(baton, Job.HANDOFF_SLA, at("2026-12-01T11:05+01:00")).fired == {}


def test_a_pass_as_of_a_given_time_does_not_move_the_catch_up_point(baton: Baton) -> None:
    lead_id = pending(baton, "2026-11-23T09:00+01:00")
    run(baton, Job.HANDOFF_SLA, at("2027-06-01T12:00+02:00"), advance=False)
    assert kinds(baton, lead_id) == ["handoff_sla", "escalation"]
    later = pending(baton, "2026-11-24T09:00+01:00")
    run(baton, Job.HANDOFF_SLA, at("2026-11-24T14:00+01:00"))
    assert kinds(baton, later) == ["handoff_sla"]


class Crash(Exception):
    pass


def test_a_crash_before_the_pass_commits_leaves_nothing_half_done(baton: Baton) -> None:
    lead_id = pending(baton, "2026-11-23T09:00+01:00")

    def crashing_uow():  # type: ignore[no-untyped-def]
        uow = baton.unit_of_work()

        def queue(work, *, now):  # type: ignore[no-untyped-def]
            raise Crash("the process died between deciding and sending")

        uow.outbox.queue = queue  # type: ignore[method-assign]
        return uow

    from bot.services.timers import run_handoff_sla_pass

    with pytest.raises(Crash):
        run_handoff_sla_pass(
            uow_factory=crashing_uow,
            config=baton.config,
            clock=FixedClock(at("2026-11-23T14:00+01:00")),
        )
    assert fires(baton) == [] and outbox(baton) == []
    run(baton, Job.HANDOFF_SLA, at("2026-11-23T14:05+01:00"))
    assert kinds(baton, lead_id) == ["handoff_sla"]
    assert len(outbox(baton, "timer_dm")) == 1


def test_the_summary_counts_what_fired(baton: Baton) -> None:
    pending(baton, "2026-11-23T09:00+01:00")
    result = run(baton, Job.HANDOFF_SLA, at("2026-11-25T09:00+01:00"))
    assert result.summary() == "1 escalation, 1 handoff_sla; 2 messages"


# Page by page ----------------------------------------------------------------------------


def run_in_pages(baton: Baton, job: Job, now: str, *, uow_factory=None) -> PassResult:  # type: ignore[no-untyped-def]
    return timers.PASSES[job](
        uow_factory=uow_factory or baton.unit_of_work,
        config=baton.config,
        clock=FixedClock(at(now)),
        page_size=2,
    )


def test_a_pass_over_many_pages_fires_each_timer_once_and_tells_each_person_once(
    baton: Baton,
) -> None:
    # Leads whose rounds started at the same moment lie across pages too.
    leads = [pending(baton, "2026-11-23T09:00+01:00") for _ in range(5)]
    leads += [pending(baton, f"2026-11-23T1{hour}:00+01:00") for hour in (0, 1)]
    result = run_in_pages(baton, Job.HANDOFF_SLA, "2026-11-25T12:00+01:00")
    assert result.fired == {"handoff_sla": 7, "escalation": 7}
    assert all(kinds(baton, lead) == ["handoff_sla", "escalation"] for lead in leads)
    [dm] = outbox(baton, "timer_dm")
    [post] = outbox(baton, "timer_post")
    assert (len(dm.payload["items"]), len(post.payload["items"])) == (7, 7)
    assert dm.available_at <= at("2026-11-25T12:00+01:00")  # let go with the last page
    assert len(outbox(baton, "timer_note")) == 14
    assert run_in_pages(baton, Job.HANDOFF_SLA, "2026-11-25T12:05+01:00").fired == {}


@pytest.mark.parametrize("job", list(Job))
def test_each_pass_pages_through_its_leads(baton: Baton, job: Job) -> None:
    for day in range(2, 7):
        pending(baton, f"2026-11-23T09:0{day}+01:00")
        accepted(
            baton,
            decided=f"2026-11-0{day}T10:00+01:00",
            due=f"2026-11-1{day}T17:30+01:00",
        )
        accepted(
            baton,
            decided=f"2026-11-0{day}T10:00+01:00",
            status="attempted",
            next_step_at=at(f"2026-11-1{day}T09:00+01:00"),
        )
    now = at("2026-11-25T12:00+01:00")
    whole = timers.PASSES[job](
        uow_factory=dry(baton.unit_of_work), config=baton.config, clock=FixedClock(now)
    )
    assert whole.fired
    paged = run_in_pages(baton, job, "2026-11-25T12:00+01:00")
    assert (paged.fired, paged.messages) == (whole.fired, whole.messages)
    assert run_in_pages(baton, job, "2026-11-25T12:05+01:00").fired == {}


def test_a_pass_cut_short_keeps_the_pages_it_wrote_and_the_next_pass_does_the_rest(
    baton: Baton,
) -> None:
    leads = [pending(baton, f"2026-11-23T09:0{i}+01:00") for i in range(5)]
    pages = 0

    def crashing_uow():  # type: ignore[no-untyped-def]
        uow = baton.unit_of_work()
        queue = uow.outbox.queue

        def second_page_crashes(work, *, now):  # type: ignore[no-untyped-def]
            nonlocal pages
            pages += 1
            if pages == 2:
                raise Crash("the process died on the second page")
            queue(work, now=now)

        uow.outbox.queue = second_page_crashes  # type: ignore[method-assign]
        return uow

    with pytest.raises(Crash):
        run_in_pages(baton, Job.HANDOFF_SLA, "2026-11-25T12:00+01:00", uow_factory=crashing_uow)
    assert [len(kinds(baton, lead)) for lead in leads] == [2, 2, 0, 0, 0]
    [held] = outbox(baton, "timer_dm")  # the first page's reminders wait, and are not lost
    assert len(held.payload["items"]) == 2
    assert held.available_at > at("2026-11-25T12:00+01:00")
    run_in_pages(baton, Job.HANDOFF_SLA, "2026-11-25T12:05+01:00")
    assert all(len(kinds(baton, lead)) == 2 for lead in leads)
    dms = outbox(baton, "timer_dm")
    assert sorted(len(dm.payload["items"]) for dm in dms) == [2, 3]
