"""The closed-loop report: one service for the CLI, the web API, `/lead report` and the digest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.attribution import Attribution
from bot.domain.lead_summary import CalendarBook, working_minutes
from bot.domain.periods import Period
from bot.domain.report import CampaignCosts, GroupBy, Report, Tally, build_report
from bot.services.ports import ReportReader
from bot.services.records import Regions
from config.model import BatonConfig


@dataclass(frozen=True)
class ReportQuery:
    by: GroupBy = GroupBy.CAMPAIGN
    since: datetime | None = None
    until: datetime | None = None
    regions: Regions = None
    attribution: Attribution = Attribution.FIRST


def calendar_book(config: BatonConfig) -> CalendarBook:
    """Every region's working calendar, from the config."""
    return CalendarBook({region.name: region.calendar() for region in config.regions})


def closed_loop_report(
    query: ReportQuery, *, reader: ReportReader, config: BatonConfig, clock: Clock
) -> Report:
    """Count the funnel of the leads received in the period, by the query's grouping."""
    made_at = clock.now()
    book = calendar_book(config)
    # Speeds measured in an older calendar (or none) are measured again, lead by lead.
    stale = {stamp for stamp in reader.stamps() if not book.is_current(stamp)}
    tallies = _tallies(query, reader, config, book, stale)
    distinct_total = None
    if query.attribution is Attribution.ANY:
        # Under campaign influence a lead costs a share of every campaign it touched.
        if query.by is not GroupBy.CAMPAIGN:
            counts = reader.campaign_counts(
                by=query.by, since=query.since, until=query.until, regions=query.regions
            )
            for group, tally in tallies.items():
                tally.by_campaign = Counter(counts.get(group, {}))
        if query.by in (GroupBy.CAMPAIGN, GroupBy.SOURCE):
            # The groups overlap; the total counts each lead once.
            once = replace(query, by=GroupBy.REGION, attribution=Attribution.FIRST)
            distinct_total = Tally()
            for tally in _tallies(once, reader, config, book, stale).values():
                distinct_total.merge(tally)
            everyone = reader.campaign_counts(
                by=None, since=query.since, until=query.until, regions=query.regions
            )
            distinct_total.by_campaign = Counter(everyone.get(None, {}))
    costs = CampaignCosts(
        costs={campaign.name: campaign.cost for campaign in config.campaigns},
        leads=reader.campaign_sizes(query.attribution),
    )
    return build_report(
        tallies,
        by=query.by,
        since=query.since,
        until=query.until,
        made_at=made_at,
        currency=config.currency,
        sla_hours=config.sla.handoff_hours,
        costs=costs,
        attribution=query.attribution,
        distinct_total=distinct_total,
    )


def _tallies(
    query: ReportQuery,
    reader: ReportReader,
    config: BatonConfig,
    book: CalendarBook,
    stale: set[str],
) -> dict[str | None, Tally]:
    """Each group's tally of the cohort's leads."""
    tallies: dict[str | None, Tally] = {}
    cells = reader.cells(
        by=query.by,
        since=query.since,
        until=query.until,
        regions=query.regions,
        stamped=bool(stale),
        attribution=query.attribution,
    )
    for cell in cells:
        tally = tallies.setdefault(cell.group, Tally())
        foreign = cell.amount_currency not in (None, config.currency)
        tally.add(
            stages=cell.stages,
            leads=cell.leads,
            campaign=cell.campaign,
            return_reason=cell.return_reason,
            amount_cents=cell.amount_cents,
            foreign_amount=foreign,
        )
        if cell.accept_stamp not in stale:
            tally.accept_minutes.update(cell.accept_minutes)
        if cell.contact_stamp not in stale:
            tally.contact_minutes.update(cell.contact_minutes)
    if stale:
        _measure_again(query, reader, book, tallies, stale)
    won_from_crm = reader.crm_won(
        by=query.by,
        since=query.since,
        until=query.until,
        regions=query.regions,
        attribution=query.attribution,
    )
    for group, currency, cents in won_from_crm:
        if currency in (None, config.currency) and group in tallies:
            tallies[group].won_crm_cents += cents
    return tallies


def _measure_again(
    query: ReportQuery,
    reader: ReportReader,
    book: CalendarBook,
    tallies: dict[str | None, Tally],
    stale: set[str],
) -> None:
    """Measure in the current calendars the speeds stored with an old one (or none)."""
    leads = reader.unmeasured(
        by=query.by,
        since=query.since,
        until=query.until,
        regions=query.regions,
        stamps=sorted(stale),
        attribution=query.attribution,
    )
    for lead in leads:
        tally = tallies.setdefault(lead.group, Tally())
        if lead.accept_stamp in stale and lead.handed_at and lead.accepted_at:
            calendar = book.calendar(lead.accept_region)
            tally.accept_minutes[working_minutes(calendar, lead.handed_at, lead.accepted_at)] += 1
        if lead.contact_stamp in stale and lead.contact_from and lead.contacted_at:
            calendar = book.calendar(lead.contact_region)
            minutes = working_minutes(calendar, lead.contact_from, lead.contacted_at)
            tally.contact_minutes[minutes] += 1


# Periods and who sees what ------------------------------------------------------------------


def period_bounds(period: Period, timezone: str) -> tuple[datetime | None, datetime | None]:
    """The period's first and last (exclusive) instants, its days read on `timezone`'s clock."""
    zone = ZoneInfo(timezone)
    return _midnight(period.start, zone), _midnight(period.end, zone)


def _midnight(day: date | None, zone: ZoneInfo) -> datetime | None:
    return datetime.combine(day, time(0), zone) if day else None


@dataclass(frozen=True)
class Scope:
    """The regions a person may see the report of; None: all of them."""

    regions: Regions


class NotInScope(Exception):
    """A person asked for a report they may not see; the message says what they may see."""


def scope_of(config: BatonConfig, user_id: str) -> Scope:
    """Marketing sees every region; a region's manager or backup sees that region."""
    if config.is_marketing(user_id):
        return Scope(regions=None)
    managed = tuple(
        region.name for region in config.regions if user_id in (region.manager, region.backup)
    )
    regions: tuple[str | None, ...] = managed
    if config.is_triage_decider(user_id):
        regions = (*managed, None)
    if not regions:
        raise NotInScope(
            "The report is for marketing and the regions' managers; ask one of them to share it."
        )
    return Scope(regions=regions)


def narrow(scope: Scope, region: str | None, config: BatonConfig) -> Regions:
    """The regions a person's report covers: the one asked for, if they may see it."""
    if region is None:
        return scope.regions
    wanted: str | None
    if region.strip().lower() == "triage":
        wanted = None
    else:
        found = config.region(region)
        if found is None:
            names = ", ".join([r.name for r in config.regions] + ["triage"])
            raise NotInScope(f"There is no region “{region}”. Regions: {names}.")
        wanted = found.name
    if scope.regions is not None and wanted not in scope.regions:
        mine = ", ".join(r or "triage" for r in scope.regions)
        raise NotInScope(f"You can see the report of {mine} only.")
    return (wanted,)
