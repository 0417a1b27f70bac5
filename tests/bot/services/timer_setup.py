"""What the timer tests share: a config with regions on both sides of the date line, pass runners."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.app import Baton
from bot.clock import FixedClock
from bot.services import timers
from bot.services.timers import Job, PassResult
from config.model import BatonConfig, load_config
from storage.rows import EventRow, LeadRow, OutboxRow, TimerFireRow
from tests.conftest import EXAMPLE_CONFIG

NZ_MANAGER, HAWAII_MANAGER = "U0NZMGR001", "U0HIMGR001"


def timers_config() -> BatonConfig:
    """The example config plus two regions either side of the date line."""
    data: dict[str, Any] = load_config(EXAMPLE_CONFIG).model_dump(mode="json")
    data["regions"] += [
        {
            "name": "nz",
            "manager": NZ_MANAGER,
            "backup": "U0NZBK0001",
            "reps": ["U0NZREP001"],
            "channel": "C0NZ000001",
            "timezone": "Pacific/Auckland",
            "match": {"countries": ["NZ"]},
        },
        {
            "name": "hawaii",
            "manager": HAWAII_MANAGER,
            "reps": ["U0HIREP001"],
            "timezone": "Pacific/Honolulu",
            "match": {"states": ["HI"], "countries": ["US"]},
        },
    ]
    return BatonConfig.model_validate(data)


def at(text: str) -> datetime:
    """An instant written in ISO-8601 with its offset."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


def run(baton: Baton, job: Job, now: datetime, *, advance: bool = True) -> PassResult:
    return timers.PASSES[job](
        uow_factory=baton.unit_of_work,
        config=baton.config,
        clock=FixedClock(now),
        as_of=None if advance else now,
    )


def fires(baton: Baton, lead_id: int | None = None) -> list[tuple[str, datetime]]:
    """(kind, due_at) of every fire, oldest first."""
    query = select(TimerFireRow.kind, TimerFireRow.due_at).order_by(TimerFireRow.id)
    if lead_id is not None:
        query = query.where(TimerFireRow.lead_id == lead_id)
    with baton.database.reading() as session:
        return [(kind, due) for kind, due in session.execute(query)]


def kinds(baton: Baton, lead_id: int | None = None) -> list[str]:
    return [kind for kind, _ in fires(baton, lead_id)]


def outbox(baton: Baton, kind: str | None = None) -> list[OutboxRow]:
    query = select(OutboxRow).order_by(OutboxRow.id)
    if kind is not None:
        query = query.where(OutboxRow.kind == kind)
    with baton.database.reading() as session:
        return list(session.scalars(query))


def events(baton: Baton, kind: str) -> list[EventRow]:
    with baton.database.reading() as session:
        return list(
            session.scalars(select(EventRow).where(EventRow.kind == kind).order_by(EventRow.id))
        )


def lead_row(baton: Baton, lead_id: int) -> LeadRow:
    with baton.database.reading() as session:
        row = session.get(LeadRow, lead_id)
        assert row is not None
        return row


def count_rows(baton: Baton, table: Any) -> int:
    with baton.database.reading() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0
