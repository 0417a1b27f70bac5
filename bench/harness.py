"""What the benchmarks share: the command line, turns, verdicts, scratch databases, the
driver's own writes, servers, lean HTTP clients, the Slack stand-in and speed to lead.

Every benchmark measures Baton beside an honest baseline in the same run, the two taking
turns round after round (`interleave`), and prints each one's min/median/max and the ratio
of their medians against the goal (`Scorecard.judge`).

The development kit (the Slack stand-in, signed Slack requests, the local wiring) is imported
here and nowhere else in bench/, so that a change of it changes one import.

The app under test runs in a child process so that the client threads measuring it do not
compete with it for the interpreter lock, as a real client on another machine would not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import uvicorn

# The development kit: imported here only (see the module's docstring).
from baton_devkit.hubspot_standin import TOKEN as HUBSPOT_TOKEN
from baton_devkit.hubspot_standin import HubSpotStandIn, sign_webhook
from baton_devkit.local import standin_for
from baton_devkit.simulate import button_click, interaction_body, signed_headers, slash_command
from baton_devkit.standin import Call, SlackStandIn

from bot.domain.qualification import route
from config.model import BatonConfig
from storage.db import Database, open_database

__all__ = [
    "HUBSPOT_TOKEN",
    "Call",
    "HubSpotStandIn",
    "SlackStandIn",
    "button_click",
    "interaction_body",
    "sign_webhook",
    "signed_headers",
    "slash_command",
    "standin_for",
]

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "baton.yaml"
# The server's maintenance database: only used to create and drop the benchmarks' own.
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
STARTUP_SECONDS = 60
SECRET, BOT_TOKEN, INTAKE_TOKEN = "bench-signing-secret", "xoxb-bench", "bench-intake-token"
INTAKE_PATH = "/intake/leads"

# Builds the ASGI app in the child process; returns the app and what to call when it stops.
AppFactory = Callable[..., tuple[Any, Callable[[], None]]]


# The command line ---------------------------------------------------------------------------


def arguments(doc: str, add: Callable[[argparse.ArgumentParser], None] | None = None):  # type: ignore[no-untyped-def]
    """The flags every benchmark takes (and any of its own, from `add`), parsed."""
    parser = argparse.ArgumentParser(
        description=doc.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=DEFAULT_POSTGRES,
        help="a PostgreSQL server to create a scratch database on (its own, dropped after)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--quick", action="store_true", help="a smaller run (under two minutes)")
    parser.add_argument("--rounds", type=int, help="rounds of each contender (default: by size)")
    if add is not None:
        add(parser)
    return parser.parse_args()


def backends(args: argparse.Namespace) -> list[str]:
    return [
        backend
        for backend, skip in (("sqlite", args.no_sqlite), ("postgresql", args.no_postgres))
        if not skip
    ]


# The machine --------------------------------------------------------------------------------


def machine_load() -> str:
    """The load averages over 1, 5 and 15 minutes: the machine is shared."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def rss_mib(pid: int) -> float:
    """A process's resident memory (VmRSS) in MiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Turns and verdicts -------------------------------------------------------------------------

Figures = Mapping[str, float]


def interleave(
    rounds: int,
    contenders: Mapping[str, Callable[[int], Figures]],
    *,
    warm_up: bool = True,
) -> dict[str, dict[str, list[float]]]:
    """Run each contender once a round, in turn (baseline, Baton, baseline, Baton…).

    Whatever else the machine is doing is spread over all of them alike. Each contender is
    called with the round's number (-1 for an uncounted warm-up) and returns its figures by
    name; the result holds every contender's figures, one per round.
    """
    if warm_up:
        for run in contenders.values():
            run(-1)
    found: dict[str, dict[str, list[float]]] = {name: defaultdict(list) for name in contenders}
    for number in range(rounds):
        for name, run in contenders.items():
            figures = run(number)
            for measure, value in figures.items():
                found[name][measure].append(value)
            shown = ", ".join(f"{measure} {_number(value)}" for measure, value in figures.items())
            print(f"    round {number + 1}/{rounds} {name:<12} {shown}", flush=True)
    return {name: dict(figures) for name, figures in found.items()}


@dataclass(frozen=True)
class Goal:
    """A row of the goals table: what is measured, and the bound its figure must keep.

    With `ratio`, the figure is the ratio of the medians (Baton's over the baseline's);
    without, Baton's median itself. Without a bound, the figures are shown for information.
    """

    measure: str
    wording: str
    bound: float | None
    at_most: bool = True
    ratio: bool = True

    def verdict(self, figure: float) -> str:
        if self.bound is None:
            return "(information)"
        met = figure <= self.bound if self.at_most else figure >= self.bound
        return "met" if met else "MISSED"


@dataclass(frozen=True)
class Spread:
    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def __str__(self) -> str:
        low, mid, high = min(self.values), self.median, max(self.values)
        return f"{_number(low)} / {_number(mid)} / {_number(high)}"


@dataclass
class Scorecard:
    """The verdicts of one benchmark run, printed as they come and as a table at the end."""

    title: str
    rows: list[tuple[str, ...]] = field(default_factory=list)
    started_load: str = field(default_factory=machine_load)

    def judge(
        self,
        goal: Goal,
        backend: str,
        ours: tuple[str, Sequence[float]],
        theirs: tuple[str, Sequence[float]] | None = None,
        *,
        unit: str,
    ) -> bool:
        """Print min/median/max of Baton's figures and of the baseline's, the ratio of their
        medians, and whether the goal is met; keep the verdict for the summary."""
        mine = Spread(tuple(ours[1]))
        figure, baseline = mine.median, None
        print(f"\n  {backend}: {goal.measure}")
        print(f"    {ours[0]:<22} {mine}  {unit}  (min / median / max of {len(mine.values)})")
        if theirs is not None:
            baseline = Spread(tuple(theirs[1]))
            print(f"    {theirs[0]:<22} {baseline}  {unit}")
        if goal.ratio:
            assert baseline is not None, "a ratio needs a baseline"
            figure = mine.median / baseline.median
            shown = f"ratio of medians {figure:.2f}"
        else:
            shown = f"median {_number(figure)} {unit}"
        verdict = goal.verdict(figure)
        print(f"    {shown}; goal {goal.wording}: {verdict}", flush=True)
        self.rows.append(
            (
                goal.measure,
                backend,
                f"{mine} {unit}",
                f"{baseline} {unit}" if baseline else "",
                f"{figure:.2f}" if goal.ratio else f"{_number(figure)} {unit}",
                goal.wording,
                verdict,
            )
        )
        return verdict != "MISSED"

    def note(self, measure: str, backend: str, text: str) -> None:
        """A figure that is shown in the summary but judged by no goal."""
        self.rows.append((measure, backend, text, "", "", "", "(information)"))

    def summary(self) -> int:
        """Print the verdicts as a table; the exit status: 0 when every goal was met."""
        print(f"\n{self.title}: verdicts (load average {self.started_load} → {machine_load()})")
        head = ("measure", "backend", "Baton min / median / max", "baseline", "figure", "goal")
        print("| " + " | ".join((*head, "verdict")) + " |")
        print("|" + " --- |" * (len(head) + 1))
        for row in self.rows:
            print("| " + " | ".join(row) + " |")
        return 0 if all(row[-1] != "MISSED" for row in self.rows) else 1


def _number(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (1 to 99), interpolated between the nearest ranks."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# Scratch databases --------------------------------------------------------------------------


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
    """A database of its own on the server, dropped afterwards; `url` names the server."""
    admin = url.replace("postgres://", "postgresql://", 1).replace("+psycopg", "", 1)
    name = f"baton_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    server = admin.rsplit("/", 1)[0] if admin.count("/") > 2 else admin
    database = open_database(f"{server}/{name}")
    try:
        database.upgrade()
        yield database
    finally:
        database.dispose()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def driver_url(database: Database) -> str:
    """The database's URL as its driver takes it: a file path, or a libpq URL."""
    if database.is_sqlite:
        return database.url.removeprefix("sqlite:///")
    return database.url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def driver_connection(database: Database) -> Iterator[Any]:
    """A connection of the driver itself (sqlite3 or psycopg), set up as Baton sets up its own.

    It comes from Baton's engine, so that SQLite's pragmas (WAL, synchronous, cache) are the
    same for a baseline as for Baton; nothing of SQLAlchemy runs on it after that. SQLite's
    transactions are the caller's (BEGIN IMMEDIATE … COMMIT).
    """
    connection = database.engine.raw_connection()
    try:
        yield connection.dbapi_connection
    finally:
        connection.close()


