"""Block Kit for the closed-loop report (`/lead report`) and the weekly digests.

Group names come from leads (campaigns, sources), so they are escaped like any lead data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.domain.digest import MarketingDigest, RegionDigest, top_reasons
from bot.domain.lead import RETURN_REASON_LABELS, ReturnReason
from bot.domain.report import GroupBy, Report, ReportRow, Spread, group_label
from bot.slack import text as t

HEADER = 150
SECTION = 3000
FIELD = 2000
CONTEXT = 2000
FALLBACK = 3000
GROUPS_SHOWN = 25
GROUP_NAME = 60

Message = dict[str, Any]


def funnel_stages(row: ReportRow) -> list[tuple[str, int]]:
    """The funnel's bars, from received leads down to won ones."""
    f = row.funnel
    return [
        ("Received", f.received),
        ("Sales-ready", f.sales_ready),
        ("Accepted", f.accepted),
        ("Contacted", f.contacted),
        ("Meetings", f.meetings),
        ("Opportunities", f.opportunities),
        ("Won", f.won),
    ]


def report_message(report: Report, *, scope: str, period: str) -> Message:
    """The report for one person: the total of their scope, then a line per group."""
    total = report.total
    blocks: list[dict[str, Any]] = [
        _header(f"Closed-loop report: {scope}"),
        _context(
            f"Leads received {t.escape(period)} · money in {report.currency} · "
            f"times in working hours (median · 90th percentile)"
        ),
        {"type": "section", "fields": _total_fields(total, report.currency, report.sla_hours)},
    ]
    blocks += _returns_and_leaks(total)
    if report.rows:
        blocks.append({"type": "divider"})
        blocks.append(_md(f"*By {report.by.value}*"))
        shown = report.rows[:GROUPS_SHOWN]
        blocks += [_md(_group_line(report.by, row, report.currency)) for row in shown]
        if len(report.rows) > len(shown):
            left = len(report.rows) - len(shown)
            blocks.append(_context(f"…and {left} more; `baton report` has them all."))
    else:
        blocks.append(_context("No leads were received in this period."))
    fallback = (
        f"Closed-loop report for {scope}, {period}: {_leads(total.funnel.received)} received, "
        f"{total.funnel.accepted} accepted, {total.funnel.won} won."
    )
    return {"text": t.cut(t.escape(fallback), FALLBACK), "blocks": blocks}


def region_digest(digest: RegionDigest) -> Message:
    """A region's weekly scoreboard."""
    name = digest.region or "triage"
    week = digest.week
    first = digest.week_start - timedelta(weeks=1)
    last = digest.week_start - timedelta(days=1)
    span = (
        f"{t.date_for_people(first, digest.timezone)} – {t.date_for_people(last, digest.timezone)}"
    )
    fields = [
        _field(
            "Leads received", f"{week.funnel.received:,} ({week.funnel.sales_ready:,} sales-ready)"
        ),
        _field(
            "Accepted",
            f"{week.funnel.accepted:,} · {_percent(week.rates['acceptance'])} of sales-ready",
        ),
        _field("Time to accept", _spread(week.time_to_accept)),
        _field("Time to first contact", _spread(week.time_to_first_contact)),
        _field(f"Accepted within {digest.sla_hours} h", _percent(week.within_sla_rate)),
        _field("Contacted", f"{week.funnel.contacted:,} · {_percent(week.rates['contact'])}"),
        _field("Feedback overdue now", f"{digest.overdue_feedback:,}"),
        _field("Leaked during the week", f"{digest.leaked_in_week:,}"),
    ]
    blocks: list[dict[str, Any]] = [
        _header(f"Weekly scoreboard: {name}"),
        _context(f"Leads received {span} ({digest.timezone}); times in working hours."),
        {"type": "section", "fields": fields},
        _md("*Returned by reason:* " + _reasons(week)),
    ]
    reps = [row for row in digest.reps if row.group]
    if reps:
        blocks.append({"type": "divider"})
        blocks += [_md(_rep_line(row)) for row in reps[:GROUPS_SHOWN]]
    blocks.append(_context("The funnel chart is in the thread."))
    fallback = (
        f"Weekly scoreboard for {name}: {week.funnel.received} leads, "
        f"{week.funnel.accepted} accepted, {digest.overdue_feedback} with feedback overdue."
    )
    return {"text": fallback, "blocks": blocks}


def marketing_digest(digest: MarketingDigest) -> Message:
    """Marketing's weekly digest: each campaign's funnel and ROI to date, and last week."""
    week, total = digest.week, digest.to_date
    blocks: list[dict[str, Any]] = [
        _header("Weekly marketing digest"),
        _context(
            f"Campaigns to date, and the leads received in the week before "
            f"{t.date_for_people(digest.week_start, 'UTC')}; money in {digest.currency}."
        ),
        {
            "type": "section",
            "fields": [
                _field(
                    "Last week",
                    f"{week.funnel.received:,} leads · {week.funnel.sales_ready:,} sales-ready",
                ),
                _field(
                    "Accepted · returned",
                    f"{week.funnel.accepted:,} · {week.funnel.returned:,} "
                    f"({_percent(week.rates['acceptance'])} acceptance)",
                ),
                _field("To date", f"{total.funnel.received:,} leads · {total.funnel.won:,} won"),
                _field(
                    "Won · cost · ROI",
                    f"{_money(total.won_revenue)} · {_money(total.cost)} · {_percent(total.roi)}",
                ),
            ],
        },
        _md("*Top return reasons to date:* " + _reasons(total, limit=3)),
        _md("*Top return reasons last week:* " + _reasons(week, limit=3)),
        {"type": "divider"},
    ]
    blocks += [_md(_campaign_line(row)) for row in digest.campaigns[:GROUPS_SHOWN]]
    blocks.append(_context("The funnel chart is in the thread."))
    fallback = (
        f"Weekly marketing digest: {week.funnel.received} leads last week; to date "
        f"{total.funnel.won} won, ROI {_percent(total.roi)}."
    )
    return {"text": fallback, "blocks": blocks}


