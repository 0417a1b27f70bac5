"""Engines, sessions and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

from bot.services.ports import StorageUnavailable
from storage.faults import FaultCount, report_faults

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Page cache per connection, by default (SQLite fills it as it reads): enough for the upper
# levels of the indexes every new lead updates. Their leaves come from the operating
# system's cache of the file, which every connection shares, so a bigger cache per
# connection mostly multiplies the memory held by the number of connections.
SQLITE_CACHE_MIB = 4
POSTGRES_CONNECT_TIMEOUT_S = 5
# A pooled PostgreSQL connection idle this long is pinged before use (see _ping_when_idle).
PING_AFTER_IDLE_S = 1.0


def describe_url(url: str) -> str:
    """The database URL as it may be shown: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def wait_for_database(database: Database, *, within: float) -> None:
    """Reach the database, trying again with growing pauses for up to `within` seconds.

    Raises StorageUnavailable naming the database and why, once the time is up.
    """
    shown = describe_url(database.url)

    def tell(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        reason = error.reason if isinstance(error, StorageUnavailable) else error
        pause = state.next_action.sleep if state.next_action else 0
        log.warning("cannot reach %s (%s); trying again in %.1f s", shown, reason, pause)

    try:
        for attempt in Retrying(
            retry=retry_if_exception_type(StorageUnavailable),
            stop=stop_after_delay(within),
            wait=wait_exponential(multiplier=0.5, max=10),
            before_sleep=tell,
            reraise=True,
        ):
            with attempt:
                database.schema_revision()
    except StorageUnavailable as error:
        waited = f" (tried for {within:.0f} s)" if within else ""
        raise StorageUnavailable(
            f"cannot reach the database {shown}", error.reason + waited
        ) from None


class SchemaError(Exception):
    """The database schema is not the one this version of Baton needs."""


@dataclass
class Database:
    """Where Baton keeps its data: a write engine and, on SQLite, a separate read engine."""

    url: str
    engine: Engine
    read_engine: Engine
    faults: FaultCount = field(default_factory=FaultCount)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def write_session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def read_session(self) -> Session:
        return Session(self.read_engine, expire_on_commit=False)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.read_session() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

    def ping(self) -> bool:
        try:
            with self.read_engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    # Schema -------------------------------------------------------------------------------

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str:
        return ScriptDirectory.from_config(self._alembic_config()).get_current_head() or ""

    def is_empty(self) -> bool:
        with self.engine.connect() as connection:
            return not self.engine.dialect.get_table_names(connection)

    def upgrade(self) -> None:
        """Apply every migration not yet applied."""
        with self.engine.begin() as connection:
            config = self._alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ensure_schema(self, *, create_embedded: bool) -> None:
        """Refuse an out-of-date schema; create a new embedded SQLite database when allowed."""
        if self.schema_revision() == self.head_revision():
            return
        if create_embedded and self.is_sqlite and self.is_empty():
            self.upgrade()
            return
        raise SchemaError(
            "the database schema is out of date "
            f"(at {self.schema_revision() or 'nothing'}, needs {self.head_revision()}): "
            "run `baton db upgrade`"
        )

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url)
        return config


def normalise_url(url: str) -> str:
    """Read `postgres://` and `postgresql://` as psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def open_database(
    url: str,
    *,
    pool_size: int = 10,
    sqlite_cache_mib: int = SQLITE_CACHE_MIB,
    ping_after_idle_s: float = PING_AFTER_IDLE_S,
) -> Database:
    """Build the engines for `url`; SQLite gets WAL, foreign keys and up-front write locks,
    and a page cache of `sqlite_cache_mib` per connection; a pooled PostgreSQL connection
    idle `ping_after_idle_s` seconds is pinged before use."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _open_sqlite(url, cache_mib=sqlite_cache_mib)
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # A server that is down answers at once; one that is unreachable must not hold a
        # request for the operating system's two minutes, nor a cut link hold it for ever.
        connect_args={
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_S,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        },
    )
    _ping_when_idle(engine, after=ping_after_idle_s)
    faults = FaultCount()
    report_faults(engine, faults)
    return Database(url=url, engine=engine, read_engine=engine, faults=faults)


