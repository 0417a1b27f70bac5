"""The unit of work for outcomes: the round's history, and requests already handled."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.reads import EventLine
from storage.reads import event_line
from storage.rows import EventRow
from storage.uow import SqlUnitOfWork

# Slack delivers a request again within seconds; a day of keys is plenty to recognise it.
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
