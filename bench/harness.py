"""What the benchmarks share: scratch databases, a web app served from its own process, percentiles.

The app under test runs in a child process so that the client threads measuring it do not
compete with it for the interpreter lock, as a real client on another machine would not.
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psycopg
import uvicorn

from storage.db import Database, open_database

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
STARTUP_SECONDS = 60

# Builds the ASGI app in the child process; returns the app and what to call when it stops.
AppFactory = Callable[..., tuple[Any, Callable[[], None]]]


@contextmanager
def scratch_database(backend: str, *, postgres: str, name: str) -> Iterator[Database]:
    """A fresh, migrated database: a SQLite file in a temporary folder, or one on the server."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            database = open_database(f"sqlite:///{Path(folder) / (name + '.db')}")
            try:
                database.upgrade()
                yield database
            finally:
                database.dispose()
        return
    with postgres_database(postgres) as database:
        yield database


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    """A database of its own on the server, dropped afterwards."""
    url = url.replace("postgres://", "postgresql+psycopg://", 1)
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = url.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"baton_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    database = open_database(url.rsplit("/", 1)[0] + "/" + name)
    try:
        database.upgrade()
        yield database
    finally:
        database.dispose()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def served(factory: AppFactory, **options: Any) -> Iterator[str]:
    """Serve factory(**options) with uvicorn on 127.0.0.1, port 0, in a child process; yield its URL."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(factory, options, theirs), daemon=True)
    process.start()
    try:
        if not ours.poll(STARTUP_SECONDS):
            raise RuntimeError("the server process did not start in time")
        answer = ours.recv()
        if isinstance(answer, str):
            raise RuntimeError(f"the server process failed to start:\n{answer}")
        yield f"http://127.0.0.1:{answer}"
    finally:
        if process.is_alive():
            ours.send("stop")
            process.join(15)
        if process.is_alive():
            process.terminate()
            process.join()


def _serve(factory: AppFactory, options: dict[str, Any], connection: Connection) -> None:
    try:
        app, stop = factory(**options)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", access_log=False
        )
        server = uvicorn.Server(config)
    except Exception:
        connection.send(traceback.format_exc())
        return

    def report_then_wait_for_stop() -> None:
        pause = threading.Event()
        while not server.started:
            pause.wait(0.01)
        connection.send(server.servers[0].sockets[0].getsockname()[1])
        connection.recv()
        server.should_exit = True

    threading.Thread(target=report_then_wait_for_stop, daemon=True).start()
    try:
        server.run()
    finally:
        stop()


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (1 to 99), interpolated between the nearest ranks."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def nothing() -> None:
    """For factories with nothing to stop."""
