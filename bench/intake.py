"""How many leads a second `POST /intake/leads` stores, against the driver storing the same rows.

Serves the real web app with uvicorn (127.0.0.1, port 0, in its own process; the outbox
worker is not started, so only storing is measured) and sends it sales-ready leads with
unique emails, their countries spread over the config's regions, over 4 keep-alive
connections, each sending its next request as soon as its last is answered:

  batch   requests of 500 leads each;
  single  one lead per request.

Baselines, in the same run, taking turns with Baton round after round:

  batch   the driver's own bulk insert (sqlite3's executemany; psycopg's executemany, which
          pipelines its statements) of exactly the rows that make a lead safe, its lead row
          and its first event, 500 leads a transaction, in this process: no HTTP, no JSON,
          no checking, qualifying or routing (the rows are built before the clock starts);
  single  a bare endpoint on the same server stack (FastAPI on uvicorn, in its own process)
          that checks the bearer token, parses the same JSON and stores the same two rows
          with the driver, one transaction per request (SQLite's writers queue on a lock of
          the process, as Baton's do, instead of in SQLite's busy handler).

Beside the batch goal, as context and not judged: the bare endpoint (below) sent the same
batches, storing each one's rows in one transaction. It shows what the server stack, HTTP
and JSON alone leave of the driver's figure, before any of Baton's work.

Each contender has a database of its own, kept through the run: each round adds new leads.
A request of many new leads is answered once they are safe; the delivery worker (not running
here) settles them after (their summaries, handoff rounds and handoffs): the run then settles
all of Baton's batch leads as the worker does, and prints how fast, beside the goal.
Goals: batch ≥ 0.5 × the baseline's leads/s, single ≥ 0.5 × the bare endpoint's requests/s
(ratios of the medians of the rounds).

    python bench/intake.py [--postgres URL] [--quick] [--rounds N] [--no-sqlite] [--no-postgres]
                           [--connections N]
"""

from __future__ import annotations

import itertools
import json
import queue
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from harness import (
    CONFIG,
    INTAKE_PATH,
    INTAKE_TOKEN,
    Goal,
    Scorecard,
    Spread,
    arguments,
    backends,
    driver_connection,
    durable_lead,
    interleave,
    lead_document,
    places_of,
    post_all,
    scratch_database,
    served,
    serving_baton,
    store_durable,
)
from starlette.concurrency import run_in_threadpool

from config.model import load_config
from storage.db import open_database

BATCH_SIZE = 500
BATCH_GOAL = Goal("intake in batches of 500", "≥ 0.5 of the honest baseline", 0.5, at_most=False)
SINGLE_GOAL = Goal(
    "single-lead intake, 4 concurrent clients",
    "≥ 0.5 of a bare endpoint on the same stack",
    0.5,
    at_most=False,
)
BATON, BASELINE, BARE = "Baton", "driver executemany", "bare endpoint"


@dataclass(frozen=True)
class Sizes:
    batch_leads: int
    single_requests: int
    rounds: int


FULL = Sizes(batch_leads=20_000, single_requests=2_000, rounds=5)
QUICK = Sizes(batch_leads=5_000, single_requests=600, rounds=3)


