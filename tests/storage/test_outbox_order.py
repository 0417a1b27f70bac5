"""The outbox's order on a real database: urgent work first, scheduled posts in line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from storage.db import Database
from storage.outbox import SqlOutbox
from tests.storage.test_migrations import SCRIPTS, blank, scratch_postgres_url, upgrade_to

__all__ = ["blank", "scratch_postgres_url"]  # fixtures of the migration tests, used here

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)
LEASE = timedelta(seconds=60)


def queue_before_urgency(database: Database, *kinds: str) -> None:
    """Outbox rows as the schema before urgencies held them, the oldest first."""
    with database.engine.begin() as connection:
        for n, kind in enumerate(kinds):
            connection.execute(
                text(
                    "INSERT INTO outbox (key, kind, payload, state, attempts, available_at, "
                    "created_at) VALUES (:key, :kind, '{}', 'pending', 0, :at, :at)"
                ),
                {"key": f"{kind}:{n}", "kind": kind, "at": stored(database, NOW + n * SECOND)},
            )


def stored(database: Database, moment: datetime) -> object:
    if database.is_sqlite:  # as UtcDateTime stores it there
        return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return moment


def test_work_queued_before_urgencies_is_delivered_urgent_first_once_migrated(
    blank: Database,
) -> None:
    before = SCRIPTS.get_revision("0013").down_revision
    assert isinstance(before, str)
    upgrade_to(blank, before)
    queue_before_urgency(blank, "timer_note", "digest_post", "home_refresh", "handoff")
    upgrade_to(blank, "head")

    claimed = SqlOutbox(blank).claim_due(now=NOW + 10 * SECOND, limit=10, lease=LEASE)

    assert [item.key for item in claimed] == [
        "handoff:3",
        "home_refresh:2",
        "timer_note:0",
        "digest_post:1",
    ]


def test_scheduled_work_is_claimed_only_as_far_as_its_limit(blank: Database) -> None:
    upgrade_to(blank, "head")
    queue_before_urgency(blank, *(["timer_dm"] * 5))  # urgency as the migration set it: none
    with blank.engine.begin() as connection:
        connection.execute(text("UPDATE outbox SET urgency = 2"))
    queue_before_urgency(blank, "handoff")  # key handoff:0, due first of all
    outbox = SqlOutbox(blank)

    first = outbox.claim_due(now=NOW + 10 * SECOND, limit=32, lease=LEASE, scheduled_limit=2)
    second = outbox.claim_due(now=NOW + 10 * SECOND, limit=32, lease=LEASE, scheduled_limit=2)

    assert [item.key for item in first] == ["handoff:0", "timer_dm:0", "timer_dm:1"]
    assert [item.key for item in second] == ["timer_dm:2", "timer_dm:3"]


def test_a_scheduled_post_takes_only_a_slot_nothing_else_wanted(blank: Database) -> None:
    upgrade_to(blank, "head")
    outbox = SqlOutbox(blank)

    def reserve(at: datetime, *, scheduled: bool = False) -> datetime | None:
        return outbox.reserve_post("C0EMEA0001", now=at, spacing=SECOND, scheduled=scheduled)

    assert reserve(NOW) is None  # a handoff: its slot until NOW + 1 s
    # Three scheduled posts find the channel busy: they queue two slots apart, from the slot
    # after the next free one (a scheduled post needs an unused slot before it).
    assert [reserve(NOW, scheduled=True) for _ in range(3)] == [
        NOW + 2 * SECOND,
        NOW + 4 * SECOND,
        NOW + 6 * SECOND,
    ]
    # A handoff at the next free slot takes it; the first in line, due then, waits again.
    assert reserve(NOW + SECOND) is None
    assert reserve(NOW + 2 * SECOND, scheduled=True) == NOW + 8 * SECOND
    # Once a slot has gone unused, the next in line posts.
    assert reserve(NOW + 4 * SECOND, scheduled=True) is None
    assert reserve(NOW + 4.5 * SECOND) == NOW + 5 * SECOND  # and a handoff waits its pace
