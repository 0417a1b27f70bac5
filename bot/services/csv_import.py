"""Import leads from a CSV file: trade-show badge scans and CRM or list exports.

Each row is checked like an intake lead; bad rows are reported (row, column, reason) and
never stored, good rows are stored through intake in chunks of `chunk_size` leads. Each
chunk is its own transaction, so a 100,000-row file never holds one giant transaction, and
a chunk that fails leaves the chunks before it stored: importing the same file again
finishes the job, because leads already stored are merged, never duplicated.

On a big file, reading, checking and planning the rows (see `plan_lead`) runs in a second
process a few chunks ahead of the one storing them, so both cores work. Storing stays in
the importing process, in the file's order.

`--campaign` and `--source` fill in rows that have no campaign or source of their own; a
row's own value wins, so a list that mixes sources keeps them.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import multiprocessing
import queue
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from bot.clock import Clock
from bot.domain.lead import REQUALIFIABLE, LeadStatus
from bot.domain.qualification import TRIAGE, qualify
from bot.services.intake import Batching, PlannedLead, Routing, plan_lead, take_planned
from bot.services.leadin import MAX_BATCH, LeadIn, check_lead
from bot.services.ports import UnitOfWork

DEFAULT_CHUNK = 1000
DELIMITERS = (",", ";", "\t")
BADGE_ID = "badge_id"  # a badge number is unique only within one show; see _item()
FLAGS = {"campaign": "--campaign", "source": "--source"}
# Files with this many rows are read in a second process, where the system can fork one.
READ_AHEAD_FROM = 5_000
READ_AHEAD_CHUNKS = 4  # how far ahead it may get, in chunks: what it holds in memory
# Objects made between two collections of the youngest generation (Python's default: 700).
BULK_GC_THRESHOLD = 20_000

# Header names, normalised by _normalise(), that CRM and badge-scanner exports use.
HEADER_NAMES: dict[str, str] = {
    **dict.fromkeys(("email", "emailaddress", "workemail", "businessemail"), "email"),
    **dict.fromkeys(("firstname", "givenname", "forename"), "first_name"),
    **dict.fromkeys(("lastname", "surname", "familyname"), "last_name"),
    **dict.fromkeys(
        ("company", "companyname", "organization", "organisation", "accountname"), "company"
    ),
    **dict.fromkeys(("title", "jobtitle", "position"), "title"),
    **dict.fromkeys(("phone", "phonenumber", "mobile", "mobilephone", "telephone"), "phone"),
    **dict.fromkeys(("country", "countryregion"), "country"),
    **dict.fromkeys(("state", "stateprovince", "province"), "state"),
    **dict.fromkeys(("zip", "zipcode", "postalcode", "postcode", "zippostalcode"), "postal_code"),
    "region": "region",
    **dict.fromkeys(("score", "leadscore"), "score"),
    "campaign": "campaign",
    **dict.fromkeys(("source", "leadsource"), "source"),
    **dict.fromkeys(("notes", "note", "comments", "comment"), "notes"),
    **dict.fromkeys(("externalid", "leadid", "recordid"), "external_id"),
    "badgeid": BADGE_ID,
}
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
_DECIMAL_COMMA = re.compile(r"\d+,\d+")
_ZIP_MAGIC = b"PK\x03\x04"


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class ImportConfig(Protocol):
    @property
    def campaigns(self) -> Sequence[_Named]: ...

    def region(self, name: str) -> object | None: ...


class Importing(Protocol):
    """What an import needs of Baton."""

    @property
    def config(self) -> ImportConfig: ...
    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def routing(self) -> Routing: ...


class CsvImportError(Exception):
    """The file cannot be imported; the message says why and what to do about it."""


class ImportInterrupted(CsvImportError):
    """Storing stopped part way; `report` tells what was stored before it stopped."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1, the first data row 2
    field: str  # the column as the file names it, or the flag that gave the value
    reason: str


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

    rows: int
    created: int
    merged: int
    nurture: int
    pending: int
    errors: list[RowError]
    dry_run: bool
    ids: list[str]
    file: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    regions: dict[str, RegionTally] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_with_errors(self) -> int:
        return len({error.row for error in self.errors})


