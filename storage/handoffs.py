"""Handoff rounds and batches: each round a lead is offered in, and the batches that group them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.services.records import NewRound
from storage.bulk import BulkInsert, SharedInsert
from storage.rows import BatchRow, HandoffRoundRow, LeadRow

_INSERT_ROUNDS = BulkInsert(
    insert(HandoffRoundRow),
    ("lead_id", "round_no", "region", "batch_id", "started_at"),
)

# The round a new lead is in, as its stored row says: its number, region and batch.
_START_OF_LEADS = SharedInsert(
    HandoffRoundRow.__table__,  # type: ignore[arg-type]
    ("started_at",),
    computed={
        "round_no": "leads.handoff_round",
        "region": "leads.region",
        "batch_id": "leads.batch_id",
    },
    from_leads=True,
)


class SqlRoundRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def start(self, rounds: Sequence[NewRound], *, now: datetime) -> None:
        """Record new handoff rounds, started now."""
        if rounds:
            values = [(*round_, now) for round_ in rounds]
            _INSERT_ROUNDS.run(self.session.connection(), values)

    def start_of_leads(self, lead_ids: Sequence[int], *, now: datetime) -> None:
        """Record the handoff round each of these leads is in (as stored), started now."""
        _START_OF_LEADS.run(self.session.connection(), lead_ids, (now,))

    def without_round(self, lead_ids: Sequence[int]) -> list[int]:
        """Those of these leads whose current round (as stored) has no row yet, in order."""
        if not lead_ids:
            return []
        # Ranges off the indexes, not lists of ids (see SqlEventRepository.summarise_new).
        span = {"first": min(lead_ids), "last": max(lead_ids)}
        connection = self.session.connection()
        current = dict(connection.execute(_ROUND_OF_LEADS_BETWEEN, span).all())
        started = set(connection.execute(_ROUNDS_OF_LEADS_BETWEEN, span).all())
        return [id for id in lead_ids if (id, current[id]) not in started]


class SqlBatchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, region: str | None, label: str, lead_count: int, *, now: datetime) -> int:
        row = BatchRow(region=region, label=label, lead_count=lead_count, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row.id

    def grow(self, batch_id: int, more: int) -> int:
        """Count more leads into a batch; return its new size."""
        # On the connection: the session's ORM update costs more than the update (an import
        # grows a batch per region per chunk).
        found = self.session.connection().execute(_GROW, {"batch": batch_id, "more": more})
        return found.scalar() or 0


_GROW = (
    update(BatchRow)
    .where(BatchRow.id == bindparam("batch"))
    .values(lead_count=BatchRow.lead_count + bindparam("more"))
    .returning(BatchRow.lead_count)
)

_ROUND_OF_LEADS_BETWEEN = select(LeadRow.id, LeadRow.handoff_round).where(
    LeadRow.id.between(bindparam("first"), bindparam("last"))
)
_ROUNDS_OF_LEADS_BETWEEN = select(HandoffRoundRow.lead_id, HandoffRoundRow.round_no).where(
    HandoffRoundRow.lead_id.between(bindparam("first"), bindparam("last"))
)
