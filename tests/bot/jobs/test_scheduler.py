"""The scheduler in a serving process: its jobs and next runs, and one scheduler per SQLite file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.app import Baton, build_baton
from bot.clock import SystemClock
from bot.jobs.passes import JOBS
from bot.jobs.scheduler import Scheduler, SchedulerRefused, start_scheduler
from config.model import BatonConfig
from config.settings import Settings
from storage.db import Database, open_database


@pytest.fixture
def live_baton(settings: Settings, database: Database, example_config: BatonConfig) -> Baton:
    # The scheduler runs on the wall clock; its passes read this clock.
    return build_baton(settings, clock=SystemClock(), database=database, config=example_config)


@pytest.fixture
def running(live_baton: Baton) -> Iterator[Scheduler]:
    scheduler = start_scheduler(live_baton)
    yield scheduler
    scheduler.stop()


def wait_for(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    pause, waited = threading.Event(), 0.0
    while not predicate():
        if waited >= timeout:
            return False
        pause.wait(0.05)
        waited += 0.05
    return True


def test_the_scheduler_runs_every_job_and_records_its_next_run(
    live_baton: Baton, running: Scheduler
) -> None:
    assert set(running.next_runs()) == set(JOBS)
    runs = {run.name: run for run in live_baton.job_runs.all()}
    assert set(runs) == set(JOBS)
    assert all(run.next_run_at is not None for run in runs.values())


def test_the_first_passes_catch_up_soon_after_start(live_baton: Baton) -> None:
    scheduler = start_scheduler(live_baton, first_pass=timedelta(0), stagger=timedelta(0))
    try:
        assert wait_for(lambda: all(run.runs >= 1 for run in live_baton.job_runs.all()))
    finally:
        scheduler.stop()
    runs = live_baton.job_runs.all()
    assert {run.result for run in runs} == {"nothing due"}
    assert all(run.ok and run.next_run_at is not None for run in runs)


def test_a_second_scheduler_on_one_sqlite_file_is_refused(
    settings: Settings, tmp_path, example_config: BatonConfig
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first_db, second_db = open_database(url), open_database(url)
    first_db.upgrade()
    first = build_baton(settings, clock=SystemClock(), database=first_db, config=example_config)
    second = build_baton(settings, clock=SystemClock(), database=second_db, config=example_config)
    scheduler = start_scheduler(first)
    try:
        with pytest.raises(SchedulerRefused, match=r"already runs the scheduler on shared\.db"):
            start_scheduler(second)
    finally:
        scheduler.stop()
    start_scheduler(second).stop()  # free again once the first one stops
    first_db.dispose()
    second_db.dispose()


@pytest.mark.postgres
def test_every_process_on_postgresql_runs_its_scheduler(
    settings: Settings,
    postgres_database_url: str,
    migrated_postgres: Database,
    example_config: BatonConfig,
) -> None:
    databases = [open_database(postgres_database_url) for _ in range(2)]
    batons = [
        build_baton(settings, clock=SystemClock(), database=d, config=example_config)
        for d in databases
    ]
    schedulers = [
        start_scheduler(baton, first_pass=timedelta(0), stagger=timedelta(0)) for baton in batons
    ]
    try:
        assert all(set(scheduler.next_runs()) == set(JOBS) for scheduler in schedulers)
        # Both processes run every job's passes (one at a time, under PostgreSQL's lock).
        assert wait_for(lambda: all(run.runs >= 2 for run in batons[0].job_runs.all()))
        assert all(run.ok for run in batons[0].job_runs.all())
    finally:
        for scheduler in schedulers:
            scheduler.stop()
        for database in databases:
            database.dispose()