def stored_value(backend: str, value: Any) -> Any:
    """A value as the driver takes it for a column of Baton's schema (see storage/rows.py)."""
    if isinstance(value, datetime):
        if backend == "sqlite":  # fixed-width ISO text in UTC, as UtcDateTime stores it
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, Decimal) and backend == "sqlite":
        return float(value)  # as SQLAlchemy's Numeric stores it there
    return value


def load_rows(
    database: Database, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Load generated rows, their values as the driver takes them (see `stored_value`), as
    fast as it can: for fixtures (a big history to run against), not for baselines.

    On PostgreSQL the rows are copied (COPY); on SQLite inserted by executemany on a
    connection that does not wait for the disk.
    """
    names = ", ".join(columns)
    with _loading(database, table, columns) as connection:
        if database.is_postgres:
            with connection.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def derive_rows(database: Database, table: str, columns: Sequence[str], select: str) -> None:
    """Fill a fixture's table from the others with INSERT … SELECT, as fast as `load_rows`."""
    with _loading(database, table, columns) as connection:
        connection.execute(f"INSERT INTO {table} ({', '.join(columns)}) {select}")


@contextmanager
def _loading(database: Database, table: str, columns: Sequence[str]) -> Iterator[Any]:
    """A transaction to load `table` in, with its plain indexes dropped until the end (an
    index built over all the rows at once is built much faster than one grown row by row),
    and on PostgreSQL its ids' sequence moved past the ids loaded."""
    if database.is_postgres:
        with psycopg.connect(driver_url(database)) as connection:
            indexes = connection.execute(_PLAIN_POSTGRES_INDEXES, (table,)).fetchall()
            for name, _ in indexes:
                connection.execute(f'DROP INDEX "{name}"')
            yield connection
            for _, definition in indexes:
                connection.execute(definition)
            if "id" in columns:
                connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
        return
    connection = sqlite3.connect(driver_url(database), isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-262144")
        connection.execute("BEGIN IMMEDIATE")
        indexes = connection.execute(_PLAIN_SQLITE_INDEXES, (table,)).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        yield connection
        for _, definition in indexes:
            connection.execute(definition)
        connection.execute("COMMIT")
    finally:
        connection.close()


# Indexes that no constraint owns (those of primary keys and unique constraints stay).
_PLAIN_SQLITE_INDEXES = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
)
_PLAIN_POSTGRES_INDEXES = (
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND schemaname = 'public' "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = indexname)"
)


def analyse(database: Database) -> None:
    """Fresh planner statistics after a bulk load, as a database that grew slowly has."""
    if database.is_sqlite:
        with sqlite3.connect(driver_url(database)) as connection:
            connection.execute("ANALYZE")
        return
    with psycopg.connect(driver_url(database), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


# Leads, and the rows that make them safe ----------------------------------------------------

TITLES = ("CTO", "Head of IT", "Engineer", "Buyer", "COO")


def lead_document(n: int, place: Mapping[str, str]) -> dict[str, Any]:
    """A sales-ready lead as intake takes it, with a unique email, from `place`."""
    company = n % 4000
    return {
        "email": f"person{n}@company{company}.example",
        "first_name": f"Given{n}",
        "last_name": f"Surname{n}",
        "company": f"Company {company} Ltd",
        "title": TITLES[n % len(TITLES)],
        "phone": f"+1 555 {n % 10_000_000:07d}",
        "campaign": "website-organic-2026",
        "source": "web",
        "score": 50 + n % 50,
        **place,
    }


def places_of(config: BatonConfig) -> list[tuple[str, dict[str, str]]]:
    """A place of each region of the config that routes to it (a country, and a state or
    postal code where the region asks for one), with the region's name."""
    by_region = []
    for region in config.regions:
        match, found = region.match, []
        for i, country in enumerate(match.countries):
            place = {"country": country}
            if match.states:
                place["state"] = match.states[i % len(match.states)]
            if match.postal_prefixes:
                place["postal_code"] = match.postal_prefixes[i % len(match.postal_prefixes)] + "1"
            if route(place, config.regions).region == region.name:
                found.append((region.name, place))
        if found:
            by_region.append(found)
    # One country each, so that a bare endpoint can route by the country alone.
    return [places[0] for places in by_region]


# The columns of the rows that make a lead safe: the lead, and its first event.
LEAD_COLUMNS = (
    "short_id",
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "phone",
    "country",
    "state",
    "postal_code",
    "campaign",
    "source",
    "score",
    "status",
    "region",
    "handoff_round",
    "qualification_reason",
    "route_reason",
    "priority",
    "round_started_at",
    "created_at",
    "updated_at",
)
EVENT_COLUMNS = (
    "lead_id",
    "at",
    "kind",
    "actor",
    "handoff_round",
    "region",
    "campaign",
    "source",
    "status_before",
    "status_after",
    "reason_code",
    "notes",
    "data",
)

# A lead's durable rows for the driver: its lead row (LEAD_COLUMNS) and its first event
# (EVENT_COLUMNS but the lead's id, which the insert gives).
DurableLead = tuple[tuple[Any, ...], tuple[Any, ...]]


def durable_lead(
    backend: str, short_id: str, facts: Mapping[str, Any], region: str | None, now: datetime
) -> DurableLead:
    """The rows intake must have stored before its 202 for this sales-ready lead to be safe."""
    at = stored_value(backend, now)
    campaign, source = facts.get("campaign"), facts.get("source")
    lead = (
        short_id,
        str(facts["email"]).lower(),
        facts.get("first_name"),
        facts.get("last_name"),
        facts.get("company"),
        facts.get("title"),
        facts.get("phone"),
        facts.get("country"),
        facts.get("state"),
        facts.get("postal_code"),
        campaign,
        source,
        facts.get("score"),
        "pending",
        region,
        1,
        "meets the lead definition",
        f"matched {region}",
        0,
        at,
        at,
        at,
    )
    event = (at, "received", "intake", 1, region, campaign, source, "received", "pending")
    return lead, (*event, "sales-ready", "meets the lead definition", "{}")


_INSERT_LEAD = f"INSERT INTO leads ({', '.join(LEAD_COLUMNS)}) VALUES ({{marks}})"
_INSERT_LEAD_WITH_ID = f"INSERT INTO leads (id, {', '.join(LEAD_COLUMNS)}) VALUES ({{marks}})"
_INSERT_EVENT = f"INSERT INTO lead_events ({', '.join(EVENT_COLUMNS)}) VALUES ({{marks}})"


def _marks(backend: str, count: int) -> str:
    return ", ".join(("?" if backend == "sqlite" else "%s") for _ in range(count))


def store_durable(connection: Any, backend: str, leads: Sequence[DurableLead]) -> None:
    """Store leads' durable rows in one transaction, with the driver alone.

    One lead: its insert returns its id. More: their ids are taken first (the highest id
    under SQLite's write lock; from the sequence on PostgreSQL), then one executemany per
    table. psycopg's executemany sends its statements in a pipeline.
    """
    cursor = connection.cursor()
    if backend == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    try:
        if len(leads) == 1:
            [(lead, _)] = leads
            sql = _INSERT_LEAD.format(marks=_marks(backend, len(lead))) + " RETURNING id"
            [lead_id] = cursor.execute(sql, lead).fetchone()
            ids: Sequence[int] = [lead_id]
        elif backend == "sqlite":
            [highest] = cursor.execute("SELECT coalesce(max(id), 0) FROM leads").fetchone()
            ids = range(highest + 1, highest + 1 + len(leads))
        else:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('leads', 'id')) FROM generate_series(1, %s)",
                (len(leads),),
            )
            ids = [row[0] for row in cursor.fetchall()]
        if len(leads) > 1:
            sql = _INSERT_LEAD_WITH_ID.format(marks=_marks(backend, len(LEAD_COLUMNS) + 1))
            cursor.executemany(sql, [(i, *lead) for i, (lead, _) in zip(ids, leads, strict=True)])
        sql = _INSERT_EVENT.format(marks=_marks(backend, len(EVENT_COLUMNS)))
        cursor.executemany(sql, [(i, *event) for i, (_, event) in zip(ids, leads, strict=True)])
    except BaseException:
        connection.rollback() if backend == "postgresql" else cursor.execute("ROLLBACK")
        raise
    if backend == "sqlite":
        cursor.execute("COMMIT")
    else:
        connection.commit()


