"""The closed-loop report as data: JSON for other programs, flat rows for CSV and the terminal."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.domain.attribution import OVERLAP_NOTE
from bot.domain.report import CENT, REASONS, Funnel, Report, ReportRow, Spread


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON: money as strings with two decimals, rates as fractions of 1."""
    return {
        "by": report.by.value,
        "since": report.since.isoformat() if report.since else None,
        "until": report.until.isoformat() if report.until else None,
        "made_at": report.made_at.isoformat(),
        "currency": report.currency,
        "sla_hours": report.sla_hours,
        "attribution": report.attribution.value,
        "groups_overlap": report.overlapping,
        "notes": [OVERLAP_NOTE] if report.overlapping else [],
        "groups": [row_json(row) for row in report.rows],
        "total": row_json(report.total),
    }


def row_json(row: ReportRow) -> dict[str, Any]:
    return {
        "group": row.group,
        "leads": row.funnel.as_dict(),
        "returns_by_reason": dict(row.returns_by_reason),
        "rates": row.rates,
        "revenue": {
            "won": _money(row.won_revenue),
            # Where each won amount came from: the CRM's deals (the truth when there is one)
            # or what reps typed in Slack.
            "won_from_crm": _money(row.won_revenue_from_crm),
            "won_typed_by_reps": _money(row.won_revenue - row.won_revenue_from_crm),
            "lost": _money(row.lost_revenue),
            "amounts_in_other_currencies": row.other_currency_amounts,
        },
        "speed": {
            "time_to_accept_hours": _spread_json(row.time_to_accept),
            "time_to_first_contact_hours": _spread_json(row.time_to_first_contact),
            "accepted_within_sla": row.accepted_within_sla,
            "accepted_within_sla_rate": row.within_sla_rate,
        },
        "cost": {
            "spend": _money(row.cost),
            "per_lead": _money(row.cost_per_lead),
            "per_accepted_lead": _money(row.cost_per_accepted),
            "per_opportunity": _money(row.cost_per_opportunity),
            "return_on_spend": _number(row.return_on_spend),
            "roi": _number(row.roi),
        },
    }


def row_from_json(data: Mapping[str, Any]) -> ReportRow:
    """Read back a row written by `row_json`."""
    leads = dict(data["leads"])
    leads.pop("nurture", None)
    speed = data["speed"]
    return ReportRow(
        group=data["group"],
        funnel=Funnel(**leads),
        returns_by_reason=dict(data["returns_by_reason"]),
        won_revenue=Decimal(data["revenue"]["won"]),
        won_revenue_from_crm=Decimal(data["revenue"].get("won_from_crm") or 0),
        lost_revenue=Decimal(data["revenue"]["lost"]),
        other_currency_amounts=data["revenue"]["amounts_in_other_currencies"],
        time_to_accept=_spread_of(speed["time_to_accept_hours"]),
        time_to_first_contact=_spread_of(speed["time_to_first_contact_hours"]),
        accepted_within_sla=speed["accepted_within_sla"],
        cost=Decimal(data["cost"]["spend"]),
    )


def _spread_json(spread: Spread) -> dict[str, Any]:
    return {"median": spread.median, "p90": spread.p90, "measured": spread.measured}


def _spread_of(data: Mapping[str, Any]) -> Spread:
    return Spread(median=data["median"], p90=data["p90"], measured=data["measured"])


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount.quantize(CENT))


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# The report as a flat table (CSV, the terminal) -------------------------------------------

COLUMNS = (
    "group",
    "received",
    "sales_ready",
    "nurture",
    "accepted",
    "returned",
    *(f"returned_{reason}" for reason in REASONS),
    "contacted",
    "meetings",
    "opportunities",
    "won",
    "lost",
    "leaked",
    "rescued",
    "sales_ready_rate",
    "acceptance_rate",
    "return_rate",
    "contact_rate",
    "meeting_rate",
    "opportunity_rate",
    "win_rate",
    "leakage_rate",
    "rescue_rate",
    "time_to_accept_median_hours",
    "time_to_accept_p90_hours",
    "time_to_first_contact_median_hours",
    "time_to_first_contact_p90_hours",
    "accepted_within_sla_rate",
    "won_revenue",
    "won_revenue_from_crm",
    "lost_revenue",
    "amounts_in_other_currencies",
    "cost",
    "cost_per_lead",
    "cost_per_accepted_lead",
    "cost_per_opportunity",
    "return_on_spend",
    "roi",
)


def flat_row(row: ReportRow, *, group_label: str) -> dict[str, Any]:
    """One row of the flat table, by COLUMNS; None where a figure is undefined."""
    counts = row.funnel.as_dict()
    values: dict[str, Any] = {"group": group_label} | counts
    values |= {f"returned_{r}": row.returns_by_reason.get(r, 0) for r in REASONS}
    values |= {f"{name}_rate": value for name, value in row.rates.items()}
    values |= {
        "time_to_accept_median_hours": row.time_to_accept.median,
        "time_to_accept_p90_hours": row.time_to_accept.p90,
        "time_to_first_contact_median_hours": row.time_to_first_contact.median,
        "time_to_first_contact_p90_hours": row.time_to_first_contact.p90,
        "accepted_within_sla_rate": row.within_sla_rate,
        "won_revenue": row.won_revenue,
        "won_revenue_from_crm": row.won_revenue_from_crm,
        "lost_revenue": row.lost_revenue,
        "amounts_in_other_currencies": row.other_currency_amounts,
        "cost": row.cost,
        "cost_per_lead": row.cost_per_lead,
        "cost_per_accepted_lead": row.cost_per_accepted,
        "cost_per_opportunity": row.cost_per_opportunity,
        "return_on_spend": row.return_on_spend,
        "roi": row.roi,
    }
    return {column: values[column] for column in COLUMNS}
