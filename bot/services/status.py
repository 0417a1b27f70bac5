"""What an admin or a health check needs to know about a running Baton."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.services.ports import StorageUnavailable
from storage.job_runs import job_runs
from storage.queries import lead_counts, outbox_backlog, stuck_work


def service_status(baton: Any, *, probe_writes: bool = False) -> dict[str, Any]:
    """Describe the database, the Slack backlog and what is stuck; with a probe, writes too."""
    try:
        status = _read_status(baton)
    except (SQLAlchemyError, StorageUnavailable) as error:
        reason = error.reason if isinstance(error, StorageUnavailable) else type(error).__name__
        return {"database": "unavailable", "error": reason}
    if probe_writes:
        failing = baton.write_probe.check(now=baton.clock.now())
        status["writes"] = "ok" if failing is None else f"failing: {failing}"
    return status


def _read_status(baton: Any) -> dict[str, Any]:
    with baton.database.reading() as session:
        backlog = outbox_backlog(session)
        return {
            "database": "ok",
            "leads": lead_counts(session),
            "slack": {
                "backlog": backlog,
                "undelivered": sum(backlog.values()),
                "stuck": stuck_work(session, limit=20),
            },
            "jobs": {run.name: run.as_dict() for run in job_runs(session)},
        }
