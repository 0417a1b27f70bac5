"""Leads, events, batches and fired timers as plain snapshots, for Slack messages and modals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from bot.domain.snapshots import (
    Activity,
    Batch,
    EventLine,
    FireLine,
    HandoffRound,
    LeadFacts,
    LeadSnapshot,
    Posted,
    Story,
    full_name,
)
from bot.domain.timers import TimerKind
from bot.services.records import WorkKind
from storage.db import Database
from storage.leads import lead_of
from storage.reads import event_line
from storage.rows import (
    ActivityRow,
    BatchRow,
    EventRow,
    HandoffRoundRow,
    LeadRow,
    OutboxRow,
    TimerFireRow,
)

DECISIONS = ("accepted", "returned", "rerouted", "correction")
ACTIVITY_SHOWN = 5

# Columns rather than rows: they are read for every message delivered.
_FIRE_LINES = (
    select(
        TimerFireRow.id.label("fire_id"),
        TimerFireRow.kind,
        TimerFireRow.handoff_round,
        TimerFireRow.due_at,
        TimerFireRow.snoozed_until,
        TimerFireRow.snooze_reason,
        LeadRow.short_id,
        LeadRow.first_name,
        LeadRow.last_name,
        LeadRow.company,
        LeadRow.email,
        LeadRow.region,
        LeadRow.handoff_round.label("lead_round"),
        LeadRow.round_started_at,
        LeadRow.rep_id,
        LeadRow.feedback_due_at,
        LeadRow.next_step_at,
        HandoffRoundRow.permalink,
    )
    .join(LeadRow, LeadRow.id == TimerFireRow.lead_id)
    .outerjoin(
        HandoffRoundRow,
        (HandoffRoundRow.lead_id == TimerFireRow.lead_id)
        & (HandoffRoundRow.round_no == TimerFireRow.handoff_round),
    )
)

_ROUND = select(
    HandoffRoundRow.batch_id,
    HandoffRoundRow.round_no,
    HandoffRoundRow.region,
    HandoffRoundRow.channel,
    HandoffRoundRow.message_ts,
    HandoffRoundRow.permalink,
).where(
    HandoffRoundRow.lead_id == bindparam("lead_id"),
    HandoffRoundRow.round_no == bindparam("round_no"),
)
_ACTIVITY = (
    select(ActivityRow.type, ActivityRow.at, ActivityRow.detail)
    .where(ActivityRow.lead_id == bindparam("lead_id"))
    .order_by(ActivityRow.id.desc())
    .limit(ACTIVITY_SHOWN)
)


class SqlSnapshotReader:
    """Reads what Slack messages and modals show, as snapshots; never inside a write."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def snapshot(self, lead_id: int, round_no: int | None = None) -> LeadSnapshot | None:
        with self.database.reading() as session:
            row = session.get(LeadRow, lead_id)
            if row is None:
                return None
            number = round_no or row.handoff_round
            handoff = session.execute(_ROUND, {"lead_id": lead_id, "round_no": number}).first()
            activity = session.execute(_ACTIVITY, {"lead_id": lead_id}).all()
            batch_id = handoff.batch_id if handoff else None
            batch = session.get(BatchRow, batch_id) if batch_id else None
            return LeadSnapshot(
                id=row.id,
                lead=lead_of(row),
                facts=_facts(row),
                round=_round(handoff) if handoff else None,
                decision=_decision(session, lead_id, number),
                activity=tuple(Activity(*a) for a in activity),
                batch=_batch(batch) if batch else None,
                story=_story(session, lead_id, number) if number > 1 else None,
            )

    def event(self, event_id: int) -> EventLine | None:
        with self.database.reading() as session:
            row = session.get(EventRow, event_id)
            return event_line(row) if row else None

    def batch(self, batch_id: int) -> Batch | None:
        with self.database.reading() as session:
            row = session.get(BatchRow, batch_id)
            if row is None:
                return None
            ids = session.scalars(
                select(LeadRow.short_id).where(LeadRow.batch_id == batch_id).order_by(LeadRow.id)
            )
            return _batch(row, tuple(ids))

    def fire_lines(self, fire_ids: Sequence[int]) -> dict[int, FireLine]:
        if not fire_ids:
            return {}
        query = _FIRE_LINES.where(TimerFireRow.id.in_(list(fire_ids)))
        with self.database.reading() as session:
            rows = session.execute(query).all()
        return {row.fire_id: _fire_line(row) for row in rows}

    def posted_work(self, lead_id: int, round_no: int, kind: WorkKind) -> Posted | None:
        query = (
            select(OutboxRow.state, OutboxRow.result_channel, OutboxRow.result_ts)
            .where(
                OutboxRow.lead_id == lead_id,
                OutboxRow.handoff_round == round_no,
                OutboxRow.kind == kind.value,
            )
            .order_by(OutboxRow.id.desc())
            .limit(1)
        )
        with self.database.reading() as session:
            row = session.execute(query).first()
        return _posted(*row) if row else None

    def delivered(self, key: str) -> Posted | None:
        query = select(OutboxRow.state, OutboxRow.result_channel, OutboxRow.result_ts).where(
            OutboxRow.key == key
        )
        with self.database.reading() as session:
            row = session.execute(query).first()
        return _posted(*row) if row else None


