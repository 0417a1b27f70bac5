"""What the rep-facing services read, as Protocols and plain records: lists, a lead's history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.lead import LeadStatus
from bot.domain.snapshots import EventLine
from bot.services.ports import UnitOfWork


@dataclass(frozen=True)
class LeadLine:
    """A lead as one line of a list."""

    id: int
    short_id: str
    status: LeadStatus
    email: str
    name: str | None
    company: str | None
    region: str | None
    rep_id: str | None
    feedback_due_at: datetime | None
    next_step_at: datetime | None
    priority: int
    waiting_since: datetime | None  # when its current handoff round started
    last_activity: str | None = None  # "page view: visited pricing", for a lead back again
    handoff_round: int = 0


@dataclass(frozen=True)
class LeadDetail:
    line: LeadLine
    title: str | None
    phone: str | None
    country: str | None
    campaign: str | None
    source: str | None
    score: float | None
    decided_by: str | None
    events: Sequence[EventLine]


class LeadReader(Protocol):
    """Read-only questions about leads; never inside a write transaction."""

    def open_for_rep(self, rep_id: str) -> list[LeadLine]: ...
    def pending_in(self, regions: Sequence[str | None]) -> list[LeadLine]: ...
    def detail(self, short_id: str, *, events: int) -> LeadDetail | None: ...
    def find(self, text: str, *, limit: int) -> list[LeadLine]: ...
    def events_by(self, actor: str, *, since: datetime) -> list[EventLine]: ...
    def leads_given(self, rep_id: str, *, since: datetime) -> int: ...


class OutcomeUnitOfWork(UnitOfWork, Protocol):
    """The unit of work, plus what logging an outcome needs to know and remember."""

    def round_events(self, lead_id: int, round_no: int) -> list[EventLine]: ...
    def first_handling(self, key: str, *, now: datetime) -> bool: ...
