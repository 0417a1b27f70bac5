"""Block Kit for the report and the digests: escaped group names, limits, fallbacks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from bot.domain.digest import MarketingDigest, RegionDigest
from bot.domain.lead_summary import Stage
from bot.domain.report import CampaignCosts, GroupBy, Report, Tally, build_report
from bot.slack import blocks_report
from bot.slack.lead_command import Report as ReportCommand
from bot.slack.lead_command import parse

WON = Stage.SALES_READY | Stage.ACCEPTED | Stage.CONTACTED | Stage.MEETING
WON |= Stage.OPPORTUNITY | Stage.WON


def report(groups: dict[str | None, int], by: GroupBy = GroupBy.CAMPAIGN) -> Report:
    tallies = {}
    for group, leads in groups.items():
        tally = Tally()
        tally.add(stages=WON, leads=leads, campaign=group, amount_cents=100_000)
        tally.add(
            stages=Stage.SALES_READY | Stage.RETURNED,
            leads=1,
            campaign=group,
            return_reason="not_a_fit",
        )
        tallies[group] = tally
    return build_report(
        tallies,
        by=by,
        since=None,
        until=None,
        made_at=datetime(2026, 11, 23, tzinfo=UTC),
        currency="USD",
        sla_hours=4,
        costs=CampaignCosts({}, {}),
    )


def test_a_campaign_name_from_a_lead_can_neither_mention_nor_format() -> None:
    message = blocks_report.report_message(
        report({"<!channel> *big* <https://x.example|win>": 2}), scope="all regions", period="x"
    )
    text = json.dumps(message, ensure_ascii=False)
    assert "<!channel>" not in text and "<https://" not in text
    assert "&lt;!channel&gt;" in text


def test_many_groups_are_cut_short_with_a_pointer_to_the_rest() -> None:
    message = blocks_report.report_message(
        report({f"campaign-{i:02d}": 1 for i in range(40)}), scope="all regions", period="x"
    )
    assert len(message["blocks"]) <= 50
    assert "…and 15 more" in json.dumps(message, ensure_ascii=False)


def test_the_report_message_says_what_it_counts_and_has_a_fallback() -> None:
    message = blocks_report.report_message(report({"webinar": 3}), scope="emea", period="May 2026")
    assert message["text"].startswith("Closed-loop report for emea, May 2026: 4 leads received")
    fields = json.dumps(message["blocks"][2]["fields"])
    assert "3 of 4" in fields and "Not a fit" not in fields
    assert "Not a fit 1" in json.dumps(message["blocks"])


def test_digests_have_a_header_a_fallback_and_a_chart_title() -> None:
    row = report({"webinar": 3}).total
    region = RegionDigest("emea", date(2026, 11, 23), "Europe/Berlin", "USD", 4, row, (), 2, 1)
    message = blocks_report.region_digest(region)
    assert message["blocks"][0]["text"]["text"] == "Weekly scoreboard: emea"
    assert "Mon 16 Nov – Sun 22 Nov" in json.dumps(message, ensure_ascii=False)
    assert "2 with feedback overdue" in message["text"]
    assert blocks_report.chart_title(region)[0] == "Funnel · emea"
    marketing = MarketingDigest(date(2026, 11, 23), "USD", (row,), row, row)
    message = blocks_report.marketing_digest(marketing)
    assert message["text"].startswith("Weekly marketing digest: 4 leads last week")
    assert [n for _, n in blocks_report.chart_rows(marketing)] == [4, 4, 3, 3, 3, 3, 3]
    assert RegionDigest.from_json(region.as_json()) == region
    assert MarketingDigest.from_json(marketing.as_json()) == marketing
    assert row.won_revenue == Decimal("1000.00")  # amounts are added up per cell


def test_report_reads_its_words_in_any_order() -> None:
    assert parse("report") == ReportCommand(())
    assert parse("report last-month emea") == ReportCommand(("last-month", "emea"))
