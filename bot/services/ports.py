"""Every port the services use, as Protocols: the unit of work and its repositories, the
readers, and the errors the store raises. The records they carry are in records.py."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from bot.domain.attribution import Attribution
from bot.domain.lead import LeadEvent
from bot.domain.merge import Touch
from bot.domain.report import GroupBy
from bot.domain.snapshots import Batch, FireLine, LeadSnapshot, Posted
from bot.services.board_ports import BoardReader
from bot.services.crm_ports import CrmRepository, CrmWonReader
from bot.services.records import (
    Cell,
    Delivered,
    EventLine,
    LeadDetail,
    LeadLine,
    LeadPage,
    NewLead,
    NewRound,
    OutboxItem,
    Regions,
    SlotWanted,
    StoredLead,
    StoreStatus,
    ToSettle,
    Unmeasured,
    Urgency,
    Work,
    WorkKind,
)
from bot.services.rules_ports import RulesRepository, RulesSources
from bot.services.shared_ports import SharedFirstEvents, SharedHandoffs, SharedRounds
from bot.services.timer_ports import PassRepository as PassRepository
from bot.services.timer_ports import TimerRepository as TimerRepository

# Errors -----------------------------------------------------------------------------------


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


class DuplicateLead(Exception):
    """Another transaction stored a lead with the same email or external id first.

    Nothing of this transaction was kept; tried again, it finds that lead.
    """


# The unit of work and its repositories ----------------------------------------------------


class LeadRepository(Protocol):
    def matching(
        self, *, external_ids: Iterable[str], emails: Iterable[str]
    ) -> list[StoredLead]: ...
    def add_all(
        self,
        new: Sequence[NewLead],
        *,
        now: datetime,
        batch_ids: Sequence[int | None] | None = None,
        draw: Callable[[], str] = ...,
    ) -> list[StoredLead]: ...

    # How many new leads `add_whole` takes at once: 0 where the store writes them table by
    # table (add_all, then their events, rounds and handoffs).
    whole_at_most: int

    def add_whole(
        self,
        new: Sequence[NewLead],
        first_events: Sequence[Sequence[LeadEvent]],
        *,
        now: datetime,
        batch_ids: Sequence[int | None] | None = None,
        unless_stored: bool = False,
    ) -> list[StoredLead] | None:
        """`add_all`, each lead with its first events and summary, and each pending lead with
        its handoff round and handoff as its stored row says. `unless_stored`: None, and
        nothing written, when one's email or external id is stored already."""
        ...

    def add_rows(self, rows: Sequence[tuple[Any, ...]], short_ids: list[str]) -> list[int]: ...
    def save(self, stored: StoredLead, *, now: datetime) -> None: ...
    def update_facts(self, stored: StoredLead, facts: dict[str, Any]) -> None: ...
    def by_short_id(self, short_id: str, *, for_update: bool = False) -> StoredLead | None: ...
    def open_rep_at_company(self, company: str | None, *, exclude: int) -> str | None: ...
    def open_lead_counts(self, reps: Sequence[str]) -> dict[str, int]: ...
    def mark_activity(self, stored: StoredLead, *, now: datetime) -> None: ...
    def set_reasons(self, stored: StoredLead, reasons: dict[str, str]) -> None: ...
    def mark_leaked(self, lead_ids: Sequence[int], *, at: datetime) -> None:
        """Persist what FlagLeaked changes: when the leads were flagged."""
        ...


class EventRepository(SharedFirstEvents, Protocol):
    def append(self, events: Sequence[tuple[int, LeadEvent]], *, ids: bool = True) -> list[int]:
        """Append events (lead row id, event); return their ids in order when asked."""
        ...

    # The first events of leads created in this transaction: as events, or as rows (lead_rows.py).
    def append_first(self, events: Sequence[tuple[int, LeadEvent]]) -> None: ...
    def append_first_rows(self, rows: Sequence[tuple[Any, ...]]) -> None: ...
    # `append_first` without the leads' summaries, which `summarise_new` makes after (settling).
    def append_first_unsummarised(self, events: Sequence[tuple[int, LeadEvent]]) -> None: ...
    def summarise_new(self, lead_ids: Sequence[int]) -> None:
        """The first summaries of these new leads, from their events as stored; a lead that
        has one already (a later write made it from all its events) keeps it."""
        ...

    def round_events(self, lead_id: int, round_no: int) -> list[EventLine]:
        """The round's outcomes, returns and corrections, oldest first."""
        ...

    def latest_touches(self, lead_ids: list[int]) -> dict[int, Touch]: ...  # of those touched again


