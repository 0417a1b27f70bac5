"""The leads repository: new leads in bulk, look-ups by key, and a lead's lifecycle saved."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    UniqueConstraint,
    any_,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.facts import FACT_FIELDS
from bot.domain.lead import WORKING, Lead, LeadEvent, LeadStatus
from bot.domain.lead_summary import CalendarBook
from bot.domain.shortid import draw_short_ids, new_short_id
from bot.services.lead_rows import LEAD_ROW_COLUMNS, LIFECYCLE_FIELDS, event_row, new_lead_row
from bot.services.records import NewLead, StoredLead
from storage.bulk import BulkInsert, insert_or_skip
from storage.driver import array_text, rows_unprepared
from storage.rows import LeadRow
from storage.summaries import first_summary_rows
from storage.whole_leads import LIVE_NUMBER_READ, WholeNewLeads


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
        definition_version=row.definition_version,
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
    def __init__(self, session: Session, *, postgres: bool, calendars: CalendarBook | None) -> None:
        self.session = session
        self.calendars = calendars
        # On PostgreSQL a few new leads are written whole (see storage/whole_leads.py).
        self.whole_at_most = RETURNING_AT_MOST if postgres else 0
        self._rows: dict[int, LeadRow] = {}

    def matching(self, *, external_ids: Iterable[str], emails: Iterable[str]) -> list[StoredLead]:
        external_ids, emails = list(external_ids), list(emails)
        if not external_ids and not emails:
            return []
        # Most leads are new: a plain look-up of ids first, and whole rows only for matches.
        # One query per unique index: an OR of two long lists can make PostgreSQL scan.
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            if len(emails) + len(external_ids) > FEW_KEYS:
                keys = (array_text(emails), array_text(external_ids))
                ids = {id for (id,) in rows_unprepared(connection, _IDS_BY_MANY_KEYS, keys)}
            else:
                # The keys as one array rather than a parameter each; a few keys are found
                # by their unique indexes in any plan PostgreSQL may keep.
                ids = set(connection.execute(_IDS_BY_EMAIL_IN_ARRAY, {"values": emails}).scalars())
                if external_ids:
                    found = connection.execute(
                        _IDS_BY_EXTERNAL_ID_IN_ARRAY, {"values": external_ids}
                    )
                    ids.update(found.scalars())
        else:
            ids = _ids_listed(connection, "email", emails)
            ids |= _ids_listed(connection, "external_id", external_ids)
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
        return {rep: count for rep, count in self.session.execute(query) if rep is not None}

    def add_all(
        self,
        new: Sequence[NewLead],
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
            new_lead_row(lead, facts, reasons, now, batch)
            for (lead, facts, reasons), batch in zip(new, batches, strict=True)
        ]
        short_ids = [lead.short_id for lead, _, _ in new]
        return _stored(new, short_ids, self.add_rows(rows, short_ids, draw=draw))

    def add_whole(
        self,
        new: Sequence[NewLead],
        first_events: Sequence[Sequence[LeadEvent]],
        *,
        now: datetime,
        batch_ids: Sequence[int | None] | None = None,
        unless_stored: bool = False,
        draw: Callable[[], str] = new_short_id,
    ) -> list[StoredLead] | None:
        """`add_all` of at most `whole_at_most` leads, each with its first events and summary,
        and each pending one with its handoff round and handoff as its row says (as
        `start_of_leads` and `queue_handoffs` make them): one statement. `unless_stored`:
        None, and nothing written, when one's email or external id is stored already."""
        if len(new) > self.whole_at_most:
            raise ValueError(f"{self.whole_at_most} new leads at most are written whole")
        batches = batch_ids or [None] * len(new)
        rows = [
            new_lead_row(lead, facts, reasons, now, batch)
            for (lead, facts, reasons), batch in zip(new, batches, strict=True)
        ]
        events = [[event_row(0, event)[1:] for event in each] for each in first_events]
        of_lead = {i: [(0, event_row(i, e)) for e in each] for i, each in enumerate(first_events)}
        readings = [row[1:-1] for row in first_summary_rows(of_lead, calendars=self.calendars)]
        short_ids = [lead.short_id for lead, _, _ in new]
        connection = self.session.connection()
        id_of: dict[str, int] = {}
        waiting = list(range(len(new)))
        while waiting:  # a short id taken (or none): drawn again, and the lead written again
            draw_short_ids(short_ids, waiting, taken=id_of.keys(), draw=draw)
            written = _WHOLE.run(
                connection,
                [(short_ids[i], *rows[i]) for i in waiting],
                [events[i] for i in waiting],
                [readings[i] for i in waiting],
                now=now,
                unless_stored=unless_stored,
            )
            self.session.info[LIVE_NUMBER_READ] = written.live_number
            if written.stored_already:
                return None
            id_of |= written.ids
            waiting = [i for i in waiting if short_ids[i] not in id_of]
            for i in waiting:
                short_ids[i] = ""
        return _stored(new, short_ids, [id_of[short_id] for short_id in short_ids])

    def add_rows(
        self,
        rows: Sequence[tuple[Any, ...]],
        short_ids: list[str],
        *,
        draw: Callable[[], str] = new_short_id,
    ) -> list[int]:
        """Insert new leads given as rows (LEAD_ROW_COLUMNS order) with their short ids, and
        return their row ids, in order.

        A short id that is taken (or empty) is drawn again from `draw`, in `short_ids`.
        """
        if not rows:
            return []
        id_of = self._insert(rows, short_ids, draw)
        return [id_of[short_id] for short_id in short_ids]

    def _insert(
        self, rows: Sequence[tuple[Any, ...]], short_ids: list[str], draw: Callable[[], str]
    ) -> dict[str, int]:
        """Insert the rows, drawing short ids again for those taken; their ids by short id."""
        connection = self.session.connection()
        id_of: dict[str, int] = {}
        waiting = list(range(len(rows)))
        draw_short_ids(short_ids, waiting, taken=(), draw=draw)
        while waiting:
            batch = [(short_ids[i], *rows[i]) for i in waiting]
            if len(batch) <= RETURNING_AT_MOST and connection.dialect.name == "postgresql":
                # A few leads (a single-lead request): one statement, one round trip to the
                # server. (SQLite has no round trips; and a write it refuses with RETURNING,
                # a full disk, would keep its file locked after the connection is dropped.)
                named = [dict(zip(_NEW_LEAD_VALUES, row, strict=True)) for row in batch]
                inserted = connection.execute(_INSERT_NEW_LEADS_RETURNING, named)
                id_of |= {short_id: id for id, short_id in inserted}
            elif _INSERT_NEW_LEADS.copies(connection, batch):
                added = _copied_straight(connection, rows, short_ids, waiting, draw)
                if added is None:  # a short id taken meanwhile: the insert skips it
                    batch = [(short_ids[i], *rows[i]) for i in waiting]
                    added = _INSERT_NEW_LEADS.added(connection, batch, returning=("id", "short_id"))
                id_of |= {short_id: id for id, short_id in added}
            else:
                # A plain executemany, then the rows added since the highest id before it:
                # RETURNING from an executemany costs PostgreSQL's driver more than the
                # insert itself, and a range of ids is cheaper to read than a list of keys.
                before = connection.execute(_HIGHEST_LEAD_ID).scalar() or 0
                count = _INSERT_NEW_LEADS.run(connection, batch)
                if count == len(batch) and connection.dialect.name == "sqlite":
                    # None skipped: SQLite gave each the highest row id plus one (no
                    # AUTOINCREMENT), in order, and its write lock kept anyone else out.
                    first = before + 1
                    id_of |= {row[0]: first + at for at, row in enumerate(batch)}
                    break
                email_of = {short_ids[i]: rows[i][0] for i in waiting}
                found = connection.execute(_LEADS_AFTER, {"after": before})
                id_of |= {
                    short_id: id for id, short_id, email in found if email_of.get(short_id) == email
                }
            # A short id someone else holds is skipped by the insert: draw again.
            waiting = [i for i in waiting if short_ids[i] not in id_of]
            for i in waiting:
                short_ids[i] = ""
            draw_short_ids(short_ids, waiting, taken=id_of.keys(), draw=draw)
        return id_of

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

    def mark_leaked(self, lead_ids: Sequence[int], *, at: datetime) -> None:
        for start in range(0, len(lead_ids), 1000):
            chunk = lead_ids[start : start + 1000]
            self.session.execute(
                update(LeadRow).where(LeadRow.id.in_(chunk)).values(leaked_at=at, updated_at=at)
            )

    def _keep(self, row: LeadRow) -> StoredLead:
        self._rows[row.id] = row
        return stored_of(row)


