"""How long a backtest of a proposed lead definition takes, beside a plain scan of its rows.

Fills a fresh database with generated leads received over one year, with the events of
their lives and their summaries (the development kit's histories: qualified under the
version live when they arrived, some back from nurture later, accepted or returned,
outcomes and amounts; about 2.5 events a lead): 100,000 leads, then 900,000 more, made once
and stored in each backend alike. At each size it times, taking turns round after round:

  backtest     a realistic proposal (raising the minimum score to 60 and requiring a phone)
               as `baton rules backtest` runs it: the one scan of the summaries joined with
               the leads, streamed in chunks, each lead qualified under the live rules and
               the proposal, and the counts by source and campaign with their headline
  plain scan   the same SQL through the database driver itself, every row fetched and
               dropped: the least any backtest reading these rows can take

and prints each one's min, median and max, and the ratio of the medians.

Goal: the backtest of 100,000 leads within 5 seconds (the median of the rounds).

    python bench/backtest.py [--postgres URL] [--quick] [--rounds N] [--no-sqlite] [--no-postgres]
                             [--sizes N,N]

`--quick`: 100,000 leads only, fewer rounds (under two minutes).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from baton_devkit.histories import Era, GeneratedLead, StoredRows, generate, rows_of, store_rows
from harness import Goal, Scorecard, analyse, arguments, backends, interleave, scratch_database

from bot.domain.backtest import Backtest, Backtester
from bot.domain.definitions import Rules, changes, doing_phrase, first_version, rules_of
from bot.services.rules import backtest_rules
from config.model import load_config
from storage.backtest import SqlBacktestReader, backtest_query
from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "baton.yaml"
START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
PERIOD = (START, START + YEAR)  # every lead generated
SIZES = (100_000, 1_000_000)
TARGET = (100_000, 5.0)  # leads, seconds
CHUNK = 10_000
T = TypeVar("T")


def main() -> int:
    def more(parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--sizes", help="sizes of the history (100000,1000000; quick 100000)")

    args = arguments(__doc__, more)
    live = rules_of(load_config(CONFIG).lead_definition)
    proposal = replace(live, min_score=60, required_fields=(*live.required_fields, "phone"))
    eras = (Era(START, 1, replace(live, min_score=40)), Era(START + YEAR / 3, 2, live))
    sizes = SIZES[:1] if args.quick else SIZES
    if args.sizes:
        sizes = tuple(int(size) for size in args.sizes.split(","))
    rounds = args.rounds or (3 if args.quick else 5)
    print(
        f"Backtest of “{doing_phrase(changes(live, proposal))}” over the leads received in one "
        f"year, {rounds} rounds each, taking turns with a plain scan"
    )
    began = time.perf_counter()
    history = made(eras, sizes)
    print(
        f"  made     {sizes[-1]:>9,} leads  {time.perf_counter() - began:7.1f} s  (once, for every backend)"
    )
    card = Scorecard("backtest")
    for backend in backends(args):
        with scratch_database(backend, postgres=args.postgres, name="backtest") as database:
            run_backend(card, backend, database, live, proposal, history, rounds)
    return card.summary()


def made(eras: tuple[Era, ...], sizes: tuple[int, ...]) -> dict[int, list[StoredRows]]:
    """Each size's leads beyond the size before it, as the rows stored for them: made once
    and stored in every backend, which see the same leads."""
    history: dict[int, list[StoredRows]] = {}
    filled, next_event = 0, [1]
    for size in sizes:
        leads = generate(
            size - filled,
            eras=eras,
            start=START,
            span=YEAR,
            seed=size,
            first_id=filled + 1,
            first_event_id=next_event[0],
        )
        history[size] = list(rows_of(_counting_events(leads, next_event), chunk=CHUNK))
        filled = size
    return history


def run_backend(
    card: Scorecard,
    backend: str,
    database: Database,
    live: Rules,
    proposal: Rules,
    history: dict[int, list[StoredRows]],
    rounds: int,
) -> None:
    print(f"\n{backend}")
    for size, more in history.items():
        began = time.perf_counter()
        with database.engine.begin() as connection:
            store_rows(connection, more)
        analyse(database)
        print(f"  filled {size:>9,} leads  {time.perf_counter() - began:7.1f} s")
        results: list[Backtest] = []

        def scan(_: int, size: int = size) -> dict[str, float]:
            seconds, count = _timed(lambda: plain_scan(database, live, proposal, *PERIOD))
            assert count == size, (count, size)
            return {"seconds": seconds}

        def test(_: int, results: list[Backtest] = results) -> dict[str, float]:
            seconds, result = _timed(lambda: backtest(database, live, proposal, *PERIOD))
            results.append(result)
            return {"seconds": seconds}

        found = interleave(rounds, {"plain scan": scan, "backtest": test}, warm_up=False)
        assert results[-1].total.verdicts.received == size
        print(f"    {results[-1].headline}")
        goal = Goal(f"backtest of {size:,} leads", "none: for comparison", None, ratio=False)
        if size == TARGET[0]:
            goal = replace(goal, wording=f"≤ {TARGET[1]:g} s", bound=TARGET[1])
        card.judge(
            goal,
            backend,
            ("backtest", found["backtest"]["seconds"]),
            ("plain scan", found["plain scan"]["seconds"]),
            unit="s",
        )


def backtest(
    database: Database, live: Rules, proposal: Rules, since: datetime, until: datetime
) -> Backtest:
    """As `baton rules backtest` runs it: the backtest service over the store's one scan."""
    return backtest_rules(
        proposal,
        live=first_version(live, at=since),
        reader=SqlBacktestReader(database, chunk=CHUNK),
        currency="USD",
        since=since,
        until=until,
    )


def plain_scan(
    database: Database, live: Rules, proposal: Rules, since: datetime, until: datetime
) -> int:
    """The backtest's own query through the driver, every row fetched and dropped."""
    fields = Backtester(live, proposal).fields
    query = backtest_query(since=since, until=until, fields=fields)
    sql = str(
        query.compile(dialect=database.engine.dialect, compile_kwargs={"literal_binds": True})
    )
    proxied = database.read_engine.raw_connection()
    try:
        driver = proxied.dbapi_connection
        assert driver is not None
        # PostgreSQL streams through a server-side cursor, as the backtest's read does.
        cursor = driver.cursor(name="plain_scan") if database.is_postgres else driver.cursor()
        try:
            cursor.execute(sql)
            count = 0
            while rows := cursor.fetchmany(CHUNK):
                count += len(rows)
        finally:
            cursor.close()
        driver.rollback()
    finally:
        proxied.close()
    return count


def _timed(work: Callable[[], T]) -> tuple[float, T]:
    began = time.perf_counter()
    result = work()
    return time.perf_counter() - began, result


def _counting_events(
    leads: Iterator[GeneratedLead], next_event: list[int]
) -> Iterator[GeneratedLead]:
    """The leads as generated, noting the id their next batch's events start from."""
    for lead in leads:
        next_event[0] = lead.events[-1]["id"] + 1
        yield lead


if __name__ == "__main__":
    sys.exit(main())
