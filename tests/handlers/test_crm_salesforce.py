"""Salesforce: `crm-sync` passes (as of a time) take leads and converted opportunities in;
Baton's decisions go back as owner, status and tasks; against the stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.app import Baton
from bot.domain.report_data import report_json
from bot.services.report import ReportQuery, closed_loop_report
from storage.rows import CrmCursorRow, EventRow, LeadRow
from tests.fakes.crm import SalesforceHarness, salesforce_harness
from tests.handlers.test_slack_handoff import EMEA, MANAGER, REP, TRIAGE, accept

REP_EMAIL = "person.u0emearep2@example.com"
ADA = {
    "FirstName": "Ada",
    "LastName": "Byron",
    "Email": "ada@analytical.example",
    "Company": "Analytical Engines",
    "Title": "CTO",
    "Country": "DE",
    "LeadSource": "Web",
}


@pytest.fixture
def crm(baton: Baton) -> Iterator[SalesforceHarness]:
    # Salesforce leads carry no score by default: this org's definition needs none.
    definition = baton.config.lead_definition.model_copy(update={"min_score": None})
    baton.config = baton.config.model_copy(update={"lead_definition": definition})
    with salesforce_harness(baton) as harness:
        yield harness


def lead_of(crm: SalesforceHarness, record_id: str) -> LeadRow:
    with crm.baton.database.reading() as session:
        return session.scalars(select(LeadRow).where(LeadRow.external_id == record_id)).one()


def handoffs(crm: SalesforceHarness) -> list[dict]:
    return [m for m in crm.slack.standin.messages(EMEA) if not m.get("thread_ts")]


def leads(crm: SalesforceHarness) -> int:
    with crm.baton.database.reading() as session:
        return len(session.scalars(select(LeadRow.id)).all())


def test_a_salesforce_lead_reaches_its_manager_through_crm_sync(crm: SalesforceHarness) -> None:
    record_id = crm.salesforce.add("Lead", **ADA)
    crm.salesforce.add("Lead", **(ADA | {"Email": "no@x.example", "Status": "Working - Contacted"}))
    result = crm.sync()
    assert result.fired == {"leads taken in": 1}
    crm.settle()
    lead = lead_of(crm, record_id)
    assert (lead.status, lead.region, lead.source) == ("pending", "emea", "web")
    [message] = handoffs(crm)
    assert f"<@{MANAGER}>" in message["text"] and lead.short_id in message["text"]
    assert crm.sync().fired == {}  # nothing changed since: nothing is read twice
    assert leads(crm) == 1


def test_a_crm_sync_pass_while_another_process_runs_one_is_skipped(
    crm: SalesforceHarness,
) -> None:
    crm.salesforce.add("Lead", **ADA)
    with crm.baton.one_pass_at_a_time("crm-sync") as alone:  # another process's pass
        assert alone
        result = crm.sync()
        assert result.skipped and result.fired == {}
        assert result.summary() == "skipped: another process was running this pass"
        assert leads(crm) == 0
    assert crm.sync().fired == {"leads taken in": 1}
    assert leads(crm) == 1


def test_a_pass_as_of_a_time_takes_in_what_changed_until_then(crm: SalesforceHarness) -> None:
    first = crm.salesforce.add("Lead", **ADA)
    crm.clock.advance(minutes=10)
    later = crm.salesforce.add("Lead", **(ADA | {"Email": "grace@hopper.example"}))
    assert crm.sync(as_of=crm.clock.now() - timedelta(minutes=5)).fired == {"leads taken in": 1}
    assert lead_of(crm, first) and leads(crm) == 1
    with crm.baton.database.reading() as session:
        cursor = session.scalars(select(CrmCursorRow.cursor)).first()
    assert cursor is not None and first in cursor
    assert crm.sync().fired == {"leads taken in": 1}
    assert lead_of(crm, later) and leads(crm) == 2


def test_the_cursor_moves_only_after_a_page_is_stored(crm: SalesforceHarness) -> None:
    added = []
    for n in range(230):  # two pages of 200 and 30, each changed a second after the last
        added.append(crm.salesforce.add("Lead", **(ADA | {"Email": f"l{n}@analytical.example"})))
        crm.clock.advance(seconds=1)
    crm.salesforce.fail("query.more", status=500, times=1)
    with pytest.raises(Exception, match="500"):
        crm.sync()
    assert leads(crm) == 200
    with crm.baton.database.reading() as session:
        cursor = session.scalars(select(CrmCursorRow.cursor)).one()
    assert cursor.endswith(f"|{added[199]}")
    assert crm.sync().fired == {"leads taken in": 30}
    assert leads(crm) == 230
    runs = crm.baton.job_runs.all()
    assert any(run.name == "crm-sync" and run.ok for run in runs)


def test_a_salesforce_outage_fails_the_pass_and_the_next_one_catches_up(
    crm: SalesforceHarness,
) -> None:
    crm.salesforce.add("Lead", **ADA)
    crm.salesforce.fail("query", status=503, times=1)
    with pytest.raises(Exception, match="503"):
        crm.sync()
    [run] = [r for r in crm.baton.job_runs.all() if r.name == "crm-sync"]
    assert run.ok is False and "503" in (run.result or "")
    assert crm.sync().fired == {"leads taken in": 1}


def test_a_lead_without_an_email_is_counted_and_left_for_a_person(
    crm: SalesforceHarness,
) -> None:
    crm.salesforce.add("Lead", **(ADA | {"Email": None}))
    crm.salesforce.add("Lead", **(ADA | {"Email": "grace@hopper.example"}))
    assert crm.sync().fired == {"leads taken in": 1, "refused": 1}


def test_accept_sets_owner_and_status_and_the_loop_closes_on_the_opportunity(
    crm: SalesforceHarness,
) -> None:
    user = crm.salesforce.add_user(REP_EMAIL, "Rita Rep")
    record_id = crm.salesforce.add("Lead", **ADA)
    crm.sync()
    crm.settle()
    accept(crm.slack, handoffs(crm)[0])
    crm.slack.wait_until(lambda: lead_of(crm, record_id).status == "accepted")
    crm.settle()
    lead = crm.salesforce.record("Lead", record_id)
    assert (lead["OwnerId"], lead["Status"]) == (user, "Working - Contacted")
    [task] = crm.salesforce.tasks(record_id)
    assert "Big account; call Jane" in task["Description"]
    assert (task["OwnerId"], task["ActivityDate"], task["Status"]) == (
        user,
        "2026-11-27",
        "Not Started",
    )
    short_id = lead_of(crm, record_id).short_id
    crm.slack.command(REP, f"log {short_id} won 9000 signed", channel=EMEA)
    crm.slack.wait_until(lambda: lead_of(crm, record_id).status == "won")
    crm.settle()
    assert "Won" in crm.salesforce.tasks(record_id)[-1]["Subject"]
    deal = crm.salesforce.add(
        "Opportunity", Name="Analytical Engines", StageName="Closed Won", Amount=12000
    )
    crm.salesforce.convert(record_id, deal)
    crm.clock.advance(minutes=1)
    assert crm.sync().fired == {"deal outcomes": 1}
    with crm.baton.database.reading() as session:
        outcomes = session.execute(
            select(EventRow.actor, EventRow.reason_code, EventRow.amount)
            .where(EventRow.kind == "outcome")
            .order_by(EventRow.id)
        ).all()
    assert [tuple(o) for o in outcomes] == [
        (REP, "won", Decimal("9000.00")),
        ("crm", "won", Decimal("12000.00")),
    ]
    assert crm.sync().fired == {}
    # The report counts the lead once as won, for the opportunity's amount, and says so.
    report = report_json(
        closed_loop_report(
            ReportQuery(), reader=crm.baton.report_reader, config=crm.baton.config, clock=crm.clock
        )
    )
    total = report["total"]
    assert (total["leads"]["won"], total["leads"]["opportunities"]) == (1, 1)
    assert total["revenue"]["won"] == "12000.00"
    assert total["revenue"]["won_from_crm"] == "12000.00"
    assert total["revenue"]["won_typed_by_reps"] == "0.00"


def test_a_right_baton_lacks_in_salesforce_is_told_once_and_the_task_waits(
    crm: SalesforceHarness,
) -> None:
    crm.salesforce.add_user(REP_EMAIL, "Rita Rep")
    record_id = crm.salesforce.add("Lead", **ADA)
    crm.salesforce.deny("Task", "create")
    crm.sync()
    crm.settle()
    accept(crm.slack, handoffs(crm)[0])
    crm.slack.wait_until(lambda: lead_of(crm, record_id).status == "accepted")
    crm.settle()
    [notice] = crm.slack.standin.messages(TRIAGE)
    assert "Salesforce refused Baton's work" in notice["text"] + str(notice["blocks"])
    assert crm.salesforce.tasks(record_id) == []
    crm.salesforce.denied.clear()
    crm.clock.advance(minutes=6)
    crm.settle()
    assert len(crm.salesforce.tasks(record_id)) == 1
    assert len(crm.slack.standin.messages(TRIAGE)) == 1
