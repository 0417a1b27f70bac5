"""Whether writes reach the store now: a cheap probe for `/healthz`.

Reads can work while writes fail (a full disk, a read-only file, a server in recovery), so the
health check writes too: it commits one row, and on SQLite it also checks that the file has
room to grow, since the row it rewrites needs no new space.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url

from bot.services.ports import StorageUnavailable
from storage.db import Database
from storage.rows import WriteProbeRow

# Less free space than this and the next write that grows the file will fail.
MIN_FREE_BYTES = 256 * 1024
PROBE_EVERY = timedelta(seconds=1)
PROBE_ROW = "health"


class WriteProbe:
    """Probe writes at most once every PROBE_EVERY; health checks in between share the answer,
    unless the store has failed since."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._last: tuple[datetime, int, str | None] | None = None

    def check(self, *, now: datetime) -> str | None:
        """The reason writes fail now, or None when they work."""
        with self._lock:
            last = self._last
            fresh = last is not None and now - PROBE_EVERY < last[0] <= now
            if not (fresh and last is not None and last[1] == self.database.faults.seen):
                seen = self.database.faults.seen
                last = self._last = (now, seen, _probe(self.database, now=now))
            return last[2]


def _probe(database: Database, *, now: datetime) -> str | None:
    try:
        with database.write_session() as session:
            if database.is_sqlite:
                full = _sqlite_full(database, session.connection())
                if full:
                    return full
            insert = (sqlite_insert if database.is_sqlite else pg_insert)(WriteProbeRow)
            session.execute(insert.values(name=PROBE_ROW, probed_at=now).on_conflict_do_nothing())
            session.execute(
                update(WriteProbeRow).where(WriteProbeRow.name == PROBE_ROW).values(probed_at=now)
            )
            session.commit()
    except StorageUnavailable as error:
        return error.reason
    return None


def _sqlite_full(database: Database, connection: Connection) -> str | None:
    pages = connection.execute(text("PRAGMA page_count")).scalar_one()
    most = connection.execute(text("PRAGMA max_page_count")).scalar_one()
    if pages >= most:
        return "disk full (the database reached its maximum size)"
    path = Path(make_url(database.url).database or ".").resolve().parent
    stats = os.statvfs(path)
    if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
        return "disk full"
    return None
