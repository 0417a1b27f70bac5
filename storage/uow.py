"""Repositories and the unit of work: the only place that speaks SQL for the services."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, Self

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.domain.lead import WORKING, Lead, LeadEvent, LeadStatus
from bot.domain.lead_summary import CalendarBook
from bot.domain.shortid import new_short_id
from bot.services.ports import StoredLead, Work
from storage.bulk import BulkInsert
from storage.db import Database
from storage.rows import (
    EVENT_VALUES,
    ActivityRow,
    BatchRow,
    EventRow,
    HandledRequestRow,
    HandoffRoundRow,
    LeadRow,
    OutboxRow,
)
from storage.summaries import insert_first_summaries, refresh_summaries

REMEMBER_REQUESTS = timedelta(days=1)
FACT_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "title",
    "phone",
    "country",
    "state",
    "postal_code",
    "campaign",
    "source",
    "score",
    "notes",
)
LIFECYCLE_FIELDS = (
    "status",
    "region",
    "handoff_round",
    "rep_id",
    "decided_by",
    "decided_at",
    "feedback_due_at",
    "next_step_at",
    "leaked_at",
)

# The lifecycle fields stored as they are: the status is stored as its value.
_PLAIN_LIFECYCLE_FIELDS = tuple(name for name in LIFECYCLE_FIELDS if name != "status")
_PLAIN_LIFECYCLE_OF = attrgetter(*_PLAIN_LIFECYCLE_FIELDS)


def lead_of(row: LeadRow) -> Lead:
    return Lead(
        short_id=row.short_id,
        status=LeadStatus(row.status),
        region=row.region,
        handoff_round=row.handoff_round,
        campaign=row.campaign,
        source=row.source,
        rep_id=row.rep_id,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        feedback_due_at=row.feedback_due_at,
        next_step_at=row.next_step_at,
        leaked_at=row.leaked_at,
    )


def stored_of(row: LeadRow) -> StoredLead:
    facts = {name: getattr(row, name) for name in FACT_FIELDS}
    facts["email"] = row.email
    facts["external_id"] = row.external_id
    return StoredLead(
        id=row.id,
        lead=lead_of(row),
        email=row.email,
        external_id=row.external_id,
        facts=facts,
        priority=row.priority,
    )


class SqlLeadRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[int, LeadRow] = {}

    def matching(self, *, external_ids: Iterable[str], emails: Iterable[str]) -> list[StoredLead]:
        external_ids, emails = list(external_ids), list(emails)
        if not external_ids and not emails:
            return []
        # Most leads are new: a plain look-up of ids first, and whole rows only for matches.
        # One query per unique index: an OR of two long lists can make PostgreSQL scan.
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            # psycopg prepares a statement it sees often, and PostgreSQL may then keep one
            # plan for it: made while the leads table was small, that plan scans it, and an
            # import into a growing table slows down quadratically. Intake's look-ups by lists
            # of keys are planned for the values at hand instead, for this transaction.
            connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        ids = set(connection.execute(_IDS_BY_EMAIL, {"values": emails}).scalars())
        if external_ids:
            found = connection.execute(_IDS_BY_EXTERNAL_ID, {"values": external_ids})
            ids.update(found.scalars())
        if not ids:
            return []
        rows = self.session.scalars(select(LeadRow).where(LeadRow.id.in_(ids))).all()
        return [self._keep(row) for row in rows]

    def by_short_id(self, short_id: str, *, for_update: bool = False) -> StoredLead | None:
        query = select(LeadRow).where(LeadRow.short_id == short_id)
        if for_update:
            # Two deciders at once: the second waits here and then sees the first's decision.
            query = query.with_for_update()
        row = self.session.scalars(query).first()
        return self._keep(row) if row else None

    def open_rep_at_company(self, company: str | None, *, exclude: int) -> str | None:
        if not company:
            return None
        query = (
            select(LeadRow.rep_id)
            .where(
                LeadRow.company == company,
                LeadRow.id != exclude,
                LeadRow.rep_id.is_not(None),
                LeadRow.status.in_([s.value for s in WORKING]),
            )
            .order_by(LeadRow.decided_at.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def open_lead_counts(self, reps: Sequence[str]) -> dict[str, int]:
        query = (
            select(LeadRow.rep_id, func.count())
            .where(LeadRow.rep_id.in_(reps), LeadRow.status.in_([s.value for s in WORKING]))
            .group_by(LeadRow.rep_id)
        )
        return {rep: count for rep, count in self.session.execute(query)}

    def add_all(
        self,
        new: Sequence[tuple[Lead, dict[str, Any], dict[str, str]]],
        *,
        now: datetime,
        batch_ids: Sequence[int | None] | None = None,
        draw: Callable[[], str] = new_short_id,
    ) -> list[StoredLead]:
        """Insert new leads in bulk and return them with their row ids, in order.

        A lead keeps the short id it brings unless that id is taken (or it brings none):
        then it gets one from `draw` that is not.
        """
        if not new:
            return []
        batches = batch_ids or [None] * len(new)
        rows = [
            _new_lead_row(lead, facts, reasons, now, batch)
            for (lead, facts, reasons), batch in zip(new, batches, strict=True)
        ]
        short_ids = [lead.short_id for lead, _, _ in new]
        connection = self.session.connection()
        id_of: dict[str, int] = {}
        waiting = list(range(len(new)))
        _draw_short_ids(short_ids, waiting, taken=(), draw=draw)
        while waiting:
            # A plain executemany, then the rows added since the highest id before it:
            # RETURNING from a multi-row insert costs PostgreSQL's driver more than the
            # insert itself, and a range of ids is cheaper to read than a list of keys.
            before = connection.execute(_HIGHEST_LEAD_ID).scalar() or 0
            _INSERT_NEW_LEADS.run(connection, [(short_ids[i], *rows[i]) for i in waiting])
            email_of = {short_ids[i]: rows[i][0] for i in waiting}
            found = connection.execute(_LEADS_AFTER, {"after": before})
            id_of |= {
                short_id: id for id, short_id, email in found if email_of.get(short_id) == email
            }
            # A short id someone else holds is skipped by the insert: draw again.
            waiting = [i for i in waiting if short_ids[i] not in id_of]
            for i in waiting:
                short_ids[i] = ""
            _draw_short_ids(short_ids, waiting, taken=id_of.keys(), draw=draw)
        return [
            StoredLead(
                id=id_of[short_id],
                lead=_with_short_id(lead, short_id),
                email=facts["email"],
                external_id=facts.get("external_id"),
                facts=facts,
            )
            for short_id, (lead, facts, _) in zip(short_ids, new, strict=True)
        ]

    def save(self, stored: StoredLead, *, now: datetime) -> None:
        row = self._rows[stored.id]
        if stored.lead.handoff_round != row.handoff_round:
            row.round_started_at = now
        _copy_lifecycle(stored.lead, row)
        row.priority = stored.priority
        row.updated_at = now

    def update_facts(self, stored: StoredLead, facts: dict[str, Any]) -> None:
        """Fill in what the new data adds; what it leaves empty keeps its stored value."""
        row = self._rows[stored.id]
        for name in FACT_FIELDS:
            value = facts.get(name)
            if value is not None:
                setattr(row, name, value)
                stored.facts[name] = value
        if facts.get("external_id") and not row.external_id:
            row.external_id = facts["external_id"]

    def mark_activity(self, stored: StoredLead, *, now: datetime) -> None:
        self._rows[stored.id].last_activity_at = now

    def set_reasons(self, stored: StoredLead, reasons: dict[str, str]) -> None:
        row = self._rows[stored.id]
        row.qualification_reason = reasons.get("qualification", row.qualification_reason)
        row.route_reason = reasons.get("route", row.route_reason)

    def _keep(self, row: LeadRow) -> StoredLead:
        self._rows[row.id] = row
        return stored_of(row)


def _new_lead_row(
    lead: Lead, facts: dict[str, Any], reasons: dict[str, str], now: datetime, batch_id: int | None
) -> tuple[Any, ...]:
    """A new lead's values in _NEW_LEAD_VALUES order, but for its short id."""
    return (
        facts["email"],
        facts.get("external_id"),
        *map(facts.get, FACT_FIELDS),
        lead.status.value,
        *_PLAIN_LIFECYCLE_OF(lead),
        now,
        now,
        0,
        reasons.get("qualification"),
        reasons.get("route"),
        now if lead.status is LeadStatus.PENDING else None,
        batch_id,
        None,
    )