def main() -> int:
    def more(parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--connections", type=int, default=4, help="requests in flight (4)")

    args = arguments(__doc__, more)
    sizes = QUICK if args.quick else FULL
    rounds = args.rounds or sizes.rounds
    places = places_of(load_config(CONFIG))
    print(
        f"intake: per round {sizes.batch_leads:,} leads in batches of {BATCH_SIZE} and "
        f"{sizes.single_requests:,} single-lead requests, {args.connections} connections, "
        f"countries over {len(places)} regions; {rounds} rounds, the contenders taking turns",
        flush=True,
    )
    card = Scorecard("intake")
    for backend in backends(args):
        run_backend(card, backend, args, sizes, rounds, places)
    return card.summary()


def run_backend(
    card: Scorecard,
    backend: str,
    args: Any,
    sizes: Sizes,
    rounds: int,
    places: list[tuple[str, dict[str, str]]],
) -> None:
    print(f"\n{backend}", flush=True)
    numbers = itertools.count()

    def documents(count: int) -> list[tuple[int, str, dict[str, Any]]]:
        found = []
        for _ in range(count):
            n = next(numbers)
            region, place = places[n % len(places)]
            found.append((n, region, lead_document(n, place)))
        return found

    with (
        scratch_database(backend, postgres=args.postgres, name="intake") as baton_db,
        scratch_database(backend, postgres=args.postgres, name="baseline") as baseline_db,
        scratch_database(backend, postgres=args.postgres, name="bare") as bare_db,
    ):
        baton_db.dispose()
        bare_db.dispose()
        countries = {place["country"]: region for region, place in places}
        with (
            served(baton_app, database_url=baton_db.url) as baton_url,
            served(bare_intake_app, database_url=bare_db.url, regions=countries) as bare_url,
            driver_connection(baseline_db) as connection,
        ):

            def batch_leads(n: int) -> int:
                return sizes.batch_leads if n >= 0 else BATCH_SIZE

            def single_requests(n: int) -> int:
                return sizes.single_requests if n >= 0 else 50

            def baseline(n: int) -> dict[str, float]:
                now = datetime.now(UTC)
                rows = [
                    durable_lead(backend, f"X{i:09d}", lead, region, now)
                    for i, region, lead in documents(batch_leads(n))
                ]
                started = time.perf_counter()
                for chunk in chunks(rows, BATCH_SIZE):
                    store_durable(connection, backend, chunk)
                return {"leads/s": len(rows) / (time.perf_counter() - started)}

            def batches(url: str) -> Callable[[int], dict[str, float]]:
                def run(n: int) -> dict[str, float]:
                    leads = [lead for _, _, lead in documents(batch_leads(n))]
                    bodies = [json.dumps({"leads": c}).encode() for c in chunks(leads, BATCH_SIZE)]
                    return {"leads/s": len(leads) / post_all(url, bodies, args.connections)}

                return run

            baton_batch, bare_batch = batches(baton_url), batches(bare_url)

            def single(url: str) -> Callable[[int], dict[str, float]]:
                def run(n: int) -> dict[str, float]:
                    leads = documents(single_requests(n))
                    bodies = [json.dumps(lead).encode() for _, _, lead in leads]
                    return {"requests/s": len(bodies) / post_all(url, bodies, args.connections)}

                return run

            print("  batch", flush=True)
            found = interleave(rounds, {BASELINE: baseline, BARE: bare_batch, BATON: baton_batch})
            card.judge(
                BATCH_GOAL,
                backend,
                (BATON, found[BATON]["leads/s"]),
                (BASELINE, found[BASELINE]["leads/s"]),
                unit="leads/s",
            )
            beside_the_batch_goal(card, backend, found)
            settled, seconds = settle_all(baton_db.url)
            print(
                f"  then settled as the delivery worker settles them (after the answers, not"
                f" in the goal): {settled:,} leads in {seconds:.2f} s, {settled / seconds:,.0f}"
                " leads/s",
                flush=True,
            )
            print("  single", flush=True)
            found = interleave(rounds, {BARE: single(bare_url), BATON: single(baton_url)})
            card.judge(
                SINGLE_GOAL,
                backend,
                (BATON, found[BATON]["requests/s"]),
                (BARE, found[BARE]["requests/s"]),
                unit="requests/s",
            )


def beside_the_batch_goal(
    card: Scorecard, backend: str, found: dict[str, dict[str, list[float]]]
) -> None:
    """Print, and note in the summary, the bare endpoint's figure for the same batches: of
    the baseline's, and Baton's of it."""
    bare, driver = Spread(tuple(found[BARE]["leads/s"])), Spread(tuple(found[BASELINE]["leads/s"]))
    baton = Spread(tuple(found[BATON]["leads/s"]))
    text = (
        f"{bare} leads/s: {bare.median / driver.median:.2f} of the baseline's median; "
        f"Baton's {baton.median / bare.median:.2f} of this"
    )
    print(f"    beside the goal, {BARE} (HTTP, JSON, the same rows): {text}", flush=True)
    card.note(f"the same batches to the {BARE} (context)", backend, text)


def settle_all(database_url: str) -> tuple[int, float]:
    """Settle every lead the batches left to settle, as the delivery worker does: how many,
    in how many seconds."""
    from bot.app import build_baton
    from config.settings import load_settings

    baton = build_baton(
        load_settings(env_file=None, baton_config=CONFIG, database_url=database_url)
    )
    settled, started = 0, time.perf_counter()
    while found := baton.settle_new_leads():
        settled += found
    seconds = time.perf_counter() - started
    baton.database.dispose()
    return settled, seconds


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def baton_app(database_url: str) -> tuple[Any, Callable[[], None]]:
    """The web app `baton serve` runs, without its delivery worker (only storing is measured)."""
    return serving_baton(deliver=False, database_url=database_url)


def bare_intake_app(database_url: str, regions: dict[str, str]) -> tuple[Any, Callable[[], None]]:
    """An endpoint that stores a lead's durable rows with the driver, and nothing else.

    It checks the bearer token, parses the JSON body (one lead, or {"leads": [...]}) and
    stores each lead's row and first event, a request's in one transaction, on a thread of
    the server's pool, with a connection set up as Baton's (the same engine builds them)
    that it keeps for the next request once done; it routes by the country alone.
    """
    database = open_database(database_url)
    backend = "sqlite" if database.is_sqlite else "postgresql"
    writers = threading.Lock() if database.is_sqlite else nullcontext()
    idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
    short_ids = itertools.count()
    app = FastAPI()

    def store(leads: list[dict[str, Any]]) -> list[str]:
        try:
            connection = idle.get_nowait()
        except queue.Empty:
            connection = database.engine.raw_connection()
        try:
            now = datetime.now(UTC)
            ids = [f"Y{next(short_ids):09d}" for _ in leads]
            rows = [
                durable_lead(backend, short_id, lead, regions.get(lead.get("country")), now)
                for short_id, lead in zip(ids, leads, strict=True)
            ]
            with writers:
                store_durable(connection.dbapi_connection, backend, rows)
        finally:
            idle.put(connection)
        return ids

    @app.post(INTAKE_PATH)
    async def intake(request: Request) -> JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token, INTAKE_TOKEN):
            return JSONResponse({"error": "a valid bearer token is required"}, status_code=401)
        document = json.loads(await request.body())
        leads = document.get("leads", [document]) if isinstance(document, dict) else None
        if not leads or not all(isinstance(lead, dict) and lead.get("email") for lead in leads):
            return JSONResponse({"error": "a lead needs an email"}, status_code=422)
        ids = await run_in_threadpool(store, leads)
        answers = [{"id": short_id, "status": "pending", "result": "created"} for short_id in ids]
        return JSONResponse({"leads": answers}, status_code=202)

    return app, database.dispose


if __name__ == "__main__":
    sys.exit(main())
