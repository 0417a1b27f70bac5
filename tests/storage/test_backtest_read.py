"""The backtest's one scan, the version each lead's summary keeps and the report by
definition, over a generated history stored on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from baton_devkit.histories import Era, GeneratedLead, generate, store

from bot.clock import FixedClock
from bot.domain.backtest import Backtester, facts_read
from bot.domain.definitions import DEFINITION_VERSION, Rules, SourceRules
from bot.domain.lead import EventKind, Lead, LeadEvent, LeadStatus
from bot.domain.report import GroupBy, group_label
from bot.services.report import ReportQuery, closed_loop_report
from config.model import BatonConfig
from storage.backtest import SqlBacktestReader, backtest_query
from storage.db import Database
from storage.report import SqlReportReader
from storage.summaries import read_summaries, rebuild_summaries
from storage.uow import SqlUnitOfWork
from tests.recount import figures, recount

START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
LIVE = Rules(
    min_score=50,
    required_fields=("email", "company"),
    source_rules={"trade_show": SourceRules(None, ("email", "first_name", "last_name", "company"))},
)
ERAS = (
    Era(START, 1, replace(LIVE, min_score=40)),
    Era(START + timedelta(days=120), 2, LIVE),
)
# Stricter in general, laxer for trade shows: it holds some leads back and lets others through.
PROPOSAL = replace(
    LIVE,
    min_score=60,
    required_fields=("email", "company", "phone"),
    source_rules={"trade_show": SourceRules(None, ("email",))},
)


@pytest.fixture(scope="module")
def history() -> list[GeneratedLead]:
    return list(generate(1_500, eras=ERAS, start=START, span=YEAR, seed=1207))


@pytest.fixture
def stored(database: Database, history: list[GeneratedLead]) -> Database:
    with database.engine.begin() as connection:
        store(connection, history, chunk=400)
    return database


def backtest_of(database: Database, *, since=None, until=None, chunk=97):  # type: ignore[no-untyped-def]
    tester = Backtester(LIVE, PROPOSAL)
    reader = SqlBacktestReader(database, chunk=chunk)
    for leads in reader.leads(since=since, until=until, fields=tester.fields):
        assert len(leads) <= chunk
        tester.add(leads)
    return tester.result(currency="USD", since=since, until=until)


def test_the_backtest_read_from_the_store_reconciles_with_a_recount(
    stored: Database, history: list[GeneratedLead]
) -> None:
    expected = recount(history, live=LIVE, proposal=PROPOSAL, currency="USD")
    result = backtest_of(stored)
    assert figures(result) == expected
    assert result.total.verdicts.received == len(history)
    assert result.total.held_back.returned and result.total.came_back.leads


def test_a_period_reads_the_leads_received_in_it(
    stored: Database, history: list[GeneratedLead]
) -> None:
    since, until = START + timedelta(days=90), START + timedelta(days=180)
    expected = recount(
        history, live=LIVE, proposal=PROPOSAL, currency="USD", since=since, until=until
    )
    result = backtest_of(stored, since=since, until=until, chunk=10_000)
    assert figures(result) == expected
    assert 0 < result.total.verdicts.received < len(history)


def test_the_backtest_reads_only_lead_facts_source_and_score_first() -> None:
    with pytest.raises(ValueError, match="begin with source, score"):
        backtest_query(since=None, until=None, fields=("score", "source"))
    with pytest.raises(ValueError, match="not a lead field: salary"):
        backtest_query(since=None, until=None, fields=(*facts_read(LIVE), "salary"))


def test_the_generated_summaries_are_the_ones_baton_rebuilds_from_the_events(
    stored: Database,
) -> None:
    with stored.engine.connect() as connection:
        generated = read_summaries(connection)
    with stored.engine.begin() as connection:
        rebuild_summaries(connection, calendars=None)
        rebuilt = read_summaries(connection)
    assert rebuilt == generated
    versions = Counter(summary["definition_version"] for summary in rebuilt.values())
    assert set(versions) == {1, 2}
    assert any(summary["came_back_at"] for summary in rebuilt.values())


def test_the_report_by_definition_counts_each_version_s_leads(
    stored: Database, history: list[GeneratedLead], example_config: BatonConfig
) -> None:
    report = closed_loop_report(
        ReportQuery(by=GroupBy.DEFINITION),
        reader=SqlReportReader(stored),
        config=example_config,
        clock=FixedClock(START + 2 * YEAR),
    )
    received = Counter(str(lead.truth.definition_version) for lead in history)
    ready = Counter(
        str(lead.truth.definition_version) for lead in history if lead.truth.handed_over
    )
    assert [row.group for row in report.rows] == ["1", "2"]
    assert {row.group: row.funnel.received for row in report.rows} == dict(received)
    assert {row.group: row.funnel.sales_ready for row in report.rows} == dict(ready)
    assert report.total.funnel.received == len(history)
    assert [group_label(GroupBy.DEFINITION, row.group) for row in report.rows] == [
        "version 1",
        "version 2",
    ]


def test_the_report_names_leads_qualified_before_versions(database: Database) -> None:
    at = START
    with SqlUnitOfWork(database) as uow:
        [stored] = uow.leads.add_all(
            [(Lead("L-OLD01", LeadStatus.NURTURE), {"email": "old@example.com"}, {})], now=at
        )
        uow.events.append_first([(stored.id, received(at, LeadStatus.NURTURE, version=None))])
        uow.commit()
    cells = SqlReportReader(database).cells(
        by=GroupBy.DEFINITION, since=None, until=None, regions=None
    )
    assert [(cell.group, cell.leads) for cell in cells] == [(None, 1)]
    assert group_label(GroupBy.DEFINITION, None) == "(before versions)"


def received(at: datetime, after: LeadStatus, *, version: int | None) -> LeadEvent:
    return LeadEvent(
        kind=EventKind.RECEIVED,
        actor="intake",
        at=at,
        handoff_round=1 if after is LeadStatus.PENDING else 0,
        region="emea",
        campaign="spring",
        source="web",
        status_before=LeadStatus.RECEIVED,
        status_after=after,
        reason_code="sales-ready" if after is LeadStatus.PENDING else "nurture",
        data={DEFINITION_VERSION: version} if version is not None else {},
    )


def test_leads_taken_in_together_keep_each_the_version_that_qualified_it(
    database: Database,
) -> None:
    at = START
    leads = [
        (Lead(f"L-NEW{n:02d}", LeadStatus.PENDING), {"email": f"n{n}@example.com"}, {})
        for n in range(6)
    ]
    with SqlUnitOfWork(database) as uow:
        stored = uow.leads.add_all(leads, now=at)
        events = [
            (lead.id, received(at, LeadStatus.PENDING, version=1 + n % 2))
            for n, lead in enumerate(stored)
        ]
        uow.events.append_first(events)
        uow.commit()
    with database.engine.connect() as connection:
        first = read_summaries(connection)
    assert [first[lead.id]["definition_version"] for lead in stored] == [1, 2, 1, 2, 1, 2]
    with database.engine.begin() as connection:
        rebuild_summaries(connection, calendars=None)
        assert read_summaries(connection) == first
