"""Timer passes, snoozes and touches, on the in-memory store: each timer fires once, a reminder
is snoozed once, and marketing's touch on a leaked lead is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.lead import LeadError, NotAllowed
from bot.domain.timers import SnoozeRefused
from bot.services import snooze, touch
from bot.services.timers import Job, run_handoff_sla_pass, run_leakage_pass
from tests.fakes.services import MANAGER, MARKETING, REP, Services


@pytest.fixture
def services() -> Services:
    return Services()


def sla_pass(services: Services) -> str:
    return run_handoff_sla_pass(**services.common).summary()


def test_a_pending_lead_is_reminded_once_however_often_the_pass_runs(services: Services) -> None:
    services.take()
    assert sla_pass(services) == "nothing due"
    services.clock.advance(hours=5)
    assert sla_pass(services) == "1 handoff_sla; 1 message"
    assert sla_pass(services) == "nothing due"
    services.clock.advance(days=1)
    assert sla_pass(services) == "1 escalation; 1 message"
    assert [w.kind for w in services.store.work()][1:] == [
        "timer_note",
        "timer_dm",
        "timer_note",
        "timer_post",
    ]


def test_a_pass_another_process_is_running_is_skipped(services: Services) -> None:
    services.take()
    services.clock.advance(hours=5)
    services.store.held_passes.add(Job.HANDOFF_SLA.value)
    assert sla_pass(services) == "skipped: another process was running this pass"
    assert services.store.state.fires == {}


def snoozable(services: Services) -> int:
    services.take()
    services.clock.advance(hours=5)
    sla_pass(services)
    [fire_id] = services.store.state.fires
    return fire_id


def test_a_reminder_is_snoozed_once_with_a_reason(services: Services) -> None:
    fire_id = snoozable(services)
    common = {"actor": MANAGER, "days": 1, **services.common}
    with pytest.raises(LeadError, match="Say why you snooze"):
        snooze.snooze_reminder(fire_id, reason=" ", **common)
    snoozed = snooze.snooze_reminder(fire_id, reason="at a fair", **common)
    assert snoozed.until > services.clock.now()
    assert services.store.state.fires[fire_id].snooze_reason == "at a fair"
    with pytest.raises(SnoozeRefused, match="already snoozed once"):
        snooze.snooze_reminder(fire_id, reason="again", **common)


def test_only_the_people_reminded_and_the_deciders_snooze_for_a_few_days_at_most(
    services: Services,
) -> None:
    fire_id = snoozable(services)
    with pytest.raises(
        SnoozeRefused, match="Only <@U0EMEABK01> or <@U0EMEAMGR1> can snooze this reminder"
    ):
        snooze.snooze_reminder(fire_id, actor=REP, days=1, reason="busy", **services.common)
    with pytest.raises(SnoozeRefused, match="at most 2 working days"):
        snooze.snooze_reminder(fire_id, actor=MANAGER, days=3, reason="busy", **services.common)
    form = snooze.snooze_form(fire_id, MANAGER, **services.common)
    assert [days for days, _ in form.choices] == [1, 2]


def test_a_snoozed_reminder_comes_back_once_when_the_snooze_ends(services: Services) -> None:
    fire_id = snoozable(services)
    snoozed = snooze.snooze_reminder(
        fire_id, actor=MANAGER, days=1, reason="at a fair", **services.common
    )
    services.clock.set(snoozed.until + timedelta(minutes=1))
    assert "handoff_sla again" in sla_pass(services)
    assert "handoff_sla again" not in sla_pass(services)


def leaked(services: Services) -> str:
    short_id = services.accepted()
    services.clock.advance(days=15)
    run_leakage_pass(**services.common)
    return short_id


def test_an_unreached_lead_is_flagged_once_and_marketing_gets_a_touch_task(
    services: Services,
) -> None:
    short_id = leaked(services)
    assert services.store.lead(short_id).lead.leaked_at == services.clock.now()
    assert run_leakage_pass(**services.common).summary() == "nothing due"
    assert len(services.store.work("timer_leak_task")) == 1
    assert services.store.event_kinds(short_id).count("leaked") == 1


def test_marketing_logs_a_touch_with_what_it_learned(services: Services) -> None:
    short_id = leaked(services)
    common = {"by": None, "reached": True, "request_key": "t1", **services.common}
    with pytest.raises(NotAllowed, match="Only marketing"):
        touch.log_touch(short_id, actor=REP, notes="called", **common)
    with pytest.raises(LeadError, match="Say what you learned"):
        touch.log_touch(short_id, actor=MARKETING, notes="", **common)
    touched = touch.log_touch(short_id, actor=MARKETING, notes="wants a demo", **common)
    assert (touched.reached, touched.repeated) == (True, False)
    assert touch.log_touch(short_id, actor=MARKETING, notes="wants a demo", **common).repeated
    assert [w.kind for w in services.store.work()][-2:] == ["timer_note", "timer_touch_update"]