# Pieces -------------------------------------------------------------------------------


def _total_fields(row: ReportRow, currency: str, sla_hours: int) -> list[dict[str, Any]]:
    f = row.funnel
    return [
        _field("Received", f"{f.received:,} ({f.nurture:,} nurture)"),
        _field(
            "Accepted", f"{f.accepted:,} of {f.sales_ready:,} · {_percent(row.rates['acceptance'])}"
        ),
        _field("Contacted", f"{f.contacted:,} · {_percent(row.rates['contact'])} of accepted"),
        _field("Meetings · opps · won", f"{f.meetings:,} · {f.opportunities:,} · {f.won:,}"),
        _field("Won revenue", _money(row.won_revenue)),
        _field("Cost · ROI", f"{_money(row.cost)} · {_percent(row.roi)}"),
        _field("Time to accept", _spread(row.time_to_accept)),
        _field("Time to first contact", _spread(row.time_to_first_contact)),
        _field(f"Accepted within {sla_hours} h", _percent(row.within_sla_rate)),
        _field("Lost", f"{f.lost:,} · {_money(row.lost_revenue)} pipeline"),
    ]


def _returns_and_leaks(row: ReportRow) -> list[dict[str, Any]]:
    f = row.funnel
    lines = [f"*Returned:* {f.returned:,} — {_reasons(row)}"]
    lines.append(f"*Leaked:* {f.leaked:,} · rescued by a touch: {f.rescued:,}")
    if row.other_currency_amounts:
        lines.append(f"_{row.other_currency_amounts} deal amounts in other currencies left out._")
    return [_md("\n".join(lines))]


def _group_line(by: GroupBy, row: ReportRow, currency: str) -> str:
    f = row.funnel
    if by is GroupBy.REP and t.is_user_id(row.group):
        name = t.mention(row.group or "")
    else:
        name = t.cut(t.escape(t.one_line(group_label(by, row.group))), GROUP_NAME)
    return (
        f"*{name}* — {f.received:,} received · {f.accepted:,} accepted "
        f"({_percent(row.rates['acceptance'])}) · {f.contacted:,} contacted · {f.won:,} won "
        f"({_money(row.won_revenue)}) · ROI {_percent(row.roi)} · "
        f"accept {_hours(row.time_to_accept.median)}"
    )


def _rep_line(row: ReportRow) -> str:
    f = row.funnel
    who = t.mention(row.group) if t.is_user_id(row.group) else t.escape(row.group or "")
    return (
        f"{who}: {f.accepted:,} accepted · {f.contacted:,} contacted · "
        f"first contact {_hours(row.time_to_first_contact.median)} · {f.returned:,} returned"
    )


def _campaign_line(row: ReportRow) -> str:
    f = row.funnel
    name = t.cut(t.escape(t.one_line(row.group or "(no campaign)")), GROUP_NAME)
    return (
        f"*{name}* — {f.received:,} leads → {f.accepted:,} accepted "
        f"({_percent(row.rates['acceptance'])}) → {f.contacted:,} contacted → "
        f"{f.opportunities:,} opportunities → {f.won:,} won · {_money(row.won_revenue)} on "
        f"{_money(row.cost)} · ROI {_percent(row.roi)}"
    )


def _reasons(row: ReportRow, limit: int | None = None) -> str:
    ranked = top_reasons(row, limit or len(row.returns_by_reason))
    if not ranked:
        return "none"
    return ", ".join(f"{_reason_label(reason)} {count:,}" for reason, count in ranked)


def _reason_label(reason: str) -> str:
    try:
        return RETURN_REASON_LABELS[ReturnReason(reason)]
    except ValueError:
        return t.escape(reason)


def _leads(count: int) -> str:
    return f"{count:,} lead" if count == 1 else f"{count:,} leads"


def _percent(value: float | Decimal | None) -> str:
    return "—" if value is None else f"{float(value) * 100:.0f}%"


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"


def _spread(spread: Spread) -> str:
    if spread.median is None:
        return "—"
    return f"{_hours(spread.median)} · {_hours(spread.p90)}"


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": t.plain(text, HEADER)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t.cut(text, CONTEXT)}]}


def _md(text: str) -> dict[str, Any]:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": t.cut(text, SECTION), "verbatim": True},
    }


def _field(label: str, value: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": t.cut(f"*{label}*\n{value}", FIELD), "verbatim": True}


def chart_title(digest: RegionDigest | MarketingDigest) -> tuple[str, str]:
    """The chart's title and subtitle."""
    if isinstance(digest, RegionDigest):
        first = digest.week_start - timedelta(weeks=1)
        return (
            f"Funnel · {digest.region or 'triage'}",
            f"Leads received in the week of {first.isoformat()}",
        )
    return ("Funnel · all campaigns", f"Leads to date, as of {digest.week_start.isoformat()}")


def chart_rows(digest: RegionDigest | MarketingDigest) -> Sequence[tuple[str, int]]:
    return funnel_stages(digest.week if isinstance(digest, RegionDigest) else digest.to_date)