def count_rows(database: Database, table: str) -> int:
    with driver_connection(database) as connection:
        cursor = connection.cursor()
        cursor.execute(f"SELECT count(*) FROM {table}")
        [count] = cursor.fetchone()
        if database.is_postgres:
            connection.rollback()
        return count


# Servers ------------------------------------------------------------------------------------


@contextmanager
def served(factory: AppFactory, **options: Any) -> Iterator[str]:
    """Serve factory(**options) with uvicorn on 127.0.0.1, port 0, in a child process; yield its URL.

    uvicorn is set up as `baton serve` sets it up (its defaults: httptools and uvloop).
    """
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


def serving_baton(
    *, deliver: bool, also: Callable[[Any], Any] | None = None, **settings: Any
) -> tuple[Any, Callable[[], None]]:
    """What `baton serve` runs but its scheduler, built from these settings: the web app with
    Bolt and, when `deliver`, the outbox worker on the system clock; `also(baton)` starts
    anything more (the CRM worker). For `served`, in the server's process."""
    from bot.app import build_baton
    from bot.runtime import settle_for_serving, start_delivery
    from bot.slack_app import build_bolt
    from bot.web import create_web_app
    from config.settings import load_settings

    settings = {
        "baton_config": CONFIG,
        "baton_intake_token": INTAKE_TOKEN,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
        **settings,
    }
    baton = build_baton(load_settings(env_file=None, **settings))
    baton.database.ensure_schema(create_embedded=False)
    stop = start_delivery(baton).stop if deliver else nothing
    if also is not None:
        also(baton)
    app = create_web_app(baton, build_bolt(baton))
    settle_for_serving()
    return app, stop


