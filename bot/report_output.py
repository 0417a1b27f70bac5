"""The closed-loop report written out: a table for a terminal, CSV for finance, JSON for tools."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.domain.attribution import ATTRIBUTION_LABELS, OVERLAP_NOTE
from bot.domain.report import GroupBy, Report, ReportRow, Spread, group_label
from bot.domain.report_data import COLUMNS, flat_row, report_json
from bot.domain.wording import counted, whole_percent

TOTAL = "(total)"
# A spreadsheet takes a cell that starts with one of these as a formula (OWASP, "CSV
# Injection"); campaign and source names come from whoever sent the leads.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_json(report: Report) -> str:
    return json.dumps(report_json(report), indent=2)


def as_csv(report: Report) -> str:
    """One row per group and a last row for the total; empty cells where a figure is undefined."""
    out = io.StringIO()
    # CRLF, as RFC 4180 has it: a field holding either character is then quoted, so a
    # carriage return in a name cannot start a new row (with a formula) in a spreadsheet.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        writer.writerow(_cells(flat_row(row, group_label=group_label(report.by, row.group))))
    writer.writerow(_cells(flat_row(report.total, group_label=TOTAL)))
    return out.getvalue()


def _cells(values: dict[str, Any]) -> list[str]:
    return [spreadsheet_cell(value) for value in values.values()]


def spreadsheet_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as it is, never runs as a formula."""
    if value is None:
        return ""
    # Only text is quoted: Baton's own figures, negative ones too, stay numbers.
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)


# Each column of the terminal table: its heading, and how a row shows in it.
TABLE: tuple[tuple[str, Callable[[ReportRow], str]], ...] = (
    ("received", lambda r: _count(r.funnel.received)),
    ("ready", lambda r: _count(r.funnel.sales_ready)),
    ("accepted", lambda r: _count(r.funnel.accepted)),
    ("acc%", lambda r: _percent(r.rates["acceptance"])),
    ("returned", lambda r: _count(r.funnel.returned)),
    ("contacted", lambda r: _count(r.funnel.contacted)),
    ("cont%", lambda r: _percent(r.rates["contact"])),
    ("meetings", lambda r: _count(r.funnel.meetings)),
    ("opps", lambda r: _count(r.funnel.opportunities)),
    ("won", lambda r: _count(r.funnel.won)),
    ("lost", lambda r: _count(r.funnel.lost)),
    ("won revenue", lambda r: _money(r.won_revenue)),
    ("of it CRM", lambda r: _money(r.won_revenue_from_crm)),
    ("cost", lambda r: _money(r.cost)),
    ("ROI", lambda r: _percent(r.roi)),
    ("to accept h", lambda r: _spread(r.time_to_accept)),
    ("to contact h", lambda r: _spread(r.time_to_first_contact)),
    ("in SLA", lambda r: _percent(r.within_sla_rate)),
    ("leaked", lambda r: _count(r.funnel.leaked)),
    ("rescued", lambda r: _count(r.funnel.rescued)),
)


def as_table(report: Report) -> str:
    """A table a person can read in a terminal, with what it counts above it."""
    header = [report.by.value, *(name for name, _ in TABLE)]
    lines = [
        [group_label(report.by, row.group), *(show(row) for _, show in TABLE)]
        for row in report.rows
    ]
    total = [TOTAL, *(show(report.total) for _, show in TABLE)]
    widths = [max(len(line[i]) for line in [header, *lines, total]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    body = [render(header), rule, *(render(line) for line in lines), rule, render(total)]
    return "\n".join([_title(report), "", *body, "", *_versions(report), *_notes(report)])


def _versions(report: Report) -> list[str]:
    """By definition: what each version let through and how it fared, beside the table."""
    if report.by is not GroupBy.DEFINITION or not report.rows:
        return []
    lines = ["Per version of the lead definition:"]
    for row in report.rows:
        reasons = ", ".join(f"{reason} {n}" for reason, n in row.returns_by_reason.items())
        lines.append(
            f"  {group_label(report.by, row.group)}: {_percent(row.rates['sales_ready'])} "
            f"sales-ready, {_percent(row.rates['acceptance'])} accepted, returns: "
            f"{reasons or 'none'}; {_percent(row.rates['contact'])} contacted, win rate "
            f"{_percent(row.rates['win'])}, won {_money(row.won_revenue)}, time to accept "
            f"{_spread(row.time_to_accept)} h"
        )
    return [*lines, ""]


def _title(report: Report) -> str:
    return (
        f"Closed-loop report by {report.by.value}: leads received {period_text(report)}, "
        f"by {ATTRIBUTION_LABELS[report.attribution]}. "
        f"Money in {report.currency}; hours are working hours (median / 90th percentile); "
        f"SLA {report.sla_hours} working hours; made {report.made_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC."
    )


def period_text(report: Report) -> str:
    if report.since is None and report.until is None:
        return "at any time"
    start = _day(report.since) if report.since else "the start"
    end = _day(report.until) if report.until else "now"
    return f"from {start} until {end}"


def _day(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d") if utc.time() == datetime.min.time() else utc.isoformat()


def _notes(report: Report) -> list[str]:
    total = report.total
    notes = [OVERLAP_NOTE] if report.overlapping else []
    if total.returns_by_reason:
        reasons = ", ".join(f"{reason} {n}" for reason, n in total.returns_by_reason.items())
        notes.append(f"Returned by reason: {reasons}.")
    if total.funnel.lost:
        notes.append(
            f"Lost: {counted(total.funnel.lost, 'lead')}, {_money(total.lost_revenue)} in pipeline."
        )
    if total.other_currency_amounts:
        notes.append(
            f"{counted(total.other_currency_amounts, 'deal amount')} in another currency than "
            f"{report.currency} are left out of the revenue."
        )
    if not report.rows:
        notes.append("No leads were received in this period.")
    return notes


def _count(value: int) -> str:
    return f"{value:,}"


def _percent(value: float | Decimal | None) -> str:
    return "—" if value is None else f"{whole_percent(value)}%"


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _spread(spread: Spread) -> str:
    if spread.median is None:
        return "—"
    return f"{spread.median:.1f} / {spread.p90:.1f}"
