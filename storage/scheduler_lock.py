"""One scheduler per SQLite database: a lock the operating system drops when its process ends.

On PostgreSQL every serving process may run the scheduler: each pass takes an advisory lock.
SQLite is for one serving process; a second scheduler on the same file is refused rather than
silently doubled. A pass of many transactions (crm-sync) holds a lock of its own throughout,
so that `baton jobs run` beside a serving process does not run it twice at once either.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storage.db import Database
from storage.timers import pass_lock_key


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
    path = _sqlite_path(database)
    descriptor = _try_flock(path.with_name(path.name + ".scheduler-lock"))
    if descriptor is None:
        raise SchedulerBusy(
            f"another Baton process already runs the scheduler on {path.name}; SQLite takes "
            "one serving process (use PostgreSQL to run several)"
        ) from None
    return SchedulerLock(descriptor)


@contextlib.contextmanager
def one_pass_at_a_time(database: Database, job: str) -> Iterator[bool]:
    """Whether this process may run a pass of `job` now, every process on the database
    asking; the answer holds until the block ends. For passes of many transactions (a
    transaction's own lock would be let go after the first), so it is held by a connection
    of its own on PostgreSQL, and by a lock file beside a SQLite database."""
    if database.is_sqlite:
        path = _sqlite_path(database)
        descriptor = _try_flock(path.with_name(f"{path.name}.{job}-lock"))
        try:
            yield descriptor is not None
        finally:
            if descriptor is not None:
                os.close(descriptor)
        return
    key = pass_lock_key(job)
    with database.engine.connect() as connection:
        held = bool(connection.scalar(select(func.pg_try_advisory_lock(key))))
        connection.commit()
        try:
            yield held
        finally:
            # A cut connection has let go of the lock already: the server ends its session.
            with contextlib.suppress(DBAPIError):
                if held:
                    connection.scalar(select(func.pg_advisory_unlock(key)))
                    connection.commit()


def _sqlite_path(database: Database) -> Path:
    return Path(str(make_url(database.url).database)).resolve()


def _try_flock(lock_path: Path) -> int | None:
    """The open lock file, locked; None when another holder has it."""
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # flock, not lockf: it conflicts between two opens in one process too, as in tests.
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor
