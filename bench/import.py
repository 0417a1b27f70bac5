"""How long `baton import` takes to store a large trade-show file, against the driver storing
the same rows.

Generates a badge-scanner CSV of 100,000 rows (20,000 with --quick) and imports it through the
import service, as `baton import` does (chunks of 1,000 leads, each its own transaction, the
file read ahead in a second process), into a fresh database each time.

The baseline, in the same run: a minimal import that reads the file with csv.reader and
stores exactly the rows that make a lead safe, its lead row and its first event, with the
driver's own bulk insert (sqlite3's executemany; psycopg's executemany, which pipelines its
statements), 1,000 leads a transaction, into a fresh database: no checking, qualifying,
routing (a region by country from a table), summaries, handoff rounds or outbox.

The contenders take turns round after round: baseline and Baton on SQLite, then on
PostgreSQL, and again. Goals: Baton at most 2.5 × the baseline's seconds on each, and Baton
on PostgreSQL at most 1.5 × Baton on SQLite (ratios of the medians of the rounds).

    python bench/import.py [--postgres URL] [--quick] [--rounds N] [--no-sqlite] [--no-postgres]
                           [--rows N]
"""

from __future__ import annotations

import csv
import functools
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from harness import (
    CONFIG,
    Goal,
    Scorecard,
    arguments,
    backends,
    count_rows,
    driver_connection,
    durable_lead,
    interleave,
    scratch_database,
    store_durable,
)

from bot.app import build_baton
from bot.csvfiles.importing import import_csv
from bot.domain.qualification import route
from config.model import load_config
from config.settings import load_settings

CHUNK = 1000  # `baton import`'s transactions
IMPORT_GOAL = Goal("100,000-row import", "≤ 2.5× the honest baseline", 2.5)
POSTGRES_GOAL = Goal("100,000-row import, PostgreSQL against SQLite", "≤ 1.5× SQLite", 1.5)
CAMPAIGN, SOURCE = "tech-expo-berlin-2026", "trade_show"
HEADER = [
    "Badge ID",
    "E-mail",
    "Given Name",
    "Surname",
    "Organisation",
    "Job Title",
    "Phone Number",
    "Country/Region",
    "State/Province",
    "Postal Code",
    "Lead Score",
    "Booth",
    "Scanned At",
]
PLACES = [("DE", "", "10115"), ("FR", "", "75001"), ("US", "NY", "10001"), ("US", "CA", "94105")]
PLACES += [("SG", "", "018989"), ("BR", "", "01310"), ("GB", "", "EC1A")]


def main() -> int:
    def more(parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--rows", type=int, help="rows in the file (100,000; quick 20,000)")

    args = arguments(__doc__, more)
    rows = args.rows or (20_000 if args.quick else 100_000)
    rounds = args.rounds or 3
    card = Scorecard("import")
    named = f"{rows:,}-row import"
    import_goal = replace(IMPORT_GOAL, measure=named)
    postgres_goal = replace(POSTGRES_GOAL, measure=f"{named}, PostgreSQL against SQLite")
    regions_of_places()  # built before any clock starts
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tech-expo-berlin-2026.csv"
        write_csv(path, rows)
        size = path.stat().st_size / 1_000_000
        print(
            f"import: {rows:,} rows ({size:.1f} MB), transactions of {CHUNK:,} leads; {rounds} "
            "rounds, the contenders taking turns",
            flush=True,
        )
        contenders: dict[str, Callable[[int], dict[str, float]]] = {}
        for backend in backends(args):
            contenders[f"{backend} baseline"] = timed(baseline, backend, args.postgres, path)
            contenders[f"{backend} Baton"] = timed(baton_import, backend, args.postgres, path)
        found = interleave(rounds, contenders, warm_up=False)
    for backend in backends(args):
        card.judge(
            import_goal,
            backend,
            ("Baton", found[f"{backend} Baton"]["seconds"]),
            ("driver executemany", found[f"{backend} baseline"]["seconds"]),
            unit="s",
        )
    if len(backends(args)) == 2:
        card.judge(
            postgres_goal,
            "both",
            ("Baton on PostgreSQL", found["postgresql Baton"]["seconds"]),
            ("Baton on SQLite", found["sqlite Baton"]["seconds"]),
            unit="s",
        )
    return card.summary()


def timed(
    run: Callable[..., int], backend: str, postgres: str, path: Path
) -> Callable[[int], dict[str, float]]:
    """A contender: `run` into a fresh database, timed; it returns how many leads it stored."""

    def contender(_: int) -> dict[str, float]:
        with scratch_database(backend, postgres=postgres, name="import") as database:
            started = time.perf_counter()
            run(database, backend, path)
            seconds = time.perf_counter() - started
            stored = count_rows(database, "leads")
        return {"seconds": seconds, "leads": stored}

    return contender


def baton_import(database, backend: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    """What `baton import FILE --campaign … --source trade_show` does."""
    settings = load_settings(env_file=None, database_url=database.url, baton_config=CONFIG)
    baton = build_baton(settings, database=database, config=load_config(CONFIG))
    import_csv(path, baton=baton, campaign=CAMPAIGN, source=SOURCE, dry_run=False)


def baseline(database, backend: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Read the file and store each lead's durable rows with the driver, CHUNK a transaction."""
    regions = regions_of_places()
    now = datetime.now(UTC)
    with (
        path.open(encoding="utf-8-sig", newline="") as file,
        driver_connection(database) as connection,
    ):
        reader = csv.reader(file)
        next(reader)
        chunk = []
        for number, row in enumerate(reader):
            facts = {
                "email": row[1],
                "first_name": row[2] or None,
                "last_name": row[3] or None,
                "company": row[4] or None,
                "title": row[5] or None,
                "phone": row[6] or None,
                "country": row[7] or None,
                "state": row[8] or None,
                "postal_code": row[9] or None,
                "campaign": CAMPAIGN,
                "source": SOURCE,
            }
            region = regions[row[7], row[8], row[9]]
            chunk.append(durable_lead(backend, f"X{number:09d}", facts, region, now))
            if len(chunk) == CHUNK:
                store_durable(connection, backend, chunk)
                chunk = []
        if chunk:
            store_durable(connection, backend, chunk)


@functools.cache
def regions_of_places() -> dict[tuple[str, str, str], str | None]:
    """Where each place of the file routes: the baseline's routing is a look-up in this."""
    regions = load_config(CONFIG).regions
    return {
        (country, state, postal): route(
            {"country": country, "state": state or None, "postal_code": postal}, regions
        ).region
        for country, state, postal in PLACES
    }


def write_csv(path: Path, rows: int) -> None:
    """Write a badge-scanner export; about one lead in ten has no surname (nurture)."""
    chance = random.Random(2026)
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for i in range(rows):
            country, state, postal = chance.choice(PLACES)
            writer.writerow(
                [
                    f"{100000 + i}",
                    f"visitor{i}@company{i % 5000}.example",
                    f"Given{i}",
                    "" if chance.random() < 0.1 else f"Surname{i}",
                    f"Company {i % 5000} Ltd",
                    chance.choice(["CTO", "Head of IT", "Engineer", "Buyer"]),
                    f"+49 30 {chance.randrange(10**6, 10**7)}",
                    country,
                    state,
                    postal,
                    "",
                    f"Hall {chance.randrange(1, 9)}",
                    "2026-05-13T10:15:00Z",
                ]
            )


if __name__ == "__main__":
    sys.exit(main())