def _decision(session: Session, lead_id: int, round_no: int) -> EventLine | None:
    """The round's decision; a rep's return withdrawn by `/lead undo` no longer counts."""
    decisions = session.scalars(
        select(EventRow)
        .where(
            EventRow.lead_id == lead_id,
            EventRow.handoff_round == round_no,
            EventRow.kind.in_(DECISIONS),
        )
        .order_by(EventRow.id.desc())
    ).all()
    withdrawn = {(e.data or {}).get("corrects_event_id") for e in decisions}
    for row in decisions:
        if row.kind != "correction" and row.id not in withdrawn:
            return event_line(row)
    return None


def _story(session: Session, lead_id: int, round_no: int) -> Story | None:
    """How the lead's last earlier round ended (returned, or lost), and what started this one."""
    ended = session.scalars(
        select(EventRow)
        .where(
            EventRow.lead_id == lead_id,
            EventRow.handoff_round < round_no,
            (EventRow.kind == "returned")
            | ((EventRow.kind == "outcome") & (EventRow.reason_code == "lost")),
        )
        .order_by(EventRow.id.desc())
        .limit(1)
    ).first()
    if ended is None:
        return None
    back = session.scalars(
        select(EventRow)
        .where(
            EventRow.lead_id == lead_id,
            EventRow.handoff_round == round_no,
            EventRow.kind.in_(("qualified", "handoff_started")),
        )
        .order_by(EventRow.id)
        .limit(1)
    ).first()
    return Story(event_line(ended), event_line(back) if back else None)


def _facts(row: LeadRow) -> LeadFacts:
    return LeadFacts(
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        title=row.title,
        company=row.company,
        phone=row.phone,
        country=row.country,
        state=row.state,
        score=row.score,
        notes=row.notes,
        qualification_reason=row.qualification_reason,
        route_reason=row.route_reason,
    )


def _round(row: Row[*tuple[Any, ...]]) -> HandoffRound:
    posted = Posted(row.channel, row.message_ts) if row.channel and row.message_ts else None
    return HandoffRound(row.round_no, row.region, posted, row.permalink)


def _batch(row: BatchRow, short_ids: tuple[str, ...] = ()) -> Batch:
    posted = Posted(row.channel, row.message_ts) if row.channel and row.message_ts else None
    return Batch(row.id, row.region, row.label, row.lead_count, posted, short_ids)


def _posted(state: str, channel: str | None, ts: str | None) -> Posted | None:
    return Posted(channel, ts) if state == "sent" and channel and ts else None


def _fire_line(row: Row[*tuple[Any, ...]]) -> FireLine:
    return FireLine(
        fire_id=row.fire_id,
        kind=TimerKind(row.kind),
        handoff_round=row.handoff_round,
        due_at=row.due_at,
        snoozed_until=row.snoozed_until,
        snooze_reason=row.snooze_reason,
        short_id=row.short_id,
        name=full_name(row.first_name, row.last_name),
        company=row.company,
        email=row.email,
        region=row.region,
        lead_round=row.lead_round,
        round_started_at=row.round_started_at,
        rep_id=row.rep_id,
        feedback_due_at=row.feedback_due_at,
        next_step_at=row.next_step_at,
        permalink=row.permalink,
    )
