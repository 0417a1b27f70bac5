"""Returns for one reason that pass a threshold in a source or campaign: the digest's sentence."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.lead_summary import Stage
from bot.domain.report import CampaignCosts, GroupBy, Tally, build_report, dominant_returns

RETURNED = int(Stage.SALES_READY | Stage.RETURNED)


def report_of(returns: dict[str | None, dict[str, int]], by: GroupBy = GroupBy.SOURCE):  # type: ignore[no-untyped-def]
    tallies = {}
    for group, reasons in returns.items():
        tally = Tally()
        for reason, leads in reasons.items():
            tally.add(stages=RETURNED, leads=leads, campaign=None, return_reason=reason)
        tally.add(stages=int(Stage.SALES_READY), leads=5, campaign=None)
        tallies[group] = tally
    return build_report(
        tallies,
        by=by,
        since=None,
        until=None,
        made_at=datetime(2026, 3, 2, tzinfo=UTC),
        currency="USD",
        sla_hours=4,
        costs=CampaignCosts(costs={}, leads={}),
    )


def test_a_reason_with_most_of_a_sources_returns_is_named_with_its_share() -> None:
    report = report_of(
        {
            "trade_show": {"bad_contact_data": 31, "not_a_fit": 19},
            "webinar": {"not_a_fit": 9, "duplicate": 8, "other": 3},
            "web": {"duplicate": 3},  # too few returns to be news
        }
    )
    [found] = dominant_returns(report, share=0.5, at_least=10)
    assert found.sentence("last month") == "62 % of trade_show returns last month: bad contact data"


def test_the_largest_shares_come_first_and_none_passes_a_higher_threshold() -> None:
    report = report_of(
        {
            "spring": {"not_a_fit": 12, "other": 8},
            "autumn": {"competitor_or_partner": 18, "not_ready": 2},
            None: {"duplicate": 10},
        },
        by=GroupBy.CAMPAIGN,
    )
    found = dominant_returns(report, share=0.6, at_least=10)
    assert [d.sentence("last week") for d in found] == [
        "100 % of (none) returns last week: duplicate",
        "90 % of autumn returns last week: competitor or partner",
        "60 % of spring returns last week: not a fit",
    ]
    assert dominant_returns(report, share=1.01, at_least=1) == ()
