"""The backtest, reconciled with a recount by hand over a generated history, and the
sentence that heads it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from baton_devkit.histories import Era, generate

from bot.domain.backtest import Backtester, BacktestLead, backtest, facts_read, money
from bot.domain.definitions import Rules, SourceRules
from bot.domain.lead_summary import Stage
from tests.recount import figures, records, recount

START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
LIVE = Rules(
    min_score=50,
    required_fields=("email", "company"),
    source_rules={"trade_show": SourceRules(None, ("email", "first_name", "last_name", "company"))},
)
EARLIER = replace(LIVE, min_score=40, required_fields=("email",))
ERAS = (Era(START, 1, EARLIER), Era(START + timedelta(days=150), 2, LIVE))
PROPOSALS = {
    "a higher score and a phone": replace(
        LIVE, min_score=60, required_fields=("email", "company", "phone")
    ),
    "a lower score": replace(LIVE, min_score=35),
    "a trade-show score": replace(
        LIVE, source_rules={"trade_show": SourceRules(30, ("email", "last_name"))}
    ),
    "fewer sources": replace(LIVE, allowed_sources=("web", "webinar", "trade_show")),
    "no score at all": replace(LIVE, min_score=None, source_rules={}),
}


@pytest.fixture(scope="module")
def history() -> list:  # type: ignore[type-arg]
    return list(generate(4_000, eras=ERAS, start=START, span=YEAR, seed=17))


@pytest.mark.parametrize("name", sorted(PROPOSALS))
def test_the_backtest_reconciles_exactly_with_a_recount_by_hand(history, name: str) -> None:  # type: ignore[no-untyped-def]
    proposal = PROPOSALS[name]
    fields = facts_read(LIVE, proposal)
    chunks = [records(history[i : i + 333], fields) for i in range(0, len(history), 333)]
    result = backtest(chunks, live=LIVE, proposal=proposal, currency="USD", since=None, until=None)
    expected = recount(history, live=LIVE, proposal=proposal, currency="USD")
    assert figures(result) == expected
    total = result.total
    assert total.verdicts.received == len(history)
    assert total.held_back.leads + total.let_through.leads > 0  # the proposal changes something
    assert sum(g.verdicts.received for g in result.by_source) == len(history)
    assert sum(g.verdicts.received for g in result.by_campaign) == len(history)


def test_the_recount_sees_every_kind_of_fate(history) -> None:  # type: ignore[no-untyped-def]
    expected = recount(
        history, live=LIVE, proposal=PROPOSALS["a higher score and a phone"], currency="USD"
    )
    held, came_back = expected["total"]["held_back"], expected["total"]["came_back"]
    assert min(held["accepted"], held["returned"], held["contacted"], held["won"]) > 0
    assert held["won_in_other_currencies"] + came_back["leads"] > 0
    lowered = recount(history, live=LIVE, proposal=PROPOSALS["a lower score"], currency="USD")
    assert lowered["total"]["came_back"]["leads"] > 0
    assert (
        lowered["total"]["let_through"]["nurture_on_arrival"]
        < lowered["total"]["let_through"]["leads"]
    )


def test_a_period_counts_the_leads_received_in_it(history) -> None:  # type: ignore[no-untyped-def]
    proposal = PROPOSALS["a higher score and a phone"]
    since, until = START + timedelta(days=100), START + timedelta(days=200)
    fields = facts_read(LIVE, proposal)
    result = backtest(
        [records(history, fields, since=since, until=until)],
        live=LIVE,
        proposal=proposal,
        currency="USD",
        since=since,
        until=until,
    )
    expected = recount(
        history, live=LIVE, proposal=proposal, currency="USD", since=since, until=until
    )
    assert figures(result) == expected
    assert 0 < result.total.verdicts.received < len(history)


def test_leads_alike_in_what_qualifying_reads_are_qualified_once() -> None:
    tester = Backtester(LIVE, replace(LIVE, min_score=60))
    assert tester.fields == ("source", "score", "email", "company", "first_name", "last_name")
    leads = [
        lead(score=score, company=company)
        for score in (30, 50, 55, 59.5, 60, 99)
        for company in (f"Firm {n}" for n in range(50))
    ]
    tester.add(leads)
    assert len(tester.verdicts) == 3  # below both minimums, between them, above both
    result = tester.result(currency="USD", since=None, until=None)
    assert result.total.verdicts.held_back == 150
    assert result.total.verdicts.both_sales_ready == 100
    assert result.total.verdicts.both_nurture == 50


def test_blank_text_is_missing_as_qualification_reads_it() -> None:
    tester = Backtester(LIVE, replace(LIVE, required_fields=("email", "company", "phone")))
    phones = ("  ", "\t", "+1")
    tester.add([lead(score=80, phone=phone, fields=tester.fields) for phone in phones])
    verdicts = tester.result(currency="USD", since=None, until=None).total.verdicts
    assert (verdicts.held_back, verdicts.both_sales_ready) == (2, 1)


# The headline --------------------------------------------------------------------------------


def lead(
    *,
    score: float | None = 55,
    company: str | None = "Acme",
    phone: str | None = None,
    stages: Stage = Stage.SALES_READY,
    reason: str | None = None,
    amount: int | None = None,
    currency: str | None = None,
    came_back: bool = False,
    source: str = "web",
    fields: tuple[str, ...] = facts_read(LIVE),
) -> BacktestLead:
    """A lead as the store hands it over; `fields`: the facts the backtest reads."""
    facts = {"source": source, "score": score, "email": "a@b.example", "company": company}
    facts |= {"first_name": "Ada", "last_name": "Lovelace", "phone": phone}
    return BacktestLead(
        tuple(facts[name] for name in fields),
        source,
        "spring",
        int(stages),
        reason,
        amount,
        currency,
        came_back,
    )


def held_back_story() -> list[BacktestLead]:
    """900 leads; 120 score 50-59: 80 returned as not a fit, 3 won for USD 40,000 in all."""
    won = Stage.SALES_READY | Stage.ACCEPTED | Stage.CONTACTED | Stage.OPPORTUNITY | Stage.WON
    returned = Stage.SALES_READY | Stage.RETURNED
    leads = [lead(score=55, stages=returned, reason="not_a_fit") for _ in range(80)]
    leads += [lead(score=52, stages=returned, reason="bad_contact_data") for _ in range(10)]
    leads += [
        lead(score=58, stages=won, amount=amount) for amount in (1_500_000, 2_000_000, 500_000)
    ]
    leads += [lead(score=51) for _ in range(27)]
    leads += [lead(score=75) for _ in range(700)]
    leads += [lead(score=20, stages=Stage(0)) for _ in range(80)]
    return leads


def test_the_headline_says_what_the_proposal_would_have_held_back_and_what_it_cost() -> None:
    result = backtest(
        [held_back_story()],
        live=LIVE,
        proposal=replace(LIVE, min_score=60),
        currency="USD",
        since=None,
        until=None,
    )
    assert result.headline == (
        "Raising the minimum score to 60 would have held back 120 of 900 leads: 80 of them "
        "were returned as not a fit, 3 were won for USD 40,000."
    )
    held = result.total.held_back
    assert held.returns_by_reason == {"not_a_fit": 80, "bad_contact_data": 10}
    assert held.won_revenue == Decimal("40000.00")


def test_the_headline_names_leads_let_through_that_came_back() -> None:
    back = Stage.SALES_READY | Stage.ACCEPTED | Stage.CONTACTED | Stage.OPPORTUNITY | Stage.WON
    leads = [lead(score=45, stages=Stage(0)) for _ in range(30)]
    leads += [lead(score=42, stages=back, amount=250_050, came_back=True)]
    leads += [lead(score=44, stages=Stage.SALES_READY, came_back=True) for _ in range(4)]
    leads += [lead(score=90) for _ in range(65)]
    result = backtest(
        [leads],
        live=LIVE,
        proposal=replace(LIVE, min_score=40),
        currency="EUR",
        since=None,
        until=None,
    )
    assert result.headline == (
        "Lowering the minimum score to 40 would have let through 35 leads the live rules hold "
        "in nurture, 5 of which came back later and 1 was won for EUR 2,500.50."
    )


def test_the_headline_of_a_proposal_that_changes_nothing_or_has_no_leads() -> None:
    leads = [lead(score=90) for _ in range(10)] + [lead(score=10, stages=Stage(0))]
    proposal = replace(LIVE, min_score=55)
    same = backtest([leads], live=LIVE, proposal=proposal, currency="USD", since=None, until=None)
    assert same.headline == (
        "Raising the minimum score to 55 would have changed nothing for the 11 leads received: "
        "each would have been sales-ready or nurture as under the live rules."
    )
    empty = backtest([], live=LIVE, proposal=proposal, currency="USD", since=None, until=None)
    assert empty.headline == (
        "No lead was received in the period: there is nothing to test the proposal on."
    )


def test_won_amounts_in_another_currency_are_counted_apart() -> None:
    won = Stage.SALES_READY | Stage.ACCEPTED | Stage.CONTACTED | Stage.OPPORTUNITY | Stage.WON
    leads = [lead(stages=won, amount=100_000), lead(stages=won, amount=999_900, currency="EUR")]
    result = backtest(
        [leads],
        live=LIVE,
        proposal=replace(LIVE, min_score=60),
        currency="USD",
        since=None,
        until=None,
    )
    held = result.total.held_back
    assert (held.won, held.won_revenue, held.won_in_other_currencies) == (2, Decimal("1000.00"), 1)
    assert result.headline.endswith("none of them was returned, 2 were won for USD 1,000.")


def test_money_is_written_as_people_read_it() -> None:
    assert money(Decimal("40000.00"), "USD") == "USD 40,000"
    assert money(Decimal("1250.5"), "EUR") == "EUR 1,250.50"
