"""What the benchmarks share: scratch databases, a web app served from its own process, percentiles.

The app under test runs in a child process so that the client threads measuring it do not
compete with it for the interpreter lock, as a real client on another machine would not.
"""

from __future__ import annotations

import asyncio
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
from urllib.parse import urlsplit

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


def serving_baton(*, deliver: bool, **settings: Any) -> tuple[Any, Callable[[], None]]:
    """What `baton serve` runs, built from these settings: the web app with Bolt and, when
    `deliver`, the outbox worker on the system clock. For `served`, in the server's process."""
    from bot.app import build_baton
    from bot.runtime import settle_for_serving, start_delivery
    from bot.slack_app import build_bolt
    from bot.web import create_web_app
    from config.settings import load_settings

    baton = build_baton(load_settings(env_file=None, **settings))
    baton.database.ensure_schema(create_embedded=False)
    stop = start_delivery(baton).stop if deliver else nothing
    app = create_web_app(baton, build_bolt(baton))
    settle_for_serving()
    return app, stop


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (1 to 99), interpolated between the nearest ranks."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def nothing() -> None:
    """For factories with nothing to stop."""


class KeepAliveConnection:
    """One HTTP/1.1 keep-alive connection that costs the client little CPU per request.

    For latency runs with many requests in flight: a general-purpose client would spend more
    time per request than the server under test and so measure itself.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def request(self, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        """The bytes of a POST, built ahead so that building it is not timed."""
        lines = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def send(self, request: bytes) -> int:
        """Send a request built by `request` and read the whole answer; return its status."""
        if self.reader is None or self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("a chunked answer; this client reads only Content-Length")
        if length:
            await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
