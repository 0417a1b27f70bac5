"""Storage faults through Baton's real interfaces: a full disk, a read-only store, a cut link.

Each fault is made for real in the store Baton uses: SQLite's own size limit and read-only
switch on its connections, and a TCP proxy between Baton and PostgreSQL that cuts the link.
Whatever the fault: the answer is 503 with Retry-After and a one-line reason, nothing is
half-written, no lock is kept, and the next write after the cause clears succeeds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from bot.app import Baton, build_baton
from bot.clock import FixedClock
from bot.csvfiles.importing import import_csv
from bot.jobs.passes import run_job
from bot.services.csv_import import ImportInterrupted, ImportReport
from bot.services.ports import StorageUnavailable
from bot.slack.ids import ActionId
from config.model import BatonConfig
from config.settings import Settings
from storage.db import Database, open_database
from storage.rows import EventRow, HandoffRoundRow, LeadRow, LeadSummaryRow, OutboxRow
from tests.conftest import empty_database
from tests.fakes.proxy import CuttableProxy, proxy_before
from tests.fakes.slack import SlackHarness, button_value, slack_harness

SQLITE_MOST_PAGES = 1_073_741_823
EMEA, MANAGER = "C0EMEA0001", "U0EMEAMGR1"
RETURN_VALUES = {
    ActionId.REASON_BLOCK: {
        ActionId.REASON_INPUT: {"type": "static_select", "selected_option": {"value": "not_a_fit"}}
    },
    ActionId.NOTES_BLOCK: {ActionId.NOTES_INPUT: {"type": "plain_text_input", "value": "small"}},
}


class SqliteLimits:
    """SQLite's own switches, set on every write connection Baton takes from its pool."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.pragmas: dict[str, int] = {}
        event.listen(database.engine, "checkout", self._apply)

    def _apply(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        for name, value in self.pragmas.items():
            dbapi_connection.execute(f"PRAGMA {name}={value}")

    def fill(self) -> None:
        """The file may not grow: the next write needing a new page finds the disk full."""
        with self.database.engine.connect() as connection:
            pages = connection.execute(text("PRAGMA page_count")).scalar_one()
            free = connection.execute(text("PRAGMA freelist_count")).scalar_one()
        # Free pages inside the file would take new rows without growing it (a migration that
        # copies a table leaves some): this test needs a file with none.
        assert free == 0, f"the database file has {free} free pages: the disk is not full"
        self.pragmas["max_page_count"] = pages

    def read_only(self) -> None:
        self.pragmas["query_only"] = 1

    def clear(self) -> None:
        self.pragmas.update(max_page_count=SQLITE_MOST_PAGES, query_only=0)


@pytest.fixture
def sqlite_baton(
    tmp_path: Path, settings: Settings, clock: FixedClock, example_config: BatonConfig
) -> Iterator[Baton]:
    database = open_database(f"sqlite:///{tmp_path / 'faults.db'}")
    database.upgrade()
    yield build_baton(settings, clock=clock, database=database, config=example_config)
    database.dispose()


def person(n: int, **fields: Any) -> dict[str, Any]:
    # Long notes: the lead cannot fit in a page's free space, so storing it must grow the file.
    return {
        "email": f"person{n}@acme.example",
        "first_name": f"Person{n}",
        "company": "Acme GmbH",
        "country": "DE",
        "score": 80,
        "notes": "met at the booth; " * 200,
        **fields,
    }


def counts(baton: Baton) -> tuple[int, int, int]:
    with baton.database.reading() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(row)) or 0
            for row in (LeadRow, EventRow, OutboxRow)
        )