def _ping_when_idle(engine: Engine, *, after: float) -> None:
    """Ping a pooled connection before use only when it has been idle `after` seconds.

    A connection the server dropped while it waited in the pool (a restart, a cut link)
    is found by the ping and replaced, so the request gets a fresh one instead of a 503.
    A connection used moments ago needs no ping: pinging every checkout cost a round trip
    per transaction, a tenth of a one-lead intake's. A connection that fails in use anyway
    is dropped with the pool's older connections (storage/faults.py), and told as a 503.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        checked_in = record.info.get(_CHECKED_IN_AT)
        if checked_in is None or time.monotonic() - checked_in < after:
            return  # new, or used moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and checks out another (a new one, if the
            # server dropped them all).
            raise DisconnectionError(f"the pooled connection is gone: {error}") from error


_CHECKED_IN_AT = "baton_checked_in_at"


def _open_sqlite(url: str, *, cache_mib: int) -> Database:
    parsed = make_url(url)
    in_memory = parsed.database in (None, "", ":memory:")
    if in_memory:
        raise SchemaError("an in-memory SQLite database cannot be shared; give a file path")
    # The pools hand out the connection used last: a few connections do most of the work
    # and keep their caches warm, while the others stay small.
    writer = create_engine(url, pool_use_lifo=True)
    reader = create_engine(url, pool_use_lifo=True)
    faults = FaultCount()
    for engine in (writer, reader):
        report_faults(engine, faults)
    _configure_sqlite(writer, cache_mib=cache_mib)
    _take_write_lock_up_front(writer)
    _configure_sqlite(reader, cache_mib=cache_mib)
    _begin_deferred(reader)
    return Database(url=url, engine=writer, read_engine=reader, faults=faults)


def _configure_sqlite(engine: Engine, *, cache_mib: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control from the driver so that BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size=-{int(cache_mib) * 1024}")
        cursor.close()


def _begin_deferred(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def _take_write_lock_up_front(engine: Engine) -> None:
    """Writers take SQLite's lock at BEGIN, queueing first on a lock of this process.

    Taking the lock up front makes concurrent writers wait instead of failing. Waiting inside
    SQLite means its busy handler, which sleeps and polls with growing pauses (up to 100 ms),
    so writers of one process queue on a Python lock that hands over at once, in the order
    they came (a timer pass writing page after page lets the intake and the outbox worker in
    between); the busy timeout still covers writers in other processes.
    """
    queue = FairLock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        held = connection.connection.record_info
        assert held is not None  # a connection checked out of the pool has its record
        if held.get(_HOLDS_WRITE_LOCK):
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # a second transaction, same checkout
            return
        if not queue.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError("database is locked: another writer held it too long")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            queue.release()
            raise
        held[_HOLDS_WRITE_LOCK] = True

    # The lock is handed over when the connection goes back to the pool: by then SQLite has
    # committed or rolled back (the pool rolls back whatever is left), whether the commit
    # worked, failed, or the connection was dropped after a fault. Handing it over on the
    # way into COMMIT instead would leave it held for good when a COMMIT fails.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if (record.record_info or {}).pop(_HOLDS_WRITE_LOCK, False):
            queue.release()


_HOLDS_WRITE_LOCK = "baton_holds_write_lock"


class FairLock:
    """A lock handed to its waiters in the order they came.

    A thread that releases a plain lock and takes it again at once (a job writing page after
    page) mostly gets it back before a waiting thread has woken; here it queues behind them.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False

    @property
    def waiting(self) -> int:
        """How many threads wait in line for the lock."""
        with self._guard:
            return len(self._waiting)

    def acquire(self, timeout: float) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        if turn.acquire(timeout=timeout):
            return True  # handed over by `release`: held for this thread now
        with self._guard:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return False
        return True  # handed over just as the wait ran out

    def release(self) -> None:
        with self._guard:
            if self._waiting:
                self._waiting.popleft().release()  # still held: by the next in line
            else:
                self._held = False
