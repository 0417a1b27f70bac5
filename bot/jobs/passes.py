"""The scheduled jobs: what each does and how often, and one recorded pass of any of them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.app import Baton
from bot.crm import sync as crm_sync
from bot.metrics import JOB_DURATION, JOB_PASSES, TIMER_FIRES
from bot.services import digest, timers
from bot.services.dry_run import dry
from bot.services.ports import StorageUnavailable
from bot.services.timers import Job, PassResult
from config.model import BatonConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    name: str
    every: timedelta
    does: str
    run: Callable[..., PassResult]
    # What the pass needs from Baton; None: a timer pass's unit of work and the config.
    bind: Callable[[Baton], dict[str, Any]] | None = None
    # How often the config says to run it, when it says (None: `every`).
    every_in: Callable[[BatonConfig], timedelta | None] | None = None

    def interval(self, config: BatonConfig) -> timedelta:
        configured = self.every_in(config) if self.every_in else None
        return configured or self.every

    def schedule(self, config: BatonConfig) -> str:
        """How often it runs, as the config has it, in words."""
        minutes = int(self.interval(config).total_seconds() // 60)
        if minutes < 60:
            return f"every {minutes} minutes"
        return "every hour" if minutes == 60 else f"every {minutes // 60} hours"


JOBS = {
    spec.name: spec
    for spec in (
        JobSpec(
            Job.HANDOFF_SLA.value,
            timedelta(minutes=5),
            "remind managers of pending leads past the SLA; call in the backup past escalation",
            timers.run_handoff_sla_pass,
        ),
        JobSpec(
            Job.FOLLOWUPS.value,
            timedelta(minutes=15),
            "remind reps whose feedback is due; a working day later, tell the manager",
            timers.run_followups_pass,
        ),
        JobSpec(
            Job.NEXTSTEPS.value,
            timedelta(minutes=15),
            "remind reps of the next steps they set",
            timers.run_nextsteps_pass,
        ),
        JobSpec(
            Job.LEAKAGE.value,
            timedelta(hours=1),
            "flag accepted leads nobody reached; post a touch task to marketing",
            timers.run_leakage_pass,
        ),
        JobSpec(
            digest.JOB,
            timedelta(minutes=15),
            "from Monday 09:00 on each region's clock: its weekly scoreboard; marketing's digest",
            digest.run_digest_pass,
            bind=lambda baton: {
                "uow_factory": baton.unit_of_work,
                "reader": baton.report_reader,
                "config": baton.config,
                "rules": baton.rules_reader,
            },
        ),
        JobSpec(
            crm_sync.JOB,
            timedelta(minutes=5),
            "with Salesforce: take in leads and opportunities changed since the last pass",
            crm_sync.run_crm_sync_pass,
            bind=lambda baton: {
                "crm": baton.crm,
                "routing": baton.routing,
                "uow_factory": baton.unit_of_work,
                "exclusive": baton.one_pass_at_a_time,
            },
            every_in=lambda config: (
                timedelta(minutes=config.crm.sync_every_minutes) if config.crm else None
            ),
        ),
    )
}


def dry_run_job(baton: Baton, name: str, *, now: datetime | None = None) -> PassResult:
    """What one pass of job `name` as of `now` would fire, and for whom: nothing is written."""
    spec = JOBS[name]
    bound = _bound(baton, spec)
    bound["uow_factory"] = dry(bound["uow_factory"])
    return spec.run(clock=baton.clock, as_of=now, **bound)


def _bound(baton: Baton, spec: JobSpec) -> dict[str, Any]:
    if spec.bind is not None:
        return spec.bind(baton)
    return {"uow_factory": baton.unit_of_work, "config": baton.config}


def run_job(
    baton: Baton, name: str, *, now: datetime | None = None, next_run_at: datetime | None = None
) -> PassResult:
    """Run one pass of job `name` as of `now` (default: the clock) and record how it went.

    A pass as of a given time leaves the job's catch-up point where it is: the scheduler's next
    pass still looks back from its own last pass.
    """
    spec = JOBS[name]
    started, timer = baton.clock.now(), time.perf_counter()
    try:
        result = spec.run(clock=baton.clock, as_of=now, **_bound(baton, spec))
    except StorageUnavailable:
        _measured(name, "unavailable", timer)
        raise  # nothing can be recorded either; the next pass catches up on what is due
    except Exception as error:
        _measured(name, "failed", timer)
        log.exception("job %s failed", name, extra={"job": name})
        baton.job_runs.record(
            name,
            started_at=started,
            finished_at=baton.clock.now(),
            as_of=now or started,
            ok=False,
            result=f"failed: {type(error).__name__}: {error}",
            next_run_at=next_run_at,
        )
        raise
    seconds = _measured(name, "skipped" if result.skipped else "ok", timer)
    if result.skipped:
        log.info("job %s: %s", name, result.summary(), extra={"job": name})
        return result
    baton.job_runs.record(
        name,
        started_at=started,
        finished_at=baton.clock.now(),
        as_of=result.as_of,
        ok=True,
        result=result.summary(),
        next_run_at=next_run_at,
    )
    _log_pass(result, seconds)
    if result.fired:
        baton.outbox_changed()
    return result


def _measured(job: str, result: str, timer: float) -> float:
    seconds = time.perf_counter() - timer
    JOB_PASSES.labels(job=job, result=result).inc()
    JOB_DURATION.labels(job=job).observe(seconds)
    return seconds


def _log_pass(result: PassResult, seconds: float) -> None:
    """One line per timer fired, then one for the pass; a pass with nothing due at DEBUG."""
    for kind, count in result.fired.items():
        TIMER_FIRES.labels(kind=kind).inc(count)
    for item in result.plan:
        log.info(
            "timer fired: %s on %s → %s",
            item.what,
            item.subject,
            ", ".join(item.to) or "its thread",
            extra={"job": result.job, "lead": item.subject, "timer": item.what, "to": item.to},
        )
    log.log(
        logging.INFO if result.fired else logging.DEBUG,
        "job %s as of %s: %s (%.2f s)",
        result.job,
        result.as_of.isoformat(),
        result.summary(),
        seconds,
        extra={"job": result.job, "fired": result.fired, "seconds": round(seconds, 3)},
    )