def assert_refused(answer: Any, reason: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "30"
    assert answer.json() == {"error": f"the database refused the write: {reason}"}


def handoffs_posted(slack: SlackHarness) -> list[str]:
    keys = [
        (call.args.get("metadata") or {}).get("event_payload", {}).get("key", "")
        for call in slack.standin.calls_to("chat.postMessage")
        if call.status == 200
    ]
    return [key for key in keys if key.startswith("handoff:")]


def test_a_full_disk_refuses_intake_with_503_stores_nothing_and_recovers_without_restart(
    sqlite_baton: Baton,
) -> None:
    limits = SqliteLimits(sqlite_baton.database)
    with slack_harness(sqlite_baton) as slack:
        assert slack.intake(person(0)).status_code == 202
        before = counts(sqlite_baton)
        limits.fill()

        batch = {"leads": [person(n) for n in range(1, 6)]}
        assert_refused(slack.intake(batch), "disk full")
        # The writer lock was handed back: the next write fails at once for the same reason,
        # not after waiting for a lock nobody holds.
        assert_refused(slack.intake(person(9)), "disk full")
        health = slack.http.get("/healthz")
        assert health.status_code == 503
        assert health.json()["writes"].startswith("failing: disk full")
        assert counts(sqlite_baton) == before

        limits.clear()
        answer = slack.intake(batch)
        assert answer.status_code == 202
        assert [lead["result"] for lead in answer.json()["leads"]] == ["created"] * 5
        slack.clock.advance(seconds=2)  # past the write probe's last answer
        assert slack.http.get("/healthz").status_code == 200
        slack.deliver_all()
        assert len(handoffs_posted(slack)) == len(set(handoffs_posted(slack))) == 6


def test_a_full_disk_during_a_merge_refuses_it_and_hands_the_writer_lock_back(
    sqlite_baton: Baton,
) -> None:
    limits = SqliteLimits(sqlite_baton.database)
    with slack_harness(sqlite_baton) as slack:
        assert slack.intake(person(1)).status_code == 202
        limits.fill()
        # New leads take what room the file's pages still have, until the disk is full.
        assert 503 in [slack.intake(person(n)).status_code for n in range(2, 12)]
        stored = counts(sqlite_baton)
        # The same person again, with other notes: the merge keeps them aside in an event
        # (inserted returning its id) that needs a page the file cannot have.
        other = person(1, notes="met again at the talk; " * 150, title="CTO")
        started = time.monotonic()
        assert_refused(slack.intake(other), "disk full")
        assert_refused(slack.intake(person(30)), "disk full")
        assert time.monotonic() - started < 10  # nobody waited for a lock left held
        assert counts(sqlite_baton) == stored

        limits.clear()
        answer = slack.intake(other)
        assert answer.status_code == 202
        assert answer.json()["leads"][0]["result"] == "merged"


def test_a_read_only_store_refuses_writes_and_health_says_so_until_it_is_writable(
    sqlite_baton: Baton,
) -> None:
    limits = SqliteLimits(sqlite_baton.database)
    with slack_harness(sqlite_baton) as slack:
        limits.read_only()
        assert_refused(slack.intake(person(1)), "the database is read-only")
        health = slack.http.get("/healthz")
        assert (health.status_code, health.json()["writes"]) == (
            503,
            "failing: the database is read-only",
        )
        assert counts(sqlite_baton) == (0, 0, 0)

        limits.clear()
        assert slack.intake(person(1)).status_code == 202
        slack.clock.advance(seconds=2)
        assert slack.http.get("/healthz").json()["writes"] == "ok"
        slack.deliver_all()
        assert len(handoffs_posted(slack)) == 1


def test_a_read_only_store_stops_a_slack_decision_and_tells_whoever_clicked(
    sqlite_baton: Baton,
) -> None:
    limits = SqliteLimits(sqlite_baton.database)
    with slack_harness(sqlite_baton) as slack:
        slack.intake(person(1))
        slack.deliver_all()
        [card] = slack.standin.messages(EMEA)
        action, value = button_value(card, "Return")
        view = slack.click_for_view(MANAGER, action, value, EMEA)
        limits.read_only()
        assert slack.submit(MANAGER, view, RETURN_VALUES).status_code == 200
        # A modal has no channel to answer in: the manager is told in a DM from Baton.
        assert slack.standin.wait_for(lambda: bool(slack.standin.messages(MANAGER)))
        [told] = slack.standin.messages(MANAGER)
        assert "could not save that" in told["text"]
        assert "the database is read-only" in told["text"]
        with sqlite_baton.database.reading() as session:
            assert session.scalar(select(LeadRow.status)) == "pending"

        limits.clear()
        view = slack.click_for_view(MANAGER, action, value, EMEA)
        assert slack.submit(MANAGER, view, RETURN_VALUES).status_code == 200
        slack.wait_until(lambda: counts(sqlite_baton)[1] == 2)
        with sqlite_baton.database.reading() as session:
            assert session.scalar(select(LeadRow.status)) == "returned"


@pytest.fixture
def proxied_postgres(
    migrated_postgres: Database, postgres_database_url: str
) -> Iterator[tuple[Database, CuttableProxy]]:
    empty_database(migrated_postgres)
    proxy, url = proxy_before(postgres_database_url)
    database = open_database(url, pool_size=2)
    yield database, proxy
    proxy.close()
    database.dispose()


@pytest.fixture
def pinged_proxied_postgres(
    migrated_postgres: Database, postgres_database_url: str
) -> Iterator[tuple[Database, CuttableProxy]]:
    """As proxied_postgres, but every pooled connection counts as idle at once, so it is
    pinged before use: a test need not wait out the second."""
    empty_database(migrated_postgres)
    proxy, url = proxy_before(postgres_database_url)
    database = open_database(url, pool_size=2, ping_after_idle_s=0.0)
    yield database, proxy
    proxy.close()
    database.dispose()


@pytest.mark.postgres
def test_postgresql_cut_mid_transaction_answers_503_and_the_next_write_succeeds(
    proxied_postgres: tuple[Database, CuttableProxy],
    settings: Settings,
    clock: FixedClock,
    example_config: BatonConfig,
) -> None:
    database, proxy = proxied_postgres
    baton = build_baton(settings, clock=clock, database=database, config=example_config)
    with slack_harness(baton) as slack:
        assert slack.intake(person(0)).status_code == 202

        proxy.cut_when_sent(b"INSERT INTO leads", forward_first=False)
        answer = slack.intake({"leads": [person(n) for n in range(1, 4)]})
        assert proxy.sprung.is_set()
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
        assert answer.json()["error"].startswith("the database refused the write: ")
        assert counts(baton) == (1, 1, 1)

        proxy.cut_when_sent(b"COMMIT", forward_first=False)
        assert slack.intake(person(5)).status_code == 503
        assert counts(baton) == (1, 1, 1)

        answer = slack.intake({"leads": [person(n) for n in range(1, 4)]})
        assert answer.status_code == 202
        slack.deliver_all()
        assert sorted(handoffs_posted(slack)) == sorted(set(handoffs_posted(slack)))
        assert len(handoffs_posted(slack)) == 4


@pytest.mark.postgres
def test_postgresql_commit_whose_answer_is_lost_is_merged_not_doubled_when_sent_again(
    proxied_postgres: tuple[Database, CuttableProxy],
    settings: Settings,
    clock: FixedClock,
    example_config: BatonConfig,
) -> None:
    database, proxy = proxied_postgres
    baton = build_baton(settings, clock=clock, database=database, config=example_config)
    baton.live_definition()  # stored when Baton starts serving: this COMMIT is the intake's
    with slack_harness(baton) as slack:
        proxy.cut_when_sent(b"COMMIT", forward_first=True)
        lost = slack.intake(person(1))
        assert proxy.sprung.is_set()
        assert lost.status_code == 503
        # The server committed before the link went: the lead is there, once.
        assert counts(baton)[0] == 1
        again = slack.intake(person(1))
        assert again.status_code == 202
        assert again.json()["leads"][0]["result"] == "merged"
        assert counts(baton)[0] == 1
        slack.deliver_all()
        assert len(handoffs_posted(slack)) == 1


@pytest.mark.postgres
def test_postgresql_down_then_back_health_jobs_and_delivery_carry_on_by_themselves(
    proxied_postgres: tuple[Database, CuttableProxy],
    settings: Settings,
    clock: FixedClock,
    example_config: BatonConfig,
) -> None:
    database, proxy = proxied_postgres
    baton = build_baton(settings, clock=clock, database=database, config=example_config)
    with slack_harness(baton) as slack:
        assert slack.intake(person(1)).status_code == 202
        proxy.cut()
        answer = slack.intake(person(2))
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
        assert slack.http.get("/healthz").status_code == 503
        with pytest.raises(StorageUnavailable):
            run_job(baton, "handoff-sla")
        with pytest.raises(StorageUnavailable):
            slack.deliverer.run_once()

        proxy.reopen()
        assert slack.intake(person(2)).status_code == 202
        clock.advance(seconds=2)  # past the write probe's last answer
        assert slack.http.get("/healthz").status_code == 200
        assert run_job(baton, "handoff-sla").summary()
        slack.deliver_all()
        assert len(handoffs_posted(slack)) == 2


@pytest.mark.postgres
def test_postgresql_restarted_while_baton_was_idle_costs_no_request_a_503(
    pinged_proxied_postgres: tuple[Database, CuttableProxy],
    settings: Settings,
    clock: FixedClock,
    example_config: BatonConfig,
) -> None:
    database, proxy = pinged_proxied_postgres
    baton = build_baton(settings, clock=clock, database=database, config=example_config)
    with slack_harness(baton) as slack:
        assert slack.intake(person(1)).status_code == 202
        proxy.cut()  # the pooled connections' links are gone while nobody asks anything
        proxy.reopen()
        assert slack.intake(person(2)).status_code == 202
        assert counts(baton)[0] == 2


@pytest.mark.postgres
def test_postgresql_cut_while_an_import_stores_two_chunks_leaves_none_half_written(
    pinged_proxied_postgres: tuple[Database, CuttableProxy],
    settings: Settings,
    clock: FixedClock,
    example_config: BatonConfig,
    tmp_path: Path,
) -> None:
    database, proxy = pinged_proxied_postgres
    baton = build_baton(settings, clock=clock, database=database, config=example_config)
    assert baton.import_writers == 2
    path = tmp_path / "cut.csv"
    rows = "".join(f"p{i}@cut.example,Co,DE,80\n" for i in range(12))
    path.write_text("Email,Company,Country,Score\n" + rows, encoding="utf-8")

    def cut_after_the_first_chunk(done: int, total: int) -> None:
        # The first chunk, stored alone, opened the file's batch: the next go side by side.
        if done == 2:
            proxy.cut_when_sent(b"INSERT INTO leads", forward_first=False)

    told = r"storing rows \d+ to \d+ failed: .*import the file again to finish"
    with pytest.raises(ImportInterrupted, match=told) as stopped:
        import_file(baton, path, progress=cut_after_the_first_chunk)
    assert proxy.sprung.is_set()
    stored = whole_leads(baton)
    assert 2 <= stored < 12 and stopped.value.report.created == stored

    finished = import_file(baton, path)
    assert (finished.created, finished.merged) == (12 - stored, stored)
    assert whole_leads(baton) == 12


def import_file(baton: Baton, path: Path, **options: Any) -> ImportReport:
    return import_csv(
        path, baton=baton, campaign=None, source=None, dry_run=False, chunk_size=2, **options
    )


def whole_leads(baton: Baton) -> int:
    """How many leads are stored, once it is checked that each has all its rows."""
    with baton.database.reading() as session:
        found = [
            session.scalar(select(func.count()).select_from(row).where(*where)) or 0
            for row, *where in (
                (LeadRow,),
                (LeadSummaryRow,),
                (HandoffRoundRow,),
                (OutboxRow, OutboxRow.kind == "handoff"),
            )
        ]
    assert len(set(found)) == 1, found  # leads, summaries, rounds, handoffs
    return found[0]
