"""The per-lead summary the report reads: refreshed from a lead's events in the transaction
that appends them, and rebuilt from all events on demand (the two always agree)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.domain.lead_summary import CalendarBook, Fact, LeadSummary, speed_of, summarise
from bot.domain.report import cents_of
from storage.bulk import BulkInsert, SharedInsert
from storage.rows import EVENT_VALUES, Base, EventRow, LeadRow, LeadSummaryRow, LeadTouchRow

CHUNK = 2_000
FACT_COLUMNS = (
    EventRow.lead_id,
    EventRow.id,
    EventRow.kind,
    EventRow.at,
    EventRow.region,
    EventRow.campaign,
    EventRow.source,
    EventRow.status_before,
    EventRow.status_after,
    EventRow.reason_code,
    EventRow.amount,
    EventRow.data,
)
_FACT_NAMES = tuple(column.key for column in FACT_COLUMNS[2:])  # all but the ids
# An event row's values (EVENT_VALUES order) as the summary reads them; its shape: all of
# those but its data.
_READ = itemgetter(*(EVENT_VALUES.index(name) for name in _FACT_NAMES))
_SHAPE = itemgetter(*(EVENT_VALUES.index(name) for name in _FACT_NAMES if name != "data"))
_DATA = EVENT_VALUES.index("data")
_TABLE = Base.metadata.tables[LeadSummaryRow.__tablename__]
# A summary row's values: its lead first and its last event last, what is read in between.
_READING = tuple(c.name for c in _TABLE.columns if c.name not in ("lead_id", "last_event_id"))
FIRST_SUMMARY_COLUMNS = ("lead_id", *_READING, "last_event_id")
_INSERT = BulkInsert(_TABLE.insert(), FIRST_SUMMARY_COLUMNS)
_INSERT_TOUCHES = BulkInsert(insert(LeadTouchRow), ("lead_id", "dimension", "name"))
_READING_OF = itemgetter(*_READING)
# Leads that share their first events share their summary but for its last event: theirs.
_INSERT_SHARED = SharedInsert(
    _TABLE,
    _READING,
    computed={
        "last_event_id": "(SELECT max(lead_events.id) FROM lead_events "
        "WHERE lead_events.lead_id = {id})"
    },
)


def refresh_summaries(
    connection: Connection, lead_ids: Iterable[int], *, calendars: CalendarBook | None
) -> None:
    """Recompute the summaries of these leads from all their events, in the caller's transaction."""
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        if connection.dialect.name == "postgresql":
            # Two transactions appending to one lead: the second waits here until the first
            # commits, and then reads its events too, so the last summary written is complete.
            connection.execute(
                select(LeadSummaryRow.lead_id)
                .where(LeadSummaryRow.lead_id.in_(chunk))
                .order_by(LeadSummaryRow.lead_id)
                .with_for_update()
            )
        facts = _facts(connection, EventRow.lead_id.in_(chunk))
        values, touches = _values(facts, calendars)
        _upsert(connection, values)
        connection.execute(delete(LeadTouchRow).where(LeadTouchRow.lead_id.in_(chunk)))
        _INSERT_TOUCHES.run(connection, touches)


def insert_first_summaries(
    connection: Connection,
    events: dict[int, list[tuple[int, tuple[Any, ...]]]],
    *,
    calendars: CalendarBook | None,
) -> None:
    """Write the first summaries of new leads from their events, in order: (event id, the
    event's values in EVENT_VALUES order).

    Leads taken in together mostly have events that differ only in their ids (one time, one
    campaign, a few regions, the version of the lead definition), and a lead's first events
    correct nothing, so ids do not change how they read: such leads share one reading, each
    with its own lead and last event ids.
    """
    _INSERT.run(connection, first_summary_rows(events, calendars=calendars))


def first_summary_rows(
    events: dict[int, list[tuple[int, tuple[Any, ...]]]], *, calendars: CalendarBook | None
) -> list[tuple[Any, ...]]:
    """The first summary rows of new leads (FIRST_SUMMARY_COLUMNS order) from their events,
    as `insert_first_summaries` takes them."""
    readings: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    # Leads planned alike share one data document: each is flattened once (by identity;
    # the events hold every document, so no identity is reused meanwhile).
    flat: dict[int, tuple[Any, ...] | None] = {}
    values = []
    for lead_id, lead_events in events.items():
        if len(lead_events) == 1:  # most: a new lead's one `received` event
            [(event_id, row)] = lead_events
            one = _flat_once(row[_DATA], flat)
            key = None if one is None else (_SHAPE(row), one)
            reading = readings.get(key) if key is not None else None
            if reading is None:
                reading = _first_reading([row], calendars)
                if key is not None:
                    readings[key] = reading
            values.append((lead_id, *reading, event_id))
            continue
        rows = [row for _, row in lead_events]
        data = tuple(_flat_once(row[_DATA], flat) for row in rows)
        if None in data:  # data can hold anything: read these one by one
            reading = _first_reading(rows, calendars)
        else:
            shape = (*map(_SHAPE, rows), data)
            if shape not in readings:
                readings[shape] = _first_reading(rows, calendars)
            reading = readings[shape]
        values.append((lead_id, *reading, lead_events[-1][0]))
    return values


