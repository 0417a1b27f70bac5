"""How much memory `baton serve` holds with 1,000,000 leads stored: idle, and during an intake.

Fills a fresh database with 1,000,000 leads of two years (mostly closed or nurtured; some
worked or pending, none of their timers due), each with its first event and its summary,
with the driver's own bulk load (COPY on PostgreSQL), and records every job as caught up a
minute ago. Then starts `baton serve` itself as a child process (web app, outbox worker and
scheduler; Slack is the stand-in) and reads its resident memory (VmRSS in /proc) every
100 ms:

  idle    once every scheduled job has made its first pass, for a few seconds;
  intake  while 50,000 new leads arrive in batches of 500 over 4 connections (the outbox
          worker posting their handoffs meanwhile): the highest reading.

Each round is a new `baton serve` on the same database (the Slack work its intake left
undelivered is marked as delivered afterwards, so that every round starts idle), taking
turns with one on an empty database (idle only), for how much of the memory the stored
leads account for (not with --quick, which stores 250,000 leads and takes in 20,000).
Goals: ≤ 150 MB idle, ≤ 200 MB during the intake (the medians of the rounds; MB here is
MiB, as /proc counts).

    python bench/memory.py [--postgres URL] [--quick] [--rounds N] [--no-sqlite] [--no-postgres]
                           [--leads N] [--intake N] [--sqlite-cache-mib N]
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import (
    CONFIG,
    HISTORY_LEAD_COLUMNS,
    Goal,
    Scorecard,
    analyse,
    arguments,
    backends,
    baton_serve,
    derive_rows,
    driver_connection,
    interleave,
    lead_document,
    load_rows,
    places_of,
    post_all,
    rss_mib,
    scratch_database,
    standin_for,
    stored_value,
)

from config.model import BatonConfig, load_config
from storage.db import Database

IDLE_GOAL = Goal("`baton serve` with 1,000,000 leads, idle", "≤ 150 MB RSS", 150.0, ratio=False)
INTAKE_GOAL = Goal(
    "`baton serve` with 1,000,000 leads, during a 50,000-lead intake",
    "≤ 200 MB RSS",
    200.0,
    ratio=False,
)
BATCH = 500
IDLE_SECONDS = 5.0
JOBS = ("handoff-sla", "followups", "nextsteps", "leakage", "digest")
YEARS = timedelta(days=730)
CLOSED = ("won", "lost", "returned")
WORKED = ("accepted", "attempted", "connected", "meeting", "opportunity")
EVENT_COLUMNS = (
    "id",
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
    "data",
)
SUMMARY_COLUMNS = (
    "lead_id",
    "received_at",
    "campaign",
    "source",
    "region",
    "rep_id",
    "stages",
    "last_event_id",
)
# Funnel stages (bot.domain.lead_summary.Stage bits) a lead of each status reached.
STAGES = {"nurture": 0, "pending": 1, "returned": 1 | 4, "lost": 1 | 2 | 8 | 128}
STAGES |= {"won": 1 | 2 | 8 | 16 | 32 | 64, "accepted": 1 | 2, "attempted": 1 | 2}
STAGES |= {"connected": 1 | 2 | 8, "meeting": 1 | 2 | 8 | 16, "opportunity": 1 | 2 | 8 | 16 | 32}


def main() -> int:
    def more(parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--leads", type=int, help="leads stored (1,000,000; quick 250,000)")
        parser.add_argument("--intake", type=int, help="leads taken in (50,000; quick 20,000)")
        parser.add_argument(
            "--sqlite-cache-mib", type=int, help="BATON_SQLITE_CACHE_MIB (Baton's default)"
        )

    args = arguments(__doc__, more)
    stored = args.leads or (250_000 if args.quick else 1_000_000)
    taken = args.intake or (20_000 if args.quick else 50_000)
    rounds = args.rounds or (1 if args.quick else 2)
    config = load_config(CONFIG)
    settings = {}
    if args.sqlite_cache_mib:
        settings["BATON_SQLITE_CACHE_MIB"] = str(args.sqlite_cache_mib)
    print(
        f"memory: `baton serve` with {stored:,} leads; idle, then during an intake of "
        f"{taken:,} leads in batches of {BATCH}; {rounds} round(s)"
        + ("" if args.quick else ", taking turns with `baton serve` on an empty database"),
        flush=True,
    )
    idle_goal = replace(IDLE_GOAL, measure=f"`baton serve` with {stored:,} leads, idle")
    busy_goal = replace(
        INTAKE_GOAL, measure=f"`baton serve` with {stored:,} leads, during a {taken:,}-lead intake"
    )
    card = Scorecard("memory")
    for backend in backends(args):
        print(f"\n{backend}", flush=True)
        with (
            scratch_database(backend, postgres=args.postgres, name="memory") as database,
            scratch_database(backend, postgres=args.postgres, name="empty") as empty,
        ):
            started = time.perf_counter()
            fill(database, stored, config)
            fill(empty, 0, config)
            print(f"  filled in {time.perf_counter() - started:.1f} s", flush=True)

            def serving(database: Database, taken: int) -> Callable[[int], dict[str, float]]:
                def run(number: int) -> dict[str, float]:
                    # New leads' numbers start past the stored ones: emails of their own.
                    first = 10_000_000 + number * taken
                    return one_round(database, config, first, taken, settings)

                return run

            contenders = {
                "empty database": serving(empty, 0),
                "baton serve": serving(database, taken),
            }
            if args.quick:
                del contenders["empty database"]
            found = interleave(rounds, contenders, warm_up=False)
            empty_found = found.get("empty database")
            card.judge(
                idle_goal,
                backend,
                ("baton serve", found["baton serve"]["idle MB"]),
                ("on an empty database", empty_found["idle MB"]) if empty_found else None,
                unit="MB",
            )
            card.judge(
                busy_goal, backend, ("baton serve", found["baton serve"]["intake MB"]), unit="MB"
            )
    return card.summary()


def one_round(
    database: Database, config: BatonConfig, first: int, count: int, settings: dict[str, str]
) -> dict[str, float]:
    """Serve, wait for every job's first pass, read the memory idle and during an intake of
    `count` leads (none: idle only)."""
    with (
        standin_for(config) as standin,
        baton_serve(database, slack_api_url=standin.url, settings=settings) as baton,
    ):
        started = time.monotonic()
        wait_for_first_passes(database, baton.pid)
        passes = time.monotonic() - started
        idle = max(samples(baton.pid, IDLE_SECONDS))
        if not count:
            print(f"      first passes done {passes:.0f} s after start", flush=True)
            return {"idle MB": idle}
        places = places_of(config)
        leads = [lead_document(first + n, places[n % len(places)][1]) for n in range(count)]
        bodies = [
            json.dumps({"leads": leads[i : i + BATCH]}).encode() for i in range(0, count, BATCH)
        ]
        readings: list[float] = []
        stop = threading.Event()
        reader = threading.Thread(target=sample_until, args=(baton.pid, stop, readings))
        reader.start()
        try:
            seconds = post_all(baton.url, bodies, 4)
        finally:
            stop.set()
            reader.join()
        after = rss_mib(baton.pid)
    forget_undelivered(database)
    print(
        f"      first passes done {passes:.0f} s after start; intake {count / seconds:,.0f} "
        f"leads/s; {after:.0f} MB just after it",
        flush=True,
    )
    return {"idle MB": idle, "intake MB": max(readings)}


def forget_undelivered(database: Database) -> None:
    """Mark the Slack work left undelivered as delivered, so that the next round starts idle
    as this one did, and not with a backlog of handoffs to post."""
    with driver_connection(database) as connection:
        cursor = connection.cursor()
        if database.is_sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("UPDATE outbox SET state = 'sent' WHERE state <> 'sent'")
        connection.commit() if database.is_postgres else cursor.execute("COMMIT")


def wait_for_first_passes(database: Database, pid: int, timeout: float = 120) -> None:
    """Until every job has run once since `baton serve` started."""
    with driver_connection(database) as connection:
        before = dict(_runs(connection, database))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = dict(_runs(connection, database))
            if all(now.get(job, 0) > before.get(job, 0) for job in JOBS):
                return
            rss_mib(pid)  # still running
            time.sleep(0.5)
    raise RuntimeError("the scheduled jobs did not all run in time")


def _runs(connection: Any, database: Database) -> list[tuple[str, int]]:
    cursor = connection.cursor()
    cursor.execute("SELECT name, runs FROM job_runs")
    rows = cursor.fetchall()
    if database.is_postgres:
        connection.rollback()
    return rows


def samples(pid: int, seconds: float) -> list[float]:
    readings: list[float] = []
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    sample_until(pid, stop, readings)
    return readings


def sample_until(pid: int, stop: threading.Event, readings: list[float]) -> None:
    while True:
        readings.append(rss_mib(pid))
        if stop.wait(0.1):
            return


def fill(database: Database, count: int, config: BatonConfig) -> None:
    """Store `count` leads of a two-year history, their first events and summaries."""
    backend = "sqlite" if database.is_sqlite else "postgresql"
    now = datetime.now(UTC)
    regions = [region.name for region in config.regions] + [None]
    people = {region.name: (region.manager, region.reps[0]) for region in config.regions}
    people[None] = ("U0SALESVP1", "U0SALESVP1")
    campaigns = [campaign.name for campaign in config.campaigns] + [None]
    sources = ("webinar", "trade_show", "web", "partner")

    def stamp(moment: datetime) -> Any:
        return stored_value(backend, moment)

    def lead(i: int) -> tuple[Any, ...]:
        share, region = i % 100, regions[i % len(regions)]
        created = stamp(now - YEARS * (1 - i / count) - timedelta(days=30))
        manager, rep = people[region]
        status, started, decided_by, decided, feedback, step = (
            "nurture",
            None,
            None,
            None,
            None,
            None,
        )
        if share < 55:  # closed long ago
            decided = now - YEARS * (1 - i / count) - timedelta(days=29)
            status, started, decided_by = CLOSED[i % 3], created, manager
            feedback, decided = stamp(decided + timedelta(days=4)), stamp(decided)
        elif share < 75:  # worked lately, feedback and next steps due in the coming weeks
            decided, due = now - timedelta(hours=1 + i % 48), now + timedelta(days=1 + i % 14)
            status, decided_by = WORKED[i % len(WORKED)], manager
            created = started = decided = stamp(decided)
            feedback = step = stamp(due)
        elif share < 77:  # taken in within the last half hour: no reminder due yet
            status, created = "pending", stamp(now - timedelta(seconds=i % 1800))
            started, rep = created, None
        if status in ("nurture", "pending"):
            rep = None
        return (
            i,
            f"M{i:09d}",
            f"lead{i}@company{i % 9000}.example",
            "Jane",
            f"Doe{i}",
            f"Company {i % 9000}",
            "DE",
            campaigns[i % len(campaigns)],
            sources[i % len(sources)],
            50 + i % 50,
            status,
            region,
            0 if status == "nurture" else 1,
            started,
            rep,
            decided_by,
            decided,
            feedback,
            step,
            0,
            created,
            created,
        )

    load_rows(database, "leads", HISTORY_LEAD_COLUMNS, (lead(i) for i in range(1, count + 1)))
    empty = "'{}'" if database.is_sqlite else "'{}'::json"
    derive_rows(
        database,
        "lead_events",
        EVENT_COLUMNS,
        "SELECT id, id, created_at, 'received', 'intake', handoff_round, region, campaign, "
        f"source, 'received', {_NURTURE_OR_PENDING}, {_REASON}, {empty} FROM leads",
    )
    stages = " ".join(f"WHEN '{status}' THEN {bits}" for status, bits in STAGES.items())
    derive_rows(
        database,
        "lead_summary",
        SUMMARY_COLUMNS,
        "SELECT id, created_at, campaign, source, region, rep_id, "
        f"CASE status {stages} END, id FROM leads",
    )
    caught_up = stamp(now - timedelta(minutes=1))
    runs = [(job, caught_up, caught_up, caught_up, 1, caught_up) for job in JOBS]
    columns = ("name", "started_at", "finished_at", "as_of", "runs", "caught_up_to")
    load_rows(database, "job_runs", columns, runs)
    analyse(database)


_NURTURE_OR_PENDING = "CASE status WHEN 'nurture' THEN 'nurture' ELSE 'pending' END"
_REASON = "CASE status WHEN 'nurture' THEN 'nurture' ELSE 'sales-ready' END"


if __name__ == "__main__":
    sys.exit(main())
