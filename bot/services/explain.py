"""`baton route`: how leads would qualify and where they would go, storing nothing."""

from __future__ import annotations

from typing import Any

from bot.domain.qualification import qualify, route
from bot.services.leadin import check_leads
from config.model import BatonConfig


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
