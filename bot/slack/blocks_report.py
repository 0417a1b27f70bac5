"""Block Kit for the closed-loop report (`/lead report`) and the weekly digests.

Group names come from leads (campaigns, sources), so they are escaped like any lead data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.domain.attribution import ATTRIBUTION_LABELS, OVERLAP_NOTE
from bot.domain.digest import MarketingDigest, RegionDigest, top_reasons
from bot.domain.lead import RETURN_REASON_LABELS, ReturnReason
from bot.domain.report import GroupBy, Report, ReportRow, Spread, group_label
from bot.domain.wording import counted, whole_percent
from bot.slack import blockkit as kit
from bot.slack import text as t
from bot.slack.blockkit import Message

GROUPS_SHOWN = 25
GROUP_NAME = 60


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
        kit.header(f"Closed-loop report: {scope}"),
        kit.context(
            f"Leads received {t.escape(period)} · money in {report.currency} · "
            f"times in working hours (median · 90th percentile) · "
            f"by {ATTRIBUTION_LABELS[report.attribution]}"
        ),
        kit.fields(*_total_fields(total, report.currency, report.sla_hours)),
    ]
    blocks += _returns_and_leaks(total)
    if report.overlapping:
        blocks.append(kit.context(OVERLAP_NOTE))
    if report.rows:
        blocks.append(kit.divider())
        blocks.append(kit.section(f"*By {report.by.value}*"))
        shown = report.rows[:GROUPS_SHOWN]
        blocks += [kit.section(_group_line(report.by, row, report.currency)) for row in shown]
        if len(report.rows) > len(shown):
            left = len(report.rows) - len(shown)
            blocks.append(kit.context(f"…and {left} more; `baton report` has them all."))
    else:
        blocks.append(kit.context("No leads were received in this period."))
    fallback = (
        f"Closed-loop report for {scope}, {period}: {_leads(total.funnel.received)} received, "
        f"{total.funnel.accepted} accepted, {total.funnel.won} won."
    )
    return kit.message(t.escape(fallback), blocks)


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
        kit.field(
            "Leads received", f"{week.funnel.received:,} ({week.funnel.sales_ready:,} sales-ready)"
        ),
        kit.field(
            "Accepted",
            f"{week.funnel.accepted:,} · {_percent(week.rates['acceptance'])} of sales-ready",
        ),
        kit.field("Time to accept", _spread(week.time_to_accept)),
        kit.field("Time to first contact", _spread(week.time_to_first_contact)),
        kit.field(f"Accepted within {digest.sla_hours} h", _percent(week.within_sla_rate)),
        kit.field("Contacted", f"{week.funnel.contacted:,} · {_percent(week.rates['contact'])}"),
        kit.field("Feedback overdue now", f"{digest.overdue_feedback:,}"),
        kit.field("Leaked during the week", f"{digest.leaked_in_week:,}"),
    ]
    blocks: list[dict[str, Any]] = [
        kit.header(f"Weekly scoreboard: {name}"),
        kit.context(f"Leads received {span} ({digest.timezone}); times in working hours."),
        kit.fields(*fields),
        kit.section("*Returned by reason:* " + _reasons(week)),
    ]
    reps = [row for row in digest.reps if row.group]
    if reps:
        blocks.append(kit.divider())
        blocks += [kit.section(_rep_line(row)) for row in reps[:GROUPS_SHOWN]]
    blocks.append(kit.context("The funnel chart is in the thread."))
    fallback = (
        f"Weekly scoreboard for {name}: {counted(week.funnel.received, 'lead')}, "
        f"{week.funnel.accepted} accepted, {digest.overdue_feedback} with feedback overdue."
    )
    return kit.message(fallback, blocks)


def marketing_digest(digest: MarketingDigest) -> Message:
    """Marketing's weekly digest: each campaign's funnel and ROI to date, and last week."""
    week, total = digest.week, digest.to_date
    blocks: list[dict[str, Any]] = [
        kit.header("Weekly marketing digest"),
        kit.context(
            f"Campaigns to date, and the leads received in the week before "
            f"{t.date_for_people(digest.week_start, 'UTC')}; money in {digest.currency}."
        ),
        kit.fields(
            kit.field(
                "Last week",
                f"{counted(week.funnel.received, 'lead')} · {week.funnel.sales_ready:,} sales-ready",
            ),
            kit.field(
                "Accepted · returned",
                f"{week.funnel.accepted:,} · {week.funnel.returned:,} "
                f"({_percent(week.rates['acceptance'])} acceptance)",
            ),
            kit.field(
                "To date", f"{counted(total.funnel.received, 'lead')} · {total.funnel.won:,} won"
            ),
            kit.field(
                "Won · cost · ROI",
                f"{_money(total.won_revenue)} · {_money(total.cost)} · {_percent(total.roi)}",
            ),
        ),
        kit.section("*Top return reasons to date:* " + _reasons(total, limit=3)),
        kit.section("*Top return reasons last week:* " + _reasons(week, limit=3)),
    ]
    if digest.return_alerts:
        alerts = "\n".join(f"• {t.escape(alert)}" for alert in digest.return_alerts[:5])
        blocks.append(kit.section("*Returns worth a look:*\n" + alerts))
    if digest.live_version is not None:
        blocks.append(
            kit.context(
                f"Lead definition: version {digest.live_version} is live "
                "(`/lead rules`; `/lead report definition` compares the versions)."
            )
        )
    blocks.append(kit.divider())
    blocks += [kit.section(_campaign_line(row)) for row in digest.campaigns[:GROUPS_SHOWN]]
    blocks.append(kit.context("The funnel chart is in the thread."))
    fallback = (
        f"Weekly marketing digest: {counted(week.funnel.received, 'lead')} last week; to date "
        f"{total.funnel.won} won, ROI {_percent(total.roi)}."
    )
    return kit.message(fallback, blocks)


# Pieces -------------------------------------------------------------------------------


def _total_fields(row: ReportRow, currency: str, sla_hours: int) -> list[dict[str, Any]]:
    f = row.funnel
    return [
        kit.field("Received", f"{f.received:,} ({f.nurture:,} nurture)"),
        kit.field(
            "Accepted", f"{f.accepted:,} of {f.sales_ready:,} · {_percent(row.rates['acceptance'])}"
        ),
        kit.field("Contacted", f"{f.contacted:,} · {_percent(row.rates['contact'])} of accepted"),
        kit.field("Meetings · opps · won", f"{f.meetings:,} · {f.opportunities:,} · {f.won:,}"),
        kit.field("Won revenue", _won(row)),
        kit.field("Cost · ROI", f"{_money(row.cost)} · {_percent(row.roi)}"),
        kit.field("Time to accept", _spread(row.time_to_accept)),
        kit.field("Time to first contact", _spread(row.time_to_first_contact)),
        kit.field(f"Accepted within {sla_hours} h", _percent(row.within_sla_rate)),
        kit.field("Lost", f"{f.lost:,} · {_money(row.lost_revenue)} pipeline"),
    ]


def _returns_and_leaks(row: ReportRow) -> list[dict[str, Any]]:
    f = row.funnel
    lines = [f"*Returned:* {f.returned:,} — {_reasons(row)}"]
    lines.append(f"*Leaked:* {f.leaked:,} · rescued by a touch: {f.rescued:,}")
    if row.other_currency_amounts:
        lines.append(f"_{row.other_currency_amounts} deal amounts in other currencies left out._")
    return [kit.section("\n".join(lines))]


def _group_line(by: GroupBy, row: ReportRow, currency: str) -> str:
    f = row.funnel
    if by is GroupBy.DEFINITION:
        return _version_line(row)
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


def _version_line(row: ReportRow) -> str:
    """A version of the lead definition: what it let through, and how that fared."""
    f = row.funnel
    reasons = ", ".join(
        f"{_reason_label(r).lower()} {n:,}" for r, n in row.returns_by_reason.items()
    )
    return (
        f"*{group_label(GroupBy.DEFINITION, row.group)}* — {f.received:,} received · "
        f"{_percent(row.rates['sales_ready'])} sales-ready · {f.accepted:,} accepted "
        f"({_percent(row.rates['acceptance'])}) · {f.returned:,} returned"
        + (f" ({reasons})" if reasons else "")
        + f" · {_percent(row.rates['contact'])} contacted · win rate "
        f"{_percent(row.rates['win'])} · {_money(row.won_revenue)} won · "
        f"accept {_hours(row.time_to_accept.median)}"
    )


def _rep_line(row: ReportRow) -> str:
    f = row.funnel
    who = t.mention(row.group or "") if t.is_user_id(row.group) else t.escape(row.group or "")
    return (
        f"{who}: {f.accepted:,} accepted · {f.contacted:,} contacted · "
        f"first contact {_hours(row.time_to_first_contact.median)} · {f.returned:,} returned"
    )


def _campaign_line(row: ReportRow) -> str:
    f = row.funnel
    name = t.cut(t.escape(t.one_line(row.group or "(no campaign)")), GROUP_NAME)
    return (
        f"*{name}* — {counted(f.received, 'lead')} → {f.accepted:,} accepted "
        f"({_percent(row.rates['acceptance'])}) → {f.contacted:,} contacted → "
        f"{counted(f.opportunities, 'opportunity')} → {f.won:,} won · {_money(row.won_revenue)} on "
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
    return counted(count, "lead")


def _percent(value: float | Decimal | None) -> str:
    return "—" if value is None else f"{whole_percent(value)}%"


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"


def _spread(spread: Spread) -> str:
    if spread.median is None:
        return "—"
    return f"{_hours(spread.median)} · {_hours(spread.p90)}"


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


def _won(row: ReportRow) -> str:
    """The won revenue, and how much of it the CRM's deals gave (the rest reps typed)."""
    if not row.won_revenue_from_crm:
        return _money(row.won_revenue)
    return f"{_money(row.won_revenue)} ({_money(row.won_revenue_from_crm)} from the CRM)"
