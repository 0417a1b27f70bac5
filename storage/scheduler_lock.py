"""One scheduler per SQLite database: a lock the operating system drops when its process ends.

On PostgreSQL every serving process may run the scheduler: each pass takes an advisory lock.
SQLite is for one serving process; a second scheduler on the same file is refused rather than
silently doubled.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import Database


class SchedulerBusy(Exception):
    """Another process already runs the scheduler on this SQLite database."""


class SchedulerLock:
    def __init__(self, descriptor: int | None) -> None:
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the file drops its lock
            self._descriptor = None


def hold_scheduler_lock(database: Database) -> SchedulerLock:
    """Take the database's scheduler lock, or raise SchedulerBusy; a no-op on PostgreSQL."""
    if not database.is_sqlite:
        return SchedulerLock(None)
    path = Path(str(make_url(database.url).database)).resolve()
    lock_path = path.with_name(path.name + ".scheduler-lock")
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # flock, not lockf: it conflicts between two opens in one process too, as in tests.
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise SchedulerBusy(
            f"another Baton process already runs the scheduler on {path.name}; SQLite takes "
            "one serving process (use PostgreSQL to run several)"
        ) from None
    return SchedulerLock(descriptor)
