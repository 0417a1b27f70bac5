"""`baton route`: how leads would qualify and where they would go, storing nothing.

One lead is explained step by step; a list of many (a JSON array or a CSV file) is counted:
how many go to each region, to triage and to nurture, and why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.domain.qualification import TRIAGE, qualify, route, why_nurture
from bot.domain.wording import counted
from bot.services.csv_import import CsvImportError
from bot.services.csv_rows import Chunk, Columns, RowReader
from bot.services.leadin import LeadIn, check_leads
from bot.services.ports import CsvRows
from config.model import BatonConfig

PROBLEMS_SHOWN = 20


def explain_routes(raw: list[Any], config: BatonConfig) -> tuple[list[str], bool]:
    """Describe each lead's qualification and route; False when any lead is invalid."""
    leads, errors = check_leads(raw, known_region=lambda name: config.region(name) is not None)
    lines = [f"lead {e.position + 1}: {e.field or 'lead'}: {e.reason}" for e in errors]
    for lead in leads:
        facts = lead.facts()
        verdict = qualify(facts, config.lead_definition)
        where = route(facts, config.regions)
        lines.append(f"{lead.email}:")
        status = (
            "pending (sales-ready)" if verdict.sales_ready else "nurture (stays with marketing)"
        )
        lines.append(f"  qualifies as {status}: {verdict.reason}")
        lines.append(f"  routes to {where.label}: {where.reason}")
        if verdict.sales_ready:
            lines.append(f"  handoff: {_destination(config, where.region)}")
    return lines, not errors


def _destination(config: BatonConfig, region_name: str | None) -> str:
    region = config.region(region_name) if region_name else None
    if region is None:
        deciders = ", ".join(config.triage.deciders)
        return f"posted to the triage channel {config.triage.channel} for {deciders}"
    backup = f", backup {region.backup}" if region.backup else ""
    if region.channel:
        return f"posted to {region.channel} mentioning manager {region.manager}{backup}"
    return f"sent as a DM to manager {region.manager}{backup}"


@dataclass
class RouteTally:
    """Where a list of leads would go: sales-ready ones by region (None: triage) with why
    they routed there, nurture ones by why, and the leads that are not valid."""

    leads: int = 0
    regions: dict[str | None, Counter[str]] = field(default_factory=dict)
    nurture: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def add(self, lead: LeadIn, config: BatonConfig) -> None:
        facts = lead.facts()
        self.leads += 1
        if not qualify(facts, config.lead_definition).sales_ready:
            self.nurture[why_nurture(facts, config.lead_definition)] += 1
            return
        where = route(facts, config.regions)
        self.regions.setdefault(where.region, Counter())[where.reason] += 1


def tally_json(raw: list[Any], config: BatonConfig) -> RouteTally:
    """Count where the leads of a JSON list would go."""
    leads, errors = check_leads(raw, known_region=lambda name: config.region(name) is not None)
    tally = RouteTally(
        problems=[f"lead {e.position + 1}: {e.field or 'lead'}: {e.reason}" for e in errors]
    )
    for lead in leads:
        tally.add(lead, config)
    return tally


def tally_csv(
    rows: CsvRows,
    *,
    config: BatonConfig,
    clock: Clock,
    campaign: str | None = None,
    source: str | None = None,
) -> RouteTally:
    """Count where the leads of a CSV file would go, its rows read as `baton import` reads them."""
    header = rows.header()
    if header is None:
        raise CsvImportError(f"{rows.name} is empty: expected a header row such as “Email,Company”")
    columns = Columns(header)
    missing = columns.missing_email()
    if missing:
        raise CsvImportError(f"{rows.name} {missing}")
    reader = RowReader(columns, config, campaign, source, decimal_comma=rows.decimal_comma)
    tally, now = RouteTally(), clock.now()
    for row_no, cells in rows.records():
        chunk = Chunk(now=now)  # what the row says besides its lead: its errors
        lead = reader.lead(row_no, cells, chunk)
        tally.problems += [f"row {e.row}: {e.field}: {e.reason}" for e in chunk.errors]
        if lead is not None:
            tally.add(lead, config)
    return tally


def tally_lines(name: str, tally: RouteTally, config: BatonConfig) -> list[str]:
    """The tally as `baton route` prints it."""
    head = f"{name}: {counted(tally.leads, 'lead')} would be taken in"
    if tally.problems:
        head += f"; {counted(len(tally.problems), 'problem')} (below)"
    lines = [head + ". Nothing was stored."]
    places = sorted(tally.regions, key=lambda r: (r is None, r or ""))
    width = max([len(r or TRIAGE) for r in places] + [len("nurture")])
    for region in places:
        reasons = tally.regions[region]
        lines.append(
            f"  {(region or TRIAGE).ljust(width)}  {sum(reasons.values()):>7,}  sales-ready, "
            f"{_destination(config, region)}: {_reasons(reasons)}"
        )
    if tally.nurture:
        lines.append(
            f"  {'nurture'.ljust(width)}  {sum(tally.nurture.values()):>7,}  stay with "
            f"marketing: {_reasons(tally.nurture)}"
        )
    if tally.problems:
        lines += ["Not valid:", *(f"  {p}" for p in tally.problems[:PROBLEMS_SHOWN])]
        if len(tally.problems) > PROBLEMS_SHOWN:
            lines.append(f"  and {len(tally.problems) - PROBLEMS_SHOWN} more")
    return lines


def _reasons(reasons: Counter[str]) -> str:
    return "; ".join(f"{why} ({count:,})" for why, count in reasons.most_common())
