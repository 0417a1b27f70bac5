"""A merge never rewrites a lead: intake and imports of a known person, seen through `/lead
show` (signed HTTP), the thread, the intake API and the stored rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Baton
from bot.csvfiles.importing import import_csv
from bot.domain.attribution import Attribution
from bot.domain.report import GroupBy
from bot.services.report import ReportQuery, closed_loop_report
from storage.rows import EventRow, LeadRow, OutboxRow
from tests.fakes.slack import SlackHarness, slack_harness
from tests.handlers.test_slack_handoff import EMEA, MANAGER, REP, lead
from tests.handlers.test_slack_lead import accepted, say

SHOW = "tech-expo-berlin-2026"


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def row_of(baton: Baton, short_id: str) -> LeadRow:
    with baton.database.reading() as session:
        return session.scalars(select(LeadRow).where(LeadRow.short_id == short_id)).one()


def kinds(baton: Baton, short_id: str) -> list[str]:
    lead_id = row_of(baton, short_id).id
    with baton.database.reading() as session:
        query = select(EventRow.kind).where(EventRow.lead_id == lead_id).order_by(EventRow.id)
        return list(session.scalars(query))


def work(baton: Baton) -> list[str]:
    with baton.database.reading() as session:
        return list(session.scalars(select(OutboxRow.kind).order_by(OutboxRow.id)))


def import_file(baton: Baton, tmp_path: Path, text: str, **options: Any) -> Any:
    path = tmp_path / "expo.csv"
    path.write_text(text, encoding="utf-8")
    arguments: dict[str, Any] = {"campaign": SHOW, "source": "trade_show", "dry_run": False}
    return import_csv(path, baton=baton, **{**arguments, **options})


def test_a_trade_show_row_for_a_won_customer_changes_nothing_it_already_was(
    slack: SlackHarness, tmp_path: Path
) -> None:
    baton = slack.baton
    short_id, _ = accepted(slack)
    say(slack, REP, f"log {short_id} won 10k")
    import_file(
        baton,
        tmp_path,
        "Email,First Name,Last Name,Phone,Company\njane@acme.example,Janet,Doe,+49 30 1234,Acme GmbH\n",
    )
    row = row_of(baton, short_id)
    assert (row.campaign, row.source, row.first_name) == ("spring-webinar-2026", "webinar", "Jane")
    assert (row.status, row.phone) == ("won", "+49 30 1234")
    assert kinds(baton, short_id)[-2:] == ["details", "campaign_touch"]
    slack.deliver_all()
    history = str(say(slack, MANAGER, f"show {short_id}")["blocks"])
    assert "Campaign: spring-webinar-2026 · Source: webinar" in history
    assert "details: filled in phone +49 30 1234; kept first name Jane (sent: Janet)" in history
    assert f"came again through campaign {SHOW} and source trade_show" in history


def test_intake_fills_only_empty_fields_and_a_same_campaign_is_no_new_touch(
    slack: SlackHarness,
) -> None:
    baton = slack.baton
    [first] = slack.intake(lead(phone=None)).json()["leads"]
    again = lead(first_name="J.", phone="+49 30 1234", company="Acme AG")
    assert slack.intake(again).json()["leads"][0]["result"] == "merged"
    row = row_of(baton, first["id"])
    assert (row.first_name, row.company, row.phone) == ("Jane", "Acme GmbH", "+49 30 1234")
    assert kinds(baton, first["id"]) == ["received", "details"]
    with baton.database.reading() as session:
        data = session.scalars(select(EventRow.data).order_by(EventRow.id.desc())).first()
    assert data == {
        "filled": {"phone": "+49 30 1234"},
        "offered": {"first_name": "J.", "company": "Acme AG"},
        "kept": {"first_name": "Jane", "company": "Acme GmbH"},
    }


def test_a_later_campaign_is_a_touch_once_and_the_first_campaign_stays(
    slack: SlackHarness,
) -> None:
    baton = slack.baton
    [first] = slack.intake(lead()).json()["leads"]
    for _ in range(2):
        slack.intake(lead(campaign="Autumn-Promo", source="ads"))
    assert kinds(baton, first["id"]) == ["received", "campaign_touch"]
    slack.intake(lead(campaign="spring-webinar-2026", source="webinar"))
    assert kinds(baton, first["id"]) == ["received", "campaign_touch", "campaign_touch"]
    row = row_of(baton, first["id"])
    assert (row.campaign, row.source) == ("spring-webinar-2026", "webinar")


def test_the_thread_note_says_page_view_as_the_dm_does(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    page_view = [{"type": "page_view", "at": "2026-11-23T10:00:00Z", "detail": "visited pricing"}]
    slack.intake(lead(activity=page_view))
    slack.deliver_all()
    thread = [m["text"] for m in slack.standin.messages(EMEA) if m.get("thread_ts")]
    note = next(text for text in thread if "is active again" in text)
    assert "page view: visited pricing" in note and "page_view" not in note
    dm = slack.standin.messages(REP)[-1]
    assert "page view: visited pricing" in dm["text"]
    assert short_id in str(dm["blocks"])


def test_a_person_twice_in_one_import_is_merged_quietly_across_its_chunks(
    slack: SlackHarness, tmp_path: Path
) -> None:
    baton = slack.baton
    text = (
        "Email,First Name,Company,Country,Score,Notes\n"
        "ann@acme.example,Ann,Acme GmbH,DE,80,\n"
        "bob@acme.example,Bob,Acme GmbH,DE,80,\n"
        "ANN@acme.example,Ann,Acme GmbH,DE,95,met at the booth\n"
    )
    report = import_file(baton, tmp_path, text, chunk_size=1, campaign=None, source=None)
    assert (report.created, report.merged, report.pending) == (2, 0, 2)
    assert work(baton).count("owner_dm") == 0 and work(baton).count("thread_note") == 0
    [ann] = [i for i in report.ids if row_of(baton, i).email == "ann@acme.example"]
    row = row_of(baton, ann)
    assert (row.score, row.notes, row.priority) == (80, "met at the booth", 0)
    assert kinds(baton, ann) == ["received", "details"]


def test_a_later_trade_show_touch_counts_for_each_attribution_as_it_says(
    slack: SlackHarness, tmp_path: Path
) -> None:
    """A webinar lead accepted and won, then scanned at a trade show: its first and last
    touch before acceptance are the webinar; campaign influence counts it for both. A lead
    never accepted counts for its latest touch."""
    baton = slack.baton
    short_id, _ = accepted(slack)
    say(slack, REP, f"log {short_id} won 10k")
    import_file(baton, tmp_path, "Email\njane@acme.example\n")
    slack.intake(lead(email="new@acme.example", campaign=SHOW, source="trade_show"))
    slack.intake(lead(email="bob@acme.example"))  # never accepted: its latest touch is last
    slack.intake(lead(email="bob@acme.example", campaign=SHOW, source="trade_show"))

    def received(attribution: Attribution) -> dict[str | None, int]:
        query = ReportQuery(by=GroupBy.CAMPAIGN, attribution=attribution)
        report = closed_loop_report(
            query, reader=baton.report_reader, config=baton.config, clock=baton.clock
        )
        return {row.group: row.funnel.received for row in report.rows}

    assert received(Attribution.FIRST) == {"spring-webinar-2026": 2, SHOW: 1}
    assert received(Attribution.LAST) == {"spring-webinar-2026": 1, SHOW: 2}
    assert received(Attribution.ANY) == {"spring-webinar-2026": 2, SHOW: 3}
