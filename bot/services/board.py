"""What a manager and marketing watch every morning besides their own leads: feedback overdue
and leaked leads in a manager's regions and each rep's load; the returned leads awaiting
marketing's choice, the customer-service touches to make and this month's funnel by campaign;
and for a rep, what is due this week."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.report import GroupBy, Report
from bot.services.ports import LeadReader, ReportReader
from bot.services.records import LeadLine, LeadPage
from bot.services.report import ReportQuery, closed_loop_report
from config.model import BatonConfig

BOARD_SHOWN = 8  # leads listed of each of a manager's lists (the Home shows each with buttons)


@dataclass(frozen=True)
class RepLoad:
    """A rep's load: open leads, those with feedback overdue, and leads won this quarter."""

    rep: str
    open: int
    overdue: int
    won_this_quarter: int


@dataclass(frozen=True)
class Board:
    overdue: list[LeadLine] = field(default_factory=list)  # accepted, feedback due and passed
    leaked: list[LeadLine] = field(default_factory=list)
    # How many there are in all (None: as many as listed): the lists hold the first few.
    overdue_count: int | None = None
    leaked_count: int | None = None
    loads: list[RepLoad] = field(default_factory=list)
    is_marketing: bool = False
    returned: list[LeadLine] = field(default_factory=list)  # awaiting marketing's choice
    touch_tasks: list[LeadLine] = field(default_factory=list)
    funnel: Report | None = None  # this month's, by campaign
    due_this_week: list[LeadLine] = field(default_factory=list)

    @property
    def overdue_total(self) -> int:
        return len(self.overdue) if self.overdue_count is None else self.overdue_count

    @property
    def leaked_total(self) -> int:
        return len(self.leaked) if self.leaked_count is None else self.leaked_count


def board(
    user: str,
    *,
    regions: Sequence[str | None],
    mine: Sequence[LeadLine],
    timezone: str,
    reader: LeadReader,
    report: ReportReader | None,
    config: BatonConfig,
    clock: Clock,
) -> Board:
    """The board of `user`: a decider of `regions`, a rep with `mine`, marketing, or none."""
    now = clock.now()
    local = now.astimezone(ZoneInfo(timezone))
    week_end = datetime.combine(local.date() + timedelta(days=7 - local.weekday()), time(0))
    week_end = week_end.replace(tzinfo=local.tzinfo)
    due = [line for line in mine if _due_by(line, week_end)]
    overdue, leaked, loads = LeadPage([], 0), LeadPage([], 0), []
    if regions:
        # Counted and cut by the store: a manager's Home is rebuilt while leads stream in,
        # and their regions may hold thousands of working leads.
        seen = reader.regions_board(regions, now=now, shown=BOARD_SHOWN)
        overdue, leaked = seen.overdue, seen.leaked
        loads = _loads(seen.held, _reps(config, regions), reader, _quarter_start(local))
    marketing = user in config.marketing.users
    return Board(
        overdue=overdue.lines,
        leaked=leaked.lines,
        overdue_count=overdue.total,
        leaked_count=leaked.total,
        loads=loads,
        is_marketing=marketing,
        returned=reader.returned_leads() if marketing else [],
        touch_tasks=reader.touch_tasks() if marketing else [],
        funnel=_funnel(local, report, config, clock) if marketing and report else None,
        due_this_week=due,
    )


def _due_by(line: LeadLine, end: datetime) -> bool:
    return any(at is not None and at < end for at in (line.feedback_due_at, line.next_step_at))


def _reps(config: BatonConfig, regions: Sequence[str | None]) -> list[str]:
    named = [config.region(r) for r in regions if r is not None]
    return list(dict.fromkeys(rep for region in named if region for rep in region.reps))


def _loads(
    held: dict[str, tuple[int, int]], reps: list[str], reader: LeadReader, quarter: datetime
) -> list[RepLoad]:
    everyone = list(dict.fromkeys([*reps, *held]))
    won = reader.won_since(everyone, since=quarter) if everyone else {}
    return [
        RepLoad(
            rep=rep,
            open=held.get(rep, (0, 0))[0],
            overdue=held.get(rep, (0, 0))[1],
            won_this_quarter=won.get(rep, 0),
        )
        for rep in everyone
    ]


def _quarter_start(local: datetime) -> datetime:
    month = (local.month - 1) // 3 * 3 + 1
    return datetime.combine(local.date().replace(month=month, day=1), time(0), local.tzinfo)


def _funnel(local: datetime, report: ReportReader, config: BatonConfig, clock: Clock) -> Report:
    month = datetime.combine(local.date().replace(day=1), time(0), local.tzinfo)
    query = ReportQuery(by=GroupBy.CAMPAIGN, since=month.astimezone(UTC))
    return closed_loop_report(query, reader=report, config=config, clock=clock)
