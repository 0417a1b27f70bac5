"""Report figures: percentiles, rates, costs and ROI, and totals that add up."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from bot.domain.lead_summary import Stage
from bot.domain.report import (
    MEDIAN,
    P90,
    CampaignCosts,
    GroupBy,
    Tally,
    allocate_cents,
    build_report,
    quantile,
)
from bot.domain.report_data import COLUMNS, flat_row, row_from_json, row_json

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WORKED = Stage.SALES_READY | Stage.ACCEPTED
CONTACTED = WORKED | Stage.CONTACTED
WON = CONTACTED | Stage.MEETING | Stage.OPPORTUNITY | Stage.WON


def report(tallies: dict[str | None, Tally], costs: dict[str, str], sizes: dict[str, int]):  # type: ignore[no-untyped-def]
    return build_report(
        tallies,
        by=GroupBy.CAMPAIGN,
        since=None,
        until=None,
        made_at=NOW,
        currency="USD",
        sla_hours=4,
        costs=CampaignCosts({c: Decimal(v) for c, v in costs.items()}, sizes),
    )


@pytest.mark.parametrize("size", [1, 2, 3, 10, 11, 1000])
def test_median_and_p90_are_those_of_the_sorted_values(size: int) -> None:
    rng = random.Random(size)
    values = [rng.randrange(0, 500) for _ in range(size)]
    histogram = Counter(values)
    assert quantile(histogram, MEDIAN) == Fraction(statistics.median(values)).limit_denominator()
    ordered = sorted(values)
    position = (size - 1) * Fraction(9, 10)
    low = int(position)
    high = min(low + 1, size - 1)
    expected = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    assert quantile(histogram, P90) == expected


def test_no_values_have_no_percentile() -> None:
    assert quantile(Counter(), MEDIAN) is None


def test_cents_are_allocated_so_that_the_parts_add_up_to_the_rounded_whole() -> None:
    thirds = [Fraction(100, 3)] * 3
    assert allocate_cents(thirds) == [3334, 3333, 3333]
    rng = random.Random(7)
    for _ in range(200):
        parts = [Fraction(rng.randrange(0, 10**6), rng.randrange(1, 997)) for _ in range(7)]
        cents = allocate_cents(parts)
        assert sum(cents) == int(sum(parts) * 100 + Fraction(1, 2))
        assert all(abs(c - p * 100) < 1 for c, p in zip(cents, parts, strict=True))


def test_a_campaigns_cost_follows_its_leads_and_the_total_adds_up() -> None:
    webinar, organic = Tally(), Tally()
    webinar.add(stages=WORKED, leads=3, campaign="webinar")
    webinar.add(stages=WON, leads=1, campaign="webinar", amount_cents=2_500_000)
    webinar.add(stages=0, leads=6, campaign="webinar")
    organic.add(
        stages=WORKED | Stage.RETURNED, leads=2, campaign="organic", return_reason="duplicate"
    )
    result = report(
        {"webinar": webinar, "organic": organic},
        costs={"webinar": "1000.00", "organic": "0"},
        sizes={"webinar": 40, "organic": 2},  # the webinar brought 40 leads in all
    )
    rows = {row.group: row for row in result.rows}
    w = rows["webinar"]
    assert w.cost == Decimal("250.00")  # 10 of its 40 leads
    assert w.cost_per_lead == Decimal("25.00")
    assert w.cost_per_accepted == Decimal("62.50")
    assert w.cost_per_opportunity == Decimal("250.00")
    assert w.won_revenue == Decimal("25000.00")
    assert w.return_on_spend == Decimal("100")
    assert w.roi == Decimal("99")
    assert w.rates["acceptance"] == 1.0 and w.rates["sales_ready"] == 0.4
    o = rows["organic"]
    assert o.cost == Decimal("0.00")
    assert (o.roi, o.return_on_spend, o.cost_per_lead) == (None, None, Decimal("0.00"))
    assert o.returns_by_reason == {"duplicate": 2}
    total = result.total
    assert total.funnel.received == w.funnel.received + o.funnel.received == 12
    assert total.cost == w.cost + o.cost
    assert total.won_revenue == w.won_revenue + o.won_revenue


def test_speed_and_the_handoff_sla_come_from_the_minutes_counted() -> None:
    tally = Tally()
    tally.add(stages=WORKED, leads=4, campaign=None)
    tally.accept_minutes.update([30, 240, 241, 600])
    tally.contact_minutes.update([120])
    row = report({None: tally}, {}, {}).total
    assert row.time_to_accept.median == round(240.5 / 60, 2)
    assert row.time_to_accept.p90 == round((241 + (600 - 241) * 0.7) / 60, 2)
    assert row.accepted_within_sla == 2  # 30 and 240 minutes are within 4 working hours
    assert row.within_sla_rate == 0.5
    assert row.time_to_first_contact.median == 2.0


def test_amounts_in_another_currency_are_counted_apart() -> None:
    tally = Tally()
    tally.add(stages=WON, leads=1, campaign=None, amount_cents=100, foreign_amount=True)
    tally.add(stages=CONTACTED | Stage.LOST, leads=1, campaign=None, amount_cents=700)
    row = report({None: tally}, {}, {}).total
    assert (row.won_revenue, row.lost_revenue) == (Decimal("0.00"), Decimal("7.00"))
    assert row.other_currency_amounts == 1


def test_a_row_reads_back_from_its_json_and_flattens_to_every_column() -> None:
    tally = Tally()
    tally.add(stages=WON, leads=2, campaign="webinar", amount_cents=123_456)
    tally.add(stages=WORKED | Stage.RETURNED, leads=1, campaign="webinar", return_reason="other")
    tally.accept_minutes.update([10, 20, 30])
    row = report({"webinar": tally}, {"webinar": "99.99"}, {"webinar": 7}).rows[0]
    assert row_from_json(row_json(row)) == row
    flat = flat_row(row, group_label="webinar")
    assert tuple(flat) == COLUMNS
    assert flat["returned_other"] == 1 and flat["won"] == 2
