"""A few new leads written whole in one statement on PostgreSQL: their rows, first events and
summaries, and each pending one's handoff round and handoff.

A single-lead request writes five tables. As five statements that is five round trips, each
a turn of the serving process's threads on the interpreter lock and a pass through the
driver's machinery, and they cost more than the server's inserts. As one statement (data-
modifying CTEs) it is one. The rows that need the new lead's id take it from the lead's
insert within the statement (joined by short id); the summary's last event is the highest
id the events' insert returned for the lead. A lead whose short id is taken is skipped by
its insert, and so are the rows that hang on it: the caller draws it another short id and
writes it again.

The rounds and handoffs are made as `start_of_leads` and `queue_handoffs` make them, from
what the lead's row says: its round, region and batch. Each table's rows go as one JSON
parameter, read by `json_populate_record` as rows of the table: with a parameter a value a
statement has over fifty, and psycopg parses such a statement afresh at every execution
(that cost as much as the round trips saved); this way its text is the same for any number
of leads, parsed once and prepared on the server. The statement also reads the live lead
definition's number, which intake checks before committing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect

from bot.domain.lead import LeadStatus
from bot.services.lead_rows import LEAD_ROW_COLUMNS
from bot.services.records import HANDOFF_KEY, WorkKind
from storage.rows import EVENT_VALUES
from storage.summaries import FIRST_SUMMARY_COLUMNS

# Where a transaction keeps the live definition's number its writes read (its session's
# info), so that its `live_number` asks no more (storage/definitions.py).
LIVE_NUMBER_READ = "baton_live_number_read"
_EVENT_VALUES = EVENT_VALUES[1:]  # all but the lead's id, which the statement gives
_READING = FIRST_SUMMARY_COLUMNS[1:-1]  # all but the lead's and its last event's ids
NEW_LEAD_COLUMNS = ("short_id", *LEAD_ROW_COLUMNS)
_EMAIL, _EXTERNAL_ID = NEW_LEAD_COLUMNS.index("email"), NEW_LEAD_COLUMNS.index("external_id")
_HANDOFF = ("kind", "payload", "state", "attempts", "available_at", "created_at", "urgency")


class WholeNewLeads:
    """The one statement: its text is the same for any number of leads, each table's rows
    sent as one JSON parameter (so psycopg keeps its parsing and the server its plan)."""

    def __init__(self) -> None:
        self._sql: dict[str, str] = {}

    def run(
        self,
        connection: Connection,
        leads: Sequence[tuple[Any, ...]],
        events: Sequence[Sequence[tuple[Any, ...]]],
        readings: Sequence[tuple[Any, ...]],
        *,
        now: datetime,
        unless_stored: bool = False,
    ) -> Written:
        """Write the leads (rows of NEW_LEAD_COLUMNS, short id first), each one's events
        (values in EVENT_VALUES order but the lead's id) and summary reading (FIRST_SUMMARY_
        COLUMNS but the ids); `unless_stored`: none of them if one's email or external id is
        stored already."""
        sql = self._sql.get(connection.dialect.name)
        if sql is None:
            sql = self._sql[connection.dialect.name] = _statement(connection.dialect)
        parameters = _parameters(leads, events, readings, now=now, unless_stored=unless_stored)
        rows = connection.exec_driver_sql(sql, parameters).all()
        ids = {short_id: id for id, short_id, _, _ in rows if id is not None}
        return Written(ids, live_number=rows[0][2], stored_already=rows[0][3])


def _parameters(
    leads: Sequence[tuple[Any, ...]],
    events: Sequence[Sequence[tuple[Any, ...]]],
    readings: Sequence[tuple[Any, ...]],
    *,
    now: datetime,
    unless_stored: bool,
) -> tuple[Any, ...]:
    """The statement's parameters, in its order: the keys looked for (none unless
    `unless_stored`), each table's rows as JSON (events and readings keyed by their lead's
    short id), and the values the rounds and handoffs share."""
    keyed_events = [
        {"short_id": lead[0], **dict(zip(_EVENT_VALUES, row, strict=True))}
        for lead, each in zip(leads, events, strict=True)
        for row in each
    ]
    keyed_readings = [
        {"short_id": lead[0], **dict(zip(_READING, reading, strict=True))}
        for lead, reading in zip(leads, readings, strict=True)
    ]
    keys: tuple[list[str], list[str]] = ([], [])
    if unless_stored:
        keys = (
            [row[_EMAIL] for row in leads],
            [row[_EXTERNAL_ID] for row in leads if row[_EXTERNAL_ID]],
        )
    kind, pending = WorkKind.HANDOFF, LeadStatus.PENDING.value
    handoff = (kind.value, "{}", pending, now, now, kind.urgency.value)
    return (
        *keys,
        _json([dict(zip(NEW_LEAD_COLUMNS, row, strict=True)) for row in leads]),
        _json(keyed_events),
        _json(keyed_readings),
        now,
        pending,
        HANDOFF_KEY,
        *handoff,
        pending,
    )


class Written(NamedTuple):
    """What the statement wrote: each lead's row id by short id; the live definition's
    number, read with the writes; whether a lead was found stored (and nothing written)."""

    ids: dict[str, int]
    live_number: int | None
    stored_already: bool


def _json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, default=_json_value, ensure_ascii=False, separators=(",", ":"))


def _json_value(value: Any) -> Any:
    """Values JSON has no type for, as text the column's type reads: times in ISO 8601 with
    their offset, amounts as decimals."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"no JSON for a {type(value).__name__}")


