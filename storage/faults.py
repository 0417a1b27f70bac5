"""Storage faults: the store itself failing (disk, file, connection), told apart from bad data.

A fault is no one's input being wrong: the same request succeeds once the cause is gone. So
each one becomes `StorageUnavailable` with a one-line reason, the connection that met it is
dropped from the pool (a connection opened read-only, or cut, is no use after the cause
clears), and whoever asked is told to try again later.
"""

from __future__ import annotations

import contextlib
import sqlite3

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from bot.services.ports import StorageUnavailable

# SQLite's primary result codes (the low byte of an extended code) that mean the store failed.
SQLITE_FAULTS = {
    3: "the database file's permissions refuse it",  # SQLITE_PERM
    5: "the database is busy",  # SQLITE_BUSY
    6: "the database is locked",  # SQLITE_LOCKED
    7: "out of memory",  # SQLITE_NOMEM
    8: "the database is read-only",  # SQLITE_READONLY
    10: "I/O error",  # SQLITE_IOERR
    11: "the database file is corrupt",  # SQLITE_CORRUPT
    13: "disk full",  # SQLITE_FULL
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
    26: "the file is not a database",  # SQLITE_NOTADB
}
# PostgreSQL's SQLSTATEs (exact, then by class) that mean the server or the link failed.
POSTGRES_FAULTS = {
    "53100": "disk full",
    "53200": "out of memory",
    "53300": "too many connections",
    "25006": "the database is read-only",
    "57P01": "the server is shutting down",
    "57P02": "the server crashed",
    "57P03": "the server is starting up",
    "58030": "I/O error",
    "08": "connection lost",
    "53": "the server is out of resources",
    "58": "the server had a system error",
}
WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "WITH", "COPY", "CREATE")


def storage_fault(error: BaseException) -> str | None:
    """The one-line reason `error` is the store failing, or None when it is not."""
    if isinstance(error, sqlite3.Error) and not isinstance(error, sqlite3.IntegrityError):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            return SQLITE_FAULTS.get(code & 0xFF)
        return "the database is locked" if "locked" in str(error) else None
    if isinstance(error, psycopg.Error):
        state = error.sqlstate or ""
        if state in POSTGRES_FAULTS:
            return POSTGRES_FAULTS[state]
        if state[:2] in POSTGRES_FAULTS:
            return POSTGRES_FAULTS[state[:2]]
        if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError) and not state:
            return _first_line(str(error)) or "connection lost"
    return None


class FaultCount:
    """How many storage faults an engine has met: a cached health answer older than the last
    fault is stale."""

    def __init__(self) -> None:
        self.seen = 0


def report_faults(engine: Engine, count: FaultCount) -> None:
    """Raise StorageUnavailable for every storage fault on `engine`, dropping its connection."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> BaseException | None:
        reason = storage_fault(context.original_exception)
        if reason is None or context.is_pre_ping:
            return None  # a pre-ping's failure is SQLAlchemy's to handle: it reconnects
        count.seen += 1
        context.is_disconnect = True
        running = context.execution_context  # None when no statement was running
        cursor = running.cursor if running is not None else None
        if isinstance(context.original_exception, sqlite3.Error) and cursor is not None:
            # A statement that failed part way (an INSERT … RETURNING meeting a full disk)
            # stays open while its cursor lives, and an open statement keeps the closed
            # connection alive with the file's write lock: the next writer would wait for it.
            with contextlib.suppress(sqlite3.Error):
                cursor.close()
        if context.connection is None:
            return StorageUnavailable.unreachable(reason)
        statement = (context.statement or "").lstrip().upper()
        if statement and not statement.startswith(WRITES):
            return StorageUnavailable.unreadable(reason)
        return StorageUnavailable.refused_write(reason)


def _first_line(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else ""
    # libpq prefixes where it tried: keep the part that says what went wrong.
    return line.rsplit(": ", 1)[-1].strip() if "connection" in line else line
