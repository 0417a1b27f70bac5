"""The backtest counted by hand, from generated histories: each lead qualified under both
definitions one by one, its fate taken from the truth its history was generated with (never
from Baton's reading of its events). The backtest's figures must equal these."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from baton_devkit.histories import GeneratedLead, Truth

from bot.domain.backtest import Backtest, BacktestGroup, BacktestLead, Fates
from bot.domain.definitions import Rules
from bot.domain.qualification import qualify


def recount(
    leads: list[GeneratedLead],
    *,
    live: Rules,
    proposal: Rules,
    currency: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Every figure of the backtest, in total and per source and campaign, as plain numbers."""
    total: dict[str, Any] = _empty()
    by_source: dict[str | None, dict[str, Any]] = defaultdict(_empty)
    by_campaign: dict[str | None, dict[str, Any]] = defaultdict(_empty)
    for lead in leads:
        truth = lead.truth
        if since is not None and truth.received_at < since:
            continue
        if until is not None and truth.received_at >= until:
            continue
        ready_now = qualify(lead.facts, live).sales_ready
        ready_then = qualify(lead.facts, proposal).sales_ready
        for counts in (total, by_source[truth.source], by_campaign[truth.campaign]):
            if ready_now and ready_then:
                counts["both_sales_ready"] += 1
            elif not ready_now and not ready_then:
                counts["both_nurture"] += 1
            elif ready_now:
                _count_fate(counts["held_back"], truth, currency)
            else:
                _count_fate(counts["let_through"], truth, currency)
                if truth.came_back:
                    _count_fate(counts["came_back"], truth, currency)
    return {
        "total": total,
        "by_source": dict(by_source),
        "by_campaign": dict(by_campaign),
    }


def _empty() -> dict[str, Any]:
    return {
        "both_sales_ready": 0,
        "both_nurture": 0,
        "held_back": _no_fates(),
        "let_through": _no_fates(),
        "came_back": _no_fates(),
    }


def _no_fates() -> dict[str, Any]:
    names = ("leads", "nurture_on_arrival", "handed_over", "accepted", "returned", "contacted")
    fates: dict[str, Any] = dict.fromkeys(names, 0)
    fates |= {"opportunities": 0, "won": 0, "won_in_other_currencies": 0}
    fates |= {"returns_by_reason": Counter(), "won_revenue": Decimal(0)}
    return fates


def _count_fate(fates: dict[str, Any], truth: Truth, currency: str) -> None:
    fates["leads"] += 1
    fates["nurture_on_arrival"] += not truth.arrived_ready
    fates["handed_over"] += truth.handed_over
    fates["accepted"] += truth.accepted
    fates["returned"] += truth.returned
    if truth.returned:
        fates["returns_by_reason"][truth.return_reason] += 1
    fates["contacted"] += truth.contacted
    fates["opportunities"] += truth.opportunity
    fates["won"] += truth.won
    if truth.won and truth.won_currency in (None, currency):
        fates["won_revenue"] += truth.won_amount or Decimal(0)
    elif truth.won:
        fates["won_in_other_currencies"] += 1


def figures(result: Backtest) -> dict[str, Any]:
    """The backtest's figures in the recount's shape."""
    return {
        "total": _group(result.total),
        "by_source": {group.group: _group(group) for group in result.by_source},
        "by_campaign": {group.group: _group(group) for group in result.by_campaign},
    }


def _group(group: BacktestGroup) -> dict[str, Any]:
    return {
        "both_sales_ready": group.verdicts.both_sales_ready,
        "both_nurture": group.verdicts.both_nurture,
        "held_back": _fates(group.held_back, group.verdicts.held_back),
        "let_through": _fates(group.let_through, group.verdicts.let_through),
        "came_back": _fates(group.came_back, group.came_back.leads),
    }


def _fates(fates: Fates, leads: int) -> dict[str, Any]:
    assert fates.leads == leads
    return {
        "leads": fates.leads,
        "nurture_on_arrival": fates.nurture_on_arrival,
        "handed_over": fates.handed_over,
        "accepted": fates.accepted,
        "returned": fates.returned,
        "returns_by_reason": Counter(fates.returns_by_reason),
        "contacted": fates.contacted,
        "opportunities": fates.opportunities,
        "won": fates.won,
        "won_revenue": fates.won_revenue,
        "won_in_other_currencies": fates.won_in_other_currencies,
    }


def records(
    leads: list[GeneratedLead],
    fields: tuple[str, ...],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[BacktestLead]:
    """The leads received in the period as the store hands them to the backtest: their facts,
    and what their summaries say."""
    found = []
    for lead in leads:
        summary = lead.summary()
        if since is not None and summary.received_at < since:
            continue
        if until is not None and summary.received_at >= until:
            continue
        found.append(
            BacktestLead(
                facts=tuple(lead.facts.get(name) for name in fields),
                source=summary.source,
                campaign=summary.campaign,
                stages=int(summary.stages),
                return_reason=summary.return_reason,
                amount_cents=int(summary.amount * 100) if summary.amount is not None else None,
                amount_currency=summary.amount_currency,
                came_back=summary.came_back_at is not None,
            )
        )
    return found
