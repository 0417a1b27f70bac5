"""Several processes running the same pass at once: each item fires once, each person gets one DM."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Baton, build_baton
from bot.clock import FixedClock
from bot.services.timers import Job, PassResult
from config.settings import Settings
from storage.db import Database, open_database
from tests.bot.services.timer_setup import at, kinds, outbox, run, timers_config
from tests.conftest import empty_database
from tests.fakes.leads import add_lead

PROCESSES = 4
LEADS = 60


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Database]]:
    """One database seen by several processes: each has its own engines and connections."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'baton.db'}"
        open_database(url).upgrade()
    else:
        url = request.getfixturevalue("postgres_database_url")
        empty_database(request.getfixturevalue("migrated_postgres"))
    opened = [open_database(url) for _ in range(PROCESSES)]
    yield opened
    for database in opened:
        database.dispose()


def batons(settings: Settings, databases: list[Database]) -> list[Baton]:
    config = timers_config()
    return [
        build_baton(settings, clock=FixedClock(at("2026-11-23T09:00Z")), database=d, config=config)
        for d in databases
    ]


def race(processes: list[Baton], job: Job, now_text: str, *, lock: bool = True) -> list[PassResult]:
    """Start the same pass in every process at the same moment."""
    start = threading.Barrier(len(processes))
    results: list[PassResult] = []
    errors: list[BaseException] = []

    def one(baton: Baton) -> None:
        if not lock:
            make = baton.unit_of_work

            def unlocked():  # type: ignore[no-untyped-def]
                uow = make()
                uow.passes.lock = lambda job: True  # type: ignore[method-assign]
                return uow

            baton.unit_of_work = unlocked  # type: ignore[method-assign]
        start.wait()
        try:
            results.append(run(baton, job, at(now_text)))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one, args=(baton,)) for baton in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def pending_leads(baton: Baton) -> list[int]:
    regions = ["emea", "americas-east", "nz"]
    start = at("2026-11-23T09:00+01:00")
    return [
        add_lead(
            baton.database,
            status="pending",
            region=regions[i % 3],
            created_at=start - timedelta(days=2, minutes=i),
        )[0]
        for i in range(LEADS)
    ]


def test_processes_racing_on_one_pass_send_one_reminder_per_item_and_one_dm_per_person(
    settings: Settings, databases: list[Database]
) -> None:
    processes = batons(settings, databases)
    leads = pending_leads(processes[0])
    for now in ("2026-11-25T12:00Z", "2026-11-25T12:05Z", "2026-11-25T12:05Z"):
        race(processes, Job.HANDOFF_SLA, now)
    baton = processes[0]
    assert all(sorted(kinds(baton, lead)) == ["escalation", "handoff_sla"] for lead in leads)
    people = Counter(row.payload["person"] for row in outbox(baton, "timer_dm"))
    assert people == {"U0EMEAMGR1": 1, "U0AMEMGR01": 1, "U0NZMGR001": 1}
    channels = Counter(row.payload["channel"] for row in outbox(baton, "timer_post"))
    assert channels == {"C0EMEA0001": 1, "C0AMEAST01": 1, "C0NZ000001": 1}
    assert len(outbox(baton, "timer_note")) == 2 * LEADS


def test_without_the_pass_lock_the_unique_key_still_fires_each_item_once(
    settings: Settings, databases: list[Database]
) -> None:
    processes = batons(settings, databases)
    leads = pending_leads(processes[0])
    results = race(processes, Job.HANDOFF_SLA, "2026-11-25T12:00Z", lock=False)
    baton = processes[0]
    assert all(sorted(kinds(baton, lead)) == ["escalation", "handoff_sla"] for lead in leads)
    assert sum(r.fired.get("handoff_sla", 0) for r in results) == LEADS
    assert len(outbox(baton, "timer_note")) == 2 * LEADS


def test_racing_leakage_passes_flag_each_lead_once(
    settings: Settings, databases: list[Database]
) -> None:
    processes = batons(settings, databases)
    for i in range(LEADS):
        add_lead(
            processes[0].database,
            status="accepted",
            created_at=at("2026-11-01T09:00Z"),
            decided_at=at("2026-11-02T09:00Z") + timedelta(minutes=i),
            rep_id="U0EMEAREP2",
        )
    race(processes, Job.LEAKAGE, "2026-11-23T12:00Z", lock=False)
    baton = processes[0]
    assert len(outbox(baton, "timer_leak_task")) == LEADS
    assert Counter(kinds(baton)) == {"leakage": LEADS}
