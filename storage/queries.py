"""Read-only questions an admin asks of the store."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.services.ports import StorageUnavailable
from bot.services.records import CRM_WORK, SLACK_WORK, StoreStatus, WorkKind
from storage.db import Database
from storage.job_runs import job_runs
from storage.rows import EventRow, HandoffRoundRow, LeadRow, NewLeadsToSettleRow, OutboxRow

UNDELIVERED = ("pending", "blocked")


class SqlStatusReader:
    def __init__(self, database: Database) -> None:
        self.database = database

    def read_status(self, *, stuck_limit: int) -> StoreStatus:
        """What the store holds now, read in one session."""
        try:
            with self.database.reading() as session:
                return StoreStatus(
                    lead_counts=lead_counts(session),
                    backlog=outbox_backlog(session, SLACK_WORK),
                    stuck=stuck_work(session, SLACK_WORK, limit=stuck_limit),
                    job_runs=job_runs(session),
                    oldest_waiting=oldest_waiting(session, SLACK_WORK),
                    crm_backlog=outbox_backlog(session, CRM_WORK),
                    crm_stuck=stuck_work(session, CRM_WORK, limit=stuck_limit),
                    requests_to_settle=session.scalar(_REQUESTS_TO_SETTLE) or 0,
                )
        except SQLAlchemyError as error:
            # A store that answers but not as expected (no tables yet, say) cannot be read.
            raise StorageUnavailable.unreadable(type(error).__name__) from error


_REQUESTS_TO_SETTLE = select(func.count()).select_from(NewLeadsToSettleRow)


def lead_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(LeadRow.status, func.count()).group_by(LeadRow.status))
    return {status: count for status, count in rows}


def outbox_backlog(session: Session, kinds: Collection[WorkKind]) -> dict[str, int]:
    rows = session.execute(
        select(OutboxRow.state, func.count())
        .where(OutboxRow.state.in_(UNDELIVERED), OutboxRow.kind.in_(_values(kinds)))
        .group_by(OutboxRow.state)
    )
    return {state: count for state, count in rows}


def oldest_waiting(session: Session, kinds: Collection[WorkKind]) -> datetime | None:
    """When the oldest undelivered work of `kinds` was queued."""
    query = select(func.min(OutboxRow.created_at)).where(
        OutboxRow.state.in_(UNDELIVERED), OutboxRow.kind.in_(_values(kinds))
    )
    return session.scalar(query)


def stuck_work(
    session: Session, kinds: Collection[WorkKind], *, limit: int
) -> list[dict[str, Any]]:
    """Undelivered work of `kinds` that has failed at least once, oldest first, with why."""
    rows = session.execute(
        select(OutboxRow, LeadRow.short_id)
        .outerjoin(LeadRow, LeadRow.id == OutboxRow.lead_id)
        .where(
            OutboxRow.state.in_(UNDELIVERED),
            OutboxRow.attempts > 0,
            OutboxRow.kind.in_(_values(kinds)),
        )
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


def _values(kinds: Collection[WorkKind]) -> list[str]:
    return sorted(kind.value for kind in kinds)


def lead_detail(session: Session, short_id: str) -> dict[str, Any] | None:
    """A lead with its events, activity and Slack work, for `baton lead show`."""
    lead = session.scalars(select(LeadRow).where(LeadRow.short_id == short_id)).first()
    if lead is None:
        return None
    events = session.scalars(
        select(EventRow).where(EventRow.lead_id == lead.id).order_by(EventRow.id)
    ).all()
    work = session.scalars(
        select(OutboxRow).where(OutboxRow.lead_id == lead.id).order_by(OutboxRow.id)
    ).all()
    rounds = session.scalars(
        select(HandoffRoundRow)
        .where(HandoffRoundRow.lead_id == lead.id)
        .order_by(HandoffRoundRow.round_no)
    ).all()
    return {"lead": lead, "events": list(events), "work": list(work), "rounds": list(rounds)}


def lead_list(session: Session, *, status: str | None, limit: int) -> list[dict[str, Any]]:
    """Leads newest first, with how much of their Slack and CRM work is undelivered and why."""
    slack, crm = _undelivered(SLACK_WORK), _undelivered(CRM_WORK)
    query = (
        select(LeadRow, slack.c.waiting, slack.c.error, crm.c.waiting, crm.c.error)
        .outerjoin(slack, slack.c.lead_id == LeadRow.id)
        .outerjoin(crm, crm.c.lead_id == LeadRow.id)
        .order_by(LeadRow.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(LeadRow.status == status)
    return [
        {
            "lead": lead,
            "waiting": waiting or 0,
            "error": error,
            "crm_waiting": crm_waiting or 0,
            "crm_error": crm_error,
        }
        for lead, waiting, error, crm_waiting, crm_error in session.execute(query)
    ]


def _undelivered(kinds: Collection[WorkKind]) -> Any:
    return (
        select(
            OutboxRow.lead_id,
            func.count().label("waiting"),
            func.max(OutboxRow.last_error).label("error"),
        )
        .where(OutboxRow.state.in_(UNDELIVERED), OutboxRow.kind.in_(_values(kinds)))
        .group_by(OutboxRow.lead_id)
        .subquery()
    )