def _copy_lifecycle(lead: Lead, row: LeadRow) -> None:
    for name in LIFECYCLE_FIELDS:
        value = getattr(lead, name)
        setattr(row, name, value.value if isinstance(value, LeadStatus) else value)


def _with_short_id(lead: Lead, short_id: str) -> Lead:
    return lead if lead.short_id == short_id else replace(lead, short_id=short_id)


def _draw_short_ids(
    short_ids: list[str], indexes: list[int], *, taken: Collection[str], draw: Callable[[], str]
) -> None:
    """Draw a short id at each of `indexes` that has none or one an earlier index has."""
    seen: set[str] = set()
    for i in indexes:
        short_id = short_ids[i]
        while not short_id or short_id in taken or short_id in seen:
            short_id = draw()
        seen.add(short_id)
        short_ids[i] = short_id


def _insert_or_skip(table: Any, conflict: str, columns: Sequence[str]) -> BulkInsert:
    """An insert that skips a row whose `conflict` column is already taken."""

    def statement(dialect: str) -> Any:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        return insert(table).on_conflict_do_nothing(index_elements=[conflict])

    return BulkInsert(statement, columns)


# A short id drawn twice is skipped rather than refused, so that it can be drawn again; a
# twin email or external id is still refused.
_NEW_LEAD_VALUES = (
    "short_id",
    "email",
    "external_id",
    *FACT_FIELDS,
    "status",
    *_PLAIN_LIFECYCLE_FIELDS,
    "created_at",
    "updated_at",
    "priority",
    "qualification_reason",
    "route_reason",
    "round_started_at",
    "batch_id",
    "last_activity_at",
)
_INSERT_NEW_LEADS = _insert_or_skip(LeadRow.__table__, "short_id", _NEW_LEAD_VALUES)
# Work whose key is already queued is left as it is.
_QUEUE = _insert_or_skip(
    OutboxRow.__table__,
    "key",
    (
        "key",
        "kind",
        "lead_id",
        "batch_id",
        "handoff_round",
        "payload",
        "state",
        "attempts",
        "available_at",
        "created_at",
    ),
)
_INSERT_EVENTS = BulkInsert(EventRow.__table__.insert(), EVENT_VALUES)
_INSERT_ACTIVITY = BulkInsert(
    ActivityRow.__table__.insert(), ("lead_id", "type", "at", "detail", "received_at")
)
_INSERT_ROUNDS = BulkInsert(
    HandoffRoundRow.__table__.insert(),
    ("lead_id", "round_no", "region", "batch_id", "started_at"),
)
_INSERT_EVENTS_RETURNING_IDS = EventRow.__table__.insert().returning(
    EventRow.id, sort_by_parameter_order=True
)
_EVENT_IDS_OF_LEADS_BETWEEN = (
    select(EventRow.lead_id, EventRow.id)
    .where(EventRow.lead_id.between(bindparam("first"), bindparam("last")))
    .order_by(EventRow.id)
)
_HIGHEST_LEAD_ID = select(func.max(LeadRow.id))
_LEADS_AFTER = select(LeadRow.id, LeadRow.short_id, LeadRow.email).where(
    LeadRow.id > bindparam("after")
)
_IDS_BY_EMAIL = select(LeadRow.id).where(LeadRow.email.in_(bindparam("values", expanding=True)))
_IDS_BY_EXTERNAL_ID = select(LeadRow.id).where(
    LeadRow.external_id.in_(bindparam("values", expanding=True))
)


