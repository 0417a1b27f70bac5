"""A manager's board read by the database: the first few of each list, and every lead counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.reads import SqlLeadReader
from tests.fakes.leads import add_lead, set_lead

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REP, OTHER = "U0EMEAREP2", "U0EMEAREP1"


def test_a_regions_board_lists_the_first_few_by_feedback_due_and_counts_them_all(
    database: Database,
) -> None:
    late = []
    for day in range(1, 13):  # stored latest due first: the board lists by feedback due
        _, short_id = add_lead(
            database,
            status="accepted",
            rep_id=REP,
            created_at=NOW - timedelta(days=30),
            feedback_due_at=NOW - timedelta(days=day),
        )
        late.append(short_id)
    leaked, _ = add_lead(
        database, status="attempted", rep_id=OTHER, created_at=NOW - timedelta(days=30)
    )
    set_lead(database, leaked, leaked_at=NOW - timedelta(days=1))
    add_lead(database, status="accepted", rep_id=OTHER, created_at=NOW, feedback_due_at=NOW)
    add_lead(database, status="accepted", region="apac", rep_id=REP, created_at=NOW)
    add_lead(database, status="won", rep_id=REP, created_at=NOW)

    board = SqlLeadReader(database).regions_board(["emea"], now=NOW, shown=8)

    assert [line.short_id for line in board.overdue.lines] == late[::-1][:8]
    assert board.overdue.total == 12
    assert [line.id for line in board.leaked.lines] == [leaked]
    assert board.leaked.total == 1
    assert board.held == {REP: (12, 12), OTHER: (2, 0)}
