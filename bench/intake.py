"""How many leads per second `POST /intake/leads` stores, against a plain bulk insert.

Serves the real web app with uvicorn (127.0.0.1, port 0, in its own process) and sends it
sales-ready leads with unique emails, their countries spread over the config's regions,
over a few keep-alive connections, each sending its next request when its last is answered:

  batch   requests of 500 leads each;
  single  one lead per request.

Each runs against a fresh database. The baseline, measured in the same run on another fresh
database, is one SQLAlchemy Core bulk insert, in one transaction, of exactly the rows the
batch run left in every table it wrote (leads, their events, handoff rounds, outbox work,
batches: read back after the run, so the baseline follows whatever intake stores), with no
parsing, checking, qualifying, routing or HTTP.

    python bench/intake.py [--postgres URL] [--quick] [--no-sqlite] [--connections N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from harness import DEFAULT_POSTGRES, KeepAliveConnection, scratch_database, served, serving_baton
from sqlalchemy import insert, select

from bot.domain.qualification import route
from config.model import BatonConfig, load_config
from storage.db import Database
from storage.rows import Base

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "baton.yaml"
TOKEN = "bench-intake-token"
_PATH = "/intake/leads"
BATCH_SIZE = 500
TARGET_RATIO = 0.5
TARGET_SINGLE_RPS = 500


@dataclass(frozen=True)
class Sizes:
    batch_leads: int
    single_requests: int


FULL = Sizes(batch_leads=20_000, single_requests=5_000)
QUICK = Sizes(batch_leads=5_000, single_requests=1_000)


@dataclass(frozen=True)
class Run:
    seconds: float
    requests: int
    leads: int
    stored: dict[str, int]
    rows: dict[str, list[dict[str, Any]]]

    @property
    def leads_per_second(self) -> float:
        return self.leads / self.seconds

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--quick", action="store_true", help="a smaller run")
    parser.add_argument(
        "--connections", type=int, default=4, help="requests in flight at once (default 4)"
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    config = load_config(CONFIG)
    places = places_of(config)
    print(
        f"{sizes.batch_leads:,} leads in batches of {BATCH_SIZE}, "
        f"{sizes.single_requests:,} single-lead requests, {args.connections} connections, "
        f"countries over {len(config.regions)} regions"
    )
    backends = [
        backend
        for backend, skip in (("sqlite", args.no_sqlite), ("postgresql", args.no_postgres))
        if not skip
    ]
    ok = True
    for backend in backends:
        ok &= run_backend(backend, args, sizes, places)
    return 0 if ok else 1


def run_backend(
    backend: str,
    args: argparse.Namespace,
    sizes: Sizes,
    places: list[list[dict[str, str]]],
) -> bool:
    batch_leads = lead_documents(sizes.batch_leads, places, first=0)
    single_leads = lead_documents(sizes.single_requests, places, first=sizes.batch_leads)
    batch_bodies = [
        json.dumps({"leads": batch_leads[i : i + BATCH_SIZE]}).encode()
        for i in range(0, len(batch_leads), BATCH_SIZE)
    ]
    single_bodies = [json.dumps(lead).encode() for lead in single_leads]

    batch = through_http(backend, args, batch_bodies, len(batch_leads), keep_rows=True)
    single = through_http(backend, args, single_bodies, len(single_leads))
    with scratch_database(backend, postgres=args.postgres, name="baseline") as database:
        started = time.perf_counter()
        bulk_insert(database, batch.rows)
        baseline_seconds = time.perf_counter() - started
        baseline_stored = {name: len(rows) for name, rows in batch.rows.items()}
    baseline_rate = len(batch_leads) / baseline_seconds

    ratio = batch.leads_per_second / baseline_rate
    ratio_met = ratio >= TARGET_RATIO
    single_met = single.requests_per_second >= TARGET_SINGLE_RPS
    print(f"\n{backend}")
    print(
        f"  batch     {batch.seconds:7.2f} s  {batch.leads_per_second:9,.0f} leads/s"
        f"  ({batch.requests_per_second:,.1f} requests/s of {BATCH_SIZE})"
    )
    print(f"            stored {describe(batch.stored)}")
    print(
        f"  single    {single.seconds:7.2f} s  {single.requests_per_second:9,.0f} requests/s"
        "  (one lead each)"
    )
    print(f"            stored {describe(single.stored)}")
    print(f"  baseline  {baseline_seconds:7.2f} s  {baseline_rate:9,.0f} leads/s")
    print(f"            stored {describe(baseline_stored)}")
    print("            (one Core bulk insert of the same rows, nothing else)")
    print(f"  ratio     batch / baseline = {ratio:.2f}")
    print(f"  target    batch ≥ {TARGET_RATIO} × baseline: {'met' if ratio_met else 'MISSED'}")
    if backend == "sqlite":
        print(
            f"  target    single ≥ {TARGET_SINGLE_RPS} requests/s: "
            f"{'met' if single_met else 'MISSED'}"
        )
    else:
        print(f"  (single ≥ {TARGET_SINGLE_RPS} requests/s is a target on SQLite only)")
    complete = batch.stored["leads"] == batch.leads and single.stored["leads"] == single.leads
    if not complete:
        print("  WARNING: intake stored another number of leads than it was sent")
    return ratio_met and (single_met or backend != "sqlite") and complete


def through_http(
    backend: str, args: argparse.Namespace, bodies: list[bytes], leads: int, keep_rows: bool = False
) -> Run:
    """Send every body to a freshly served Baton on a fresh database; time until the last 202."""
    with scratch_database(backend, postgres=args.postgres, name="intake") as database:
        url = database.url
        database.dispose()
        with served(web_app, database_url=url) as base_url:
            warm_up(base_url)
            before = primary_keys(database)
            seconds = send_all(base_url, bodies, args.connections)
        rows = rows_added(database, before)
    return Run(
        seconds=seconds,
        requests=len(bodies),
        leads=leads,
        stored={name: len(table_rows) for name, table_rows in rows.items()},
        rows=rows if keep_rows else {},
    )


def web_app(database_url: str) -> tuple[Any, Callable[[], None]]:
    """The web app `baton serve` runs, without its delivery worker (only storing is measured)."""
    return serving_baton(
        deliver=False,
        database_url=database_url,
        baton_config=CONFIG,
        baton_intake_token=TOKEN,
        slack_bot_token="xoxb-bench",
        slack_signing_secret="bench-signing-secret",
    )


def warm_up(base_url: str) -> None:
    lead = {"email": "warm-up@bench.example", "company": "Warm-up Ltd", "score": 90}
    with httpx.Client(base_url=base_url, headers=_headers()) as client:
        client.get("/healthz").raise_for_status()
        answer = client.post("/intake/leads", content=json.dumps(lead).encode())
        if answer.status_code != 202:
            raise RuntimeError(f"intake answered {answer.status_code}: {answer.text[:300]}")


def send_all(base_url: str, bodies: list[bytes], connections: int) -> float:
    """Post the bodies over `connections` keep-alive connections; seconds until the last answer.

    The client is a lean asyncio one (the harness's), so that it costs little next to the
    server it measures.
    """
    return asyncio.run(_send_all(base_url, bodies, connections))


async def _send_all(base_url: str, bodies: list[bytes], connections: int) -> float:
    pending = iter(bodies)
    failures: list[str] = []

    async def client() -> None:
        connection = KeepAliveConnection(base_url)
        await connection.open()
        try:
            for body in pending:
                status = await connection.send(connection.request(_PATH, body, _headers()))
                if status != 202:
                    failures.append(f"intake answered {status}")
                    return
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    seconds = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"intake failed: {failures[0]}")
    return seconds


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def places_of(config: BatonConfig) -> list[list[dict[str, str]]]:
    """For each region, places it takes: a country, and a state or postal code where it asks."""
    places = []
    for region in config.regions:
        match, found = region.match, []
        for i, country in enumerate(match.countries):
            place = {"country": country}
            if match.states:
                place["state"] = match.states[i % len(match.states)]
            if match.postal_prefixes:
                place["postal_code"] = match.postal_prefixes[i % len(match.postal_prefixes)] + "1"
            if route(place, config.regions).region == region.name:
                found.append(place)
        if found:
            places.append(found)
    return places


def lead_documents(
    count: int, places: list[list[dict[str, str]]], *, first: int
) -> list[dict[str, Any]]:
    """Sales-ready leads with unique emails, the regions taking turns, each region's places too."""
    titles = ("CTO", "Head of IT", "Engineer", "Buyer", "COO")
    leads = []
    for n in range(first, first + count):
        company = n % 4000
        region_places = places[n % len(places)]
        leads.append(
            {
                "email": f"person{n}@company{company}.example",
                "first_name": f"Given{n}",
                "last_name": f"Surname{n}",
                "company": f"Company {company} Ltd",
                "title": titles[n % len(titles)],
                "phone": f"+1 555 {n % 10_000_000:07d}",
                "campaign": "website-organic-2026",
                "source": "web",
                "score": 50 + n % 50,
                **region_places[n // len(places) % len(region_places)],
            }
        )
    return leads


def primary_keys(database: Database) -> dict[str, set[tuple[Any, ...]]]:
    """Every row's primary key in every table, to tell later which rows a run added."""
    with database.engine.connect() as connection:
        return {
            table.name: {tuple(row) for row in connection.execute(select(*table.primary_key))}
            for table in Base.metadata.sorted_tables
        }


def rows_added(
    database: Database, before: dict[str, set[tuple[Any, ...]]]
) -> dict[str, list[dict[str, Any]]]:
    """The rows added since `before`, in the tables that gained any, parents first."""
    added = {}
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            key = [column.name for column in table.primary_key]
            rows = [
                dict(row._mapping)
                for row in connection.execute(select(table))
                if tuple(row._mapping[name] for name in key) not in before[table.name]
            ]
            if rows:
                added[table.name] = rows
    return added


def bulk_insert(database: Database, rows: dict[str, list[dict[str, Any]]]) -> None:
    tables = Base.metadata.tables
    with database.engine.begin() as connection:
        for name, table_rows in rows.items():
            connection.execute(insert(tables[name]), table_rows)


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {name}" for name, count in counts.items())


if __name__ == "__main__":
    sys.exit(main())