def nothing() -> None:
    """For factories with nothing to stop."""


@dataclass(frozen=True)
class BatonProcess:
    """A running `baton serve`: its process id and its URL."""

    pid: int
    url: str

    @property
    def rss_mib(self) -> float:
        return rss_mib(self.pid)


@contextmanager
def baton_serve(
    database: Database,
    *,
    slack_api_url: str,
    config: Path = CONFIG,
    settings: Mapping[str, str] | None = None,
) -> Iterator[BatonProcess]:
    """Run `baton serve` itself (web app, outbox worker and scheduler) as a child process.

    It runs from an empty folder, so that no `.env` of this machine reaches it, with
    `settings` (environment variables) besides the ones it needs, and is stopped as an
    operator would stop it (SIGINT, then SIGTERM).
    """
    port = free_port()
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database.url,
        "BATON_CONFIG": str(config),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api_url,
        "BATON_INTAKE_TOKEN": INTAKE_TOKEN,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        **(settings or {}),
    }
    command = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "baton.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [*command, "serve"], cwd=folder, env=environment, stdout=output, stderr=output
            )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for_health(url, process)
            yield BatonProcess(process.pid, url)
        except BaseException:
            print(f"baton serve's log ends:\n{log.read_text(errors='replace')[-3000:]}")
            raise
        finally:
            for stop, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                if process.poll() is not None:
                    break
                process.send_signal(stop)
                try:
                    process.wait(wait)
                except subprocess.TimeoutExpired:
                    continue


