"""The ports through which many new leads' rows that are alike but for their lead are
written at once: an import's chunk, whose leads mostly share their first events, summary,
handoff round and handoff. The unit of work's repositories (`ports.py`) carry them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol


class SharedFirstEvents(Protocol):
    def append_first_shared(
        self, groups: Sequence[tuple[Sequence[int], Sequence[tuple[Any, ...]]]]
    ) -> None:
        """`append_first` of leads that share their first events, given together: (their row
        ids, the events' rows in EVENT_ROW_COLUMNS order but the lead's id)."""
        ...


class SharedRounds(Protocol):
    def start_of_leads(self, lead_ids: Sequence[int], *, now: datetime) -> None:
        """`start` of the round each of these new leads is in, as its stored row says (its
        number, region and batch)."""
        ...

    def without_round(self, lead_ids: Sequence[int]) -> list[int]:
        """Those of these leads whose current round (as stored) has no row yet, in order."""
        ...


class SharedHandoffs(Protocol):
    def queue_handoffs(self, lead_ids: Sequence[int], *, now: datetime) -> None:
        """`queue` of the handoff of each of these new leads' round, as its stored row says,
        in their order, keyed as `Work.handoff` keys it."""
        ...