def import_csv(
    path: Path,
    *,
    baton: Importing,
    campaign: str | None,
    source: str | None,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    read_ahead: bool | None = None,
) -> ImportReport:
    """Check every row of `path`, store the good ones in chunks, and report on every row.

    `progress(rows_done, rows_total)` is called after each chunk. `read_ahead` reads in a
    second process (None: for big files, where the system can fork one).
    """
    if not 1 <= chunk_size <= MAX_BATCH:
        raise ValueError(f"chunk_size must be from 1 to {MAX_BATCH}")
    path = Path(path)
    text = _read_text(path)
    delimiter = _delimiter(text)
    records = _records(text, delimiter)
    try:
        header = next(records, None)
    except csv.Error:
        _count_rows(text, delimiter, path.name)  # raises the error, naming where
        raise
    if header is None:
        raise CsvImportError(
            f"{path.name} is empty: expected a header row such as “Email,First Name,Company”"
        )
    columns = _Columns(header[1], path.name)
    report = ImportReport(
        rows=0,
        created=0,
        merged=0,
        nurture=0,
        pending=0,
        errors=[],
        dry_run=dry_run,
        ids=[],
        file=path.name,
        ignored_columns=columns.ignored,
    )
    reader = _RowReader(columns, baton, campaign, source, decimal_comma=delimiter == ";")
    outcomes = _Outcomes()
    sink: _Sink = _Forecast(baton, outcomes) if dry_run else _Store(baton, outcomes, path.name)
    read = _Read()

    def planned_chunks() -> Iterator[_Chunk]:
        return _chunks(records, reader, baton, chunk_size)

    if read_ahead is None:
        read_ahead = text.count("\n") > READ_AHEAD_FROM and _can_fork()
    reading = _read_ahead(planned_chunks) if read_ahead else _in_process(planned_chunks)
    with _collecting_rarely(), reading as chunks:
        # Counted while the rows are read ahead; nothing is stored unless the whole file reads.
        total = _count_rows(text, delimiter, path.name)
        for chunk in chunks:
            read.add(chunk, report)
            try:
                sink.take(chunk)
            except Exception as error:
                outcomes.fill(report)
                report.notes.extend(read.notes())
                message = _interrupted(path.name, chunk.row_numbers, error)
                raise ImportInterrupted(message, report) from error
            if progress is not None and chunk.rows:
                progress(report.rows, total)
    outcomes.fill(report)
    report.notes.extend(read.notes())
    report.notes.extend(_unknown_campaigns(baton, read.campaigns))
    return report


def render_report(report: ImportReport) -> str:
    """Summarise the import for the terminal, then list every row error."""
    would = report.dry_run
    lines = [
        f"{report.file or 'CSV'}: {_n(report.rows)} rows"
        + (" (dry run: nothing was stored)" if would else ""),
        f"  created  {_n(report.created):>8}  new leads" + (" would be created" if would else ""),
        f"  merged   {_n(report.merged):>8}  into existing leads",
        f"  pending  {_n(report.pending):>8}  waiting for a manager's decision",
        f"  nurture  {_n(report.nurture):>8}  staying with marketing",
        f"  errors   {_n(report.rows_with_errors):>8}  rows not imported",
    ]
    if report.regions:
        lines += ["", *_table(("new leads by region", "pending", "nurture"), _region_rows(report))]
    if report.ignored_columns:
        lines += ["", "Ignored columns: " + ", ".join(report.ignored_columns)]
    lines += [f"Note: {note}" for note in report.notes]
    if report.errors:
        rows = [(str(e.row), e.field, e.reason) for e in report.errors]
        lines += ["", "Rows not imported:", *_table(("row", "field", "reason"), rows)]
    return "\n".join(lines)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CsvImportError(f"{path}: no such file") from None
    except OSError as error:
        raise CsvImportError(f"{path}: cannot read the file: {error.strerror}") from None
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as error:
        if data.startswith(_ZIP_MAGIC):
            raise CsvImportError(
                f"{path.name} looks like a spreadsheet workbook, not CSV: "
                "save it as “CSV UTF-8” and import that file"
            ) from None
        offset = bom + error.start
        line = data.count(b"\n", 0, offset) + 1
        raise CsvImportError(
            f"{path.name} is not UTF-8 text: byte 0x{data[offset]:02X} at offset {offset} "
            f"(line {line}) is not valid UTF-8; save the file as “CSV UTF-8” and import it again"
        ) from None


