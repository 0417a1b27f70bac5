"""How far one lead got down the funnel, read from its events; and how fast, in working time.

A lead's summary is a pure function of its events, so it can be kept up to date as events
are appended and rebuilt from them at any time with the same result.

The rules, in the words the report uses:
- received: the lead's first `received` event (its cohort is the time of that event).
- campaign, source: the first ones any of its events name (first touch).
- last campaign, last source: those of its last touch (its arrival, or a later intake or
  import naming a campaign or source) before its latest acceptance; for a lead never
  accepted, its latest touch.
- later campaigns, later sources: every other campaign and source its later touches named
  (with its first ones: every campaign that influenced it).
- region: where its last event left it; rep: who its latest acceptance went to.
- sales-ready: it was ever `pending`; nurture: never.
- accepted, returned, leaked: it ever was. The return reason is its last return's.
- contacted: an outcome of `connected` or later (`lost` included), or a touch that reached it.
- meeting, opportunity, won: an outcome that far or further (won implies both before it).
- lost: an outcome `lost`, unless the lead was won after all.
- rescued: a touch reached it after it leaked.
- A corrected outcome (or a rep's corrected return) never counts.
- amount: a won lead's deal (the won outcome's amount, else its last opportunity's); a lost
  lead's last opportunity amount. An amount the CRM gave (an outcome whose data says its
  source is `crm`: the deal's own) is the truth for revenue: no amount a rep typed replaces
  it, and `amount_source` says which it was ("crm" or "rep").
- time to accept: from when the lead began waiting for a decision (its handoff; a re-route
  keeps it waiting) to its first acceptance, in the working time of the accepting region.
- time to first contact: from that same start, for the round it was contacted in, to the
  first contact, in the working time of the region that contacted it.
- definition: the version of the lead definition that first made it sales-ready; for a lead
  never sales-ready, the first version that qualified it (None: qualified before versions).
- came back: a lead placed in nurture when it arrived that was handed to sales later
  (qualified again, or re-queued by marketing); when that first happened.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import IntFlag
from functools import cache
from typing import Any, NamedTuple

from bot.domain.definitions import DEFINITION_VERSION
from bot.domain.lead import CONTACTED, EventKind, LeadStatus, Outcome
from bot.domain.workingtime import WorkingCalendar

CONTACT_OUTCOMES = frozenset(s.value for s in CONTACTED)
MEETING_OUTCOMES = frozenset({Outcome.MEETING, Outcome.OPPORTUNITY, Outcome.WON})
OPPORTUNITY_OUTCOMES = frozenset({Outcome.OPPORTUNITY, Outcome.WON})
NOT_COMPUTED = ""  # the stamp of a speed measured without the region calendars at hand
NO_REGION = "*"  # region names are letters, digits and '-'


class Stage(IntFlag):
    """The funnel stages a lead reached, as bits: one small integer per lead."""

    SALES_READY = 1
    ACCEPTED = 2
    RETURNED = 4
    CONTACTED = 8
    MEETING = 16
    OPPORTUNITY = 32
    WON = 64
    LOST = 128
    LEAKED = 256
    RESCUED = 512


# What each stage implies, so that no count can ever exceed the one above it.
_IMPLIES = (
    (Stage.RESCUED, Stage.LEAKED | Stage.CONTACTED),
    (Stage.WON, Stage.OPPORTUNITY),
    (Stage.OPPORTUNITY, Stage.MEETING),
    (Stage.MEETING, Stage.CONTACTED),
    (Stage.LOST, Stage.CONTACTED),
    (Stage.LEAKED, Stage.ACCEPTED),
    (Stage.CONTACTED, Stage.ACCEPTED),
    (Stage.ACCEPTED, Stage.SALES_READY),
    (Stage.RETURNED, Stage.SALES_READY),
)


class Fact(NamedTuple):
    """One stored event, as much of it as the summary reads."""

    id: int | None
    kind: str
    at: datetime
    region: str | None
    campaign: str | None
    source: str | None
    status_before: str | None
    status_after: str
    reason_code: str | None = None
    amount: Decimal | None = None
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class LeadSummary:
    received_at: datetime
    campaign: str | None
    source: str | None
    region: str | None
    rep_id: str | None
    stages: Stage
    return_reason: str | None
    amount: Decimal | None
    amount_currency: str | None  # as typed with the amount; None: the configured currency
    handed_at: datetime | None
    accepted_at: datetime | None
    accept_region: str | None
    contact_from: datetime | None
    contacted_at: datetime | None
    contact_region: str | None
    leaked_at: datetime | None
    last_event_id: int | None
    definition_version: int | None = None
    came_back_at: datetime | None = None
    last_campaign: str | None = None
    last_source: str | None = None
    later_campaigns: tuple[str, ...] = ()
    later_sources: tuple[str, ...] = ()
    amount_source: str | None = None  # "crm": the CRM's deal; "rep": typed in Slack


# An amount, its currency (None: the configured one) and where it came from ("crm", "rep").
Amount = tuple[Decimal | None, str | None, str]
NO_AMOUNT: Amount = (None, None, "rep")
CRM = "crm"

QUALIFICATIONS = frozenset({EventKind.RECEIVED, EventKind.QUALIFIED})


def summarise(facts: Sequence[Fact]) -> LeadSummary | None:
    """Summarise one lead's events, given in the order they were appended."""
    if not facts:
        return None
    return _Reading(facts).summary()


