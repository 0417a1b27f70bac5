"""In-memory readers: the report's cells as a test states them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.attribution import Attribution
from bot.domain.report import GroupBy
from bot.services.records import Cell, Regions, Unmeasured


class FakeReportReader:
    """A report reader whose every cohort holds the same cells; overdue and leaked as given."""

    def __init__(self, cells: Sequence[Cell] = (), *, overdue: int = 0, leaked: int = 0) -> None:
        self.given = list(cells)
        self.overdue = overdue
        self.leaked = leaked

    def cells(
        self,
        *,
        by: GroupBy,
        since: datetime | None,
        until: datetime | None,
        regions: Regions,
        stamped: bool = False,
        attribution: Attribution = Attribution.FIRST,
    ) -> list[Cell]:
        return list(self.given)

    def stamps(self) -> set[str]:
        return set()

    def unmeasured(
        self,
        *,
        by: GroupBy,
        since: datetime | None,
        until: datetime | None,
        regions: Regions,
        stamps: Sequence[str],
        attribution: Attribution = Attribution.FIRST,
    ) -> list[Unmeasured]:
        return []

    def campaign_sizes(self, attribution: Attribution = Attribution.FIRST) -> dict[str, int]:
        return {}

    def crm_won(
        self,
        *,
        by: GroupBy,
        since: datetime | None,
        until: datetime | None,
        regions: Regions,
        attribution: Attribution = Attribution.FIRST,
    ) -> list[tuple[str | None, str | None, int]]:
        return []

    def campaign_counts(
        self,
        *,
        by: GroupBy | None,
        since: datetime | None,
        until: datetime | None,
        regions: Regions,
    ) -> dict[str | None, dict[str | None, int]]:
        return {}

    def overdue_feedback(self, *, regions: Regions, now: datetime) -> int:
        return self.overdue

    def leaked_between(
        self, *, regions: Regions, since: datetime | None, until: datetime | None
    ) -> int:
        return self.leaked
