"""Read-only queries behind `/lead` and the App Home: open leads, waiting leads, history, search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot.domain.lead import WORKING, LeadStatus
from bot.domain.snapshots import activity_label
from bot.services.records import EventLine, LeadDetail, LeadLine, LeadPage, RegionsBoard
from storage.db import Database
from storage.rows import ActivityRow, EventRow, LeadRow

HISTORY_KINDS = ("accepted", "returned", "rerouted", "outcome", "correction", "reassigned")
# What a lead's line shows, read as plain columns: a manager's board reads every working lead
# of their regions for each refresh of their Home, and whole rows cost several times as much.
_LINE_COLUMNS = (
    LeadRow.id,
    LeadRow.short_id,
    LeadRow.status,
    LeadRow.email,
    LeadRow.first_name,
    LeadRow.last_name,
    LeadRow.company,
    LeadRow.region,
    LeadRow.rep_id,
    LeadRow.feedback_due_at,
    LeadRow.next_step_at,
    LeadRow.priority,
    LeadRow.round_started_at,
    LeadRow.handoff_round,
    LeadRow.leaked_at,
)


class SqlLeadReader:
    def __init__(self, database: Database) -> None:
        self.database = database

    def open_for_rep(self, rep_id: str) -> list[LeadLine]:
        query = select(*_LINE_COLUMNS).where(
            LeadRow.rep_id == rep_id, LeadRow.status.in_([s.value for s in WORKING])
        )
        return self._lines(query)

    def pending_in(self, regions: Sequence[str | None], *, limit: int) -> LeadPage:
        """The `limit` leads pending longest in `regions`, and how many are pending there: a
        manager's Home is built after every handoff, however many wait."""
        named = [r for r in regions if r is not None]
        where = [LeadRow.region.in_(named)] if named else []
        if None in regions:
            where.append(LeadRow.region.is_(None))
        if not where:
            return LeadPage([], 0)
        pending = (LeadRow.status == LeadStatus.PENDING.value, or_(*where))
        query = (
            select(*_LINE_COLUMNS).where(*pending).order_by(LeadRow.round_started_at, LeadRow.id)
        )
        lines = self._lines(query.limit(limit))
        if len(lines) < limit:
            return LeadPage(lines, len(lines))
        with self.database.reading() as session:
            total = session.scalar(select(func.count()).select_from(LeadRow).where(*pending))
        return LeadPage(lines, total or 0)

    def detail(self, short_id: str, *, events: int) -> LeadDetail | None:
        with self.database.reading() as session:
            row = session.scalars(select(LeadRow).where(LeadRow.short_id == short_id)).first()
            if row is None:
                return None
            rows = session.scalars(
                select(EventRow)
                .where(EventRow.lead_id == row.id)
                .order_by(EventRow.id.desc())
                .limit(events)
            ).all()
            activity = _last_activity(session, [row.id]) if row.priority else {}
        return LeadDetail(
            line=_line(row, activity.get(row.id)),
            title=row.title,
            phone=row.phone,
            country=row.country,
            campaign=row.campaign,
            source=row.source,
            score=row.score,
            decided_by=row.decided_by,
            events=[event_line(e) for e in reversed(rows)],
        )

    def find(self, text: str, *, limit: int) -> list[LeadLine]:
        wanted = text.strip().lower()
        query = (
            select(*_LINE_COLUMNS)
            .where(
                or_(
                    func.lower(LeadRow.company).contains(wanted, autoescape=True),
                    LeadRow.email.contains(wanted, autoescape=True),
                )
            )
            .order_by(LeadRow.updated_at.desc(), LeadRow.id.desc())
            .limit(limit)
        )
        return self._lines(query)

    def events_by(self, actor: str, *, since: datetime) -> list[EventLine]:
        with self.database.reading() as session:
            rows = session.scalars(
                select(EventRow)
                .where(
                    EventRow.actor == actor,
                    EventRow.at >= since,
                    EventRow.kind.in_(HISTORY_KINDS),
                )
                .order_by(EventRow.id)
            ).all()
        return [event_line(row) for row in rows]

    def leads_given(self, rep_id: str, *, since: datetime) -> int:
        with self.database.reading() as session:
            return (
                session.scalar(
                    select(func.count()).where(
                        LeadRow.rep_id == rep_id, LeadRow.decided_at >= since
                    )
                )
                or 0
            )

    def regions_board(
        self, regions: Sequence[str | None], *, now: datetime, shown: int
    ) -> RegionsBoard:
        """The working (accepted and further, not closed) leads of `regions` (None: triage):
        the first `shown` with feedback overdue and leaked, by feedback due, each list's
        count, and each holder's open and overdue leads; counted by the database."""
        named = [r for r in regions if r is not None]
        where = [LeadRow.region.in_(named)] if named else []
        if None in regions:
            where.append(LeadRow.region.is_(None))
        if not where:
            return RegionsBoard(LeadPage([], 0), LeadPage([], 0), {})
        working = (LeadRow.status.in_([s.value for s in WORKING]), or_(*where))
        overdue = and_(LeadRow.status == LeadStatus.ACCEPTED.value, LeadRow.feedback_due_at < now)
        leaked = LeadRow.leaked_at.is_not(None)
        counts = select(
            LeadRow.rep_id,
            func.count(),
            func.count().filter(overdue),
            func.count().filter(leaked),
        ).where(*working)
        with self.database.reading() as session:
            held = session.execute(counts.group_by(LeadRow.rep_id)).all()
        by_due = (LeadRow.feedback_due_at, LeadRow.id)
        first = select(*_LINE_COLUMNS).where(*working).order_by(*by_due).limit(shown)
        return RegionsBoard(
            overdue=LeadPage(self._lines(first.where(overdue)), sum(r[2] for r in held)),
            leaked=LeadPage(self._lines(first.where(leaked)), sum(r[3] for r in held)),
            held={rep: (count, late) for rep, count, late, _ in held if rep},
        )

    def returned_leads(self) -> list[LeadLine]:
        """Returned leads: marketing has yet to choose what to do with them."""
        query = select(*_LINE_COLUMNS).where(LeadRow.status == LeadStatus.RETURNED.value)
        return self._lines(query.order_by(LeadRow.updated_at, LeadRow.id))

    def touch_tasks(self) -> list[LeadLine]:
        """Leaked leads still with sales and no customer-service touch logged since they leaked."""
        touched = (
            select(EventRow.id)
            .where(
                EventRow.lead_id == LeadRow.id,
                EventRow.kind == "touch",
                EventRow.at >= LeadRow.leaked_at,
            )
            .exists()
        )
        working = [s.value for s in WORKING]
        query = select(*_LINE_COLUMNS).where(
            LeadRow.leaked_at.is_not(None), LeadRow.status.in_(working), ~touched
        )
        return self._lines(query.order_by(LeadRow.leaked_at, LeadRow.id))

    def won_since(self, reps: Sequence[str], *, since: datetime) -> dict[str, int]:
        """How many leads each of `reps` has won since `since` (a reassigned lead counts for
        the rep it is with)."""
        query = (
            select(LeadRow.rep_id, func.count(func.distinct(LeadRow.id)))
            .join(EventRow, EventRow.lead_id == LeadRow.id)
            .where(
                LeadRow.rep_id.in_(list(reps)),
                LeadRow.status == LeadStatus.WON.value,
                EventRow.kind == "outcome",
                EventRow.reason_code == "won",
                EventRow.at >= since,
            )
            .group_by(LeadRow.rep_id)
        )
        with self.database.reading() as session:
            return {rep: count for rep, count in session.execute(query).all() if rep}

    def _lines(self, query: Any) -> list[LeadLine]:
        with self.database.reading() as session:
            rows = session.execute(query).all()
            activity = _last_activity(session, [r.id for r in rows if r.priority])
        return [_line(row, activity.get(row.id)) for row in rows]


