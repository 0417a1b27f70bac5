"""Read-only questions an admin asks of the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.rows import LeadRow, OutboxRow

UNDELIVERED = ("pending", "blocked")


def lead_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(LeadRow.status, func.count()).group_by(LeadRow.status))
    return {status: count for status, count in rows}


def outbox_backlog(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboxRow.state, func.count())
        .where(OutboxRow.state.in_(UNDELIVERED))
        .group_by(OutboxRow.state)
    )
    return {state: count for state, count in rows}


def stuck_work(session: Session, *, limit: int) -> list[dict[str, Any]]:
    """Undelivered Slack work that has failed at least once, oldest first, with why."""
    rows = session.execute(
        select(OutboxRow, LeadRow.short_id)
        .outerjoin(LeadRow, LeadRow.id == OutboxRow.lead_id)
        .where(OutboxRow.state.in_(UNDELIVERED), OutboxRow.attempts > 0)
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    return [
        {
            "lead": short_id,
            "kind": row.kind,
            "state": row.state,
            "attempts": row.attempts,
            "error": row.last_error,
            "since": row.created_at.isoformat(),
        }
        for row, short_id in rows
    ]
