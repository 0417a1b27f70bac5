"""What the CRM bridge keeps in the unit of work: links, deals seen, and sync cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from bot.domain.attribution import Attribution
from bot.domain.report import GroupBy


@dataclass(frozen=True)
class SeenDeal:
    """A deal as last taken in: the same stage and amount again change nothing."""

    stage: str | None
    amount: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class WaitingDeal:
    """A deal the CRM told of before a rep had its lead: recorded when a rep accepts it."""

    provider: str
    deal_id: str
    outcome: str
    stage: str | None
    amount: Decimal | None
    currency: str | None


class CrmRepository(Protocol):
    def link(self, provider: str, record_id: str, short_id: str, *, now: datetime) -> None:
        """Remember that the lead `short_id` is this CRM record; a link made before stays."""
        ...

    def lead_of(self, provider: str, record_id: str) -> str | None:
        """The short id of the lead linked to the CRM record, if any."""
        ...

    def record_of(self, provider: str, short_id: str) -> str | None:
        """The CRM record the lead is linked to, if any."""
        ...

    def deal_seen(self, provider: str, deal_id: str) -> SeenDeal | None: ...

    def see_deal(
        self,
        provider: str,
        deal_id: str,
        short_id: str,
        *,
        outcome: str | None,
        seen: SeenDeal,
        now: datetime,
        waiting: bool = False,
    ) -> None:
        """Remember the deal as taken in now; `waiting`: kept until a rep has its lead."""
        ...

    def waiting_deals(self, lead_id: int) -> list[WaitingDeal]:
        """The lead's deals kept until a rep had it, in the order they came."""
        ...

    def deal_recorded(self, provider: str, deal_id: str) -> None:
        """The waiting deal is now recorded on its lead."""
        ...

    def cursor(self, name: str) -> str | None:
        """Where the pass `name` got to (None: it never ran)."""
        ...

    def move_cursor(self, name: str, cursor: str, *, now: datetime) -> None: ...


class CrmWonReader(Protocol):
    """The report's question about the CRM: how much of the won revenue its deals gave."""

    def crm_won(
        self,
        *,
        by: GroupBy,
        since: datetime | None,
        until: datetime | None,
        regions: tuple[str | None, ...] | None,
        attribution: Attribution = Attribution.FIRST,
    ) -> list[tuple[str | None, str | None, int]]:
        """(group, currency, cents) of the won amounts the CRM's deals gave, per group."""
        ...
