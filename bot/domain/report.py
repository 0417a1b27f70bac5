"""The closed-loop report: funnel counts, rates, speed, costs and ROI for groups of leads.

A report is about a cohort: the leads received in its period, each counted once in every
stage it reached by the time the report is made (see `bot.domain.lead_summary`). So stage
counts never increase down the funnel, the groups add up to the total, and a past period
can be reported again at any time from the events.

Rates are between the stages: sales-ready of received, acceptance of sales-ready
(marketing's lead quality), return of sales-ready, contact of accepted (sales'
follow-through), meeting of contacted, opportunity of meetings, win of opportunities,
leakage of accepted and rescue of leaked.

Costs come from the config's campaigns. A campaign's cost is spread evenly over every lead
it ever brought, so a lead always carries the same share of it, a group costs the shares of
its leads, and costs add up across groups and periods. A lead with no configured campaign
costs nothing. Return on spend is won revenue / cost; ROI is (won revenue - cost) / cost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from bot.domain.attribution import Attribution
from bot.domain.lead import RETURN_REASON_LABELS, ReturnReason
from bot.domain.lead_summary import Stage
from bot.domain.wording import percent

CENT = Decimal("0.01")
MEDIAN = Fraction(1, 2)
P90 = Fraction(9, 10)
RATE_PLACES = 4
HOURS_PLACES = 2


class GroupBy(StrEnum):
    CAMPAIGN = "campaign"
    REGION = "region"
    SOURCE = "source"
    REP = "rep"
    DEFINITION = "definition"  # the version of the lead definition that qualified the lead


STAGE_NAMES = (
    ("sales_ready", Stage.SALES_READY),
    ("accepted", Stage.ACCEPTED),
    ("returned", Stage.RETURNED),
    ("contacted", Stage.CONTACTED),
    ("meetings", Stage.MEETING),
    ("opportunities", Stage.OPPORTUNITY),
    ("won", Stage.WON),
    ("lost", Stage.LOST),
    ("leaked", Stage.LEAKED),
    ("rescued", Stage.RESCUED),
)
REASONS = tuple(r.value for r in ReturnReason)


@dataclass(frozen=True)
class Funnel:
    received: int = 0
    sales_ready: int = 0
    accepted: int = 0
    returned: int = 0
    contacted: int = 0
    meetings: int = 0
    opportunities: int = 0
    won: int = 0
    lost: int = 0
    leaked: int = 0
    rescued: int = 0

    @property
    def nurture(self) -> int:
        return self.received - self.sales_ready

    def as_dict(self) -> dict[str, int]:
        counts = {"received": self.received, "sales_ready": self.sales_ready}
        counts["nurture"] = self.nurture
        counts |= {name: getattr(self, name) for name, _ in STAGE_NAMES[1:]}
        return counts


@dataclass
class Tally:
    """What is counted for one group while a report is made: add leads, then read figures."""

    stages: Counter[int] = field(default_factory=Counter)
    returns: Counter[str] = field(default_factory=Counter)
    won_cents: int = 0
    won_crm_cents: int = 0  # of won_cents, what the CRM's deals gave (the rest reps typed)
    lost_cents: int = 0
    other_currency: int = 0
    accept_minutes: Counter[int] = field(default_factory=Counter)
    contact_minutes: Counter[int] = field(default_factory=Counter)
    by_campaign: Counter[str | None] = field(default_factory=Counter)

    def add(
        self,
        *,
        stages: int,
        leads: int,
        campaign: str | None,
        return_reason: str | None = None,
        amount_cents: int = 0,
        foreign_amount: bool = False,
    ) -> None:
        """Count `leads` leads that reached `stages`, with their amounts summed in cents."""
        self.stages[stages] += leads
        self.by_campaign[campaign] += leads
        if stages & Stage.RETURNED:
            self.returns[return_reason or ReturnReason.OTHER.value] += leads
        if foreign_amount:
            self.other_currency += leads
        elif stages & Stage.WON:
            self.won_cents += amount_cents
        elif stages & Stage.LOST:
            self.lost_cents += amount_cents

    def merge(self, other: Tally) -> None:
        self.stages.update(other.stages)
        self.returns.update(other.returns)
        self.won_cents += other.won_cents
        self.won_crm_cents += other.won_crm_cents
        self.lost_cents += other.lost_cents
        self.other_currency += other.other_currency
        self.accept_minutes.update(other.accept_minutes)
        self.contact_minutes.update(other.contact_minutes)
        self.by_campaign.update(other.by_campaign)

    def funnel(self) -> Funnel:
        counts = {name: 0 for name, _ in STAGE_NAMES}
        for stages, leads in self.stages.items():
            for name, stage in STAGE_NAMES:
                if stages & stage:
                    counts[name] += leads
        return Funnel(received=sum(self.stages.values()), **counts)


@dataclass(frozen=True)
class Spread:
    """The median and 90th percentile of a duration, in working hours; None when nothing was measured."""

    median: float | None = None
    p90: float | None = None
    measured: int = 0


@dataclass(frozen=True)
class ReportRow:
    group: str | None
    funnel: Funnel
    returns_by_reason: Mapping[str, int]
    won_revenue: Decimal
    lost_revenue: Decimal
    other_currency_amounts: int
    time_to_accept: Spread
    time_to_first_contact: Spread
    accepted_within_sla: int
    cost: Decimal
    won_revenue_from_crm: Decimal = Decimal(0)  # the CRM's deals; the rest reps typed

    @property
    def rates(self) -> dict[str, float | None]:
        f = self.funnel
        return {
            "sales_ready": rate(f.sales_ready, f.received),
            "acceptance": rate(f.accepted, f.sales_ready),
            "return": rate(f.returned, f.sales_ready),
            "contact": rate(f.contacted, f.accepted),
            "meeting": rate(f.meetings, f.contacted),
            "opportunity": rate(f.opportunities, f.meetings),
            "win": rate(f.won, f.opportunities),
            "leakage": rate(f.leaked, f.accepted),
            "rescue": rate(f.rescued, f.leaked),
        }

    @property
    def within_sla_rate(self) -> float | None:
        return rate(self.accepted_within_sla, self.time_to_accept.measured)

    @property
    def cost_per_lead(self) -> Decimal | None:
        return per(self.cost, self.funnel.received)

    @property
    def cost_per_accepted(self) -> Decimal | None:
        return per(self.cost, self.funnel.accepted)

    @property
    def cost_per_opportunity(self) -> Decimal | None:
        return per(self.cost, self.funnel.opportunities)

    @property
    def return_on_spend(self) -> Decimal | None:
        return ratio(self.won_revenue, self.cost)

    @property
    def roi(self) -> Decimal | None:
        return ratio(self.won_revenue - self.cost, self.cost)


@dataclass(frozen=True)
class Report:
    by: GroupBy
    since: datetime | None
    until: datetime | None
    made_at: datetime
    currency: str
    sla_hours: int
    rows: tuple[ReportRow, ...]
    total: ReportRow
    attribution: Attribution = Attribution.FIRST
    overlapping: bool = False  # a lead may count in several groups (see OVERLAP_NOTE)


@dataclass(frozen=True)
class CampaignCosts:
    """Each configured campaign's cost, and how many leads it brought in all (its share base)."""

    costs: Mapping[str, Decimal]
    leads: Mapping[str, int]

    def share(self, campaign: str | None, leads: int) -> Fraction:
        """The exact cost of `leads` of the campaign's leads."""
        if campaign is None or campaign not in self.costs:
            return Fraction(0)
        base = self.leads.get(campaign, 0)
        if base <= 0:
            return Fraction(0)
        return Fraction(self.costs[campaign]) * leads / base