def _statement(dialect: Dialect) -> str:
    quote = dialect.identifier_preparer.quote

    def names(columns: Sequence[str], alias: str = "") -> str:
        return ", ".join(alias + quote(name) for name in columns)

    def rows_of(table: str, alias: str, number: int) -> str:
        # Each JSON object read as a row of the table (its keys, the columns), in order.
        return (
            f"json_array_elements(CAST(%s AS json)) WITH ORDINALITY AS given(doc, place) "
            f"CROSS JOIN LATERAL json_populate_record(NULL::{table}, given.doc) AS {alias} "
            f"JOIN new_leads ON new_leads.short_id = given.doc->>'short_id'"
            if number
            else f"json_populate_recordset(NULL::{table}, CAST(%s AS json)) "
            f"WITH ORDINALITY AS {alias}"
        )

    round_columns = ("lead_id", "round_no", "region", "batch_id", "started_at")
    outbox_columns = ("key", "lead_id", "batch_id", "handoff_round", *_HANDOFF)
    return (
        # Whether a lead of these emails or external ids is stored (each key a probe of its
        # unique index; none given: none is looked for).
        "WITH seen AS (SELECT EXISTS (SELECT 1 FROM leads WHERE email = ANY(CAST(%s AS varchar[]))) "
        "OR EXISTS (SELECT 1 FROM leads WHERE external_id = ANY(CAST(%s AS varchar[]))) AS found), "
        f"new_leads AS (INSERT INTO leads ({names(NEW_LEAD_COLUMNS)}) "
        f"SELECT {names(NEW_LEAD_COLUMNS, 'l.')} FROM {rows_of('leads', 'l', 0)} "
        "WHERE NOT (SELECT found FROM seen) "
        "ORDER BY l.ordinality ON CONFLICT (short_id) DO NOTHING "
        "RETURNING id, short_id, status, handoff_round, region, batch_id), "
        f"new_events AS (INSERT INTO lead_events (lead_id, {names(_EVENT_VALUES)}) "
        f"SELECT new_leads.id, {names(_EVENT_VALUES, 'e.')} FROM {rows_of('lead_events', 'e', 1)} "
        "ORDER BY given.place RETURNING id, lead_id), "
        f"new_summaries AS (INSERT INTO lead_summary (lead_id, {names(_READING)}, last_event_id) "
        f"SELECT new_leads.id, {names(_READING, 's.')}, "
        "(SELECT max(new_events.id) FROM new_events WHERE new_events.lead_id = new_leads.id) "
        f"FROM {rows_of('lead_summary', 's', 1)}), "
        f"new_rounds AS (INSERT INTO handoff_rounds ({names(round_columns)}) "
        "SELECT id, handoff_round, region, batch_id, CAST(%s AS timestamptz) "
        "FROM new_leads WHERE status = CAST(%s AS varchar) ORDER BY id), "
        f"new_handoffs AS (INSERT INTO outbox ({names(outbox_columns)}) "
        "SELECT CAST(%s AS varchar) || id || ':' || handoff_round, id, batch_id, handoff_round, "
        "CAST(%s AS varchar), CAST(%s AS json), CAST(%s AS varchar), 0, "
        "CAST(%s AS timestamptz), CAST(%s AS timestamptz), CAST(%s AS integer) "
        "FROM new_leads WHERE status = CAST(%s AS varchar) ORDER BY id "
        "ON CONFLICT (key) DO NOTHING) "
        # One row at least, for the live number and whether a lead was found stored.
        "SELECT new_leads.id, new_leads.short_id, "
        "(SELECT max(number) FROM definition_versions), (SELECT found FROM seen) "
        "FROM (SELECT 1) AS one LEFT JOIN new_leads ON true"
    )