def _delimiter(text: str) -> str:
    """Pick the delimiter the header row uses most: comma, semicolon or tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number as a spreadsheet shows it, cells) for every row that is not blank."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row_no, cells in enumerate(reader, start=1):
        if "".join(cells).strip():
            yield row_no, cells


def _count_rows(text: str, delimiter: str, name: str) -> int:
    """Count the data rows, so that a malformed file is refused before anything is stored."""
    records, last_row = 0, 0
    try:
        for last_row, _ in _records(text, delimiter):  # noqa: B007  (kept for the message)
            records += 1
    except csv.Error as error:
        raise CsvImportError(
            f"{name}: cannot read it as CSV after row {last_row}: {error} "
            "(is a quote never closed?)"
        ) from None
    return max(records - 1, 0)


def _normalise(header: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", header.casefold())


class _Columns:
    """Which column holds which lead field; a field may come from several columns."""

    def __init__(self, header: list[str], name: str) -> None:
        self.places: dict[str, list[tuple[int, str]]] = {}
        self.ignored: list[str] = []
        for index, raw in enumerate(header):
            title = raw.strip()
            lead_field = HEADER_NAMES.get(_normalise(title))
            if lead_field is not None:
                self.places.setdefault(lead_field, []).append((index, title))
            elif title:
                self.ignored.append(title)
        if "email" not in self.places:
            found = ", ".join(f"“{h.strip()}”" for h in header if h.strip()) or "none"
            raise CsvImportError(
                f"{name} has no email column: every lead needs one. Name a column “Email”, "
                f"“Email Address”, “E-mail” or “Work Email”. Its columns are: {found}"
            )
        self.fields = list(self.places.items())

    def header_of(self, lead_field: str, cells: list[str]) -> str | None:
        places = self.places.get(lead_field, [])
        for index, title in places:
            if index < len(cells) and cells[index].strip():
                return title
        return places[0][1] if places else None


class _RowReader:
    """Turn one row into a checked lead, or into row errors."""

    def __init__(
        self,
        columns: _Columns,
        baton: Importing,
        campaign: str | None,
        source: str | None,
        *,
        decimal_comma: bool,
    ) -> None:
        self.columns = columns
        self.defaults = {
            name: value.strip()
            for name, value in (("campaign", campaign), ("source", source))
            if value and value.strip()
        }
        self.decimal_comma = decimal_comma
        self.config = baton.config

    def lead(self, row_no: int, cells: list[str], chunk: _Chunk) -> LeadIn | None:
        """Check a row; its errors, campaign and unused badge id are counted in `chunk`."""
        item = self._item(cells, chunk)
        lead, problems = check_lead(item, row_no, known_region=self._known_region)
        for problem in problems:
            reason = problem.reason
            if problem.field == "email" and item.get("email") is None:
                reason = "is empty: every lead needs an email address"
            chunk.errors.append(RowError(row_no, self._field_name(problem.field, cells), reason))
        if lead is not None and lead.campaign:
            chunk.campaigns[lead.campaign] += 1
        return lead

    def _item(self, cells: list[str], chunk: _Chunk) -> dict[str, Any]:
        item: dict[str, Any] = {"email": None}
        width = len(cells)
        for lead_field, places in self.columns.fields:
            for index, _ in places:
                if index < width:
                    value = cells[index].strip()
                    if value:
                        item[lead_field] = value
                        break
        for name, value in self.defaults.items():
            item.setdefault(name, value)
        badge = item.pop(BADGE_ID, None)
        if badge is not None and "external_id" not in item:
            if "campaign" in item:
                # Namespaced by show: badge 1001 at one show is someone else at the next.
                item["external_id"] = f"badge:{item['campaign'].lower()}:{badge}"
            else:
                chunk.badges_unused += 1
        if self.decimal_comma and "score" in item and _DECIMAL_COMMA.fullmatch(item["score"]):
            item["score"] = item["score"].replace(",", ".")
        return item

    def _known_region(self, name: str) -> bool:
        return self.config.region(name) is not None

    def _field_name(self, lead_field: str, cells: list[str]) -> str:
        if lead_field == "external_id" and "external_id" not in self.columns.places:
            lead_field = BADGE_ID
        header = self.columns.header_of(lead_field, cells)
        if header is not None and (
            lead_field not in self.defaults or self._has_value(lead_field, cells)
        ):
            return header
        return FLAGS.get(lead_field, lead_field)

    def _has_value(self, lead_field: str, cells: list[str]) -> bool:
        return any(
            index < len(cells) and cells[index].strip()
            for index, _ in self.columns.places.get(lead_field, [])
        )


@dataclass
class _Chunk:
    """Rows read and checked: the good ones planned as new leads at `now`, the bad ones'
    errors, and what the rows say of campaigns and badge ids."""

    now: datetime
    rows: int = 0  # rows of the file read for this chunk, good and bad
    row_numbers: list[int] = field(default_factory=list)  # of the planned leads
    planned: list[PlannedLead] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    campaigns: Counter[str] = field(default_factory=Counter)
    badges_unused: int = 0


def _chunks(
    records: Iterator[tuple[int, list[str]]], reader: _RowReader, baton: Importing, size: int
) -> Iterator[_Chunk]:
    """Read, check and plan the rows, `size` good ones to a chunk; the last may be short."""
    clock, routing = baton.clock, baton.routing
    chunk, leads = _Chunk(now=clock.now()), []
    for row_no, cells in records:
        chunk.rows += 1
        lead = reader.lead(row_no, cells, chunk)
        if lead is not None:
            leads.append(lead)
            chunk.row_numbers.append(row_no)
            if len(leads) >= size:
                chunk.planned = [plan_lead(lead, now=chunk.now, routing=routing) for lead in leads]
                yield chunk
                chunk, leads = _Chunk(now=clock.now()), []
    chunk.planned = [plan_lead(lead, now=chunk.now, routing=routing) for lead in leads]
    yield chunk


@contextmanager
def _collecting_rarely() -> Iterator[None]:
    """Run the cycle collector less often while chunks of new objects are built and stored.

    Each chunk makes tens of thousands of objects that live until it is stored, so at
    Python's default pace the collector runs dozens of times per chunk, over them and over
    everything older: a third of an import's time. Plain reference counting still frees
    almost all of them; the rare cycles wait a little longer.
    """
    before = gc.get_threshold()
    gc.set_threshold(BULK_GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def _in_process(chunks: Callable[[], Iterator[_Chunk]]) -> Iterator[Iterator[_Chunk]]:
    yield chunks()


@contextmanager
def _read_ahead(chunks: Callable[[], Iterator[_Chunk]]) -> Iterator[Iterator[_Chunk]]:
    """The chunks, made by a forked process while this one stores the ones before them."""
    context = multiprocessing.get_context("fork")
    ahead = context.Queue(maxsize=READ_AHEAD_CHUNKS)
    process = context.Process(target=_feed, args=(chunks, ahead), daemon=True)
    process.start()
    try:
        yield _received(ahead, process)
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        ahead.close()


def _feed(chunks: Callable[[], Iterator[_Chunk]], ahead: Any) -> None:
    """In the reading process: send each chunk, then None, or the error that stopped it."""
    try:
        for chunk in chunks():
            ahead.put(chunk)
        ahead.put(None)
    except BaseException as error:  # raised again in the storing process
        ahead.put(error)
    ahead.close()
    ahead.join_thread()


def _received(ahead: Any, process: Any) -> Iterator[_Chunk]:
    while True:
        try:
            item = ahead.get(timeout=1)
        except queue.Empty:
            if not process.is_alive():
                raise CsvImportError(
                    f"reading the file stopped: its process ended (exit code {process.exitcode})"
                ) from None
            continue
        if item is None:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class _Read:
    """What the chunks read so far add up to, besides the leads."""

    def __init__(self) -> None:
        self.campaigns: Counter[str] = Counter()
        self.badges_unused = 0

    def add(self, chunk: _Chunk, report: ImportReport) -> None:
        report.rows += chunk.rows
        report.errors.extend(chunk.errors)
        self.campaigns.update(chunk.campaigns)
        self.badges_unused += chunk.badges_unused

    def notes(self) -> list[str]:
        if not self.badges_unused:
            return []
        return [
            f"badge IDs of {_n(self.badges_unused)} rows were not used to match leads: a "
            "badge number is unique only within one show, so it needs a campaign (--campaign)"
        ]


class _Outcomes:
    """What became of each distinct lead of the file, keyed by its id."""

    def __init__(self) -> None:
        # key -> [first result, latest status, region if created]
        self.by_key: dict[str, list[Any]] = {}

    def add(self, key: str, result: str, status: str, region: str | None) -> None:
        known = self.by_key.get(key)
        if known is None:
            self.by_key[key] = [result, status, region if result == "created" else None]
        else:
            known[1] = status

    def fill(self, report: ImportReport) -> None:
        counts: Counter[str] = Counter()
        regions: dict[str, RegionTally] = {}
        for result, status, region in self.by_key.values():
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
    def take(self, chunk: _Chunk) -> None: ...


class _Store:
    """Store each chunk through intake, queued as a batch per region."""

    def __init__(self, baton: Importing, outcomes: _Outcomes, name: str) -> None:
        self.baton = baton
        self.outcomes = outcomes
        # One batch per region for the whole file, however many transactions it takes.
        self.batching = Batching(label=name, always=True)

    def take(self, chunk: _Chunk) -> None:
        if not chunk.planned:
            return
        results = take_planned(
            chunk.planned,
            now=chunk.now,
            uow_factory=self.baton.uow_factory,
            routing=self.baton.routing,
            batching=self.batching,
        )
        for result in results:
            region = None
            if result.result == "created" and result.id not in self.outcomes.by_key:
                region = result.region or TRIAGE
            self.outcomes.add(result.id, result.result, result.status, region)


class _Forecast:
    """Qualify and route each lead as intake would, against what is stored, storing nothing."""

    def __init__(self, baton: Importing, outcomes: _Outcomes) -> None:
        self.baton = baton
        self.outcomes = outcomes
        self.by_email: dict[str, str] = {}
        self.by_external_id: dict[str, str] = {}

    def take(self, chunk: _Chunk) -> None:
        if not chunk.planned:
            return
        with self.baton.uow_factory() as uow:  # left without commit: only reads
            stored = uow.leads.matching(
                external_ids={p.external_id for p in chunk.planned if p.external_id},
                emails={p.email for p in chunk.planned},
            )
        stored_by_email = {item.email: item for item in stored}
        stored_by_external_id = {item.external_id: item for item in stored if item.external_id}
        definition = self.baton.routing.definition
        for planned in chunk.planned:
            ext = planned.external_id
            key = (self.by_external_id.get(ext) if ext else None) or self.by_email.get(
                planned.email
            )
            if key is not None:
                # Seen earlier in the file: like intake, the first sighting decides.
                self._remember(key, planned)
                continue
            match = (stored_by_external_id.get(ext) if ext else None) or stored_by_email.get(
                planned.email
            )
            if match is None:
                key = f"new:{len(self.outcomes.by_key)}"
                lead = planned.change.lead
                self.outcomes.add(key, "created", lead.status.value, lead.region or TRIAGE)
            else:
                key = match.lead.short_id
                status = match.lead.status.value
                if match.lead.status in REQUALIFIABLE:
                    known = {k: v for k, v in planned.facts.items() if v is not None}
                    status = _status(qualify({**match.facts, **known}, definition).sales_ready)
                self.outcomes.add(key, "merged", status, None)
            self._remember(key, planned)

    def _remember(self, key: str, planned: PlannedLead) -> None:
        self.by_email.setdefault(planned.email, key)
        if planned.external_id:
            self.by_external_id.setdefault(planned.external_id, key)


def _status(sales_ready: bool) -> str:
    return (LeadStatus.PENDING if sales_ready else LeadStatus.NURTURE).value


def _interrupted(name: str, rows: list[int], error: Exception) -> str:
    where = f"rows {rows[0]} to {rows[-1]}" if rows else "the last rows"
    return (
        f"{name}: storing {where} failed: {error}. The rows before them stay stored; "
        "import the file again to finish: leads already stored are merged, not duplicated"
    )


def _unknown_campaigns(baton: Importing, campaigns: Counter[str]) -> list[str]:
    configured = {campaign.name.casefold() for campaign in baton.config.campaigns}
    return [
        f"campaign “{name}” ({_n(count)} leads) is not in the config file: "
        "the report will show its leads without a cost"
        for name, count in sorted(campaigns.items())
        if name.casefold() not in configured
    ]


def _region_order(item: tuple[str, RegionTally]) -> tuple[bool, str]:
    return item[0] == TRIAGE, item[0]


def _region_rows(report: ImportReport) -> list[tuple[str, str, str]]:
    return [
        (region, _n(tally.pending), _n(tally.nurture)) for region, tally in report.regions.items()
    ]


def _table(headings: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    columns = list(zip(headings, *rows, strict=True))
    widths = [max(len(cell) for cell in column) for column in columns]
    numeric = [bool(rows) and all(_is_number(cell) for cell in column[1:]) for column in columns]

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            cell.rjust(width) if is_number else cell.ljust(width)
            for cell, width, is_number in zip(cells, widths, numeric, strict=True)
        ]
        return "  " + "  ".join(parts).rstrip()

    return [line(headings), *(line(row) for row in rows)]


def _is_number(cell: str) -> bool:
    return cell.replace(",", "").isdigit()


def _n(number: int) -> str:
    return f"{number:,}"
