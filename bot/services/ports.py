"""What the services need from the outside, as Protocols, and the Slack work they queue."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, Self

from bot.domain.lead import Lead, LeadEvent
from bot.domain.snapshots import Batch, EventLine, FireLine, LeadSnapshot, Posted

if TYPE_CHECKING:
    # Only named in a signature: reads.py builds on this module's unit of work.
    from bot.services.reads import LeadReader


class StorageUnavailable(Exception):
    """The store could not do what was asked (disk full, read-only, I/O error, connection lost).

    Nothing of the transaction was kept; the same request may simply be tried again later.
    """

    def __init__(self, problem: str, reason: str) -> None:
        super().__init__(f"{problem}: {reason}")
        self.reason = reason

    @classmethod
    def refused_write(cls, reason: str) -> StorageUnavailable:
        return cls("the database refused the write", reason)

    @classmethod
    def unreadable(cls, reason: str) -> StorageUnavailable:
        return cls("the database could not be read", reason)

    @classmethod
    def unreachable(cls, reason: str) -> StorageUnavailable:
        return cls("the database is unreachable", reason)


class WorkKind(StrEnum):
    """Slack work that must not be lost; delivered by the outbox worker."""

    HANDOFF = "handoff"
    BATCH_SUMMARY = "batch_summary"
    BATCH_UPDATE = "batch_update"
    HANDOFF_UPDATE = "handoff_update"
    THREAD_NOTE = "thread_note"
    REP_DM = "rep_dm"
    RETURNED_NOTICE = "returned_notice"
    OWNER_DM = "owner_dm"
    SETUP_NOTICE = "setup_notice"
    RETURN_WITHDRAWN = "return_withdrawn"
    HOME_REFRESH = "home_refresh"
    # Accountability timers.
    TIMER_DM = "timer_dm"
    TIMER_POST = "timer_post"
    TIMER_NOTE = "timer_note"
    TIMER_LEAK_TASK = "timer_leak_task"
    TIMER_TOUCH_UPDATE = "timer_touch_update"
    # Weekly digests.
    DIGEST_POST = "digest_post"
    DIGEST_CHART = "digest_chart"


@dataclass(frozen=True)
class Work:
    kind: WorkKind
    key: str
    lead_id: int | None = None
    handoff_round: int | None = None
    batch_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class StoredLead:
    """A lead as stored: its row id, its facts and its lifecycle state."""

    id: int
    lead: Lead
    email: str
    external_id: str | None
    facts: dict[str, Any]
    priority: int = 0


class LeadRepository(Protocol):
    def matching(
        self, *, external_ids: Iterable[str], emails: Iterable[str]
    ) -> list[StoredLead]: ...
    def add_all(
        self,
        new: Sequence[tuple[Lead, dict[str, Any], dict[str, str]]],
        *,
        now: datetime,
        batch_ids: Sequence[int | None] | None = None,
        draw: Callable[[], str] = ...,
    ) -> list[StoredLead]: ...
    def save(self, stored: StoredLead, *, now: datetime) -> None: ...
    def update_facts(self, stored: StoredLead, facts: dict[str, Any]) -> None: ...
    def by_short_id(self, short_id: str, *, for_update: bool = False) -> StoredLead | None: ...
    def open_rep_at_company(self, company: str | None, *, exclude: int) -> str | None: ...
    def open_lead_counts(self, reps: Sequence[str]) -> dict[str, int]: ...
    def mark_activity(self, stored: StoredLead, *, now: datetime) -> None: ...
    def set_reasons(self, stored: StoredLead, reasons: dict[str, str]) -> None: ...


class UnitOfWork(Protocol):
    leads: LeadRepository

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def append_events(
        self, events: Sequence[tuple[int, LeadEvent]], *, ids: bool = True
    ) -> list[int]: ...
    def append_first_events(self, events: Sequence[tuple[int, LeadEvent]]) -> None: ...
    def known_activity(self, lead_ids: list[int]) -> set[tuple[Any, ...]]: ...
    def add_activities(
        self, activity: Sequence[tuple[int, dict[str, Any]]], *, now: datetime
    ) -> None: ...
    def start_round(
        self,
        lead_id: int,
        round_no: int,
        region: str | None,
        *,
        now: datetime,
        batch_id: int | None,
    ) -> None: ...
    def start_rounds(
        self, rounds: Sequence[tuple[int, int, str | None, int | None]], *, now: datetime
    ) -> None: ...
    def add_batch(
        self, region: str | None, label: str, lead_count: int, *, now: datetime
    ) -> int: ...
    def grow_batch(self, batch_id: int, more: int) -> int: ...
    def queue(self, work: Sequence[Work], *, now: datetime) -> None: ...
    def commit(self) -> None: ...


# Outbound delivery


@dataclass(frozen=True)
class OutboxItem:
    """Queued Slack work, as the delivery worker claimed it."""

    id: int
    key: str
    kind: WorkKind
    lead_id: int | None
    batch_id: int | None
    handoff_round: int | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


class SnapshotReader(Protocol):
    """What Slack messages and modals are built from, read as it stands when they are."""

    def snapshot(self, lead_id: int, round_no: int | None = None) -> LeadSnapshot | None:
        """The lead with round `round_no` (its current round if None) and that round's decision."""
        ...

    def event(self, event_id: int) -> EventLine | None:
        """One event of a lead's history, such as the one a thread note is about."""
        ...

    def batch(self, batch_id: int) -> Batch | None:
        """The batch with its leads' short ids."""
        ...

    def fire_lines(self, fire_ids: Sequence[int]) -> dict[int, FireLine]:
        """The fired timers `fire_ids` with their leads, by fire id."""
        ...

    def leakage_task(self, lead_id: int, round_no: int) -> Posted | None:
        """Where the leakage task about a lead's round landed, once it is delivered."""
        ...

    def delivered(self, key: str) -> Posted | None:
        """Where the message that delivered the work `key` landed, once it is delivered."""
        ...


class Outbox(SnapshotReader, Protocol):
    """The outbox as the delivery worker sees it: claim due work, record results, pace channels."""

    @property
    def leads(self) -> LeadReader:
        """The lists an App Home shows, for refreshing one when its leads change."""
        ...

    def claim_due(self, *, now: datetime, limit: int, lease: timedelta) -> list[OutboxItem]:
        """Claim due work for this process; a crashed claimant's lease runs out and others retry."""
        ...

    def complete(
        self,
        item: OutboxItem,
        *,
        now: datetime,
        channel: str | None,
        ts: str | None,
        homes: Sequence[str] = (),
    ) -> None:
        """Record delivered work, and queue a Home refresh for each of `homes` in the same step."""
        ...

    def retry_later(
        self,
        item: OutboxItem,
        *,
        at: datetime,
        error: str | None,
        blocked: bool = False,
        attempt: bool = True,
    ) -> None:
        """Put work back for later; `attempt=False` when it waited on something and never tried."""
        ...

    def reserve_post(self, channel: str, *, now: datetime, spacing: timedelta) -> datetime | None:
        """Take the channel's next posting slot: None when this post may go now, else when to retry."""
        ...

    def next_due_at(self) -> datetime | None:
        """When the earliest undelivered work is due, so the worker can sleep until then."""
        ...

    def first_time(self, key: str, *, now: datetime) -> bool:
        """Record a once-only notice; True the first time its key is seen."""
        ...

    def add(self, kind: WorkKind, key: str, payload: dict[str, Any], *, now: datetime) -> None:
        """Queue work of the worker's own (a setup notice), once per key."""
        ...
