"""Slack work queued in the outbox, in the transaction of the change it tells about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.services.records import HANDOFF_KEY, Work, WorkKind
from storage.bulk import SharedInsert, insert_or_skip
from storage.rows import OutboxRow

_COLUMNS = (
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
    "urgency",
)
# Work whose key is already queued is left as it is.
_QUEUE = insert_or_skip(OutboxRow, "key", _COLUMNS)

# Handoffs of many leads: the same work but for the lead, its round and batch (as stored),
# keyed as Work.handoff keys them: HANDOFF_KEY, the lead id, a colon and the round.
_QUEUE_HANDOFFS = SharedInsert(
    OutboxRow.__table__,  # type: ignore[arg-type]
    ("kind", "payload", "state", "attempts", "available_at", "created_at", "urgency"),
    computed={
        "key": "{value} || {id} || ':' || leads.handoff_round",
        "batch_id": "leads.batch_id",
        "handoff_round": "leads.handoff_round",
    },
    skipping="key",
    from_leads=True,
)


class SqlOutboxQueue:
    def __init__(self, session: Session) -> None:
        self.session = session

    def queue(self, work: Sequence[Work], *, now: datetime) -> None:
        """Queue Slack work; work whose key is already queued is left as it is."""
        if not work:
            return
        _QUEUE.run(self.session.connection(), _values(work, now=now, available_at=now))

    def hold(self, work: Sequence[Work], *, now: datetime, until: datetime) -> None:
        """Queue Slack work that waits until `until` unless released sooner; work whose key
        is already held takes the new payload."""
        if not work:
            return
        postgres = self.session.get_bind().dialect.name == "postgresql"
        insert = pg_insert if postgres else sqlite_insert
        rows = [
            dict(zip(_COLUMNS, row, strict=True))
            for row in _values(work, now=now, available_at=until)
        ]
        statement = insert(OutboxRow).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"payload": statement.excluded.payload},
            where=OutboxRow.state == "pending",
        )
        self.session.execute(statement)

    def release(self, keys: Sequence[str], *, now: datetime) -> None:
        """Let held work go now."""
        if not keys:
            return
        self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.key.in_(list(keys)), OutboxRow.state == "pending")
            .values(available_at=now)
        )

    def queue_handoffs(self, lead_ids: Sequence[int], *, now: datetime) -> None:
        """Queue the handoff of each of these leads' round (as stored), in their order."""
        kind = WorkKind.HANDOFF
        values: tuple[object, ...] = (kind.value, {}, "pending", 0, now, now, kind.urgency.value)
        _QUEUE_HANDOFFS.run(self.session.connection(), lead_ids, values, (HANDOFF_KEY,))


def _values(
    work: Sequence[Work], *, now: datetime, available_at: datetime
) -> list[tuple[object, ...]]:
    return [
        (
            item.key,
            item.kind.value,
            item.lead_id,
            item.batch_id,
            item.handoff_round,
            item.data,
            "pending",
            0,
            available_at,
            now,
            item.delivery_urgency.value,
        )
        for item in work
    ]
