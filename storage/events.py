"""The events and activity repositories: a lead's append-only history, summaries kept with it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from bot.domain.lead import EventKind, LeadEvent
from bot.domain.lead_summary import CalendarBook
from bot.domain.merge import Touch
from bot.services.lead_rows import event_row
from bot.services.records import EventLine
from storage.bulk import BulkInsert, SharedInsert
from storage.reads import event_line
from storage.rows import EVENT_VALUES, ActivityRow, EventRow, LeadSummaryRow
from storage.summaries import (
    insert_first_summaries,
    insert_shared_first_summaries,
    refresh_summaries,
)

# What an undo reads of a round: the events that log, withdraw or return an outcome.
OUTCOME_KINDS = ("outcome", "returned", "correction")

_INSERT_EVENTS = BulkInsert(insert(EventRow), EVENT_VALUES)
# Up to this many first events are inserted into PostgreSQL returning their ids; more, as
# an executemany.
RETURNING_AT_MOST = 10
_INSERT_EVENTS_RETURNING_IDS = insert(EventRow).returning(EventRow.id, sort_by_parameter_order=True)
_EVENT_IDS_OF_LEADS_BETWEEN = (
    select(EventRow.lead_id, EventRow.id)
    .where(EventRow.lead_id.between(bindparam("first"), bindparam("last")))
    .order_by(EventRow.id)
)
# A lead's events as stored: each one's id, then its values in EVENT_VALUES order.
_EVENTS_OF_LEADS_BETWEEN = (
    select(EventRow.id, *(EventRow.__table__.c[name] for name in EVENT_VALUES))
    .where(EventRow.lead_id.between(bindparam("first"), bindparam("last")))
    .order_by(EventRow.lead_id, EventRow.id)
)
_SUMMARISED_BETWEEN = select(LeadSummaryRow.lead_id).where(
    LeadSummaryRow.lead_id.between(bindparam("first"), bindparam("last"))
)
_INSERT_SHARED_EVENTS = SharedInsert(EventRow.__table__, EVENT_VALUES[1:])  # type: ignore[arg-type]
_INSERT_ACTIVITY = BulkInsert(
    insert(ActivityRow), ("lead_id", "type", "at", "detail", "received_at")
)


class SqlEventRepository:
    def __init__(self, session: Session, calendars: CalendarBook | None) -> None:
        self.session = session
        # The region calendars measure each lead's speed as its summary is refreshed; without
        # them the report measures it when it needs it.
        self.calendars = calendars

    def append(self, events: Sequence[tuple[int, LeadEvent]], *, ids: bool = True) -> list[int]:
        """Append events (lead row id, event); return their ids in order when asked."""
        if not events:
            return []
        values = [event_row(lead_id, event) for lead_id, event in events]
        connection = self.session.connection()
        lead_ids = [lead_id for lead_id, _ in events]
        if not ids:
            _INSERT_EVENTS.run(connection, values)
            refresh_summaries(connection, lead_ids, calendars=self.calendars)
            return []
        named = [dict(zip(EVENT_VALUES, row, strict=True)) for row in values]
        event_ids = list(connection.execute(_INSERT_EVENTS_RETURNING_IDS, named).scalars().all())
        refresh_summaries(connection, lead_ids, calendars=self.calendars)
        return event_ids

    def append_first(self, events: Sequence[tuple[int, LeadEvent]]) -> None:
        """Append the first events of leads created in this transaction, with their summaries.

        Nothing else has been written about these leads, so their summaries are built from
        the events in hand instead of read back.
        """
        self.append_first_rows([event_row(lead_id, event) for lead_id, event in events])

    def append_first_unsummarised(self, events: Sequence[tuple[int, LeadEvent]]) -> None:
        """`append_first` without the summaries: `summarise_new` makes them after (settling)."""
        if events:
            rows = [event_row(lead_id, event) for lead_id, event in events]
            _INSERT_EVENTS.run(self.session.connection(), rows)

    def summarise_new(self, lead_ids: Sequence[int]) -> None:
        """The first summaries of these new leads, from their events as stored; a lead that
        has one already (a later write made it from all its events) keeps it."""
        if not lead_ids:
            return
        connection = self.session.connection()
        wanted = set(lead_ids)
        # The span of the leads' ids, not a list of them: PostgreSQL reads a range off the
        # index, where a list of hundreds of ids had it scan the whole table (a request's
        # new leads have neighbouring ids; others in between are left out here).
        span = {"first": min(wanted), "last": max(wanted)}
        wanted -= set(connection.execute(_SUMMARISED_BETWEEN, span).scalars())
        events_of: dict[int, list[tuple[int, tuple[Any, ...]]]] = defaultdict(list)
        for event_id, *values in connection.execute(_EVENTS_OF_LEADS_BETWEEN, span):
            if values[0] in wanted:
                events_of[values[0]].append((event_id, tuple(values)))
        insert_first_summaries(connection, events_of, calendars=self.calendars)

    def append_first_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """`append_first` of events given as rows (EVENT_ROW_COLUMNS order, lead row id first)."""
        if not rows:
            return
        connection = self.session.connection()
        ids_of: dict[int, list[int]] = defaultdict(list)
        if len(rows) <= RETURNING_AT_MOST and connection.dialect.name == "postgresql":
            # A few events (a single-lead request): one statement, one round trip to the
            # server (SQLite has none: see the leads' insert).
            named = [dict(zip(EVENT_VALUES, row, strict=True)) for row in rows]
            returned = connection.execute(_INSERT_EVENTS_RETURNING_IDS, named).scalars()
            for row, event_id in zip(rows, returned, strict=True):
                ids_of[row[0]].append(event_id)
        else:
            _INSERT_EVENTS.run(connection, rows)
            # Read back only the ids: each lead's rise in the order its events were given.
            lead_ids = {row[0] for row in rows}
            span = {"first": min(lead_ids), "last": max(lead_ids)}
            for lead_id, event_id in connection.execute(_EVENT_IDS_OF_LEADS_BETWEEN, span):
                if lead_id in lead_ids:
                    ids_of[lead_id].append(event_id)
        events_of: dict[int, list[tuple[int, tuple[Any, ...]]]] = defaultdict(list)
        for row in rows:
            lead_id = row[0]
            events_of[lead_id].append((ids_of[lead_id].pop(0), row))
        insert_first_summaries(connection, events_of, calendars=self.calendars)

    def append_first_shared(
        self, groups: Sequence[tuple[Sequence[int], Sequence[tuple[Any, ...]]]]
    ) -> None:
        """`append_first` of leads that share their first events, given together: (their row
        ids, the events' values in EVENT_ROW_COLUMNS order but the lead's id). Each event is
        stored for all the leads of its group by one statement, and so is their summary."""
        connection = self.session.connection()
        for lead_ids, events in groups:
            for event in events:  # in order: each lead's events rise as they are given
                _INSERT_SHARED_EVENTS.run(connection, lead_ids, event)
        insert_shared_first_summaries(connection, groups, calendars=self.calendars)

    def latest_touches(self, lead_ids: list[int]) -> dict[int, Touch]:
        """The campaign and source each lead came through last, of those with later touches."""
        rows = self.session.execute(
            select(EventRow.lead_id, EventRow.data)
            .where(EventRow.lead_id.in_(lead_ids), EventRow.kind == EventKind.CAMPAIGN_TOUCH)
            .order_by(EventRow.id)
        )
        return {lead_id: (data.get("campaign"), data.get("source")) for lead_id, data in rows}

    def round_events(self, lead_id: int, round_no: int) -> list[EventLine]:
        """The round's outcomes, returns and corrections, oldest first."""
        rows = self.session.scalars(
            select(EventRow)
            .where(
                EventRow.lead_id == lead_id,
                EventRow.handoff_round == round_no,
                EventRow.kind.in_(OUTCOME_KINDS),
            )
            .order_by(EventRow.id)
        ).all()
        return [event_line(row) for row in rows]


class SqlActivityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def known(self, lead_ids: list[int]) -> set[tuple[Any, ...]]:
        rows = self.session.execute(
            select(ActivityRow.lead_id, ActivityRow.type, ActivityRow.at, ActivityRow.detail).where(
                ActivityRow.lead_id.in_(lead_ids)
            )
        )
        return {tuple(row) for row in rows}

    def add(self, activity: Sequence[tuple[int, dict[str, Any]]], *, now: datetime) -> None:
        """Record activity items: (lead row id, {type, at, detail})."""
        if activity:
            values = [
                (lead_id, a["type"], a.get("at"), a.get("detail"), now) for lead_id, a in activity
            ]
            _INSERT_ACTIVITY.run(self.session.connection(), values)
