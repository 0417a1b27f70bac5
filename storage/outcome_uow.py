"""The unit of work for outcomes: the round's history, and requests already handled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.services.reads import EventLine
from storage.reads import event_line
from storage.rows import EventRow, HandledRequestRow
from storage.uow import SqlUnitOfWork

# Slack delivers a request again within seconds; a day of keys is plenty to recognise it.
REMEMBER_REQUESTS = timedelta(days=1)
OUTCOME_KINDS = ("outcome", "returned", "correction")


class SqlOutcomeUnitOfWork(SqlUnitOfWork):
    def round_events(self, lead_id: int, round_no: int) -> list[EventLine]:
        """The round's outcomes, returns and corrections, oldest first."""
        rows = self.session.scalars(
            select(EventRow)
            .where(
                EventRow.lead_id == lead_id,
                EventRow.handoff_round == round_no,
                EventRow.kind.in_(OUTCOME_KINDS),
            )
            .order_by(EventRow.id)
        ).all()
        return [event_line(row) for row in rows]

    def first_handling(self, key: str, *, now: datetime) -> bool:
        """Remember a request in this transaction; False when it was handled before."""
        insert = pg_insert if self.database.is_postgres else sqlite_insert
        statement = (
            insert(HandledRequestRow)
            .values(key=key, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(HandledRequestRow.key)
        )
        first = self.session.execute(statement).first() is not None
        if first:
            self.session.execute(
                delete(HandledRequestRow).where(
                    HandledRequestRow.created_at < now - REMEMBER_REQUESTS
                )
            )
        return first
