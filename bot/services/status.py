"""What an admin or a health check needs to know about a running Baton."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from storage.job_runs import job_runs
from storage.queries import lead_counts, outbox_backlog, stuck_work


def service_status(baton: Any) -> dict[str, Any]:
    """Describe the database, the Slack backlog and what is stuck."""
    try:
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
    except SQLAlchemyError as error:
        return {"database": "unavailable", "error": type(error).__name__}
