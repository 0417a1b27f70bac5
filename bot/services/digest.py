"""The weekly digest pass: each region's scoreboard and marketing's digest, once per week each.

A pass finds the audiences whose Monday 09:00 has come this week and who have not had this
week's digest, counts their numbers, and records the digest as sent in the same transaction
that queues its Slack work (the message, and its funnel chart in the thread). However often,
late or in how many processes the pass runs, each audience gets one digest a week; a pass
that runs later in the week (the bot was down on Monday) still sends it. A digest with
nothing in it (a region with no leads, nothing overdue and nothing leaked) is not sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from bot.clock import Clock
from bot.domain.digest import (
    MARKETING,
    MARKETING_TIMEZONE,
    Digest,
    MarketingDigest,
    RegionDigest,
    due_week,
    week_bounds,
)
from bot.domain.periods import month
from bot.domain.report import DominantReturn, GroupBy, Report, dominant_returns
from bot.services.ports import ReportReader, UnitOfWork
from bot.services.records import Work, WorkKind
from bot.services.report import ReportQuery, closed_loop_report, period_bounds
from bot.services.rules_ports import RulesReader
from bot.services.timers import PassResult, Planned
from config.model import BatonConfig

JOB = "digest"
# Returns worth telling marketing: one reason behind at least this share of a source's or a
# campaign's returns last month, counting only groups with at least RETURNS_COUNTED returns.
RETURN_SHARE = 0.5
RETURNS_COUNTED = 10


@dataclass(frozen=True)
class Audience:
    name: str  # a region's name, or "marketing" (no region may be called that: it is checked)
    timezone: str
    region: str | None = None


def audiences(config: BatonConfig) -> list[Audience]:
    """Every region, on its own clock, and marketing, on UTC."""
    regions = [Audience(r.name, r.timezone, r.name) for r in config.regions if r.name != MARKETING]
    return [*regions, Audience(MARKETING, MARKETING_TIMEZONE)]


def run_digest_pass(
    *,
    uow_factory: Callable[[], UnitOfWork],
    reader: ReportReader,
    config: BatonConfig,
    clock: Clock,
    as_of: datetime | None = None,
    rules: RulesReader | None = None,
) -> PassResult:
    """Send every digest due as of `as_of` (default: now) that was not sent this week."""
    clock_now = clock.now()
    now = (as_of or clock_now).astimezone(UTC)
    sent, plan = 0, []
    for audience in audiences(config):
        week = due_week(now, audience.timezone)
        if week is None:
            continue
        with uow_factory() as uow:
            if uow.digests.sent(audience.name, week):
                continue
        # Counted outside the write transaction: the report reads every lead of the period.
        digest = _digest(audience, week, now, reader=reader, config=config, clock=clock)
        if isinstance(digest, MarketingDigest):
            live = rules.live() if rules is not None else None
            digest = replace(digest, live_version=live.number if live else None)
        with uow_factory() as uow:
            if not uow.digests.claim(audience.name, week, now=now):
                continue  # another process sent it meanwhile
            # An empty digest is not sent, but the week is done: it is not counted again.
            if not digest.empty:
                uow.outbox.queue(digest_work(audience.name, week, digest), now=min(now, clock_now))
            uow.commit()
        sent += not digest.empty
        if not digest.empty:
            plan.append(Planned(audience.name, f"digest of the week of {week}", None, ()))
    fired = {"digest": sent} if sent else {}
    return PassResult(JOB, now, fired, messages=sent, plan=tuple(plan))


def digest_work(audience: str, week: date, digest: Digest) -> list[Work]:
    """The digest message, and its chart to upload into the message's thread."""
    post = f"digest:{audience}:{week.isoformat()}"
    data = {"audience": audience, "digest": digest.as_json()}
    return [
        Work(WorkKind.DIGEST_POST, post, data=data),
        Work(WorkKind.DIGEST_CHART, f"{post}:chart", data={**data, "post": post}),
    ]


def _digest(
    audience: Audience,
    week: date,
    now: datetime,
    *,
    reader: ReportReader,
    config: BatonConfig,
    clock: Clock,
) -> Digest:
    since, until = week_bounds(week, audience.timezone)

    def report(query: ReportQuery) -> Report:
        return closed_loop_report(query, reader=reader, config=config, clock=clock)

    if audience.name == MARKETING:
        to_date = report(ReportQuery(by=GroupBy.CAMPAIGN, until=until))
        last_week = report(ReportQuery(by=GroupBy.CAMPAIGN, since=since, until=until))
        campaigns = sorted(to_date.rows, key=lambda row: (-row.funnel.received, row.group or ""))
        return MarketingDigest(
            week_start=week,
            currency=config.currency,
            campaigns=tuple(campaigns),
            to_date=to_date.total,
            week=last_week.total,
            return_alerts=_return_alerts(week, audience.timezone, report),
        )
    regions = (audience.region,)
    scoreboard = report(ReportQuery(by=GroupBy.REP, since=since, until=until, regions=regions))
    return RegionDigest(
        region=audience.region,
        week_start=week,
        timezone=audience.timezone,
        currency=config.currency,
        sla_hours=config.sla.handoff_hours,
        week=scoreboard.total,
        reps=scoreboard.rows,
        overdue_feedback=reader.overdue_feedback(regions=regions, now=now),
        leaked_in_week=reader.leaked_between(regions=regions, since=since, until=until),
    )


def _return_alerts(
    week: date, timezone: str, report: Callable[[ReportQuery], Report]
) -> tuple[str, ...]:
    """Last month's sources and campaigns most of whose returns were for one reason."""
    this_month = week.replace(day=1)
    last_month = month((this_month - timedelta(days=1)).replace(day=1))
    since, until = period_bounds(last_month, timezone)
    found: list[DominantReturn] = []
    for by in (GroupBy.SOURCE, GroupBy.CAMPAIGN):
        grouped = report(ReportQuery(by=by, since=since, until=until))
        found += dominant_returns(grouped, share=RETURN_SHARE, at_least=RETURNS_COUNTED)
    found.sort(key=lambda d: (-d.share, -d.returned, d.by.value, d.group or ""))
    # A source and a campaign of the same name say the same thing once.
    return tuple(dict.fromkeys(d.sentence("last month") for d in found))
