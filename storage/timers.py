"""The timer passes' SQL: due leads by indexed range, fires recorded once, a lock per pass."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    func,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.domain.lead import CONTACTED, WORKING, Lead, LeadStatus
from bot.domain.timers import TimerKind
from bot.services.records import Fire, NewFire, Page, TimerLead
from storage.rows import JobRunRow, LeadRow, TimerFireRow

UNWORKED = tuple(s.value for s in WORKING - CONTACTED)

_LEAD_COLUMNS = (
    LeadRow.id,
    LeadRow.short_id,
    LeadRow.status,
    LeadRow.region,
    LeadRow.handoff_round,
    LeadRow.campaign,
    LeadRow.source,
    LeadRow.rep_id,
    LeadRow.decided_by,
    LeadRow.decided_at,
    LeadRow.feedback_due_at,
    LeadRow.next_step_at,
    LeadRow.leaked_at,
    LeadRow.round_started_at,
)


def _fired(kind: TimerKind, *also: ColumnElement[bool]) -> Any:
    """Whether `kind` fired in the lead's current round: a probe of the fires' unique key.

    OFFSET 0 keeps PostgreSQL from turning the probe into a join that hashes every fire of the
    kind: probed per lead in the range, the cost follows the leads due, not the table.
    """
    return (
        select(literal(1))
        .where(
            TimerFireRow.lead_id == LeadRow.id,
            TimerFireRow.kind == kind.value,
            TimerFireRow.handoff_round == LeadRow.handoff_round,
            *also,
        )
        .offset(literal_column("0"))
        .exists()
    )


def pass_lock_key(job: str) -> int:
    """A stable 63-bit advisory lock key per job, the same in every process."""
    return zlib.crc32(f"baton timer pass {job}".encode()) | (0x5A17 << 32)


class SqlPassRepository:
    """Where each pass has caught up to, and the lock that keeps it to one process at a time."""

    def __init__(self, session: Session, *, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres

    def lock(self, job: str) -> bool:
        if not self.postgres:
            # SQLite transactions here begin IMMEDIATE: passes already run one at a time.
            return True
        statement = select(func.pg_try_advisory_xact_lock(pass_lock_key(job)))
        return bool(self.session.scalar(statement))

    def caught_up_to(self, job: str) -> datetime | None:
        return self.session.scalar(select(JobRunRow.caught_up_to).where(JobRunRow.name == job))

    def catch_up(self, job: str, *, as_of: datetime) -> None:
        insert = pg_insert if self.postgres else sqlite_insert
        statement = insert(JobRunRow).values(
            name=job, started_at=as_of, as_of=as_of, runs=0, caught_up_to=as_of
        )
        statement = statement.on_conflict_do_update(
            index_elements=["name"], set_={"caught_up_to": as_of}
        )
        self.session.execute(statement)

    def fires_from(self, job: str) -> datetime | None:
        return self.session.scalar(select(JobRunRow.fires_from).where(JobRunRow.name == job))

    def start_from(self, job: str, *, at: datetime, now: datetime) -> None:
        insert = pg_insert if self.postgres else sqlite_insert
        statement = insert(JobRunRow).values(
            name=job, started_at=now, as_of=now, runs=0, fires_from=at
        )
        statement = statement.on_conflict_do_update(
            index_elements=["name"], set_={"fires_from": at}
        )
        self.session.execute(statement)


class SqlTimerRepository:
    """Leads as the timers see them, and each fire recorded once."""

    def __init__(self, session: Session, *, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres

    def pending_leads(
        self,
        *,
        started_after: datetime | None,
        started_by: datetime,
        escalate_started_by: datetime,
        page: Page,
    ) -> list[TimerLead]:
        reminded, escalated = _fired(TimerKind.HANDOFF_SLA), _fired(TimerKind.ESCALATION)
        column = LeadRow.round_started_at
        query = self._leads(reminded, escalated).where(
            LeadRow.status == LeadStatus.PENDING.value,
            column <= started_by,
            or_(~reminded, and_(~escalated, column <= escalate_started_by)),
        )
        if started_after is not None:
            query = query.where(column > started_after)
        kinds = (TimerKind.HANDOFF_SLA, TimerKind.ESCALATION)
        return self._timer_leads(_paged(query, column, page), kinds)

    def awaiting_feedback(
        self, *, due_after: datetime | None, due_by: datetime, overdue_by: datetime, page: Page
    ) -> list[TimerLead]:
        reminded, told = _fired(TimerKind.FEEDBACK_DUE), _fired(TimerKind.FEEDBACK_OVERDUE)
        column = LeadRow.feedback_due_at
        query = self._leads(reminded, told).where(
            LeadRow.status == LeadStatus.ACCEPTED.value,
            column <= due_by,
            or_(~reminded, and_(~told, column <= overdue_by)),
        )
        if due_after is not None:
            query = query.where(column > due_after)
        kinds = (TimerKind.FEEDBACK_DUE, TimerKind.FEEDBACK_OVERDUE)
        return self._timer_leads(_paged(query, column, page), kinds)

    def next_steps(
        self, *, due_after: datetime | None, due_by: datetime, page: Page
    ) -> list[TimerLead]:
        # A next step is reminded of at or after its date, so a fire due then or later covers it.
        reminded = _fired(TimerKind.NEXT_STEP, TimerFireRow.due_at >= LeadRow.next_step_at)
        column = LeadRow.next_step_at
        query = self._leads().where(
            LeadRow.status.in_([s.value for s in WORKING]), column <= due_by, ~reminded
        )
        if due_after is not None:
            query = query.where(column > due_after)
        return self._timer_leads(_paged(query, column, page), ())

    def unworked(
        self, *, decided_after: datetime | None, decided_by: datetime, page: Page
    ) -> list[TimerLead]:
        query = self._leads().where(
            LeadRow.status.in_(UNWORKED),
            LeadRow.decided_at <= decided_by,
            LeadRow.leaked_at.is_(None),
        )
        if decided_after is not None:
            query = query.where(LeadRow.decided_at > decided_after)
        if self.postgres:
            # A rep logging contact meanwhile waits, and the flag then sees their outcome.
            query = query.with_for_update(of=LeadRow)
        return self._timer_leads(_paged(query, LeadRow.decided_at, page), ())

    def snoozed_due(
        self, kinds: Sequence[TimerKind], *, after: datetime | None, by: datetime
    ) -> list[tuple[Fire, TimerLead]]:
        query = (
            select(TimerFireRow, *_LEAD_COLUMNS)
            .join(LeadRow, LeadRow.id == TimerFireRow.lead_id)
            .where(
                TimerFireRow.kind.in_([k.value for k in kinds]),
                TimerFireRow.snoozed_until <= by,
                TimerFireRow.refired_at.is_(None),
            )
            .order_by(TimerFireRow.id)
        )
        if after is not None:
            query = query.where(TimerFireRow.snoozed_until > after)
        return [(_fire(row[0]), _timer_lead(row[1:])) for row in self.session.execute(query)]

    def record_fires(self, fires: Sequence[NewFire], *, now: datetime) -> dict[NewFire, int]:
        if not fires:
            return {}
        values = [
            {
                "lead_id": f.lead_id,
                "kind": f.kind.value,
                "handoff_round": f.handoff_round,
                "due_at": f.due_at,
                "fired_at": now,
            }
            for f in fires
        ]
        insert = pg_insert if self.postgres else sqlite_insert
        statement = (
            insert(TimerFireRow)
            .on_conflict_do_nothing(index_elements=["lead_id", "kind", "handoff_round", "due_at"])
            .returning(
                TimerFireRow.id,
                TimerFireRow.lead_id,
                TimerFireRow.kind,
                TimerFireRow.handoff_round,
            )
        )
        # A fire already recorded (by an earlier or a concurrent pass) returns no row.
        rows = self.session.connection().execute(statement, values).all()
        wanted = {(f.lead_id, f.kind.value, f.handoff_round): f for f in fires}
        return {
            wanted[(lead_id, kind, round_no)]: fire_id for fire_id, lead_id, kind, round_no in rows
        }

    def refire(self, fire_id: int, *, now: datetime) -> bool:
        statement = (
            update(TimerFireRow)
            .where(TimerFireRow.id == fire_id, TimerFireRow.refired_at.is_(None))
            .values(refired_at=now)
        )
        return self.session.connection().execute(statement).rowcount == 1

    def fire(self, fire_id: int) -> tuple[Fire, TimerLead] | None:
        row = self.session.execute(
            select(TimerFireRow, *_LEAD_COLUMNS)
            .join(LeadRow, LeadRow.id == TimerFireRow.lead_id)
            .where(TimerFireRow.id == fire_id)
        ).first()
        return (_fire(row[0]), _timer_lead(row[1:])) if row else None

    def snooze(self, fire_id: int, *, until: datetime, by: str, reason: str) -> bool:
        statement = (
            update(TimerFireRow)
            .where(
                TimerFireRow.id == fire_id,
                TimerFireRow.snoozed_until.is_(None),
                TimerFireRow.refired_at.is_(None),
            )
            .values(snoozed_until=until, snoozed_by=by, snooze_reason=reason)
        )
        return self.session.connection().execute(statement).rowcount == 1

    def _leads(self, *flags: Any) -> Any:
        return select(*_LEAD_COLUMNS, *(flag.label(f"fired_{i}") for i, flag in enumerate(flags)))

    def _timer_leads(self, query: Any, kinds: Sequence[TimerKind]) -> list[TimerLead]:
        return [_timer_lead(row, kinds) for row in self.session.execute(query)]


def _paged(query: Any, column: Any, page: Page) -> Any:
    """The page's leads of `query`, by `column` then id, read along the column's index."""
    if page.after is not None:
        value, lead_id = page.after
        # `column >= value` on its own bounds the index range; the rest skips the page before.
        query = query.where(
            column >= value, or_(column > value, and_(column == value, LeadRow.id > lead_id))
        )
    return query.order_by(column, LeadRow.id).limit(page.size)


def _timer_lead(row: Sequence[Any], kinds: Sequence[TimerKind] = ()) -> TimerLead:
    (
        lead_id,
        short_id,
        status,
        region,
        handoff_round,
        campaign,
        source,
        rep_id,
        decided_by,
        decided_at,
        feedback_due_at,
        next_step_at,
        leaked_at,
        round_started_at,
        *flags,
    ) = row
    lead = Lead(
        short_id=short_id,
        status=LeadStatus(status),
        region=region,
        handoff_round=handoff_round,
        campaign=campaign,
        source=source,
        rep_id=rep_id,
        decided_by=decided_by,
        decided_at=decided_at,
        feedback_due_at=feedback_due_at,
        next_step_at=next_step_at,
        leaked_at=leaked_at,
    )
    fired = frozenset(kind for kind, flag in zip(kinds, flags, strict=False) if flag)
    return TimerLead(lead_id, lead, round_started_at, fired)


def _fire(row: TimerFireRow) -> Fire:
    return Fire(
        id=row.id,
        lead_id=row.lead_id,
        kind=TimerKind(row.kind),
        handoff_round=row.handoff_round,
        due_at=row.due_at,
        fired_at=row.fired_at,
        snoozed_until=row.snoozed_until,
        snoozed_by=row.snoozed_by,
        snooze_reason=row.snooze_reason,
        refired_at=row.refired_at,
    )
