"""What the Home tab's boards read besides a person's own leads (see `board`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.services.records import LeadLine, RegionsBoard


class BoardReader(Protocol):
    def regions_board(
        self, regions: Sequence[str | None], *, now: datetime, shown: int
    ) -> RegionsBoard: ...
    def returned_leads(self) -> list[LeadLine]: ...  # awaiting marketing's choice
    def touch_tasks(self) -> list[LeadLine]: ...  # leaked, no touch logged since
    def won_since(self, reps: Sequence[str], *, since: datetime) -> dict[str, int]: ...
