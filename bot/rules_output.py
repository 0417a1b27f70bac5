"""The lead definition written out for a terminal: its versions, its proposals, and a
backtest as people read it (or as JSON for tools)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.domain.backtest import Backtest, BacktestGroup, Fates, money
from bot.domain.definitions import DefinitionVersion, rules_lines
from bot.domain.lead import ReturnReason
from bot.domain.proposals import COMMAND_LINE, Proposal, Side

STAMP = "%Y-%m-%d %H:%M UTC"


def who(user: str | None) -> str:
    """A person as a terminal shows them: their Slack id, or where the change came from."""
    if user is None:
        return "-"
    return {COMMAND_LINE: "the command line", "config": "the config file"}.get(user, user)


def history_text(versions: Sequence[DefinitionVersion], proposals: Sequence[Proposal]) -> str:
    """`baton rules history`: every version, the live one first, then the open proposal."""
    lines: list[str] = []
    for version in versions:
        live = " (live)" if version is versions[0] else ""
        lines.append(
            f"Version {version.number}{live}, in effect since {_at(version.took_effect_at)}"
        )
        lines += [f"  {line}" for line in rules_lines(version.rules)]
        lines.append(f"  why: {version.why}")
        lines.append(
            f"  proposed by {who(version.proposed_by)}; approved for marketing by "
            f"{who(version.marketing_approver)}, for sales by {who(version.sales_approver)}"
        )
        lines.append("")
    pending = [proposal for proposal in proposals if proposal.is_open]
    lines += [proposal_text(proposal) for proposal in pending] or ["No proposal is open."]
    return "\n".join(lines) + "\n"


def proposal_text(proposal: Proposal) -> str:
    """A proposal, its rules and who has approved it so far."""
    approvals = ", ".join(f"{a.side.value} by {who(a.by)}" for a in proposal.approvals)
    waiting = " and ".join(_WANTED[side] for side in proposal.waiting_for)
    lines = [
        f"Proposal {proposal.id}, by {who(proposal.proposed_by)} on {_at(proposal.proposed_at)}"
        f" against version {proposal.base_version}: {proposal.status.value.replace('_', ' ')}",
        *(f"  {line}" for line in rules_lines(proposal.rules)),
        f"  why: {proposal.why}",
        f"  approved: {approvals or 'not yet'}" + (f"; waiting for {waiting}" if waiting else ""),
    ]
    return "\n".join(lines)


_WANTED = {Side.MARKETING: "marketing", Side.SALES: "a sales manager"}


# The backtest ------------------------------------------------------------------------------


def backtest_text(result: Backtest, *, live: int) -> str:
    """The backtest as people read it: its sentence, the verdicts, the leads it moves."""
    total = result.total
    lines = [result.headline, "", f"Leads received {_period(result)}, against live version {live}."]
    if result.changes:
        lines += ["", "What changes:", *(f"  {change.line}" for change in result.changes)]
    verdicts = total.verdicts
    lines += [
        "",
        f"{'':<14}{'live rules':>12}{'proposal':>12}",
        f"{'sales-ready':<14}{verdicts.live_sales_ready:>12,}{verdicts.proposal_sales_ready:>12,}",
        f"{'nurture':<14}{verdicts.live_nurture:>12,}{verdicts.proposal_nurture:>12,}",
        f"both sales-ready {verdicts.both_sales_ready:,}, both nurture {verdicts.both_nurture:,}, "
        f"held back {verdicts.held_back:,}, let through {verdicts.let_through:,}",
        "",
        f"Held back (sales-ready under the live rules, nurture under the proposal): "
        f"{total.held_back.leads:,}",
        f"  {fates_line(total.held_back, result.currency)}",
        f"Let through (nurture under the live rules, sales-ready under the proposal): "
        f"{total.let_through.leads:,}",
        f"  {total.let_through.nurture_on_arrival:,} were nurture when they arrived; "
        f"{total.came_back.leads:,} came back to sales later",
    ]
    if total.came_back.leads:
        lines.append(f"  of those: {fates_line(total.came_back, result.currency)}")
    lines += _groups("By source", "source", result.by_source)
    lines += _groups("By campaign", "campaign", result.by_campaign)
    return "\n".join(lines) + "\n"


def fates_line(fates: Fates, currency: str) -> str:
    """What became of a set of leads, on one line."""
    if not fates.leads:
        return "none"
    returned = f"returned {fates.returned:,}"
    if fates.returns_by_reason:
        returned += " (" + _reasons(fates.returns_by_reason) + ")"
    won = f"won {fates.won:,}"
    if fates.won:
        won += f" for {money(fates.won_revenue, currency)}"
    if fates.won_in_other_currencies:
        won += f", {fates.won_in_other_currencies:,} more in other currencies"
    return (
        f"handed to sales {fates.handed_over:,}, accepted {fates.accepted:,}, {returned}, "
        f"contacted {fates.contacted:,}, opportunities {fates.opportunities:,}, {won}"
    )


def _reasons(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{_reason_label(code)} {count:,}" for code, count in counts.items())


def _reason_label(code: str) -> str:
    try:
        return ReturnReason(code).label.lower()
    except ValueError:
        return code.replace("_", " ")


_GROUP_COLUMNS = ("received", "held back", "returned", "won", "let through", "came back")


def _groups(title: str, what: str, groups: Iterable[BacktestGroup]) -> list[str]:
    rows = [
        (
            group.group or f"(no {what})",
            group.verdicts.received,
            group.verdicts.held_back,
            group.held_back.returned,
            group.held_back.won,
            group.verdicts.let_through,
            group.came_back.leads,
        )
        for group in groups
    ]
    if not rows:
        return []
    width = max(len(title), *(len(row[0]) for row in rows)) + 2
    head = f"{title + ':':<{width}}" + "".join(f"{name:>12}" for name in _GROUP_COLUMNS)
    body = [f"{row[0]:<{width}}" + "".join(f"{n:>12,}" for n in row[1:]) for row in rows]
    return ["", head, *body]


def _period(result: Backtest) -> str:
    since = f"from {result.since:%Y-%m-%d}" if result.since else "since the first lead"
    until = f"before {result.until:%Y-%m-%d}" if result.until else "until now"
    return f"{since} {until}"


def _at(moment: datetime) -> str:
    return moment.strftime(STAMP)


def backtest_json(result: Backtest, *, live: int, rules: Mapping[str, Any]) -> str:
    """The backtest for tools: every figure, amounts as decimal strings, times in ISO 8601."""
    data = {
        "headline": result.headline,
        "live_version": live,
        "proposal": dict(rules),
        **asdict(result),
    }
    return json.dumps(data, indent=2, default=_plain) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