class ActivityRepository(Protocol):
    def known(self, lead_ids: list[int]) -> set[tuple[Any, ...]]:
        """(lead row id, type, at, detail) of every activity item these leads have."""
        ...

    def add(self, activity: Sequence[tuple[int, dict[str, Any]]], *, now: datetime) -> None:
        """Record activity items: (lead row id, {type, at, detail})."""
        ...


class RoundRepository(SharedRounds, Protocol):
    def start(self, rounds: Sequence[NewRound], *, now: datetime) -> None: ...


class BatchRepository(Protocol):
    def add(self, region: str | None, label: str, lead_count: int, *, now: datetime) -> int: ...
    def grow(self, batch_id: int, more: int) -> int:
        """Count more leads into a batch; return its new size."""
        ...


class OutboxQueue(SharedHandoffs, Protocol):
    def queue(self, work: Sequence[Work], *, now: datetime) -> None:
        """Queue Slack work; work whose key is already queued is left as it is."""
        ...

    def hold(self, work: Sequence[Work], *, now: datetime, until: datetime) -> None:
        """Queue Slack work that waits until `until` unless released sooner; work whose key
        is already held takes the new payload (a message that grows page by page)."""
        ...

    def release(self, keys: Sequence[str], *, now: datetime) -> None:
        """Let held work go now."""
        ...


class HandledRequests(Protocol):
    def first_handling(self, key: str, *, now: datetime) -> bool:
        """Remember a person's request in this transaction; False when it was handled before."""


class DigestRepository(Protocol):
    def sent(self, audience: str, week_start: date) -> bool: ...
    def claim(self, audience: str, week_start: date, *, now: datetime) -> bool:
        """Record the audience's digest of the week in this transaction; False if it was already."""
        ...


class NewLeadsToSettle(Protocol):
    """New leads whose summaries, handoff rounds and handoffs are made after the transaction
    that stored them (see settling.py)."""

    def later(self, lead_ids: Sequence[int], handoff_ids: Sequence[int], *, now: datetime) -> None:
        """Record the leads to settle (all new, the pending ones), taken in at `now`."""
        ...

    def take(self, *, leads_at_most: int) -> list[ToSettle]:
        """The oldest waiting, at least one if any, as many as fit within `leads_at_most`;
        locked for this transaction (another settling one skips them)."""
        ...

    def settled(self, ids: Sequence[int]) -> None: ...


class UnitOfWork(Protocol):
    """One write transaction: whatever its repositories write commits together, or not at all."""

    @property
    def leads(self) -> LeadRepository: ...
    @property
    def events(self) -> EventRepository: ...
    @property
    def activity(self) -> ActivityRepository: ...
    @property
    def rounds(self) -> RoundRepository: ...
    @property
    def batches(self) -> BatchRepository: ...
    @property
    def outbox(self) -> OutboxQueue: ...
    @property
    def settling(self) -> NewLeadsToSettle: ...
    @property
    def requests(self) -> HandledRequests: ...
    @property
    def timers(self) -> TimerRepository: ...
    @property
    def passes(self) -> PassRepository: ...
    @property
    def digests(self) -> DigestRepository: ...
    @property
    def rules(self) -> RulesRepository: ...
    @property
    def crm(self) -> CrmRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


# Readers ----------------------------------------------------------------------------------


class LeadReader(BoardReader, Protocol):
    """Read-only questions about leads; never inside a write transaction."""

    def open_for_rep(self, rep_id: str) -> list[LeadLine]: ...
    def pending_in(self, regions: Sequence[str | None], *, limit: int) -> LeadPage: ...
    def detail(self, short_id: str, *, events: int) -> LeadDetail | None: ...
    def find(self, text: str, *, limit: int) -> list[LeadLine]: ...
    def events_by(self, actor: str, *, since: datetime) -> list[EventLine]: ...
    def leads_given(self, rep_id: str, *, since: datetime) -> int: ...


