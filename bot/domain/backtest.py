"""A backtest: what a proposed lead definition would have done to the leads of a period.

Every lead received in the period is qualified under the live rules and under the proposal,
on its facts as stored now (a lead that came back with more data is judged on all of it).
Beside the two verdicts stands what actually happened to it, from its summary (see
`bot.domain.lead_summary`):

- each way round: how many leads are sales-ready and how many nurture under each definition;
- held back (sales-ready under the live rules, nurture under the proposal): how many were
  handed to sales, accepted, returned (by reason), contacted, turned into opportunities and
  won, with the won revenue in the configured currency (amounts in another currency are
  counted apart, never added);
- let through (nurture under the live rules, sales-ready under the proposal): how many were
  nurture when they arrived, how many of those came back to sales later, and what became
  of the ones that came back;
- all of it in total, by source and by campaign (the report's: the lead's first touch).

Qualifying reads only a lead's source, its score and whether each required field is given,
so leads alike in those are qualified once, and each lead costs a dictionary look-up.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from bot.domain.definitions import RuleChange, Rules, changes, doing_phrase
from bot.domain.lead import ReturnReason
from bot.domain.lead_summary import Stage
from bot.domain.qualification import is_given, qualify

CENT = Decimal("0.01")
QUALIFYING = ("source", "score")  # read by every definition, as values; the rest as given or not


def facts_read(*definitions: Rules) -> tuple[str, ...]:
    """The facts qualifying under these rules reads, in the order a BacktestLead holds them."""
    names = list(QUALIFYING)
    for rules in definitions:
        fields = [*rules.required_fields]
        for rule in rules.source_rules.values():
            fields += rule.required_fields
        names += [name for name in fields if name not in names]
    return tuple(dict.fromkeys(names))


class BacktestLead(NamedTuple):
    """A lead received in the period: its facts (in `facts_read` order), and what became of it."""

    facts: tuple[Any, ...]
    source: str | None  # first touch, as the report groups
    campaign: str | None
    stages: int  # Stage bits
    return_reason: str | None
    amount_cents: int | None
    amount_currency: str | None  # None: the configured currency
    came_back: bool


@dataclass(frozen=True)
class Verdicts:
    """How many leads each definition makes sales-ready, each way round."""

    both_sales_ready: int = 0
    both_nurture: int = 0
    held_back: int = 0  # sales-ready under the live rules, nurture under the proposal
    let_through: int = 0  # nurture under the live rules, sales-ready under the proposal

    @property
    def received(self) -> int:
        return self.both_sales_ready + self.both_nurture + self.held_back + self.let_through

    @property
    def live_sales_ready(self) -> int:
        return self.both_sales_ready + self.held_back

    @property
    def live_nurture(self) -> int:
        return self.both_nurture + self.let_through

    @property
    def proposal_sales_ready(self) -> int:
        return self.both_sales_ready + self.let_through

    @property
    def proposal_nurture(self) -> int:
        return self.both_nurture + self.held_back


@dataclass(frozen=True)
class Fates:
    """What actually happened to a set of leads."""

    leads: int = 0
    nurture_on_arrival: int = 0
    handed_over: int = 0  # sales-ready at some point: handed to sales
    accepted: int = 0
    returned: int = 0
    returns_by_reason: Mapping[str, int] = field(default_factory=dict)
    contacted: int = 0
    opportunities: int = 0
    won: int = 0
    won_revenue: Decimal = Decimal(0)  # in the configured currency
    won_in_other_currencies: int = 0  # won leads whose amount is in another currency


@dataclass(frozen=True)
class BacktestGroup:
    group: str | None  # a source or a campaign; None: none, or the total
    verdicts: Verdicts
    held_back: Fates
    let_through: Fates
    came_back: Fates  # the let-through leads that were nurture and came back to sales later


@dataclass(frozen=True)
class Backtest:
    since: datetime | None
    until: datetime | None
    currency: str
    changes: tuple[RuleChange, ...]
    total: BacktestGroup
    by_source: tuple[BacktestGroup, ...]
    by_campaign: tuple[BacktestGroup, ...]

    @property
    def headline(self) -> str:
        return headline(self)


class Backtester:
    """Adds up leads, chunk by chunk, under the live rules and a proposal."""

    def __init__(self, live: Rules, proposal: Rules) -> None:
        self.live, self.proposal = live, proposal
        self.fields = facts_read(live, proposal)
        # Only where a score stands among the rules' minimums decides how it qualifies.
        self.thresholds = sorted(
            {
                score
                for rules in (live, proposal)
                for score in (rules.min_score, *(r.min_score for r in rules.source_rules.values()))
                if score is not None
            }
        )
        self.verdicts: dict[tuple[Any, ...], tuple[bool, bool]] = {}
        # Leads alike in everything counted: how many, and their amounts summed in cents.
        self.cells: dict[tuple[Any, ...], list[int]] = {}

    def add(self, leads: Iterable[BacktestLead]) -> None:
        verdicts, cells, thresholds = self.verdicts, self.cells, self.thresholds
        for facts, source, campaign, stages, reason, cents, currency, came_back in leads:
            score = facts[1]
            rank = None if score is None else bisect_right(thresholds, score)
            alike = (facts[0], rank, *map(is_given, facts[2:]))
            verdict = verdicts.get(alike)
            if verdict is None:
                verdict = verdicts[alike] = self.qualify(facts)
            key = (*verdict, source, campaign, stages, reason, currency, came_back)
            cell = cells.get(key)
            if cell is None:
                cells[key] = [1, cents or 0]
            else:
                cell[0] += 1
                cell[1] += cents or 0

    def qualify(self, facts: Sequence[Any]) -> tuple[bool, bool]:
        named = dict(zip(self.fields, facts, strict=True))
        return qualify(named, self.live).sales_ready, qualify(named, self.proposal).sales_ready

    def result(self, *, currency: str, since: datetime | None, until: datetime | None) -> Backtest:
        total = _Group()
        by_source: dict[str | None, _Group] = {}
        by_campaign: dict[str | None, _Group] = {}
        for key, (leads, cents) in self.cells.items():
            source, campaign = key[2], key[3]
            for group in (
                total,
                by_source.setdefault(source, _Group()),
                by_campaign.setdefault(campaign, _Group()),
            ):
                group.add(key, leads, cents, currency)
        return Backtest(
            since=since,
            until=until,
            currency=currency,
            changes=changes(self.live, self.proposal),
            total=total.frozen(None),
            by_source=_frozen_groups(by_source),
            by_campaign=_frozen_groups(by_campaign),
        )


def backtest(
    chunks: Iterable[Iterable[BacktestLead]],
    *,
    live: Rules,
    proposal: Rules,
    currency: str,
    since: datetime | None,
    until: datetime | None,
) -> Backtest:
    """Backtest `proposal` against `live` on leads read in chunks (facts in `facts_read` order)."""
    tester = Backtester(live, proposal)
    for chunk in chunks:
        tester.add(chunk)
    return tester.result(currency=currency, since=since, until=until)


@dataclass
class _Fates:
    leads: int = 0
    nurture_on_arrival: int = 0
    handed_over: int = 0
    accepted: int = 0
    returned: int = 0
    returns: Counter[str] = field(default_factory=Counter)
    contacted: int = 0
    opportunities: int = 0
    won: int = 0
    won_cents: int = 0
    won_elsewhere: int = 0

    def add(self, key: tuple[Any, ...], leads: int, cents: int, currency: str) -> None:
        stages, reason, amount_currency, came_back = key[4], key[5], key[6], key[7]
        self.leads += leads
        if not stages & Stage.SALES_READY or came_back:
            self.nurture_on_arrival += leads
        for name, stage in _COUNTED:
            if stages & stage:
                setattr(self, name, getattr(self, name) + leads)
        if stages & Stage.RETURNED:
            self.returns[reason or ReturnReason.OTHER.value] += leads
        if stages & Stage.WON:
            if amount_currency in (None, currency):
                self.won_cents += cents
            else:
                self.won_elsewhere += leads

    def frozen(self) -> Fates:
        known = [reason.value for reason in ReturnReason if self.returns[reason.value]]
        order = known + sorted(r for r in self.returns if r not in known and self.returns[r])
        return Fates(
            leads=self.leads,
            nurture_on_arrival=self.nurture_on_arrival,
            handed_over=self.handed_over,
            accepted=self.accepted,
            returned=self.returned,
            returns_by_reason={reason: self.returns[reason] for reason in order},
            contacted=self.contacted,
            opportunities=self.opportunities,
            won=self.won,
            won_revenue=Decimal(self.won_cents) * CENT,
            won_in_other_currencies=self.won_elsewhere,
        )


_COUNTED = (
    ("handed_over", Stage.SALES_READY),
    ("accepted", Stage.ACCEPTED),
    ("returned", Stage.RETURNED),
    ("contacted", Stage.CONTACTED),
    ("opportunities", Stage.OPPORTUNITY),
    ("won", Stage.WON),
)


@dataclass
class _Group:
    verdicts: Counter[tuple[bool, bool]] = field(default_factory=Counter)
    held_back: _Fates = field(default_factory=_Fates)
    let_through: _Fates = field(default_factory=_Fates)
    came_back: _Fates = field(default_factory=_Fates)

    def add(self, key: tuple[Any, ...], leads: int, cents: int, currency: str) -> None:
        live, proposal, came_back = key[0], key[1], key[7]
        self.verdicts[live, proposal] += leads
        if live and not proposal:
            self.held_back.add(key, leads, cents, currency)
        elif proposal and not live:
            self.let_through.add(key, leads, cents, currency)
            if came_back:
                self.came_back.add(key, leads, cents, currency)

    def frozen(self, group: str | None) -> BacktestGroup:
        return BacktestGroup(
            group=group,
            verdicts=Verdicts(
                both_sales_ready=self.verdicts[True, True],
                both_nurture=self.verdicts[False, False],
                held_back=self.verdicts[True, False],
                let_through=self.verdicts[False, True],
            ),
            held_back=self.held_back.frozen(),
            let_through=self.let_through.frozen(),
            came_back=self.came_back.frozen(),
        )


def _frozen_groups(groups: dict[str | None, _Group]) -> tuple[BacktestGroup, ...]:
    ordered = sorted(groups, key=lambda g: (g is None, g or ""))
    return tuple(groups[g].frozen(g) for g in ordered)


# The sentence that heads it ----------------------------------------------------------------


def headline(result: Backtest) -> str:
    """One sentence people can read: what the proposal would have changed, and what it cost."""
    total, money = result.total, result.currency
    received = total.verdicts.received
    if not received:
        return "No lead was received in the period: there is nothing to test the proposal on."
    subject = doing_phrase(result.changes)
    parts = []
    held = total.held_back
    if held.leads:
        what = [_returned(held), _won(held, money, "none of them was won")]
        parts.append(f"held back {held.leads:,} of {received:,} leads: " + ", ".join(what))
    let = total.let_through
    if let.leads:
        came = total.came_back
        text = f"let through {let.leads:,} {_leads(let.leads)} the live rules hold in nurture"
        if came.leads:
            won = _won(came, money, "none was won")
            text += f", {came.leads:,} of which came back later and {won}"
        else:
            text += ", none of which came back later"
        parts.append(text)
    if not parts:
        return (
            f"{subject} would have changed nothing for the {received:,} leads received: each "
            "would have been sales-ready or nurture as under the live rules."
        )
    return f"{subject} would have " + "; and ".join(parts) + "."


def _returned(fates: Fates) -> str:
    if not fates.returned:
        return "none of them was returned"
    reason, count = max(fates.returns_by_reason.items(), key=lambda item: item[1])
    return f"{count:,} of them {'was' if count == 1 else 'were'} returned as {_reason(reason)}"


def _won(fates: Fates, currency: str, none: str) -> str:
    if not fates.won:
        return none
    verb = "was won" if fates.won == 1 else "were won"
    if not fates.won_revenue:
        return f"{fates.won:,} {verb}"
    return f"{fates.won:,} {verb} for {money(fates.won_revenue, currency)}"


def _reason(code: str) -> str:
    try:
        return ReturnReason(code).label.lower()
    except ValueError:
        return code.replace("_", " ")


def _leads(count: int) -> str:
    return "lead" if count == 1 else "leads"


def money(amount: Decimal, currency: str) -> str:
    """An amount as people read it: "USD 40,000", "USD 1,250.50"."""
    return f"{currency} " + f"{amount:,.2f}".removesuffix(".00")