def _wait_for_health(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"baton serve stopped at start (status {process.returncode})")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("baton serve did not answer /healthz in time")


# Clients ------------------------------------------------------------------------------------


class KeepAliveConnection:
    """One HTTP/1.1 keep-alive connection that costs the client little CPU per request.

    For runs with many requests in flight: a general-purpose client would spend more time
    per request than the server under test and so measure itself.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def request(self, path: str, body: bytes, headers: Mapping[str, str]) -> bytes:
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


def intake_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}


def post_all(base_url: str, bodies: Sequence[bytes], connections: int) -> float:
    """Post the intake bodies over `connections` keep-alive connections, each sending its next
    as soon as its last is answered; the seconds from the first to the last 202."""
    return asyncio.run(_post_all(base_url, bodies, connections))


async def _post_all(base_url: str, bodies: Sequence[bytes], connections: int) -> float:
    pending = iter(bodies)
    failures: list[str] = []
    opened = [KeepAliveConnection(base_url) for _ in range(connections)]
    for connection in opened:
        await connection.open()

    async def client(connection: KeepAliveConnection) -> None:
        for body in pending:
            status = await connection.send(connection.request(INTAKE_PATH, body, intake_headers()))
            if status != 202:
                failures.append(f"intake answered {status}")
                return

    started = time.perf_counter()
    await asyncio.gather(*(client(connection) for connection in opened))
    seconds = time.perf_counter() - started
    for connection in opened:
        await connection.close()
    if failures:
        raise RuntimeError(f"intake failed: {failures[0]}")
    return seconds


# Speed to lead ------------------------------------------------------------------------------

REGIONS = 20
# One country per region: leads from it go to that region's channel.
COUNTRIES = ("DE", "FR", "GB", "IT", "ES", "NL", "BE", "AT", "CH", "SE")
COUNTRIES += ("NO", "DK", "FI", "PL", "PT", "IE", "US", "CA", "SG", "JP")
# Slack's pace for posting to one channel: a message a second.
SLACK_PACE = 1.0
PACE_CLIENT_THREADS = 8


def region_name(i: int) -> str:
    return f"region-{i + 1:02d}"


def channel_of(i: int) -> str:
    return f"C0REGION{i + 1:02d}"


def manager_of(i: int) -> str:
    return f"U0MANAGER{i + 1:02d}"


def rep_of(i: int) -> str:
    return f"U0REPRES{i + 1:02d}"


def write_regions_config(folder: Path) -> Path:
    """A config of REGIONS regions, each with its own channel, manager, rep and country."""
    lines = [
        "currency: USD",
        "marketing: {channel: C0MARKETING, users: [U0MARKETER1]}",
        "triage: {channel: C0TRIAGE01, deciders: [U0MARKETER1]}",
        "lead_definition: {min_score: 50, required_fields: [email, company]}",
        "regions:",
    ]
    for i in range(REGIONS):
        lines += [
            f"  - name: {region_name(i)}",
            f"    manager: {manager_of(i)}",
            f"    reps: [{rep_of(i)}]",
            f"    channel: {channel_of(i)}",
            "    timezone: UTC",
            f"    match: {{countries: [{COUNTRIES[i]}]}}",
        ]
    path = folder / "regions.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def standin_for_regions() -> SlackStandIn:
    users = {"U0MARKETER1": "Marketer"}
    users |= {manager_of(i): f"Manager {i + 1}" for i in range(REGIONS)}
    users |= {rep_of(i): f"Rep {i + 1}" for i in range(REGIONS)}
    channels = {"C0MARKETING": "marketing", "C0TRIAGE01": "lead-triage"}
    channels |= {channel_of(i): f"sales-{region_name(i)}" for i in range(REGIONS)}
    return SlackStandIn(users=users, channels=channels)


def region_lead(n: int) -> dict[str, Any]:
    """Lead n of a paced run: the regions take turns."""
    return lead_document(n, {"country": COUNTRIES[n % REGIONS]}) | {"score": 80}


@dataclass
class Sent:
    """One lead as the client saw it: when its request left and when its 202 arrived."""

    number: int
    channel: str
    sent_at: float = 0.0
    answered_at: float = 0.0
    short_id: str = ""


def send_at_pace(
    base_url: str, *, rate: float, first: int, until: Callable[[float], bool]
) -> list[Sent]:
    """Send single-lead requests at `rate` a second, lead n at start + n / rate whatever the
    answers to earlier ones are doing, while `until(seconds since start)` is false."""
    local = threading.local()
    clients: list[httpx.Client] = []
    failures: list[str] = []

    def post(lead: Sent) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {INTAKE_TOKEN}"}, timeout=120
            )
            clients.append(client)
        lead.sent_at = time.monotonic()
        answer = client.post(INTAKE_PATH, json=region_lead(lead.number))
        lead.answered_at = time.monotonic()
        if answer.status_code != 202:
            failures.append(f"{answer.status_code}: {answer.text[:300]}")
            return
        lead.short_id = answer.json()["leads"][0]["id"]

    sent: list[Sent] = []
    pause = threading.Event()
    with ThreadPoolExecutor(PACE_CLIENT_THREADS) as pool:
        start = time.monotonic() + 0.1
        for k in range(10**9):
            at = start + k / rate
            if until(at - start):
                break
            pause.wait(max(0.0, at - time.monotonic()))
            lead = Sent(first + k, channel_of((first + k) % REGIONS))
            sent.append(lead)
            pool.submit(post, lead)
    for client in clients:
        client.close()
    if failures:
        raise RuntimeError(f"intake failed: {failures[0]}")
    return sent


def warm_up_delivery(base_url: str, standin: SlackStandIn, number: int) -> None:
    """One lead through intake and delivery first, so that the first measured one is not cold."""
    with httpx.Client(base_url=base_url, headers=intake_headers(), timeout=60) as client:
        answer = client.post(INTAKE_PATH, json=region_lead(number))
        if answer.status_code != 202:
            raise RuntimeError(f"intake answered {answer.status_code}: {answer.text[:300]}")
    if not standin.wait_for(lambda: len(handoff_posts(standin)) >= 1, timeout=60):
        raise RuntimeError("the warm-up lead's handoff did not reach the Slack stand-in")
    time.sleep(SLACK_PACE * 1.5)  # its channel is free again before the run


def handoff_posts(standin: SlackStandIn) -> dict[int, Call]:
    """The first chat.postMessage of each lead's first handoff, by lead row id."""
    found: dict[int, Call] = {}
    for call in standin.calls_to("chat.postMessage"):
        key = ((call.args.get("metadata") or {}).get("event_payload") or {}).get("key", "")
        kind, _, rest = key.partition(":")
        if kind == "handoff" and call.status == 200:
            found.setdefault(int(rest.split(":")[0]), call)
    return found


