"""Slack work queued in the outbox, in the transaction of the change it tells about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.services.records import Work
from storage.bulk import insert_or_skip
from storage.rows import OutboxRow

# Work whose key is already queued is left as it is.
_QUEUE = insert_or_skip(
    OutboxRow,
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
        "urgency",
    ),
)


class SqlOutboxQueue:
    def __init__(self, session: Session) -> None:
        self.session = session

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
                item.delivery_urgency.value,
            )
            for item in work
        ]
        _QUEUE.run(self.session.connection(), values)
