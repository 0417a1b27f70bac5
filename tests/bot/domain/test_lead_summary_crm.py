"""A lead's won amount when the CRM's deal and the rep both say: the CRM's is the truth."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.lead_summary import Stage
from tests.bot.domain.test_lead_summary import History, at


def worked() -> History:
    history = History()
    history.received(at("2026-11-02T09:00+00:00"))
    history.accepted(at("2026-11-02T10:00+00:00"))
    return history


def crm(history: History, when: str, outcome: str, amount: str | None) -> None:
    history.outcome(at(when), outcome, amount, source="crm", deal_id="D1", stage=outcome)


@pytest.mark.parametrize("crm_first", [True, False])
def test_the_crms_won_amount_is_the_truth_whichever_came_first(crm_first: bool) -> None:
    history = worked()
    if crm_first:
        crm(history, "2026-11-10T09:00+00:00", "won", "12000")
        history.outcome(at("2026-11-11T09:00+00:00"), "won", "9000")
    else:
        history.outcome(at("2026-11-10T09:00+00:00"), "won", "9000")
        crm(history, "2026-11-11T09:00+00:00", "won", "12000")
    summary = history.summary()
    assert Stage.WON in summary.stages
    assert (summary.amount, summary.amount_source) == (Decimal("12000"), "crm")


def test_a_reps_amount_stands_while_the_crm_has_none() -> None:
    history = worked()
    history.outcome(at("2026-11-10T09:00+00:00"), "won", "9000")
    crm(history, "2026-11-11T09:00+00:00", "won", None)
    summary = history.summary()
    assert (summary.amount, summary.amount_source) == (Decimal("9000"), "rep")


def test_the_crms_opportunity_amount_is_the_won_amount_when_won_gives_none() -> None:
    history = worked()
    crm(history, "2026-11-09T09:00+00:00", "opportunity", "15000")
    history.outcome(at("2026-11-10T09:00+00:00"), "opportunity", "11000")
    history.outcome(at("2026-11-11T09:00+00:00"), "won")
    summary = history.summary()
    assert (summary.amount, summary.amount_source) == (Decimal("15000"), "crm")


def test_a_crm_loss_counts_its_deals_amount_as_lost() -> None:
    history = worked()
    crm(history, "2026-11-10T09:00+00:00", "lost", "4000")
    summary = history.summary()
    assert Stage.LOST in summary.stages and Stage.WON not in summary.stages
    assert (summary.amount, summary.amount_source) == (Decimal("4000"), "crm")
