"""What `baton import` prints: the import's summary, then every row error."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.wording import counted
from bot.services.csv_import import ImportReport, n


def render_report(report: ImportReport) -> str:
    """Summarise the import for the terminal, then list every row error."""
    would = report.dry_run
    lines = [
        f"{report.file or 'CSV'}: {counted(report.rows, 'row')}"
        + (" (dry run: nothing was stored)" if would else ""),
        f"  created  {n(report.created):>8}  new leads" + (" would be created" if would else ""),
        f"  merged   {n(report.merged):>8}  into existing leads",
        f"  pending  {n(report.pending):>8}  waiting for a manager's decision",
        f"  nurture  {n(report.nurture):>8}  staying with marketing" + _why_nurture(report),
        f"  errors   {n(report.rows_with_errors):>8}  rows not imported",
    ]
    if report.regions:
        lines += ["", *_table(("new leads by region", "pending", "nurture"), _region_rows(report))]
    if report.ignored_columns:
        lines += ["", "Ignored columns: " + ", ".join(report.ignored_columns)]
    lines += [f"Note: {note}" for note in report.notes]
    if report.errors:
        rows = [(str(e.row), e.field, e.reason) for e in report.errors]
        lines += ["", "Rows not imported:", *_table(("row", "field", "reason"), rows)]
    return "\n".join(lines)


def _why_nurture(report: ImportReport) -> str:
    """ ": no score, and source “badge” has no rule (11); score below 60 (3)"."""
    reasons = report.nurture_reasons.most_common()
    if not reasons:
        return ""
    if len(reasons) == 1:
        return f": {reasons[0][0]}"
    return ": " + "; ".join(f"{why} ({n(count)})" for why, count in reasons)


def _region_rows(report: ImportReport) -> list[tuple[str, str, str]]:
    return [
        (region, n(tally.pending), n(tally.nurture)) for region, tally in report.regions.items()
    ]


def _table(headings: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    columns = list(zip(headings, *rows, strict=True))
    widths = [max(len(cell) for cell in column) for column in columns]
    numeric = [bool(rows) and all(_is_number(cell) for cell in column[1:]) for column in columns]

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            cell.rjust(width) if is_number else cell.ljust(width)
            for cell, width, is_number in zip(cells, widths, numeric, strict=True)
        ]
        return "  " + "  ".join(parts).rstrip()

    return [line(headings), *(line(row) for row in rows)]


def _is_number(cell: str) -> bool:
    return cell.replace(",", "").isdigit()