class _Reading:
    def __init__(self, facts: Sequence[Fact]) -> None:
        self.facts = facts
        self.corrected = {
            _int(f.data.get("corrects_event_id"))
            for f in facts
            if f.kind == EventKind.CORRECTION and f.data
        }
        self.stages = Stage(0)
        self.received_at: datetime | None = None
        self.campaign: str | None = None
        self.source: str | None = None
        self.rep_id: str | None = None
        self.return_reason: str | None = None
        self.waiting_since: datetime | None = None
        self.round_start: datetime | None = None
        self.handed_at: datetime | None = None
        self.accepted_at: datetime | None = None
        self.accept_region: str | None = None
        self.contact_from: datetime | None = None
        self.contacted_at: datetime | None = None
        self.contact_region: str | None = None
        self.leaked_at: datetime | None = None
        self.pipeline: Amount = NO_AMOUNT
        self.won: Amount | None = None
        self.lost: Amount | None = None
        self.definition_version: int | None = None
        self.arrived_nurture = False
        self.came_back_at: datetime | None = None
        # The latest touch before the latest acceptance, and the latest; None: the first.
        self.touch: tuple[str | None, str | None] | None = None
        self.touch_accepted: tuple[str | None, str | None] | None = None
        self.later: dict[str, dict[str, None]] = {"campaign": {}, "source": {}}

    def summary(self) -> LeadSummary:
        for fact in self.facts:
            if fact.id is None or fact.id not in self.corrected:
                self.read(fact)
        stages = _implied(self.stages)
        amount, currency, source = NO_AMOUNT
        if Stage.WON in stages and self.won is not None:
            amount, currency, source = self.won
        elif Stage.LOST in stages and self.lost is not None:
            amount, currency, source = self.lost
        first, last = self.facts[0], self.facts[-1]
        touch = self.touch_accepted if Stage.ACCEPTED in self.stages else self.touch
        last_campaign, last_source = touch or (self.campaign, self.source)
        later_campaigns = tuple(c for c in self.later["campaign"] if c != self.campaign)
        later_sources = tuple(s for s in self.later["source"] if s != self.source)
        return LeadSummary(
            received_at=self.received_at or first.at,
            campaign=self.campaign,
            source=self.source,
            region=last.region,
            rep_id=self.rep_id,
            stages=stages,
            return_reason=self.return_reason if Stage.RETURNED in stages else None,
            amount=amount,
            amount_currency=currency if amount is not None else None,
            handed_at=self.handed_at,
            accepted_at=self.accepted_at,
            accept_region=self.accept_region,
            contact_from=self.contact_from,
            contacted_at=self.contacted_at,
            contact_region=self.contact_region,
            leaked_at=self.leaked_at,
            last_event_id=last.id,
            definition_version=self.definition_version,
            came_back_at=self.came_back_at,
            last_campaign=last_campaign,
            last_source=last_source,
            later_campaigns=later_campaigns,
            later_sources=later_sources,
            amount_source=source if amount is not None else None,
        )

    def read(self, fact: Fact) -> None:
        self.campaign = self.campaign or fact.campaign
        self.source = self.source or fact.source
        if fact.kind == EventKind.RECEIVED and self.received_at is None:
            self.received_at = fact.at
            self.arrived_nurture = fact.status_after == LeadStatus.NURTURE
        if fact.kind in QUALIFICATIONS:
            self.qualified(fact)
        if fact.status_after == LeadStatus.PENDING:
            if self.arrived_nurture and Stage.SALES_READY not in self.stages:
                self.came_back_at = fact.at
            self.stages |= Stage.SALES_READY
            if fact.status_before != LeadStatus.PENDING:
                self.waiting_since = fact.at
        match fact.kind:
            case EventKind.ACCEPTED:
                self.accepted(fact)
            case EventKind.RETURNED:
                self.stages |= Stage.RETURNED
                self.return_reason = fact.reason_code
            case EventKind.OUTCOME:
                self.outcome(fact)
            case EventKind.TOUCH if (fact.data or {}).get("reached"):
                self.contact(fact)
                if Stage.LEAKED in self.stages:
                    self.stages |= Stage.RESCUED
            case EventKind.REASSIGNED:
                self.rep_id = (fact.data or {}).get("rep_id") or self.rep_id
            case EventKind.LEAKED:
                self.stages |= Stage.LEAKED
                self.leaked_at = self.leaked_at or fact.at
            case EventKind.CAMPAIGN_TOUCH:
                self.touched(fact.data or {})

    def touched(self, data: Mapping[str, Any]) -> None:
        campaign, source = data.get("campaign"), data.get("source")
        self.touch = (campaign, source)
        for dimension, name in (("campaign", campaign), ("source", source)):
            if isinstance(name, str):
                self.later[dimension][name] = None

    def qualified(self, fact: Fact) -> None:
        version = _int((fact.data or {}).get(DEFINITION_VERSION))
        if version is None:
            return
        lets_through = fact.status_after == LeadStatus.PENDING
        if self.definition_version is None or (
            lets_through and Stage.SALES_READY not in self.stages
        ):
            self.definition_version = version

    def accepted(self, fact: Fact) -> None:
        self.stages |= Stage.ACCEPTED
        self.touch_accepted = self.touch
        self.rep_id = (fact.data or {}).get("rep_id") or self.rep_id
        self.round_start = self.waiting_since or fact.at
        if self.accepted_at is None:
            self.accepted_at = fact.at
            self.handed_at = self.round_start
            self.accept_region = fact.region

    def outcome(self, fact: Fact) -> None:
        outcome = fact.reason_code or ""
        data = fact.data or {}
        source = CRM if data.get("source") == CRM else "rep"
        given: Amount = (fact.amount, data.get("currency"), source)
        if outcome in CONTACT_OUTCOMES:
            self.contact(fact)
        if outcome in MEETING_OUTCOMES:
            self.stages |= Stage.MEETING
        if outcome in OPPORTUNITY_OUTCOMES:
            self.stages |= Stage.OPPORTUNITY
        if outcome == Outcome.OPPORTUNITY and fact.amount is not None:
            self.pipeline = _truer(self.pipeline, given)
        elif outcome == Outcome.WON:
            self.stages |= Stage.WON
            won = given if fact.amount is not None else self.pipeline
            self.won = won if self.won is None else _truer(self.won, won)
        elif outcome == Outcome.LOST:
            self.stages |= Stage.LOST
            self.lost = given if source == CRM and fact.amount is not None else self.pipeline

    def contact(self, fact: Fact) -> None:
        self.stages |= Stage.CONTACTED
        if self.contacted_at is None:
            self.contacted_at = fact.at
            self.contact_from = self.round_start or fact.at
            self.contact_region = fact.region


