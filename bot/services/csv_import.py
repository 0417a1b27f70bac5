"""Import leads from a CSV file: trade-show badge scans and CRM or list exports.

Each row is checked like an intake lead (see csv_rows.py); bad rows are reported (row,
column, reason) and never stored, good rows are stored through intake in chunks of
`chunk_size` leads. Each chunk is its own transaction, so a 100,000-row file never holds one
giant transaction, and a chunk that fails leaves the chunks before it stored (and those
stored beside it, which its message names): importing the same file again finishes the job,
because leads already stored are merged, never duplicated. Nothing is stored unless the
whole file reads as CSV.

Reading the file, and reading it ahead in another process, is the CSV adapter's
(bot/csvfiles); storing stays here, each chunk's outcome taken in the file's order, though
on PostgreSQL chunks of new leads are stored two at a time (csv_writers.py).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from bot.clock import Clock
from bot.domain.lead import REQUALIFIABLE, LeadStatus
from bot.domain.merge import merge_facts
from bot.domain.qualification import TRIAGE, LeadDefinition, qualify, why_nurture
from bot.domain.wording import counted
from bot.services.csv_rows import Chunk, Columns, RowError, RowReader, planned_chunks
from bot.services.csv_store import (
    Stored,
    keys_of,
    storable_alongside,
    store_merging,
    store_new,
)
from bot.services.csv_writers import ChunkNotStored, ChunkWriters
from bot.services.intake import Batching
from bot.services.intake_plan import PlannedLead, Routing
from bot.services.leadin import MAX_BATCH
from bot.services.ports import CsvRows, ImportConfig, ReadAhead, UnitOfWork

log = logging.getLogger(__name__)
DEFAULT_CHUNK = 1000
_T = TypeVar("_T")


class CsvImportError(Exception):
    """The file cannot be imported; the message says why and what to do about it."""


class ImportInterrupted(CsvImportError):
    """Storing stopped part way; `report` tells what was stored before it stopped."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class RegionTally:
    pending: int = 0
    nurture: int = 0


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do).

    `created` and `merged` count distinct leads, not rows: a lead twice in the file is one.
    `pending` and `nurture` count those leads by their status after the import. `regions`
    breaks the created leads down by the region they were routed to (`triage` for none).
    `ids` are the leads' short ids in the order the file first names them; a dry run has
    none to give.
    """

    file: str = ""
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    merged: int = 0
    nurture: int = 0
    pending: int = 0
    errors: list[RowError] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    regions: dict[str, RegionTally] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Why the nurture leads are not sales-ready ("no score, and source “badge” has no rule").
    nurture_reasons: Counter[str] = field(default_factory=Counter)

    @property
    def rows_with_errors(self) -> int:
        return len({error.row for error in self.errors})


@contextmanager
def in_process(chunks: Callable[[], Iterator[_T]]) -> Iterator[Iterator[_T]]:
    yield chunks()


@dataclass(frozen=True)
class Storing:
    """Where an import stores, and how it qualifies and routes."""

    uow_factory: Callable[[], UnitOfWork]
    clock: Clock
    routing: Routing
    config: ImportConfig
    writers: int = 1  # chunks stored at once: 1 on SQLite (see csv_writers.py)


def import_rows(
    rows: CsvRows,
    *,
    storing: Storing,
    campaign: str | None,
    source: str | None,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    reading: ReadAhead = in_process,
) -> ImportReport:
    """Check every row, store the good ones in chunks, and report on every row.

    `progress(rows_done, rows_total)` is called after each chunk.
    """
    if not 1 <= chunk_size <= MAX_BATCH:
        raise ValueError(f"chunk_size must be from 1 to {MAX_BATCH}")
    columns = _columns(rows)
    reader = RowReader(columns, storing.config, campaign, source, decimal_comma=rows.decimal_comma)

    def chunks() -> Iterator[Chunk]:
        return planned_chunks(
            rows.records(), reader, clock=storing.clock, routing=storing.routing, size=chunk_size
        )

    report = ImportReport(file=rows.name, dry_run=dry_run, ignored_columns=columns.ignored)
    outcomes = _Outcomes()
    sink: _Sink = _Forecast(storing, outcomes) if dry_run else _Store(storing, outcomes, rows.name)
    read = _Read()
    with reading(chunks) as made, closing(sink):
        # Counted while the rows are read ahead; nothing is stored unless the whole file reads.
        total = rows.count_rows()
        for chunk in made:
            read.add(chunk, report)
            try:
                sink.take(chunk)
            except Exception as error:
                raise _stopped(rows.name, chunk, error, report, read, outcomes) from error
            if progress is not None and chunk.rows:
                progress(report.rows, total)
        try:
            sink.finish()
        except Exception as error:
            raise _stopped(rows.name, None, error, report, read, outcomes) from error
    outcomes.fill(report)
    report.notes.extend(read.notes())
    report.notes.extend(_unknown_campaigns(storing.config, read.campaigns))
    report.notes.extend(_unknown_sources(storing, read.sources))
    _log_finished(report)
    return report


def _stopped(
    name: str,
    chunk: Chunk | None,
    error: Exception,
    report: ImportReport,
    read: _Read,
    outcomes: _Outcomes,
) -> ImportInterrupted:
    """The import stopped at a chunk that failed: what was stored, and what to do."""
    later: list[Chunk] = []
    why: BaseException = error
    if isinstance(error, ChunkNotStored):  # stored side by side: the chunk is the error's
        chunk, later, why = error.chunk, error.later, error.__cause__ or error
    outcomes.fill(report)
    report.notes.extend(read.notes())
    rows = chunk.row_numbers if chunk is not None else []
    return ImportInterrupted(_interrupted(name, rows, later, why), report)


def _log_finished(report: ImportReport) -> None:
    log.info(
        "import %s %s: %d rows, %d leads created, %d merged, %d rows with errors",
        report.file,
        "checked (dry run)" if report.dry_run else "finished",
        report.rows,
        report.created,
        report.merged,
        report.rows_with_errors,
        extra={
            "file": report.file,
            "dry_run": report.dry_run,
            "rows": report.rows,
            "leads_created": report.created,
            "leads_merged": report.merged,
            "rows_with_errors": report.rows_with_errors,
        },
    )


def _columns(rows: CsvRows) -> Columns:
    """Where each lead field is in the file; refused without a header or an email column."""
    header = rows.header()
    if header is None:
        raise CsvImportError(
            f"{rows.name} is empty: expected a header row such as “Email,First Name,Company”"
        )
    columns = Columns(header)
    missing = columns.missing_email()
    if missing:
        raise CsvImportError(f"{rows.name} {missing}")
    return columns


class _Read:
    """What the chunks read so far add up to, besides the leads."""

    def __init__(self) -> None:
        self.campaigns: Counter[str] = Counter()
        self.sources: Counter[str] = Counter()
        self.badges_unused = 0

    def add(self, chunk: Chunk, report: ImportReport) -> None:
        report.rows += chunk.rows
        report.errors.extend(chunk.errors)
        self.campaigns.update(chunk.campaigns)
        self.sources.update(chunk.sources)
        self.badges_unused += chunk.badges_unused

    def notes(self) -> list[str]:
        if not self.badges_unused:
            return []
        return [
            f"badge IDs of {counted(self.badges_unused, 'row')} were not used to match leads: a "
            "badge number is unique only within one show, so it needs a campaign (--campaign)"
        ]


class _Outcomes:
    """What became of each distinct lead of the file, keyed by its id."""

    def __init__(self) -> None:
        # key -> [first result, latest status, region if created, why nurture]
        self.by_key: dict[str, list[Any]] = {}

    def add(
        self, key: str, result: str, status: str, region: str | None, why: str | None = None
    ) -> None:
        known = self.by_key.get(key)
        if known is None:
            self.by_key[key] = [result, status, region if result == "created" else None, why]
        else:
            known[1] = status
            known[3] = known[3] or why

    def fill(self, report: ImportReport) -> None:
        counts: Counter[str] = Counter()
        regions: dict[str, RegionTally] = {}
        for result, status, region, why in self.by_key.values():
            if status == LeadStatus.NURTURE:
                report.nurture_reasons[why or "not sales-ready"] += 1
            counts[result] += 1
            counts[status] += 1
            if region is not None and status in (LeadStatus.PENDING, LeadStatus.NURTURE):
                tally = regions.setdefault(region, RegionTally())
                setattr(tally, status, getattr(tally, status) + 1)
        report.created, report.merged = counts["created"], counts["merged"]
        report.pending, report.nurture = counts[LeadStatus.PENDING], counts[LeadStatus.NURTURE]
        report.regions = dict(sorted(regions.items(), key=_region_order))
        if not report.dry_run:
            report.ids = list(self.by_key)


class _Sink(Protocol):
    def take(self, chunk: Chunk) -> None: ...
    def finish(self) -> None: ...
    def close(self) -> None: ...


class _Store:
    """Store each chunk through intake, queued as a batch per region; chunks of new leads
    side by side where the database allows (csv_writers.py)."""

    def __init__(self, storing: Storing, outcomes: _Outcomes, name: str) -> None:
        self.storing = storing
        self.outcomes = outcomes
        # One batch per region for the whole file, however many transactions it takes.
        self.batching = Batching(label=name, always=True, taken=set())
        self.writers: ChunkWriters[Chunk, list[Stored]] = ChunkWriters(
            storing.writers,
            store_alone=self._store_alone,
            store_alongside=self._store_alongside,
            store_merging=self._store_merging,
            record=self._record,
        )

    def close(self) -> None:
        self.writers.close()

    def take(self, chunk: Chunk) -> None:
        if not chunk.row_numbers:
            return
        alongside = storable_alongside(chunk.new, self.batching)
        keys = keys_of(chunk.new) if alongside and self.storing.writers > 1 else frozenset()
        self.writers.take(chunk, alongside=alongside, keys=keys)

    def finish(self) -> None:
        self.writers.finish()

    def _store_alone(self, chunk: Chunk) -> list[Stored]:
        stored = self._store_alongside(chunk) if chunk.new.distinct else None
        return self._store_merging(chunk) if stored is None else stored

    def _store_alongside(self, chunk: Chunk) -> list[Stored] | None:
        return store_new(
            chunk.new, now=chunk.now, uow_factory=self.storing.uow_factory, batching=self.batching
        )

    def _store_merging(self, chunk: Chunk) -> list[Stored]:
        return store_merging(
            chunk.new,
            now=chunk.now,
            uow_factory=self.storing.uow_factory,
            routing=self.storing.routing,
            batching=self.batching,
        )

    def _record(self, chunk: Chunk, stored: list[Stored]) -> None:
        for short_id, result, status, region, why in stored:
            first_region = None
            if result == "created" and short_id not in self.outcomes.by_key:
                first_region = region or TRIAGE
            self.outcomes.add(short_id, result, status, first_region, why)


class _Forecast:
    """Qualify and route each lead as intake would, against what is stored, storing nothing."""

    def __init__(self, storing: Storing, outcomes: _Outcomes) -> None:
        self.storing = storing
        self.outcomes = outcomes
        self.by_email: dict[str, str] = {}
        self.by_external_id: dict[str, str] = {}

    def finish(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self, chunk: Chunk) -> None:
        if not chunk.row_numbers:
            return
        planned = chunk.new.planned(chunk.now, self.storing.routing)
        with self.storing.uow_factory() as uow:  # left without commit: only reads
            stored = uow.leads.matching(
                external_ids={p.external_id for p in planned if p.external_id},
                emails={p.email for p in planned},
            )
        stored_by_email = {item.email: item for item in stored}
        stored_by_external_id = {item.external_id: item for item in stored if item.external_id}
        definition = self.storing.routing.definition
        for one in planned:
            ext = one.external_id
            key = (self.by_external_id.get(ext) if ext else None) or self.by_email.get(one.email)
            if key is not None:
                # Seen earlier in the file: like intake, the first sighting decides.
                self._remember(key, one)
                continue
            match = (stored_by_external_id.get(ext) if ext else None) or stored_by_email.get(
                one.email
            )
            if match is None:
                key = f"new:{len(self.outcomes.by_key)}"
                lead = one.change.lead
                why = _why(one.facts, lead.status.value, definition)
                self.outcomes.add(key, "created", lead.status.value, lead.region or TRIAGE, why)
            else:
                key = match.lead.short_id
                status = match.lead.status.value
                why = None
                if match.lead.status in REQUALIFIABLE:
                    merged = merge_facts(match.facts, one.facts, latest_touch=(None, None))
                    status = _status(qualify(merged.facts, definition).sales_ready)
                    why = _why(merged.facts, status, definition)
                self.outcomes.add(key, "merged", status, None, why)
            self._remember(key, one)

    def _remember(self, key: str, planned: PlannedLead) -> None:
        self.by_email.setdefault(planned.email, key)
        if planned.external_id:
            self.by_external_id.setdefault(planned.external_id, key)


def _why(facts: dict[str, Any], status: str, definition: LeadDefinition) -> str | None:
    return why_nurture(facts, definition) if status == LeadStatus.NURTURE else None


def _status(sales_ready: bool) -> str:
    return (LeadStatus.PENDING if sales_ready else LeadStatus.NURTURE).value


def _interrupted(name: str, rows: list[int], later: list[Chunk], error: BaseException) -> str:
    where = f"rows {rows[0]} to {rows[-1]}" if rows else "the last rows"
    stored = "The rows before them stay stored"
    if later:  # stored side by side with the chunk that failed
        spans = (f"{chunk.row_numbers[0]} to {chunk.row_numbers[-1]}" for chunk in later)
        stored += f", and so do rows {' and '.join(spans)}"
    return (
        f"{name}: storing {where} failed: {error}. {stored}; import the file again to "
        "finish: leads already stored are merged, not duplicated"
    )


def _unknown_campaigns(config: ImportConfig, campaigns: Counter[str]) -> list[str]:
    configured = {campaign.name.casefold() for campaign in config.campaigns}
    return [
        f"campaign “{name}” ({counted(count, 'lead')}) is not in the config file: "
        "the report will show its leads without a cost"
        for name, count in sorted(campaigns.items())
        if name.casefold() not in configured
    ]


def _unknown_sources(storing: Storing, sources: Counter[str]) -> list[str]:
    """The sources of the file that nothing in the config names, as unknown campaigns are."""
    definition = storing.routing.definition
    known = {*definition.allowed_sources, *definition.source_rules}
    known |= {c.source for c in storing.config.campaigns if c.source}
    return [
        f"source “{name}” ({counted(count, 'lead')}) is not in the config file: no rule "
        "of its own qualifies its leads"
        for name, count in sorted(sources.items())
        if name not in known
    ]


def _region_order(item: tuple[str, RegionTally]) -> tuple[bool, str]:
    return item[0] == TRIAGE, item[0]


def n(number: int) -> str:
    """A count as people read it: 12,345."""
    return f"{number:,}"