def _last_activity(session: Session, lead_ids: list[int]) -> dict[int, str]:
    """The newest activity of each lead, as "type: detail"."""
    if not lead_ids:
        return {}
    rows = session.execute(
        select(ActivityRow.lead_id, ActivityRow.type, ActivityRow.detail)
        .where(ActivityRow.lead_id.in_(lead_ids))
        .order_by(ActivityRow.id.desc())
    )
    latest: dict[int, str] = {}
    for lead_id, kind, detail in rows:
        if lead_id not in latest:
            latest[lead_id] = activity_label(kind, detail)
    return latest


def _line(row: Any, last_activity: str | None) -> LeadLine:
    """A lead's line from its row, or from the row's `_LINE_COLUMNS`."""
    name = " ".join(p for p in (row.first_name, row.last_name) if p) or None
    return LeadLine(
        id=row.id,
        short_id=row.short_id,
        status=LeadStatus(row.status),
        email=row.email,
        name=name,
        company=row.company,
        region=row.region,
        rep_id=row.rep_id,
        feedback_due_at=row.feedback_due_at,
        next_step_at=row.next_step_at,
        priority=row.priority,
        waiting_since=row.round_started_at,
        last_activity=last_activity,
        handoff_round=row.handoff_round,
        leaked_at=row.leaked_at,
    )


def event_line(row: EventRow) -> EventLine:
    return EventLine(
        id=row.id,
        at=row.at,
        kind=row.kind,
        actor=row.actor,
        handoff_round=row.handoff_round,
        status_before=row.status_before,
        status_after=row.status_after,
        reason_code=row.reason_code,
        amount=row.amount,
        notes=row.notes,
        data=dict(row.data or {}),
        region=row.region,
    )