def build_report(
    tallies: Mapping[str | None, Tally],
    *,
    by: GroupBy,
    since: datetime | None,
    until: datetime | None,
    made_at: datetime,
    currency: str,
    sla_hours: int,
    costs: CampaignCosts,
    attribution: Attribution = Attribution.FIRST,
    distinct_total: Tally | None = None,
) -> Report:
    """Turn each group's tally into a report row, with a total row that adds them up.

    Groups that overlap come with `distinct_total`: the tally of the leads counted once,
    with the campaigns it costs.
    """
    groups = sorted(tallies, key=lambda g: _group_order(by, g))
    exact = [
        sum((costs.share(c, n) for c, n in tallies[g].by_campaign.items()), start=Fraction(0))
        for g in groups
    ]
    cents = allocate_cents(exact)
    total_tally = Tally()
    for group in groups:
        total_tally.merge(tallies[group])
    sla_minutes = sla_hours * 60
    rows = tuple(
        _row(group, tallies[group], cost=Decimal(c) * CENT, sla_minutes=sla_minutes)
        for group, c in zip(groups, cents, strict=True)
    )
    total_cents = sum(cents)
    if distinct_total is not None:
        total_tally = distinct_total
        spent = (costs.share(c, n) for c, n in total_tally.by_campaign.items())
        total_cents = allocate_cents([sum(spent, start=Fraction(0))])[0]
    total = _row(None, total_tally, cost=Decimal(total_cents) * CENT, sla_minutes=sla_minutes)
    return Report(
        by=by,
        since=since,
        until=until,
        made_at=made_at,
        currency=currency,
        sla_hours=sla_hours,
        rows=rows,
        total=total,
        attribution=attribution,
        overlapping=distinct_total is not None,
    )


def _group_order(by: GroupBy, group: str | None) -> tuple[bool, int, str]:
    """Groups by name, none last; definition versions by number (version 10 after 9)."""
    number = int(group) if by is GroupBy.DEFINITION and group and group.isdigit() else 0
    return group is None, number, group or ""


