"""The scheduler inside `baton serve` and `baton socket`: each job's passes on its interval."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import Baton
from bot.jobs.passes import JOBS, run_job
from bot.services.ports import StorageUnavailable
from storage.scheduler_lock import SchedulerBusy, SchedulerLock

log = logging.getLogger(__name__)
# The first passes run soon after start, a little apart, to catch up on what came due meanwhile.
FIRST_PASS = timedelta(seconds=5)
STAGGER = timedelta(seconds=3)


class SchedulerRefused(Exception):
    """The scheduler cannot run here (another process runs it on the same SQLite file)."""


class Scheduler:
    def __init__(
        self, baton: Baton, *, first_pass: timedelta = FIRST_PASS, stagger: timedelta = STAGGER
    ) -> None:
        self.baton = baton
        self.first_pass, self.stagger = first_pass, stagger
        self._lock: SchedulerLock | None = None
        # Missed runs collapse into one: a pass catches up on everything due since the last.
        self.apscheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self) -> Scheduler:
        try:
            self._lock = self.baton.hold_scheduler_lock()
        except SchedulerBusy as error:
            raise SchedulerRefused(str(error)) from None
        now = self.baton.clock.now()
        for index, spec in enumerate(JOBS.values()):
            self.apscheduler.add_job(
                self._pass,
                IntervalTrigger(
                    seconds=spec.interval(self.baton.config).total_seconds(), timezone=UTC
                ),
                args=[spec.name],
                id=spec.name,
                name=spec.name,
                next_run_time=now + self.first_pass + index * self.stagger,
            )
        self.apscheduler.start()
        for job in self.apscheduler.get_jobs():
            self.baton.job_runs.scheduled(job.id, next_run_at=job.next_run_time, now=now)
        return self

    def stop(self) -> None:
        if self.apscheduler.running:
            self.apscheduler.shutdown(wait=True)
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def next_runs(self) -> dict[str, object]:
        return {job.id: job.next_run_time for job in self.apscheduler.get_jobs()}

    def _pass(self, name: str) -> None:
        # A failed pass is logged and recorded by run_job; the next pass tries again.
        job = self.apscheduler.get_job(name)
        try:
            run_job(self.baton, name, next_run_at=job.next_run_time if job else None)
        except StorageUnavailable as error:
            log.warning("job %s skipped: %s; its next pass catches up", name, error)


def start_scheduler(
    baton: Baton, *, first_pass: timedelta = FIRST_PASS, stagger: timedelta = STAGGER
) -> Scheduler:
    """Start the job scheduler, or raise SchedulerRefused when it may not run here."""
    return Scheduler(baton, first_pass=first_pass, stagger=stagger).start()
