"""One pass of each timer job with 1,000 leads due among 100,000 and among 1,000,000 leads.

Loads a history into a fresh database (most leads closed or nurtured, old pending and worked
leads whose timers fired long ago, leads not due yet, leads handled earlier today that wait for
a later stage) plus, for each job, --due leads that came due in the hour since its last pass.
Times one pass of each job (its Slack work queued, not sent; five runs, each rolled back),
then a repeat pass a minute later with nothing new due (five runs), the two sizes taking
turns, and shows the query plans of the repeat pass's reads. Goals (medians of the runs): a pass at 1M within 500 ms, at most
1.5 × the pass at 100k, a repeat pass within 50 ms. With --quick: 10,000 and 100,000 leads.

    python bench/jobs.py [--postgres URL] [--quick] [--no-sqlite] [--no-postgres]
                         [--sizes 100000,1000000] [--due 1000]
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import (
    Goal,
    Scorecard,
    analyse,
    arguments,
    backends,
    interleave,
    load_rows,
    scratch_database,
    stored_value,
)
from sqlalchemy import event

from bot.clock import FixedClock
from bot.services import timers
from bot.services.timers import Job
from config.model import load_config
from storage.db import Database
from storage.uow import SqlUnitOfWork

ROOT = Path(__file__).resolve().parent.parent
CONFIG = load_config(ROOT / "config" / "baton.yaml")
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # Wednesday: 15:00 in Berlin
LAST_PASS = NOW - timedelta(hours=1)
BERLIN = CONFIG.region("emea").calendar()  # type: ignore[union-attr]
PASS_TARGET, REPEAT_TARGET, RATIO_TARGET = 0.5, 0.050, 1.5
TRIALS = 5
YEARS = timedelta(days=3 * 365)

LEAD_COLUMNS = (
    "id",
    "short_id",
    "email",
    "first_name",
    "last_name",
    "company",
    "status",
    "region",
    "handoff_round",
    "round_started_at",
    "rep_id",
    "decided_by",
    "decided_at",
    "feedback_due_at",
    "next_step_at",
    "leaked_at",
    "source",
    "priority",
    "created_at",
    "updated_at",
)
FIRE_COLUMNS = ("lead_id", "kind", "handoff_round", "due_at", "fired_at")
CLOSED = ("won", "lost", "returned")
WORKED = ("accepted", "attempted", "connected", "meeting", "opportunity")
REP, MANAGER = "U0EMEAREP1", "U0EMEAMGR1"


class History:
    """The leads and fired timers of a database that has run for years, built deterministically."""

    def __init__(self, size: int, due: int) -> None:
        self.random = random.Random(size)
        self.leads: list[tuple[Any, ...]] = []
        self.fires: list[tuple[Any, ...]] = []
        self._due(due)
        self._handled_today(due)
        background = size - len(self.leads)
        shares = (("closed", 0.55), ("nurture", 0.15), ("worked_long_ago", 0.12), ("stale", 0.08))
        for kind, share in shares:
            for _ in range(int(background * share)):
                getattr(self, f"_{kind}")()
        while len(self.leads) < size:
            self._not_due_yet()

    def _add(self, status: str, created: datetime, **values: Any) -> int:
        lead_id = len(self.leads) + 1
        row = {
            "id": lead_id,
            "short_id": f"L-{lead_id:07d}",
            "email": f"lead{lead_id}@company{lead_id % 9000}.example",
            "first_name": "Jane",
            "last_name": f"Doe{lead_id}",
            "company": f"Company {lead_id % 9000}",
            "status": status,
            "region": "emea",
            "handoff_round": 1,
            "round_started_at": created,
            "rep_id": None,
            "decided_by": None,
            "decided_at": None,
            "feedback_due_at": None,
            "next_step_at": None,
            "leaked_at": None,
            "source": "webinar",
            "priority": 0,
            "created_at": created,
            "updated_at": created,
        } | values
        self.leads.append(tuple(row[c] for c in LEAD_COLUMNS))
        return lead_id

    def _fire(self, lead_id: int, kind: str, due_at: datetime) -> None:
        self.fires.append((lead_id, kind, 1, due_at, due_at))

    def _worked(self, status: str, decided: datetime, **values: Any) -> int:
        return self._add(
            status,
            decided - timedelta(hours=3),
            rep_id=REP,
            decided_by=MANAGER,
            decided_at=decided,
            **values,
        )

    def _within(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.random.random()

    def _due(self, due: int) -> None:
        """For each job, `due` leads that came due since its last pass an hour ago."""
        for _ in range(due):
            # Started 09:00-10:00 on Wednesday in Berlin: four working hours ran out 14:00-15:00.
            self._add("pending", self._within(NOW - timedelta(hours=6), NOW - timedelta(hours=5)))
        for _ in range(due):
            feedback = self._within(LAST_PASS, NOW)
            self._worked("accepted", NOW - timedelta(days=2), feedback_due_at=feedback)
        for _ in range(due):
            step = self._within(LAST_PASS, NOW)
            self._worked("attempted", NOW - timedelta(days=5), next_step_at=step)
        for _ in range(due):
            decided = self._within(LAST_PASS, NOW) - timedelta(days=14)
            self._worked("accepted", decided, feedback_due_at=decided + timedelta(days=4))

    def _handled_today(self, count: int) -> None:
        """Leads reminded earlier today whose next stage is not due yet: every pass rechecks them."""
        for _ in range(count):
            started = self._within(NOW - timedelta(hours=4), NOW - timedelta(hours=2))
            lead_id = self._add("pending", started - timedelta(hours=2))
            self._fire(lead_id, "handoff_sla", started)
        for _ in range(count):
            due_at = self._within(NOW - timedelta(hours=6), LAST_PASS)
            lead_id = self._worked("accepted", NOW - timedelta(days=3), feedback_due_at=due_at)
            self._fire(lead_id, "feedback_due", due_at)

    def _closed(self) -> None:
        decided = self._within(NOW - YEARS, NOW - timedelta(days=20))
        self._worked(
            self.random.choice(CLOSED),
            decided,
            feedback_due_at=decided + timedelta(days=4),
            next_step_at=decided + timedelta(days=self.random.randrange(1, 20)),
        )

    def _nurture(self) -> None:
        self._add("nurture", self._within(NOW - YEARS, NOW), handoff_round=0, round_started_at=None)

    def _worked_long_ago(self) -> None:
        decided = self._within(NOW - YEARS, NOW - timedelta(days=20))
        status = self.random.choice(WORKED)
        feedback, step = decided + timedelta(days=4), decided + timedelta(days=8)
        leaked = decided + timedelta(days=14) if status in ("accepted", "attempted") else None
        lead_id = self._worked(
            status, decided, feedback_due_at=feedback, next_step_at=step, leaked_at=leaked
        )
        if status == "accepted":
            self._fire(lead_id, "feedback_due", feedback)
            self._fire(lead_id, "feedback_overdue", feedback + timedelta(days=1))
        if status != "accepted":
            self._fire(lead_id, "next_step", step)
        if leaked:
            self._fire(lead_id, "leakage", leaked)

    def _stale(self) -> None:
        started = self._within(NOW - YEARS, NOW - timedelta(days=3))
        lead_id = self._add("pending", started)
        self._fire(lead_id, "handoff_sla", started + timedelta(hours=4))
        self._fire(lead_id, "escalation", started + timedelta(hours=8))

    def _not_due_yet(self) -> None:
        choice = self.random.random()
        if choice < 0.25:
            self._add("pending", self._within(NOW - timedelta(minutes=30), NOW))
        elif choice < 0.5:
            due = self._within(NOW + timedelta(hours=1), NOW + timedelta(days=14))
            self._worked("accepted", NOW - timedelta(days=1), feedback_due_at=due)
        elif choice < 0.75:
            step = self._within(NOW + timedelta(hours=1), NOW + timedelta(days=14))
            self._worked("attempted", NOW - timedelta(days=2), next_step_at=step)
        else:
            self._worked("accepted", self._within(NOW - timedelta(days=13), NOW))


def load(database: Database, history: History) -> None:
    """Bulk-load the history, the way a database that ran for years would hold it; each
    job's last pass ran an hour ago."""
    backend = "sqlite" if database.is_sqlite else "postgresql"

    def stored(rows: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        return (tuple(stored_value(backend, value) for value in row) for row in rows)

    load_rows(database, "leads", LEAD_COLUMNS, stored(history.leads))
    load_rows(database, "timer_fires", FIRE_COLUMNS, stored(history.fires))
    runs = [(job.value, LAST_PASS, LAST_PASS, 1, LAST_PASS) for job in Job]
    columns = ("name", "started_at", "as_of", "runs", "caught_up_to")
    load_rows(database, "job_runs", columns, stored(runs))
    analyse(database)


@contextmanager
def reads_recorded(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Record the SELECTs a pass sends, to show their plans afterwards."""
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "FROM" in statement.upper():
            seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def plans(database: Database, reads: list[tuple[str, Any]]) -> list[str]:
    lines = []
    explain = "EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN (COSTS OFF) "
    with database.engine.connect() as connection:
        for statement, parameters in reads:
            if "job_runs" in statement or "pg_try_advisory" in statement:
                continue
            joined = "JOIN leads" in statement
            what = "snoozed reminders ending" if joined else "leads due (range of a leads index)"
            lines.append(f"    -- {what}:")
            rows = connection.exec_driver_sql(explain + statement, parameters).all()
            lines += [f"    {row[-1]}" for row in rows]
    return lines


class RolledBack(SqlUnitOfWork):
    """A pass whose transaction is rolled back at the end, so the same pass can be timed again."""

    def commit(self) -> None:
        pass


def one_pass(
    database: Database, job: Job, now: datetime, *, keep: bool = True
) -> tuple[float, timers.PassResult]:
    unit = SqlUnitOfWork if keep else RolledBack
    started = time.perf_counter()
    result = timers.PASSES[job](
        uow_factory=lambda: unit(database), config=CONFIG, clock=FixedClock(now)
    )
    return time.perf_counter() - started, result


def load_history(database: Database, backend: str, size: int, history: History) -> None:
    started = time.perf_counter()
    load(database, history)
    print(
        f"  {backend} {size:,} leads, {len(history.fires):,} fired timers: "
        f"loaded in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def main() -> int:
    def more(parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--sizes", help="two sizes (100000,1000000; quick 10000,100000)")
        parser.add_argument("--due", type=int, default=1000, help="leads due per job (1,000)")

    args = arguments(__doc__, more)
    sizes = args.sizes or ("10000,100000" if args.quick else "100000,1000000")
    small, large = sorted(int(size) for size in sizes.split(","))
    print(
        f"jobs: a pass of each job with {args.due:,} due among {small:,} and {large:,} leads, "
        f"{TRIALS} of each, the two sizes taking turns"
    )
    card = Scorecard("jobs")
    # Each history is made once and loaded into every backend: making one takes longer than
    # loading it.
    started = time.perf_counter()
    histories = {size: History(size, args.due) for size in (small, large)}
    print(f"  histories made in {time.perf_counter() - started:.1f} s", flush=True)
    for backend in backends(args):
        with ExitStack() as stack:
            databases = {}
            for size in (small, large):
                databases[size] = stack.enter_context(
                    scratch_database(backend, postgres=args.postgres, name=f"jobs_{size}")
                )
                load_history(databases[size], backend, size, histories[size])
            for job in Job:
                judge_job(card, backend, job, databases, args.due)
    return card.summary()


def judge_job(
    card: Scorecard, backend: str, job: Job, databases: dict[int, Database], due: int
) -> None:
    """Time first passes (rolled back), then repeat passes, the sizes taking turns."""
    small, large = sorted(databases)
    names = {small: f"{small:,} leads", large: f"{large:,} leads"}

    def passes(size: int, now: datetime, keep: bool) -> Callable[[int], dict[str, float]]:
        def run(_: int) -> dict[str, float]:
            return {"ms": one_pass(databases[size], job, now, keep=keep)[0] * 1000}

        return run

    print(f"  {job.value}: first passes, rolled back", flush=True)
    first = interleave(TRIALS, {names[size]: passes(size, NOW, False) for size in (small, large)})
    summary = {size: one_pass(databases[size], job, NOW)[1].summary() for size in (small, large)}
    later = NOW + timedelta(minutes=1)
    print(f"  {job.value}: repeat passes a minute later (it did: {summary[large]})", flush=True)
    repeat = interleave(TRIALS, {names[size]: passes(size, later, True) for size in (small, large)})
    with reads_recorded(databases[large]) as reads:
        _, again = one_pass(databases[large], job, later)
    assert again.fired == {}, again
    print(f"  plans of a repeat {job.value} pass ({backend}, {large:,}):")
    print("\n".join(plans(databases[large], reads)))
    at = f"{job.value} pass with {due:,} due among {large:,} leads"
    mine, theirs = first[names[large]]["ms"], first[names[small]]["ms"]
    pass_goal = Goal(at, f"≤ {PASS_TARGET * 1000:.0f} ms", PASS_TARGET * 1000, ratio=False)
    card.judge(pass_goal, backend, (names[large], mine), unit="ms")
    growth = Goal(f"{at}, against {small:,}", f"≤ {RATIO_TARGET}×", RATIO_TARGET)
    card.judge(growth, backend, (names[large], mine), (names[small], theirs), unit="ms")
    repeat_goal = Goal(
        f"repeat {job.value} pass, nothing new due, {large:,} leads",
        f"≤ {REPEAT_TARGET * 1000:.0f} ms",
        REPEAT_TARGET * 1000,
        ratio=False,
    )
    card.judge(
        repeat_goal,
        backend,
        (names[large], repeat[names[large]]["ms"]),
        (names[small], repeat[names[small]]["ms"]),
        unit="ms",
    )


if __name__ == "__main__":
    sys.exit(main())
