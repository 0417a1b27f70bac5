"""A request of many new leads: answered once they are safe, settled right after.

Such a request stores each lead's row and first event, and one row naming the leads; the
delivery worker makes their summaries, handoff rounds and handoffs in a transaction of its
own before it posts them. Whatever happens in between (a process dies, the disk fills, two
workers settle at once), each handoff is posted once and the report counts each lead once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import Baton, build_baton
from bot.clock import FixedClock
from bot.domain.report import GroupBy
from bot.runtime import web_client
from bot.services.ports import StorageUnavailable
from bot.services.report import ReportQuery, closed_loop_report
from bot.slack.delivery import Deliverer
from config.model import BatonConfig
from config.settings import Settings
from storage.db import Database
from storage.outbox import SqlOutbox
from storage.rows import HandoffRoundRow, LeadSummaryRow, NewLeadsToSettleRow, OutboxRow
from tests.conftest import empty_database
from tests.fakes.slack import SlackHarness, slack_harness
from tests.handlers.test_slack_handoff import EMEA, lead
from tests.handlers.test_storage_faults import SqliteLimits, handoffs_posted, sqlite_baton

__all__ = ["sqlite_baton"]  # a fixture, used by name

MANY = 15  # more than a request settles in its own transaction


def many(count: int = MANY, *, first: int = 0, country: str = "DE") -> dict[str, Any]:
    return {
        "leads": [
            lead(email=f"person{n}@acme.example", first_name=f"Person{n}", country=country)
            for n in range(first, first + count)
        ]
    }


def received_in_report(baton: Baton) -> int:
    report = closed_loop_report(
        ReportQuery(
            by=GroupBy.REGION,
            since=datetime(2026, 1, 1, tzinfo=UTC),
            until=datetime(2027, 1, 1, tzinfo=UTC),
        ),
        reader=baton.report_reader,
        config=baton.config,
        clock=baton.clock,
    )
    return report.total.funnel.received


def count(baton: Baton, row: Any) -> int:
    with baton.database.reading() as session:
        return session.scalar(select(func.count()).select_from(row)) or 0


def taken(slack: SlackHarness, body: dict[str, Any]) -> list[str]:
    answer = slack.intake(body)
    assert answer.status_code == 202, answer.text
    results = answer.json()["leads"]
    assert {r["result"] for r in results} == {"created"}
    assert {r["status"] for r in results} == {"pending"}
    return [r["id"] for r in results]


def test_many_new_leads_are_answered_then_posted_once_and_counted_once(baton: Baton) -> None:
    with slack_harness(baton) as slack:
        short_ids = taken(slack, many())
        assert received_in_report(baton) == 0  # not settled yet: no pass has run
        assert slack.http.get("/healthz").json()["slack"]["requests_to_settle"] == 1
        slack.deliver_all()
        assert slack.http.get("/healthz").json()["slack"]["requests_to_settle"] == 0
        posted = handoffs_posted(slack)
        assert len(posted) == len(set(posted)) == MANY
        cards = " ".join(m["text"] for m in slack.standin.messages(EMEA))
        assert all(short_id in cards for short_id in short_ids)
        assert received_in_report(baton) == MANY
        slack.deliver_all()  # nothing is settled or posted twice
        assert len(handoffs_posted(slack)) == MANY
        assert received_in_report(baton) == MANY


def test_a_round_started_before_its_lead_was_settled_is_not_started_again(baton: Baton) -> None:
    with slack_harness(baton) as slack:
        taken(slack, many())
        with baton.uow_factory() as uow:
            [waiting] = uow.settling.take(leads_at_most=1_000)
            uow.rounds.start_of_leads(waiting.handoff_ids[:1], now=slack.clock.now())
            uow.commit()
        slack.deliver_all()
        assert count(baton, HandoffRoundRow) == MANY
        assert count(baton, NewLeadsToSettleRow) == 0
        assert len(handoffs_posted(slack)) == MANY - 1  # its handoff was the meddler's to queue


def test_leads_left_unsettled_by_a_process_that_died_are_settled_once_by_the_next(
    baton: Baton,
) -> None:
    with slack_harness(baton) as slack:
        taken(slack, many())  # the process dies before its worker runs a pass
        restarted = build_baton(
            baton.settings, clock=slack.clock, database=baton.database, config=baton.config
        )
        worker = Deliverer(
            outbox=SqlOutbox(baton.database),
            client=web_client(restarted),
            config=restarted.config,
            clock=slack.clock,
            settle=restarted.settle_new_leads,
        )
        while worker.run_once():
            pass
        slack.deliver_all()  # the first process's worker, had it lived on: nothing left
        posted = handoffs_posted(slack)
        assert len(posted) == len(set(posted)) == MANY
        assert received_in_report(baton) == MANY


def test_a_full_disk_while_settling_writes_nothing_and_the_next_pass_settles(
    sqlite_baton: Baton,
) -> None:
    limits = SqliteLimits(sqlite_baton.database)
    with slack_harness(sqlite_baton) as slack:
        taken(slack, many(200))
        limits.fill()
        with pytest.raises(StorageUnavailable):
            slack.deliverer.run_once()
        assert count(sqlite_baton, HandoffRoundRow) == count(sqlite_baton, LeadSummaryRow) == 0
        assert count(sqlite_baton, NewLeadsToSettleRow) == 1
        assert not handoffs_posted(slack)

        limits.clear()
        slack.deliverer.run_once()  # settles all 200; their handoffs go at the channel's pace
        assert count(sqlite_baton, HandoffRoundRow) == count(sqlite_baton, LeadSummaryRow) == 200
        assert received_in_report(sqlite_baton) == 200
        with sqlite_baton.database.reading() as session:
            queued = session.scalars(select(OutboxRow.key).where(OutboxRow.kind == "handoff"))
            assert len(set(queued)) == 200


@pytest.fixture
def postgres_baton(
    migrated_postgres: Database, settings: Settings, clock: FixedClock, example_config: BatonConfig
) -> Baton:
    empty_database(migrated_postgres)
    return build_baton(settings, clock=clock, database=migrated_postgres, config=example_config)


@pytest.mark.postgres
def test_two_workers_settling_at_once_settle_each_request_once(postgres_baton: Baton) -> None:
    baton = postgres_baton
    with slack_harness(baton) as slack:
        for request in range(4):
            taken(slack, many(first=request * MANY))
        settled: list[int] = []
        start = threading.Barrier(2)

        def work() -> None:
            start.wait()
            while found := baton.settle_new_leads():
                settled.append(found)

        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
        assert sum(settled) == 4 * MANY
        assert count(baton, HandoffRoundRow) == count(baton, LeadSummaryRow) == 4 * MANY
        slack.deliver_all(rounds=300)  # a channel's posts go one a second
        posted = handoffs_posted(slack)
        assert len(posted) == len(set(posted)) == 4 * MANY
