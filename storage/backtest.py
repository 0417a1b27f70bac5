"""The backtest's read: the leads of a period with what qualifying reads and what became of
them, in one scan of the lead summaries joined with the leads, streamed in chunks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from bot.domain.backtest import QUALIFYING, BacktestLead
from storage.db import Database
from storage.rows import LeadRow, LeadSummaryRow

CHUNK = 10_000
S = LeadSummaryRow
# What became of the lead, in BacktestLead's order after its facts.
_FATE = (
    S.source,
    S.campaign,
    S.stages,
    S.return_reason,
    S.amount_cents,
    S.amount_currency,
    S.came_back_at.is_not(None),
)
# A lead's facts are columns of its row by the same names (config/model.py's LEAD_FIELDS).
_LEAD_COLUMNS = LeadRow.__table__.columns


class SqlBacktestReader:
    def __init__(self, database: Database, *, chunk: int = CHUNK) -> None:
        self.database = database
        self.chunk = chunk

    def leads(
        self, *, since: datetime | None, until: datetime | None, fields: Sequence[str]
    ) -> Iterator[list[BacktestLead]]:
        """The leads received in the period, a chunk at a time; their facts are the values
        of `fields` (source and score first, as `bot.domain.backtest.facts_read` names them)."""
        query = backtest_query(since=since, until=until, fields=fields)
        width = len(fields)
        # A connection, not a session: no ORM work on the way for a row per lead.
        with self.database.read_engine.connect() as connection:
            rows = connection.execution_options(yield_per=self.chunk).execute(query)
            for chunk in rows.partitions():
                yield [BacktestLead(row[:width], *row[width:]) for row in chunk]


def backtest_query(
    *, since: datetime | None, until: datetime | None, fields: Sequence[str]
) -> Select[Any]:
    """The one query a backtest reads."""
    if tuple(fields[: len(QUALIFYING)]) != QUALIFYING:
        raise ValueError(f"the facts read begin with {', '.join(QUALIFYING)}")
    unknown = [name for name in fields if name not in _LEAD_COLUMNS]
    if unknown:
        raise ValueError(f"not a lead field: {', '.join(unknown)}")
    where: list[ColumnElement[bool]] = []
    if since is not None:
        where.append(S.received_at >= since)
    if until is not None:
        where.append(S.received_at < until)
    facts = [_LEAD_COLUMNS[name] for name in fields]
    return select(*facts, *_FATE).join_from(S, LeadRow, LeadRow.id == S.lead_id).where(*where)