def _truer(before: Amount, after: Amount) -> Amount:
    """The later amount, unless it has none or the earlier came from the CRM and the later
    was typed."""
    if after[0] is None or (before[2] == CRM and before[0] is not None and after[2] != CRM):
        return before if before[0] is not None else after
    return after


@cache  # few distinct sets of stages, and Flag arithmetic is slow
def _implied(stages: Stage) -> Stage:
    if Stage.WON in stages:
        stages &= ~Stage.LOST
    for stage, implied in _IMPLIES:
        if stage in stages:
            stages |= implied
    return stages


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# Working time ----------------------------------------------------------------------------


DEFAULT_CALENDAR = WorkingCalendar(timezone="UTC")


@dataclass(frozen=True)
class CalendarBook:
    """The working calendar of each region; a lead with no (known) region uses the default.

    Each calendar has a stamp that changes when the calendar does, so that a speed measured
    with an older calendar is recognised and measured again.
    """

    calendars: Mapping[str, WorkingCalendar] = field(default_factory=dict)
    default: WorkingCalendar = DEFAULT_CALENDAR

    def calendar(self, region: str | None) -> WorkingCalendar:
        return self.calendars.get(region, self.default) if region else self.default

    def stamp(self, region: str | None) -> str:
        """The region's name (`*` for none, never a region's name) and its calendar's fingerprint."""
        return f"{region or NO_REGION}:{_fingerprint(self.calendar(region))}"

    def is_current(self, stamp: str) -> bool:
        """Whether a speed measured under `stamp` was measured in the region's calendar of now."""
        region, _, _ = stamp.rpartition(":")
        return bool(region) and stamp == self.stamp(None if region == NO_REGION else region)


class Speed(NamedTuple):
    accept_minutes: int | None
    accept_stamp: str | None
    contact_minutes: int | None
    contact_stamp: str | None


def working_minutes(calendar: WorkingCalendar, start: datetime, end: datetime) -> int:
    """Whole working minutes (rounded) from `start` to `end`."""
    return round(calendar.working_hours_between(start, end) * 60)


def speed_of(summary: LeadSummary, book: CalendarBook | None) -> Speed:
    """Measure the lead's time to accept and to first contact; unmeasured without calendars."""
    accept = _measure(book, summary.accept_region, summary.handed_at, summary.accepted_at)
    contact = _measure(book, summary.contact_region, summary.contact_from, summary.contacted_at)
    return Speed(*accept, *contact)


def _measure(
    book: CalendarBook | None, region: str | None, start: datetime | None, end: datetime | None
) -> tuple[int | None, str | None]:
    if start is None or end is None:
        return None, None
    if book is None:
        return None, NOT_COMPUTED
    return working_minutes(book.calendar(region), start, end), book.stamp(region)


@cache  # a handful of calendars (hashable), but a stamp for every measured speed
def _fingerprint(calendar: WorkingCalendar) -> str:
    text = "|".join(
        (
            calendar.timezone,
            ",".join(str(d) for d in sorted(calendar.working_days)),
            ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in calendar.working_hours),
            ",".join(d.isoformat() for d in sorted(calendar.holidays)),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]
