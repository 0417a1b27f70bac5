"""How fast `baton import` stores a large trade-show file, against a plain bulk insert.

Generates a CSV of --rows leads (100,000 by default), imports it into a fresh database
through the import service, and measures a baseline in the same run: csv.DictReader plus
one SQLAlchemy Core bulk insert of the same rows into the leads table, with no checking,
qualifying, routing, events or outbox. Prints rows/s, seconds, the ratio to the baseline and
whether the import meets the target.

    python bench/import.py [--rows N] [--chunk-size N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

from harness import postgres_database, scratch_database
from sqlalchemy import func, insert, select

from bot.app import build_baton
from bot.csvfiles.importing import import_csv
from config.model import load_config
from config.settings import load_settings
from storage.db import Database
from storage.rows import LeadRow, OutboxRow

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "baton.yaml"
TARGET_SECONDS = 10.0
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--postgres", metavar="URL", help="also run against this server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "tech-expo-berlin-2026.csv"
        write_csv(csv_path, args.rows)
        size = csv_path.stat().st_size / 1_000_000
        print(f"{args.rows:,} rows, {size:.1f} MB, chunks of {args.chunk_size:,}")
        ok = run(
            "sqlite",
            lambda name: scratch_database("sqlite", postgres="", name=name),
            csv_path,
            args,
        )
        if args.postgres:
            ok &= run("postgresql", lambda _: postgres_database(args.postgres), csv_path, args)
    return 0 if ok else 1


def run(
    label: str,
    database_for: Callable[[str], AbstractContextManager[Database]],
    csv_path: Path,
    args: argparse.Namespace,
) -> bool:
    with database_for("import") as database:
        settings = load_settings(env_file=None, database_url=database.url, baton_config=CONFIG)
        baton = build_baton(settings, database=database, config=load_config(CONFIG))
        started = time.perf_counter()
        report = import_csv(
            csv_path,
            baton=baton,
            campaign="tech-expo-berlin-2026",
            source="trade_show",
            dry_run=False,
            chunk_size=args.chunk_size,
        )
        seconds = time.perf_counter() - started
        with database.reading() as session:
            leads = session.scalar(select(func.count()).select_from(LeadRow))
            work = session.scalar(select(func.count()).select_from(OutboxRow))
    with database_for("baseline") as database:
        started = time.perf_counter()
        bulk_insert(csv_path, database)
        baseline = time.perf_counter() - started
    rate = report.rows / seconds
    met = seconds <= TARGET_SECONDS
    print(f"\n{label}")
    print(f"  import    {seconds:7.2f} s  {rate:10,.0f} rows/s")
    print(f"            {leads:,} leads stored, {report.pending:,} pending,")
    print(f"            {report.nurture:,} nurture, {work:,} outbox rows queued")
    print(f"  baseline  {baseline:7.2f} s  {report.rows / baseline:10,.0f} rows/s")
    print("            (csv.DictReader + one Core bulk insert, nothing else)")
    print(f"  ratio     {seconds / baseline:7.1f} x the baseline")
    print(f"  target    ≤ {TARGET_SECONDS:.0f} s: {'met' if met else 'MISSED'}")
    return met


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


def bulk_insert(csv_path: Path, database: Database) -> None:
    now = datetime.now(UTC)
    with csv_path.open(encoding="utf-8-sig", newline="") as file:
        values = [
            {
                "short_id": f"B-{i}",
                "email": row["E-mail"].lower(),
                "first_name": row["Given Name"] or None,
                "last_name": row["Surname"] or None,
                "company": row["Organisation"] or None,
                "title": row["Job Title"] or None,
                "phone": row["Phone Number"] or None,
                "country": row["Country/Region"] or None,
                "state": row["State/Province"] or None,
                "postal_code": row["Postal Code"] or None,
                "campaign": "tech-expo-berlin-2026",
                "source": "trade_show",
                "status": "received",
                "handoff_round": 0,
                "priority": 0,
                "created_at": now,
                "updated_at": now,
            }
            for i, row in enumerate(csv.DictReader(file))
        ]
    with database.engine.begin() as connection:
        connection.execute(insert(LeadRow), values)


if __name__ == "__main__":
    sys.exit(main())