class SqlUnitOfWork:
    """One write transaction: leads, events, rounds and the outbox commit together."""

    def __init__(self, database: Database, *, calendars: CalendarBook | None = None) -> None:
        self.database = database
        # The region calendars measure each lead's speed as its summary is refreshed; without
        # them the report measures it when it needs it.
        self.calendars = calendars

    def __enter__(self) -> Self:
        self.session = self.database.write_session()
        self.session.begin()
        self.leads = SqlLeadRepository(self.session)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.session.in_transaction():
                self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def first_handling(self, key: str, *, now: datetime) -> bool:
        """Remember a person's request in this transaction; False when it was handled before."""
        insert = pg_insert if self.database.is_postgres else sqlite_insert
        statement = (
            insert(HandledRequestRow)
            .values(key=key, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(HandledRequestRow.key)
        )
        first = self.session.execute(statement).first() is not None
        if first:
            # Slack re-delivers within seconds; a day of keys is plenty and keeps the table small.
            stale = HandledRequestRow.created_at < now - REMEMBER_REQUESTS
            self.session.execute(delete(HandledRequestRow).where(stale))
        return first

    def append_events(
        self, events: Sequence[tuple[int, LeadEvent]], *, ids: bool = True
    ) -> list[int]:
        """Append events (lead row id, event); return their ids in order when asked."""
        if not events:
            return []
        values = [_event_values(lead_id, event) for lead_id, event in events]
        connection = self.session.connection()
        if not ids:
            _INSERT_EVENTS.run(connection, values)
            refresh_summaries(
                connection, [lead_id for lead_id, _ in events], calendars=self.calendars
            )
            return []
        named = [dict(zip(EVENT_VALUES, row, strict=True)) for row in values]
        event_ids = list(connection.execute(_INSERT_EVENTS_RETURNING_IDS, named).scalars().all())
        refresh_summaries(connection, [lead_id for lead_id, _ in events], calendars=self.calendars)
        return event_ids

    def append_first_events(self, events: Sequence[tuple[int, LeadEvent]]) -> None:
        """Append the first events of leads created in this transaction, with their summaries.

        Nothing else has been written about these leads, so their summaries are built from
        the events in hand instead of read back.
        """
        if not events:
            return
        values = [_event_values(lead_id, event) for lead_id, event in events]
        connection = self.session.connection()
        _INSERT_EVENTS.run(connection, values)
        # Read back only the ids: each lead's rise in the order its events were given.
        lead_ids = {lead_id for lead_id, _ in events}
        ids_of: dict[int, list[int]] = defaultdict(list)
        span = {"first": min(lead_ids), "last": max(lead_ids)}
        for lead_id, event_id in connection.execute(_EVENT_IDS_OF_LEADS_BETWEEN, span):
            if lead_id in lead_ids:
                ids_of[lead_id].append(event_id)
        events_of: dict[int, list[tuple[int, tuple[Any, ...]]]] = defaultdict(list)
        for row in values:
            lead_id = row[0]
            events_of[lead_id].append((ids_of[lead_id].pop(0), row))
        insert_first_summaries(connection, events_of, calendars=self.calendars)

    def known_activity(self, lead_ids: list[int]) -> set[tuple[Any, ...]]:
        rows = self.session.execute(
            select(ActivityRow.lead_id, ActivityRow.type, ActivityRow.at, ActivityRow.detail).where(
                ActivityRow.lead_id.in_(lead_ids)
            )
        )
        return {tuple(row) for row in rows}

    def add_activities(
        self, activity: Sequence[tuple[int, dict[str, Any]]], *, now: datetime
    ) -> None:
        """Record activity items: (lead row id, {type, at, detail})."""
        if activity:
            values = [
                (lead_id, a["type"], a.get("at"), a.get("detail"), now) for lead_id, a in activity
            ]
            _INSERT_ACTIVITY.run(self.session.connection(), values)

    def start_round(
        self,
        lead_id: int,
        round_no: int,
        region: str | None,
        *,
        now: datetime,
        batch_id: int | None,
    ) -> None:
        self.start_rounds([(lead_id, round_no, region, batch_id)], now=now)

    def start_rounds(
        self, rounds: Sequence[tuple[int, int, str | None, int | None]], *, now: datetime
    ) -> None:
        """Record new handoff rounds: (lead row id, round number, region, batch id)."""
        if not rounds:
            return
        values = [(*round_, now) for round_ in rounds]
        _INSERT_ROUNDS.run(self.session.connection(), values)

    def add_batch(self, region: str | None, label: str, lead_count: int, *, now: datetime) -> int:
        row = BatchRow(region=region, label=label, lead_count=lead_count, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row.id

    def grow_batch(self, batch_id: int, more: int) -> int:
        """Count more leads into a batch; return its new size."""
        statement = (
            update(BatchRow)
            .where(BatchRow.id == batch_id)
            .values(lead_count=BatchRow.lead_count + more)
            .returning(BatchRow.lead_count)
        )
        return self.session.scalar(statement) or 0

    def queue(self, work: Sequence[Work], *, now: datetime) -> None:
        """Queue Slack work; work whose key is already queued is left as it is."""
        if not work:
            return
        values = [
            (
                item.key,
                item.kind.value,
                item.lead_id,
                item.batch_id,
                item.handoff_round,
                item.data,
                "pending",
                0,
                now,
                now,
            )
            for item in work
        ]
        _QUEUE.run(self.session.connection(), values)


def _event_values(lead_id: int, event: LeadEvent) -> tuple[Any, ...]:
    """An event's values in EVENT_VALUES order."""
    return (
        lead_id,
        event.at,
        event.kind.value,
        event.actor,
        event.handoff_round,
        event.region,
        event.campaign,
        event.source,
        event.status_before.value if event.status_before else None,
        event.status_after.value,
        event.reason_code,
        event.amount,
        event.notes,
        event.data,
    )
