"""New leads to settle: the rows that tell which leads an intake request stored without their
summaries, handoff rounds and handoffs (made right after, by `settle_new_leads`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from bot.services.records import ToSettle
from storage.db import Database
from storage.rows import NewLeadsToSettleRow

# At most this many rows are read to fill one settling transaction: a request holds at most
# 500 leads, so a few rows fill any sensible transaction.
ROWS_READ_AT_MOST = 50


def any_to_settle(database: Database) -> bool:
    """Whether a request's new leads wait to be settled, asked without a write transaction:
    a delivery pass asks every time, and on SQLite a write transaction would take the one
    writer's turn from intake for nothing."""
    with database.reading() as session:
        return session.scalar(_ANY) is not None


_ANY = select(NewLeadsToSettleRow.id).limit(1)


class SqlNewLeadsToSettle:
    def __init__(self, session: Session, *, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres

    def later(self, lead_ids: Sequence[int], handoff_ids: Sequence[int], *, now: datetime) -> None:
        row = {"lead_ids": list(lead_ids), "handoff_ids": list(handoff_ids), "taken_at": now}
        self.session.execute(insert(NewLeadsToSettleRow), [row])

    def take(self, *, leads_at_most: int) -> list[ToSettle]:
        query = select(NewLeadsToSettleRow).order_by(NewLeadsToSettleRow.id)
        query = query.limit(ROWS_READ_AT_MOST)
        if self.postgres:  # two workers settle different requests, neither waits for the other
            query = query.with_for_update(skip_locked=True)
        taken: list[ToSettle] = []
        count = 0
        for row in self.session.scalars(query):
            count += len(row.lead_ids)
            if taken and count > leads_at_most:
                break
            taken.append(ToSettle(row.id, row.lead_ids, row.handoff_ids, row.taken_at))
        return taken

    def settled(self, ids: Sequence[int]) -> None:
        if ids:
            self.session.execute(
                delete(NewLeadsToSettleRow).where(NewLeadsToSettleRow.id.in_(list(ids)))
            )
