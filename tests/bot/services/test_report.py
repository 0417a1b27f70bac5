"""The closed-loop report over hand-built histories with known answers, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.app import Baton
from bot.clock import FixedClock
from bot.domain.lead import LeadStatus, Outcome, ReturnReason
from bot.domain.report import GroupBy, Report, ReportRow
from bot.services.report import ReportQuery, closed_loop_report
from storage.summaries import read_summaries, rebuild_summaries
from tests.bot.services.histories import Histories

REPORT_TIME = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def story(baton: Baton) -> dict[str, str]:
    """Six leads whose every figure is worked out by hand below."""
    h = Histories(baton)
    leads = {}
    # Spring webinar, EMEA: accepted over a weekend (2 working hours), contacted 1 hour
    # later, won with more than the opportunity said.
    leads["won"] = won = h.lead(at("2026-11-20T16:30+01:00"))
    h.accept(won, at("2026-11-23T10:00+01:00"))
    h.log(won, at("2026-11-23T11:00+01:00"), Outcome.CONNECTED)
    h.log(won, at("2026-11-24T11:00+01:00"), Outcome.OPPORTUNITY, "10000")
    h.log(won, at("2026-11-30T11:00+01:00"), Outcome.WON, "12000")
    # Spring webinar, EMEA: returned as not a fit, qualified again the next day and accepted
    # 5 working hours into its second round (09:00-12:30 and 13:30-15:00).
    leads["again"] = again = h.lead(at("2026-11-23T09:00+01:00"))
    h.give_back(again, at("2026-11-23T09:30+01:00"), ReturnReason.NOT_A_FIT)
    h.requalify(again, at("2026-11-24T09:00+01:00"))
    h.accept(again, at("2026-11-24T15:00+01:00"))
    # Tech expo, APAC: accepted in 2 working hours (Thursday 17:00 to Friday 10:00 in
    # Singapore), a mistaken win withdrawn, then lost.
    leads["lost"] = lost = h.lead(
        at("2026-11-19T17:00+08:00"), region="apac", campaign="tech-expo-berlin-2026"
    )
    h.accept(lost, at("2026-11-20T10:00+08:00"), rep="U0APACREP1")
    h.log(lost, at("2026-11-20T11:00+08:00"), Outcome.ATTEMPTED)
    mistake = h.log(lost, at("2026-11-23T11:00+08:00"), Outcome.WON, "999")
    h.undo(lost, at("2026-11-23T11:05+08:00"), mistake, LeadStatus.ATTEMPTED, Outcome.WON)
    h.log(lost, at("2026-11-24T11:00+08:00"), Outcome.LOST)
    # Organic, no region (triage, UTC 09-17): a Saturday lead accepted on Monday 10:00,
    # leaked, and reached by marketing's touch.
    leads["rescued"] = rescued = h.lead(
        at("2026-11-21T11:00+00:00"), region=None, campaign="website-organic-2026", source="web"
    )
    h.accept(rescued, at("2026-11-23T10:00+00:00"), rep="U0SALESVP1")
    h.leak(rescued, at("2026-12-07T10:00+00:00"))
    h.touch(rescued, at("2026-12-08T10:00+00:00"), reached=False)
    h.touch(rescued, at("2026-12-09T10:00+00:00"), reached=True)
    # Americas: one nurture lead with no campaign, one duplicate returned.
    leads["nurture"] = h.lead(
        at("2026-11-24T10:00-05:00"), region="americas-east", campaign=None, sales_ready=False
    )
    leads["duplicate"] = duplicate = h.lead(
        at("2026-11-24T10:00-05:00"), region="americas-east", campaign="tech-expo-berlin-2026"
    )
    h.give_back(duplicate, at("2026-11-24T11:00-05:00"), ReturnReason.DUPLICATE)
    baton.clock.set(REPORT_TIME)  # type: ignore[attr-defined]
    return leads


def report(baton: Baton, by: GroupBy, **period: datetime) -> Report:
    return closed_loop_report(
        ReportQuery(by=by, **period),
        reader=baton.report_reader,
        config=baton.config,
        clock=baton.clock,
    )


def rows(result: Report) -> dict[str | None, ReportRow]:
    return {row.group: row for row in result.rows}


def test_the_campaign_report_has_the_worked_out_figures(baton: Baton, story: dict) -> None:
    result = report(baton, GroupBy.CAMPAIGN)
    by = rows(result)
    assert set(by) == {"spring-webinar-2026", "tech-expo-berlin-2026", "website-organic-2026", None}

    spring = by["spring-webinar-2026"]
    assert spring.funnel.as_dict() == {
        "received": 2,
        "sales_ready": 2,
        "nurture": 0,
        "accepted": 2,
        "returned": 1,
        "contacted": 1,
        "meetings": 1,
        "opportunities": 1,
        "won": 1,
        "lost": 0,
        "leaked": 0,
        "rescued": 0,
    }
    assert spring.returns_by_reason == {"not_a_fit": 1}
    assert spring.won_revenue == Decimal("12000.00")
    assert spring.time_to_accept.median == 3.5  # 2 h and 5 h
    assert spring.time_to_accept.p90 == 4.7  # 2 h + 0.9 × 3 h
    assert spring.time_to_first_contact.median == 3.0  # Friday 16:30 to Monday 11:00
    assert spring.accepted_within_sla == 1 and spring.within_sla_rate == 0.5
    assert spring.cost == Decimal("12000.00")
    assert (spring.return_on_spend, spring.roi) == (Decimal("1"), Decimal("0"))
    assert spring.cost_per_accepted == Decimal("6000.00")
    assert spring.rates["acceptance"] == 1.0 and spring.rates["return"] == 0.5

    expo = by["tech-expo-berlin-2026"]
    assert (expo.funnel.received, expo.funnel.accepted, expo.funnel.returned) == (2, 1, 1)
    assert (expo.funnel.contacted, expo.funnel.won, expo.funnel.lost) == (1, 0, 1)
    assert expo.funnel.opportunities == 0  # the withdrawn win never counted
    assert expo.returns_by_reason == {"duplicate": 1}
    assert expo.time_to_accept.median == 2.0
    assert expo.cost == Decimal("45000.00") and expo.roi == Decimal("-1")
    assert expo.cost_per_opportunity is None

    organic = by["website-organic-2026"]
    assert (organic.funnel.leaked, organic.funnel.rescued, organic.funnel.contacted) == (1, 1, 1)
    assert organic.time_to_accept.median == 1.0
    assert organic.cost == Decimal("0.00") and organic.roi is None

    unknown = by[None]
    assert (unknown.funnel.received, unknown.funnel.nurture, unknown.funnel.sales_ready) == (
        1,
        1,
        0,
    )
    assert unknown.cost == Decimal("0.00")

    total = result.total
    assert total.funnel.received == 6 and total.funnel.accepted == 4
    assert total.cost == Decimal("57000.00")
    assert total.won_revenue == Decimal("12000.00")
    assert total.returns_by_reason == {"not_a_fit": 1, "duplicate": 1}
    assert total.time_to_accept.median == 2.0  # 1, 2, 2, 5 hours


def test_the_region_report_puts_leads_with_no_region_in_their_own_group(
    baton: Baton, story: dict
) -> None:
    by = rows(report(baton, GroupBy.REGION))
    assert set(by) == {"emea", "apac", "americas-east", None}
    assert by[None].funnel.received == 1 and by[None].funnel.rescued == 1
    assert by["americas-east"].funnel.as_dict()["nurture"] == 1
    assert by["emea"].cost + by["apac"].cost + by["americas-east"].cost == Decimal("57000.00")
    reps = rows(report(baton, GroupBy.REP))
    assert reps["U0EMEAREP1"].funnel.accepted == 2
    assert reps[None].funnel.received == 2  # the nurture lead and the returned duplicate


def test_a_period_counts_the_leads_received_in_it_and_only_them(baton: Baton, story: dict) -> None:
    result = report(
        baton,
        GroupBy.CAMPAIGN,
        since=at("2026-11-23T00:00+00:00"),
        until=at("2026-11-24T00:00+00:00"),
    )
    assert result.total.funnel.received == 1  # only the lead returned on Monday
    [row] = result.rows
    assert row.group == "spring-webinar-2026"
    assert row.cost == Decimal("6000.00")  # one of the webinar's two leads


def test_speeds_stored_without_or_with_old_calendars_are_measured_again(
    baton: Baton, story: dict, example_config
) -> None:
    before = report(baton, GroupBy.REGION)
    with baton.database.engine.begin() as connection:
        rebuild_summaries(connection, calendars=None)
    assert report(baton, GroupBy.REGION).rows == before.rows
    # A holiday on the Monday the webinar leads were accepted changes their speed.
    emea = example_config.region("emea")
    holiday = emea.model_copy(update={"holidays": (*emea.holidays, at("2026-11-23T00:00").date())})
    baton.config = example_config.model_copy(
        update={
            "regions": tuple(holiday if r.name == "emea" else r for r in example_config.regions)
        }
    )
    spring = rows(report(baton, GroupBy.CAMPAIGN))["spring-webinar-2026"]
    assert spring.time_to_accept.median == (1.0 + 5.0) / 2  # Friday's hour only, and 5 h


def test_summaries_kept_up_to_date_agree_with_summaries_rebuilt_from_the_events(
    baton: Baton, story: dict
) -> None:
    with baton.database.engine.begin() as connection:
        kept = read_summaries(connection)
        assert len(kept) == 6
        rebuild_summaries(connection, calendars=baton.calendars)
        assert read_summaries(connection) == kept


def test_an_empty_store_reports_zeroes(baton: Baton) -> None:
    result = report(baton, GroupBy.SOURCE)
    assert result.rows == ()
    assert result.total.funnel.received == 0
    assert result.total.time_to_accept.median is None
    assert result.total.roi is None


def test_the_clock_dates_the_report(baton: Baton) -> None:
    clock = FixedClock(REPORT_TIME)
    result = closed_loop_report(
        ReportQuery(), reader=baton.report_reader, config=baton.config, clock=clock
    )
    assert result.made_at == REPORT_TIME