@dataclass(frozen=True)
class SpeedToLead:
    """Each lead's seconds from its 202 to its handoff reaching Slack, in the order sent, and
    the seconds Slack's pace alone would have made it wait."""

    seconds: list[float]
    allowed: list[float]
    to_202: list[float]
    missing: int
    wrong_channel: int

    @staticmethod
    def quarters(seconds: Sequence[float]) -> list[float]:
        """The p50 of each quarter of the leads, in the order sent, in ms."""
        size = max(1, len(seconds) // 4)
        return [percentile(seconds[i * size : (i + 1) * size], 50) * 1000 for i in range(4)]

    @staticmethod
    def drift(seconds: Sequence[float]) -> float:
        """The last quarter's p50 over the first's (1 when both are nil)."""
        first, *_, last = SpeedToLead.quarters(seconds)
        if first <= 0:
            return 1.0 if last <= 0 else float("inf")
        return last / first

    def figures(self) -> dict[str, float]:
        return {
            "p50 ms": percentile(self.seconds, 50) * 1000,
            "p99 ms": percentile(self.seconds, 99) * 1000,
            "drift": self.drift(self.seconds),
            "pace p99 ms": percentile(self.allowed, 99) * 1000,
        }

    def describe(self) -> str:
        quarters = ", ".join(f"{q:.0f}" for q in self.quarters(self.seconds))
        allowed = ", ".join(f"{q:.0f}" for q in self.quarters(self.allowed))
        lines = [
            f"      {len(self.seconds) - self.missing:,} of {len(self.seconds):,} handoffs posted"
            + (f", {self.wrong_channel} to the wrong channel" if self.wrong_channel else ""),
            f"      202 → Slack p50 of each quarter {quarters} ms (Slack's pace allows {allowed})",
            f"      request → 202 p50 {percentile(self.to_202, 50) * 1000:.0f} ms, "
            f"p99 {percentile(self.to_202, 99) * 1000:.0f} ms",
        ]
        return "\n".join(lines)


def speed_to_lead(
    sent: Sequence[Sent], standin: SlackStandIn, database: Database, *, timeout: float
) -> SpeedToLead:
    """Wait for the handoffs of `sent` (at most `timeout` seconds), then time each one.

    A handoff not posted in time counts as taking until the deadline: a lower bound.
    """
    answered = [lead for lead in sent if lead.short_id]
    with driver_connection(database) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT short_id, id FROM leads")
        ids = dict(cursor.fetchall())
        if database.is_postgres:
            connection.rollback()
    wanted = {ids[lead.short_id] for lead in answered}
    standin.wait_for(lambda: wanted <= handoff_posts(standin).keys(), timeout=timeout)
    deadline = time.monotonic()
    posts = handoff_posts(standin)
    seconds, missing, wrong = [], 0, 0
    allowed: list[tuple[int, float]] = []
    channel_free: dict[str, float] = {}
    for lead in answered:
        call = posts.get(ids[lead.short_id])
        missing += call is None
        wrong += call is not None and call.args.get("channel") != lead.channel
        seconds.append((call.at if call else deadline) - lead.answered_at)
    # What Slack's pace alone allows: a post a SLACK_PACE a channel on average. Each lead is
    # posted when taken in or at its channel's next slot, slots following on from the last
    # while posts keep coming (the pace Baton keeps, so that one late post does not push
    # every later one back).
    for lead in sorted(answered, key=lambda lead: lead.answered_at):
        free = channel_free.get(lead.channel, float("-inf"))
        at = max(lead.answered_at, free)
        channel_free[lead.channel] = (free if free > at - SLACK_PACE else at) + SLACK_PACE
        allowed.append((lead.number, at - lead.answered_at))
    allowed.sort()
    return SpeedToLead(
        seconds=seconds,
        allowed=[wait for _, wait in allowed],
        to_202=[lead.answered_at - lead.sent_at for lead in answered],
        missing=missing,
        wrong_channel=wrong,
    )


# The columns of a stored history's lead rows, as the memory and catch-up benchmarks load
# them with the driver.
HISTORY_LEAD_COLUMNS = (
    "id",
    "short_id",
    "email",
    "first_name",
    "last_name",
    "company",
    "country",
    "campaign",
    "source",
    "score",
    "status",
    "region",
    "handoff_round",
    "round_started_at",
    "rep_id",
    "decided_by",
    "decided_at",
    "feedback_due_at",
    "next_step_at",
    "priority",
    "created_at",
    "updated_at",
)