def insert_shared_first_summaries(
    connection: Connection,
    groups: Sequence[tuple[Sequence[int], Sequence[tuple[Any, ...]]]],
    *,
    calendars: CalendarBook | None,
) -> None:
    """Write the first summaries of new leads whose events are stored: (the row ids of leads
    that share their first events, those events' values in EVENT_VALUES order but their
    lead's id). Each group reads alike: its reading is made once, and stored by the database
    for each of its leads."""
    for lead_ids, events in groups:
        reading = _first_reading([(0, *event) for event in events], calendars)
        _INSERT_SHARED.run(connection, lead_ids, reading)


_PLAIN = frozenset({str, int, type(None)})


def _flat_once(
    data: dict[str, Any] | None, flat: dict[int, tuple[Any, ...] | None]
) -> tuple[Any, ...] | None:
    key = id(data)
    if key not in flat:
        flat[key] = _flat(data)
    return flat[key]


def _flat(data: dict[str, Any] | None) -> tuple[Any, ...] | None:
    """Data of plain values (a version number, a rep) as a key to compare; None for the rest."""
    if not data:
        return ()
    items = tuple(sorted(data.items()))
    if all(type(value) in _PLAIN for _, value in items):  # True == 1, but reads apart
        return items
    return None


def _first_reading(rows: list[tuple[Any, ...]], calendars: CalendarBook | None) -> tuple[Any, ...]:
    summary = summarise([Fact(None, *_READ(row)) for row in rows])
    assert summary is not None  # a new lead has events
    reading: tuple[Any, ...] = _READING_OF(summary_values(0, summary, calendars))
    return reading


def rebuild_summaries(
    connection: Connection,
    *,
    calendars: CalendarBook | None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Throw every summary away and compute them again from the events; return how many."""
    connection.execute(delete(LeadSummaryRow))
    connection.execute(delete(LeadTouchRow))
    written, last = 0, 0
    while True:
        ids = connection.scalars(
            select(LeadRow.id).where(LeadRow.id > last).order_by(LeadRow.id).limit(CHUNK)
        ).all()
        if not ids:
            return written
        last = ids[-1]
        facts = _facts(connection, EventRow.lead_id.between(ids[0], last))
        values, touches = _values(facts, calendars)
        _INSERT.run(connection, _INSERT.rows_of(values))
        _INSERT_TOUCHES.run(connection, touches)
        written += len(values)
        if progress:
            progress(written)


def read_summaries(connection: Connection) -> dict[int, dict[str, Any]]:
    """Every stored summary, by lead row id (to compare a refreshed and a rebuilt set)."""
    rows = connection.execute(select(_TABLE)).mappings()
    return {row["lead_id"]: dict(row) for row in rows}


def _facts(connection: Connection, where: Any) -> dict[int, list[Fact]]:
    rows = connection.execute(
        select(*FACT_COLUMNS).where(where).order_by(EventRow.lead_id, EventRow.id)
    )
    facts: dict[int, list[Fact]] = defaultdict(list)
    for lead_id, *event in rows:
        facts[lead_id].append(Fact(*event))
    return facts


def _values(
    facts: dict[int, list[Fact]], calendars: CalendarBook | None
) -> tuple[list[dict[str, Any]], list[tuple[int, str, str]]]:
    """The leads' summary rows, and the campaigns and sources of their later touches."""
    values, touches = [], []
    for lead_id, lead_facts in facts.items():
        summary = summarise(lead_facts)
        if summary is not None:
            values.append(summary_values(lead_id, summary, calendars))
            touches += [(lead_id, "campaign", name) for name in summary.later_campaigns]
            touches += [(lead_id, "source", name) for name in summary.later_sources]
    return values, touches


def summary_values(
    lead_id: int, summary: LeadSummary, calendars: CalendarBook | None
) -> dict[str, Any]:
    """The summary row of a lead."""
    speed = speed_of(summary, calendars)
    return {
        "lead_id": lead_id,
        "received_at": summary.received_at,
        "campaign": summary.campaign,
        "source": summary.source,
        "region": summary.region,
        "rep_id": summary.rep_id,
        "stages": int(summary.stages),
        "return_reason": summary.return_reason,
        "amount_cents": cents_of(summary.amount) if summary.amount is not None else None,
        "amount_currency": summary.amount_currency,
        "accept_stamp": speed.accept_stamp,
        "accept_minutes": speed.accept_minutes,
        "contact_stamp": speed.contact_stamp,
        "contact_minutes": speed.contact_minutes,
        "handed_at": summary.handed_at,
        "accepted_at": summary.accepted_at,
        "accept_region": summary.accept_region,
        "contact_from": summary.contact_from,
        "contacted_at": summary.contacted_at,
        "contact_region": summary.contact_region,
        "leaked_at": summary.leaked_at,
        "last_event_id": summary.last_event_id,
        "definition_version": summary.definition_version,
        "came_back_at": summary.came_back_at,
        "last_campaign": summary.last_campaign,
        "last_source": summary.last_source,
        "amount_source": summary.amount_source,
    }


def _upsert(connection: Connection, values: Sequence[dict[str, Any]]) -> None:
    if values:
        connection.execute(_UPSERTS[connection.dialect.name], values)


def _upsert_statement(insert: Any) -> Any:
    statement = insert(_TABLE)
    updated = {c.name: statement.excluded[c.name] for c in _TABLE.columns if c.name != "lead_id"}
    return statement.on_conflict_do_update(index_elements=["lead_id"], set_=updated)


# Built once: every append of events writes summaries.
_UPSERTS = {"postgresql": _upsert_statement(pg_insert), "sqlite": _upsert_statement(sqlite_insert)}
