"""`baton jobs list`: each job, its schedule, its last run and result, and its next run."""

from __future__ import annotations

from datetime import datetime

from bot.jobs.passes import JOBS
from bot.services.records import JobRun
from config.model import BatonConfig

NOT_SCHEDULED = "when `baton serve` or `baton socket` runs"


def jobs_table(runs: list[JobRun], *, config: BatonConfig, now: datetime) -> str:
    """A plain-text table of the jobs and their schedules under `config`, for a terminal."""
    by_name = {run.name: run for run in runs}
    rows = [("JOB", "SCHEDULE", "LAST RUN", "RESULT", "NEXT RUN")]
    for name, spec in JOBS.items():
        run = by_name.get(name)
        rows.append((name, spec.schedule(config), _last(run), _result(run), _next(run, now)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines += ["", *(f"{name}: {spec.does}" for name, spec in JOBS.items())]
    return "\n".join(lines)


def _last(run: JobRun | None) -> str:
    if run is None or not run.runs:
        return "never"
    return f"{_time(run.started_at)} (as of {_time(run.as_of)})"


def _result(run: JobRun | None) -> str:
    if run is None or not run.runs:
        return "—"
    return f"{'ok' if run.ok else 'FAILED'}: {run.result or ''}".strip()


def _next(run: JobRun | None, now: datetime) -> str:
    if run is None or run.next_run_at is None:
        return NOT_SCHEDULED
    if run.next_run_at < now:
        return f"{_time(run.next_run_at)} (overdue: is the scheduler running?)"
    return _time(run.next_run_at)


def _time(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")