def _ids_listed(connection: Connection, column: str, values: list[str]) -> set[int]:
    """The row ids of the leads whose `column` (email or external_id) is one of `values`, on
    SQLite: a statement of plain text with a mark per value, as SQLAlchemy renders an
    expanding list of a thousand parameters anew for every query, at more cost than the
    look-up itself."""
    if not values:
        return set()
    marks = ", ".join("?" * len(values))
    sql = f"SELECT id FROM leads WHERE {column} IN ({marks})"
    return {id for (id,) in connection.exec_driver_sql(sql, tuple(values))}


def _copied_straight(
    connection: Connection,
    rows: Sequence[tuple[Any, ...]],
    short_ids: list[str],
    waiting: list[int],
    draw: Callable[[], str],
) -> list[tuple[int, str]] | None:
    """Copy the waiting leads straight into their table, with ids drawn from its sequence
    beforehand, in order, and any short id already stored drawn again (in `short_ids`);
    their ids and short ids. None, and nothing written, if a short id is taken meanwhile.

    A copy into a staging table and an insert that moves its rows in, skipping the short
    ids taken and returning the ids, cost the server some 5 ms more a thousand leads.
    """
    keys = array_text(short_ids[i] for i in waiting)
    found = rows_unprepared(connection, _NEW_IDS_AND_TAKEN, (keys,))
    ids = [id for id, _ in found]
    again = [i for i, (_, taken) in zip(waiting, found, strict=True) if taken]
    while again:  # random short ids: a few of a thousand taken once 100,000 are stored
        held = {short_ids[i] for i in waiting}
        for i in again:
            short_ids[i] = ""
        draw_short_ids(short_ids, again, taken=held, draw=draw)
        keys = array_text(short_ids[i] for i in again)
        found = rows_unprepared(connection, _TAKEN, (keys,))
        again = [i for i, (taken,) in zip(again, found, strict=True) if taken]
    batch = [(id, short_ids[i], *rows[i]) for id, i in zip(ids, waiting, strict=True)]
    try:
        with connection.begin_nested():  # a short id taken costs the copy only
            _COPY_NEW_LEADS.run(connection, batch)
    except IntegrityError as error:
        refused = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
        if refused != _SHORT_ID_KEY:
            raise  # a twin of a stored lead: the caller's transaction is refused
        return None
    return [(id, short_id) for id, short_id, *_ in batch]


