"""`/lead report [region] [period]`: the closed-loop report for the caller's scope, ephemerally.

Marketing sees every region (by region, or one region by rep); a region's manager or backup
sees their region by rep. Days are read on the region's clock (UTC for several regions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.attribution import Attribution
from bot.domain.periods import PeriodError, parse_period
from bot.domain.report import GroupBy
from bot.services.report import NotInScope, ReportQuery, narrow, period_bounds, scope_of
from bot.slack import blocks_report
from bot.slack.lead_command import CommandError
from config.model import BatonConfig
from handlers.slack_services import SlackServices

DEFAULT_PERIOD = "30d"
USAGE = (
    "`/lead report [region] [period] [first|last|any] [definition]`, e.g. "
    "`/lead report emea last-month`, `/lead report this-month any` or "
    "`/lead report definition` (a row per version of the lead definition)"
)
MODELS = {model.value: model for model in Attribution}
BY_DEFINITION = frozenset({"definition", "definitions", "version", "versions"})


def report_answer(words: Sequence[str], *, user: str, services: SlackServices) -> dict[str, Any]:
    """The report message for `user`; blocking (it reads the store), so run it in a thread."""
    config = services.config
    models = [MODELS[w.lower()] for w in words if w.lower() in MODELS]
    if len(models) > 1:
        raise CommandError(f"Give at most one attribution (first, last or any): {USAGE}.")
    by_definition = any(w.lower() in BY_DEFINITION for w in words)
    words = [w for w in words if w.lower() not in BY_DEFINITION]
    region, period_word = _read([w for w in words if w.lower() not in MODELS], config)
    try:
        regions = narrow(scope_of(config, user), region, config)
        zone = _zone(config, regions)
        today = services.clock.now().astimezone(ZoneInfo(zone)).date()
        period = parse_period(period_word or DEFAULT_PERIOD, today=today)
    except (NotInScope, PeriodError) as error:
        raise CommandError(str(error)) from None
    since, until = period_bounds(period, zone)
    by = GroupBy.REP if regions is not None and len(regions) == 1 else GroupBy.REGION
    if by_definition:
        by = GroupBy.DEFINITION
    attribution = models[0] if models else Attribution.FIRST
    query = ReportQuery(by=by, since=since, until=until, regions=regions, attribution=attribution)
    report = services.report(query)
    scope = "all regions" if regions is None else ", ".join(r or "triage" for r in regions)
    return blocks_report.report_message(report, scope=scope, period=f"{period.label} ({zone})")


def _read(words: Sequence[str], config: BatonConfig) -> tuple[str | None, str | None]:
    """Tell the region from the period: a region is named in the config (or is triage)."""
    regions = [w for w in words if w.lower() == "triage" or config.region(w) is not None]
    periods = [w for w in words if w not in regions]
    if len(regions) > 1 or len(periods) > 1:
        raise CommandError(f"Give at most one region and one period: {USAGE}.")
    return (regions[0] if regions else None), (periods[0] if periods else None)


def _zone(config: BatonConfig, regions: tuple[str | None, ...] | None) -> str:
    if regions is None or len(regions) != 1 or regions[0] is None:
        return "UTC"
    found = config.region(regions[0])
    return found.timezone if found else "UTC"