class ReportReader(CrmWonReader, Protocol):
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
        """The cohort's leads by group and alike (ANY: no campaign); `stamped`: by stamps too."""
        ...

    def stamps(self) -> set[str]: ...
    def unmeasured(
        self,
        *,
        by: GroupBy,
        since: datetime | None,
        until: datetime | None,
        regions: Regions,
        stamps: Sequence[str],
        attribution: Attribution = Attribution.FIRST,
    ) -> list[Unmeasured]: ...
    def campaign_sizes(self, attribution: Attribution = Attribution.FIRST) -> dict[str, int]: ...

    def campaign_counts(
        self,
        *,
        by: GroupBy | None,
        since: datetime | None,
        until: datetime | None,
        regions: Regions,
    ) -> dict[str | None, dict[str | None, int]]: ...
    def overdue_feedback(self, *, regions: Regions, now: datetime) -> int: ...
    def leaked_between(
        self, *, regions: Regions, since: datetime | None, until: datetime | None
    ) -> int: ...


class StatusReader(Protocol):
    def read_status(self, *, stuck_limit: int) -> StoreStatus:
        """What the store holds now; raises StorageUnavailable when it cannot be read."""
        ...


class WriteProbe(Protocol):
    def check(self, *, now: datetime) -> str | None:
        """The reason writes fail now, or None when they work."""
        ...


# CSV files --------------------------------------------------------------------------------

_T = TypeVar("_T")


class CsvRows(Protocol):
    """A CSV file's rows, each with its number as a spreadsheet shows it."""

    @property
    def name(self) -> str: ...
    @property
    def decimal_comma(self) -> bool:
        """Whether numbers are written with a decimal comma (a semicolon-separated file)."""
        ...

    def header(self) -> list[str] | None:
        """The first row that is not blank; None for an empty file."""
        ...

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Every later row that is not blank, read as it is iterated."""
        ...

    def count_rows(self) -> int:
        """The data rows; raises CsvImportError naming where the file stops being CSV."""
        ...


class ReadAhead(Protocol):
    """How an import's chunks are made: in its process, or ahead of storing in another."""

    def __call__(
        self, chunks: Callable[[], Iterator[_T]]
    ) -> AbstractContextManager[Iterator[_T]]: ...


class ImportCampaign(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def source(self) -> str | None: ...


class ImportConfig(Protocol):
    """What an import reads of the config: its campaigns (and their sources) and regions."""

    @property
    def campaigns(self) -> Sequence[ImportCampaign]: ...

    def region(self, name: str) -> object | None: ...


# Outbound delivery ------------------------------------------------------------------------


class SnapshotReader(Protocol):
    """What Slack messages and modals show, read as it stands when they are built."""

    def snapshot(self, lead_id: int, round_no: int | None = None) -> LeadSnapshot | None:
        """The lead with round `round_no` (its current round if None) and that round's decision."""
        ...

    def event(self, event_id: int) -> EventLine | None: ...
    def batch(self, batch_id: int) -> Batch | None: ...  # with its leads' short ids
    def fire_lines(self, fire_ids: Sequence[int]) -> dict[int, FireLine]: ...
    # Where a message landed, once delivered: work of a kind in a round, the work `key`.
    def posted_work(self, lead_id: int, round_no: int, kind: WorkKind) -> Posted | None: ...
    def delivered(self, key: str) -> Posted | None: ...


class Outbox(SnapshotReader, RulesSources, Protocol):
    """The outbox as the delivery worker sees it: claim due work, record results, pace channels."""

    @property
    def leads(self) -> LeadReader: ...  # what an App Home lists, to refresh one

    def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        kinds: Collection[WorkKind] | None = None,
        scheduled_limit: int | None = None,
        urgencies: Collection[Urgency] = tuple(Urgency),
    ) -> list[OutboxItem]:
        """Claim due work (of `kinds`, or any; of `urgencies`), the most urgent first, at most
        `scheduled_limit` items of scheduled work; a crashed claimant's lease runs out."""

    # Record delivered work in one transaction: each item sent, Home refreshes queued for its
    # `homes`, a posted card's permalink queued, a taken permalink kept.
    def complete_all(self, done: Sequence[Delivered], *, now: datetime) -> None: ...

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

    # Whether each post may take its channel's slot now, in the order given; the others wait
    # for their slot (put back in the same step).
    def take_slots(self, wanted: Sequence[SlotWanted], *, now: datetime) -> list[bool]: ...

    def next_due_at(self, kinds: Collection[WorkKind] | None = None) -> datetime | None: ...
    def first_time(self, key: str, *, now: datetime) -> bool: ...  # True the first time only
    # Whether work still waits refused with such an error; give up work that means nothing now.
    def still_refused(self, error_prefix: str) -> bool: ...
    def drop(self, item: OutboxItem, *, now: datetime, why: str) -> None: ...
    def add(self, kind: WorkKind, key: str, payload: dict[str, Any], *, now: datetime) -> None: ...