def _row(group: str | None, tally: Tally, *, cost: Decimal, sla_minutes: int) -> ReportRow:
    reasons = {reason: tally.returns[reason] for reason in REASONS if tally.returns[reason]}
    reasons |= {r: n for r, n in sorted(tally.returns.items()) if r not in reasons and n}
    return ReportRow(
        group=group,
        funnel=tally.funnel(),
        returns_by_reason=reasons,
        won_revenue=Decimal(tally.won_cents) * CENT,
        won_revenue_from_crm=Decimal(tally.won_crm_cents) * CENT,
        lost_revenue=Decimal(tally.lost_cents) * CENT,
        other_currency_amounts=tally.other_currency,
        time_to_accept=spread(tally.accept_minutes),
        time_to_first_contact=spread(tally.contact_minutes),
        accepted_within_sla=sum(n for m, n in tally.accept_minutes.items() if m <= sla_minutes),
        cost=cost,
    )


# Arithmetic -------------------------------------------------------------------------------


def quantile(histogram: Mapping[int, int], q: Fraction) -> Fraction | None:
    """The q-quantile of the values counted in `histogram`, interpolating between neighbours.

    The same rule as PostgreSQL's percentile_cont: position (n - 1) * q in the sorted values.
    """
    n = sum(histogram.values())
    if n <= 0:
        return None
    position = (n - 1) * q
    low = int(position)
    below, above = _kth(histogram, low), _kth(histogram, min(low + 1, n - 1))
    return below + (above - below) * (position - low)


def _kth(histogram: Mapping[int, int], k: int) -> Fraction:
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if k < seen:
            return Fraction(value)
    raise ValueError("k is beyond the values counted")


def spread(minutes: Mapping[int, int]) -> Spread:
    """Median and 90th percentile, in hours, of durations counted in whole minutes."""
    median, p90 = quantile(minutes, MEDIAN), quantile(minutes, P90)
    return Spread(
        median=_hours(median),
        p90=_hours(p90),
        measured=sum(minutes.values()),
    )


def _hours(minutes: Fraction | None) -> float | None:
    if minutes is None:
        return None
    return round(float(minutes / 60), HOURS_PLACES)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, RATE_PLACES) if whole else None


def per(money: Decimal, count: int) -> Decimal | None:
    return (money / count).quantize(CENT, ROUND_HALF_UP) if count else None


def ratio(money: Decimal, cost: Decimal) -> Decimal | None:
    if not cost:
        return None
    return (money / cost).quantize(Decimal(1).scaleb(-RATE_PLACES), ROUND_HALF_UP)


def allocate_cents(amounts: Sequence[Fraction]) -> list[int]:
    """Round exact amounts to whole cents so that they still add up to their rounded total.

    Largest remainder: every amount is rounded down, and the cents left over go one each to
    the amounts that lost most in the rounding (the earlier one on a tie).
    """
    cents = [a * 100 for a in amounts]
    floors = [int(c) for c in cents]  # amounts are never negative
    total = int(sum(cents, start=Fraction(0)) + Fraction(1, 2))
    leftover = total - sum(floors)
    order = sorted(range(len(cents)), key=lambda i: (-(cents[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return floors


def cents_of(amount: Decimal | None) -> int:
    return int((amount or Decimal(0)).quantize(CENT) * 100)


def group_label(by: GroupBy, group: str | None) -> str:
    """How a group is named to people: a lead with no region was with triage."""
    if by is GroupBy.DEFINITION:
        return f"version {group}" if group is not None else "(before versions)"
    if group is not None:
        return group
    return {GroupBy.REGION: "triage", GroupBy.REP: "(not accepted)"}.get(by, "(none)")


def merge_tallies(parts: Iterable[tuple[str | None, Tally]]) -> dict[str | None, Tally]:
    merged: dict[str | None, Tally] = {}
    for group, tally in parts:
        merged.setdefault(group, Tally()).merge(tally)
    return merged


# Returns worth telling marketing about ---------------------------------------------------


@dataclass(frozen=True)
class DominantReturn:
    """One reason that accounts for much of a group's returns: the digest says so."""

    by: GroupBy
    group: str | None
    reason: str
    returned: int  # the group's returns
    for_reason: int  # of them, for this reason

    @property
    def share(self) -> float:
        return self.for_reason / self.returned

    def sentence(self, period: str) -> str:
        """Like "62 % of trade_show returns last month: bad contact data"."""
        if self.reason in REASONS:
            label = RETURN_REASON_LABELS[ReturnReason(self.reason)].lower()
        else:
            label = self.reason.replace("_", " ")
        return (
            f"{percent(self.for_reason, self.returned)} % of {group_label(self.by, self.group)} returns "
            f"{period}: {label}"
        )


def dominant_returns(report: Report, *, share: float, at_least: int) -> tuple[DominantReturn, ...]:
    """The groups whose returns are at least `share` for one reason, counting only groups
    with `at_least` returns (so that two returns of three are not news); largest share first."""
    found = []
    for row in report.rows:
        returned = row.funnel.returned
        if returned < at_least or not row.returns_by_reason:
            continue
        reason, count = max(row.returns_by_reason.items(), key=lambda item: item[1])
        if count / returned >= share:
            found.append(DominantReturn(report.by, row.group, reason, returned, count))
    return tuple(sorted(found, key=lambda d: (-d.share, -d.returned, d.group or "")))