def _copy_lifecycle(lead: Lead, row: LeadRow) -> None:
    for name in LIFECYCLE_FIELDS:
        value = getattr(lead, name)
        setattr(row, name, value.value if isinstance(value, LeadStatus) else value)


def _stored(
    new: Sequence[NewLead], short_ids: Sequence[str], ids: Sequence[int]
) -> list[StoredLead]:
    return [
        StoredLead(
            id=id,
            lead=_with_short_id(lead, short_id),
            email=facts["email"],
            external_id=facts.get("external_id"),
            facts=facts,
        )
        for id, short_id, (lead, facts, _) in zip(ids, short_ids, new, strict=True)
    ]


def _with_short_id(lead: Lead, short_id: str) -> Lead:
    return lead if lead.short_id == short_id else replace(lead, short_id=short_id)


# A short id drawn twice is skipped rather than refused, so that it can be drawn again; a
# twin email or external id is still refused.
_NEW_LEAD_VALUES = ("short_id", *LEAD_ROW_COLUMNS)
_INSERT_NEW_LEADS = insert_or_skip(LeadRow, "short_id", _NEW_LEAD_VALUES)
_HIGHEST_LEAD_ID = select(func.max(LeadRow.id))
_COPY_NEW_LEADS = BulkInsert(insert(LeadRow), ("id", *_NEW_LEAD_VALUES))
# For each short id given, in order: an id for its lead, and whether the short id is taken,
# found by a probe of its unique index (see _IDS_BY_MANY_KEYS; as an EXISTS, PostgreSQL
# hashed the whole table: 7 ms a chunk at 20,000 leads, 31 ms at 100,000). Written as a
# WITH: drawing ids is a write, and a fault in it is told as a write's.
_NEW_IDS_AND_TAKEN = (
    "WITH keys AS (SELECT * FROM unnest(CAST(%s AS varchar[])) WITH ORDINALITY AS k(short_id, n)) "
    "SELECT nextval(pg_get_serial_sequence('leads', 'id')), taken.id IS NOT NULL FROM keys "
    "LEFT JOIN LATERAL (SELECT id FROM leads WHERE short_id = keys.short_id OFFSET 0) AS taken "
    "ON true ORDER BY keys.n"
)
_TAKEN = (
    "SELECT taken.id IS NOT NULL "
    "FROM unnest(CAST(%s AS varchar[])) WITH ORDINALITY AS keys(short_id, n) "
    "LEFT JOIN LATERAL (SELECT id FROM leads WHERE short_id = keys.short_id OFFSET 0) AS taken "
    "ON true ORDER BY keys.n"
)
_SHORT_ID_KEY = next(
    constraint.name
    for constraint in LeadRow.__table__.constraints  # type: ignore[attr-defined]
    if isinstance(constraint, UniqueConstraint) and list(constraint.columns.keys()) == ["short_id"]
)
# Up to this many keys are looked up on PostgreSQL with whatever plan it keeps.
FEW_KEYS = 10
# More keys (an import's chunk): both look-ups in one statement, each key found by a probe
# of its unique index. The statement is planned anew for the values at hand every time
# (rows_unprepared): a plan PostgreSQL kept from while the leads table was small would scan
# it, and an import into a growing table would slow down quadratically. OFFSET 0 keeps
# each probe a subquery of its own: PostgreSQL prices a thousand probes above one scan of
# a table of fewer than some 150,000 leads (or one it has not analysed yet, whose size it
# underestimates), and the scan took 6 ms at 20,000 leads, 17 ms at 100,000; the probes
# take 1 ms at any size.
_IDS_BY_MANY_KEYS = (
    "SELECT found.id FROM unnest(CAST(%s AS varchar[])) AS keys(key) "
    "CROSS JOIN LATERAL (SELECT id FROM leads WHERE email = keys.key OFFSET 0) AS found "
    "UNION ALL "
    "SELECT found.id FROM unnest(CAST(%s AS varchar[])) AS keys(key) "
    "CROSS JOIN LATERAL (SELECT id FROM leads WHERE external_id = keys.key OFFSET 0) AS found"
)
# Up to this many new leads are inserted into PostgreSQL returning their ids; more, as a
# plain executemany.
RETURNING_AT_MOST = 10
_WHOLE = WholeNewLeads()
_INSERT_NEW_LEADS_RETURNING = (
    pg_insert(LeadRow)
    .on_conflict_do_nothing(index_elements=["short_id"])
    .returning(LeadRow.id, LeadRow.short_id)
)
_LEADS_AFTER = select(LeadRow.id, LeadRow.short_id, LeadRow.email).where(
    LeadRow.id > bindparam("after")
)
_KEYS = bindparam("values", type_=ARRAY(String))
_IDS_BY_EMAIL_IN_ARRAY = select(LeadRow.id).where(LeadRow.email == any_(_KEYS))
_IDS_BY_EXTERNAL_ID_IN_ARRAY = select(LeadRow.id).where(LeadRow.external_id == any_(_KEYS))
