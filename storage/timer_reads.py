"""What the timer messages show, read when they are delivered: fired timers with their leads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage.db import Database
from storage.rows import LeadRow, OutboxRow, TimerFireRow


@dataclass(frozen=True)
class FireLine:
    """A fired timer and its lead, as they stand now."""

    fire_id: int
    kind: str
    handoff_round: int
    due_at: datetime
    snoozed_until: datetime | None
    snoozed_by: str | None
    snooze_reason: str | None
    lead_id: int
    short_id: str
    first_name: str | None
    last_name: str | None
    company: str | None
    email: str
    status: str
    region: str | None
    lead_round: int
    rep_id: str | None
    decided_by: str | None
    decided_at: datetime | None
    feedback_due_at: datetime | None
    next_step_at: datetime | None
    round_started_at: datetime | None
    source: str | None


def fire_lines(database: Database, fire_ids: Sequence[int]) -> dict[int, FireLine]:
    """The fired timers `fire_ids` with their leads, by fire id."""
    if not fire_ids:
        return {}
    query = (
        select(
            TimerFireRow.id,
            TimerFireRow.kind,
            TimerFireRow.handoff_round,
            TimerFireRow.due_at,
            TimerFireRow.snoozed_until,
            TimerFireRow.snoozed_by,
            TimerFireRow.snooze_reason,
            LeadRow.id,
            LeadRow.short_id,
            LeadRow.first_name,
            LeadRow.last_name,
            LeadRow.company,
            LeadRow.email,
            LeadRow.status,
            LeadRow.region,
            LeadRow.handoff_round,
            LeadRow.rep_id,
            LeadRow.decided_by,
            LeadRow.decided_at,
            LeadRow.feedback_due_at,
            LeadRow.next_step_at,
            LeadRow.round_started_at,
            LeadRow.source,
        )
        .join(LeadRow, LeadRow.id == TimerFireRow.lead_id)
        .where(TimerFireRow.id.in_(list(fire_ids)))
    )
    with database.reading() as session:
        return {row[0]: FireLine(*row) for row in session.execute(query)}


@dataclass(frozen=True)
class PostedTask:
    delivered: bool
    channel: str | None
    ts: str | None


def leakage_task(database: Database, lead_id: int, round_no: int) -> PostedTask | None:
    """The leakage task posted to marketing about a lead's round, if there is one."""
    query = (
        select(OutboxRow.state, OutboxRow.result_channel, OutboxRow.result_ts)
        .where(
            OutboxRow.lead_id == lead_id,
            OutboxRow.handoff_round == round_no,
            OutboxRow.kind == "timer_leak_task",
        )
        .order_by(OutboxRow.id.desc())
        .limit(1)
    )
    with database.reading() as session:
        row = session.execute(query).first()
    if row is None:
        return None
    state, channel, ts = row
    return PostedTask(state == "sent" and ts is not None, channel, ts)
