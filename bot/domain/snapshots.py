"""A lead and what happened to it, as stored now: plain values that Slack messages are built from.

Storage reads these when Slack work is delivered or a modal opens, so a message always shows
the lead as it stands. Strings are raw, as marketing and people typed them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.domain.lead import Lead
from bot.domain.timers import TimerKind


@dataclass(frozen=True)
class LeadFacts:
    """Who the lead is and why it was routed where it was."""

    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    company: str | None = None
    phone: str | None = None
    country: str | None = None
    state: str | None = None
    score: float | None = None
    notes: str | None = None
    qualification_reason: str | None = None
    route_reason: str | None = None

    @property
    def name(self) -> str | None:
        return full_name(self.first_name, self.last_name)


@dataclass(frozen=True)
class Activity:
    """Something the lead did (a page view, a form), as marketing reported it."""

    type: str
    at: datetime | None
    detail: str | None


def activity_kind(kind: str | None) -> str:
    """An activity's type as people read it: `page_view` is a page view."""
    return (kind or "activity").replace("_", " ").strip() or "activity"


def activity_label(kind: str | None, detail: str | None) -> str:
    """One activity item in words, the same in every message: "page view: visited pricing"."""
    what = activity_kind(kind)
    return f"{what}: {detail}" if detail else what


@dataclass(frozen=True)
class EventLine:
    """One event of a lead's history."""

    id: int
    at: datetime
    kind: str
    actor: str
    handoff_round: int
    status_before: str | None
    status_after: str
    reason_code: str | None
    amount: Decimal | None
    notes: str | None
    data: dict[str, Any] = field(default_factory=dict)
    region: str | None = None  # the region the lead was in (for a new round: went to)


@dataclass(frozen=True)
class Posted:
    """Where a Slack message landed, so later messages can thread under it or update it."""

    channel: str
    ts: str


@dataclass(frozen=True)
class HandoffRound:
    """One handoff round of a lead: where it went, and its message once posted."""

    round_no: int
    region: str | None
    posted: Posted | None
    permalink: str | None = None  # the card's link, once taken after it was posted


@dataclass(frozen=True)
class Batch:
    """Leads that arrived together for one region, under one summary message."""

    id: int
    region: str | None
    label: str
    lead_count: int
    posted: Posted | None
    short_ids: tuple[str, ...] = ()  # the batch's leads, in the order they arrived


@dataclass(frozen=True)
class Story:
    """What happened to a lead before a round: how an earlier round ended (`ended`: returned,
    or an outcome `lost`) and what started this one (`back`: re-qualified, re-queued, sent)."""

    ended: EventLine
    back: EventLine | None


@dataclass(frozen=True)
class LeadSnapshot:
    """A lead, one of its handoff rounds, and what was decided in that round."""

    id: int
    lead: Lead
    facts: LeadFacts
    round: HandoffRound | None
    decision: EventLine | None  # the round's accepted, returned or rerouted event
    activity: tuple[Activity, ...]  # newest first
    batch: Batch | None  # the batch the round's card was posted in
    story: Story | None = None  # for a lead back again: how its last round ended, and why back

    @property
    def round_no(self) -> int:
        return self.round.round_no if self.round else self.lead.handoff_round

    @property
    def region(self) -> str | None:
        """The round's region: where the lead went in that round (None: triage)."""
        return self.round.region if self.round else self.lead.region


@dataclass(frozen=True)
class FireLine:
    """A fired timer and its lead as they stand now, as a reminder lists it."""

    fire_id: int
    kind: TimerKind
    handoff_round: int  # the round the timer fired in
    due_at: datetime
    snoozed_until: datetime | None
    snooze_reason: str | None
    short_id: str
    name: str | None
    company: str | None
    email: str
    region: str | None
    lead_round: int  # the lead's round now
    round_started_at: datetime | None
    rep_id: str | None
    feedback_due_at: datetime | None
    next_step_at: datetime | None
    permalink: str | None = None  # the card of the round the timer fired in


def full_name(first: str | None, last: str | None) -> str | None:
    return " ".join(part for part in (first, last) if part) or None
