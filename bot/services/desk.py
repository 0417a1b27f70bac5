"""What is on a person's desk: their open leads, leads waiting for their decision, their week."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.lead import WORKING, LeadError
from bot.services.board import Board, board
from bot.services.ports import LeadReader, ReportReader
from bot.services.records import EventLine, LeadDetail, LeadLine, LeadPage
from config.model import BatonConfig

FIND_MIN = 2
FIND_LIMIT = 10
HISTORY_SHOWN = 20
WAITING_SHOWN = 40  # leads waiting for a decision listed (a Home tab holds 100 blocks)


@dataclass(frozen=True)
class Week:
    """A person's week so far, from Monday 00:00 in their time zone."""

    since: datetime
    leads_given: int = 0
    outcomes: int = 0
    won: int = 0
    won_amount: Decimal = Decimal(0)
    accepted: int = 0
    returned: int = 0
    rerouted: int = 0

    @property
    def decided(self) -> int:
        return self.accepted + self.returned + self.rerouted


@dataclass(frozen=True)
class Desk:
    user: str
    now: datetime
    timezone: str  # the person's, for their week
    zones: dict[str | None, str]  # each region's time zone, for showing a lead's dates
    currency: str
    mine: list[LeadLine] = field(default_factory=list)  # overdue first, then due, then priority
    waiting: list[LeadLine] = field(default_factory=list)  # oldest first, the first few
    waiting_count: int | None = None  # how many wait in all (None: as many as listed)
    is_decider: bool = False
    is_rep: bool = False
    week: Week | None = None
    board: Board = field(default_factory=Board)  # on the Home tab: what else they watch

    @property
    def waiting_total(self) -> int:
        return len(self.waiting) if self.waiting_count is None else self.waiting_count

    def overdue(self, line: LeadLine) -> bool:
        return line.feedback_due_at is not None and line.feedback_due_at < self.now


def desk(
    user: str,
    *,
    reader: LeadReader,
    config: BatonConfig,
    clock: Clock,
    week: bool = True,
    report: ReportReader | None = None,
) -> Desk:
    """Gather what `user` is responsible for, ordered as they should work through it; with
    `week` (the Home tab), their week and their board too."""
    now = clock.now()
    regions = decided_regions(config, user)
    mine = sorted(reader.open_for_rep(user), key=lambda line: _urgency(line, now))
    person_zone = timezone_of_person(config, user)
    waiting = reader.pending_in(regions, limit=WAITING_SHOWN) if regions else LeadPage([], 0)
    seen = Board()
    if week:
        seen = board(
            user,
            regions=regions,
            mine=mine,
            timezone=person_zone,
            reader=reader,
            report=report,
            config=config,
            clock=clock,
        )
    return Desk(
        user=user,
        now=now,
        timezone=person_zone,
        zones=zones(config),
        currency=config.currency,
        mine=mine,
        waiting=waiting.lines,
        waiting_count=waiting.total,
        is_decider=bool(regions),
        is_rep=bool(mine) or any(user in r.reps for r in config.regions),
        week=_week(user, reader, now, person_zone) if week else None,
        board=seen,
    )


def show(short_id: str, *, reader: LeadReader) -> LeadDetail:
    detail = reader.detail(short_id, events=HISTORY_SHOWN)
    if detail is None:
        raise LeadError(
            f"There is no lead {short_id}. `/lead find EMAIL-OR-COMPANY` finds a lead's id."
        )
    return detail


def find(text: str, *, reader: LeadReader) -> list[LeadLine]:
    wanted = text.strip()
    if len(wanted) < FIND_MIN:
        raise LeadError(
            "Say what to look for: `/lead find jane@acme.example` or `/lead find Acme`."
        )
    return reader.find(wanted, limit=FIND_LIMIT)


def decided_regions(config: BatonConfig, user: str) -> list[str | None]:
    """The regions whose pending leads wait for `user` (None: triage)."""
    regions: list[str | None] = [r.name for r in config.regions if user in (r.manager, r.backup)]
    if user in config.triage.deciders:
        regions.append(None)
    return regions


def timezone_of_person(config: BatonConfig, user: str) -> str:
    for region in config.regions:
        if user in (region.manager, region.backup, *region.reps):
            return region.timezone
    return "UTC"


def zones(config: BatonConfig) -> dict[str | None, str]:
    return {None: "UTC", **{r.name: r.timezone for r in config.regions}}


def _urgency(line: LeadLine, now: datetime) -> tuple[bool, datetime, int, str]:
    due = line.feedback_due_at or datetime.max.replace(tzinfo=now.tzinfo)
    overdue = line.feedback_due_at is not None and line.feedback_due_at < now
    return (not overdue, due, -line.priority, line.short_id)


def _week(user: str, reader: LeadReader, now: datetime, zone: str) -> Week:
    local = now.astimezone(ZoneInfo(zone))
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(0), local.tzinfo)
    events = reader.events_by(user, since=monday)
    counted = _still_counting(events)
    outcomes = [e for e in counted if _is_outcome(e)]
    won = [e for e in outcomes if e.reason_code == "won"]
    return Week(
        since=monday,
        leads_given=reader.leads_given(user, since=monday),
        outcomes=len(outcomes),
        won=len(won),
        won_amount=sum((e.amount or Decimal(0) for e in won), Decimal(0)),
        accepted=sum(1 for e in counted if e.kind == "accepted"),
        returned=sum(1 for e in counted if e.kind == "returned" and not _is_outcome(e)),
        rerouted=sum(1 for e in counted if e.kind == "rerouted"),
    )


def _still_counting(events: Sequence[EventLine]) -> list[EventLine]:
    withdrawn = {e.data.get("corrects_event_id") for e in events if e.kind == "correction"}
    return [e for e in events if e.kind != "correction" and e.id not in withdrawn]


def _is_outcome(event: EventLine) -> bool:
    working = {s.value for s in WORKING}
    return event.kind == "outcome" or (event.kind == "returned" and event.status_before in working)
