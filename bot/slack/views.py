"""What the Block Kit builders show, made from stored snapshots: a lead, a fired timer, an event.

The builders take these records and nothing else; their strings are raw, the builders escape
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from bot.domain.lead import Outcome
from bot.domain.snapshots import EventLine, FireLine, LeadFacts, LeadSnapshot, Story
from bot.domain.timers import TimerKind
from bot.services.records import StoredLead
from bot.slack.ids import LeadRef, TimerRef
from config.model import BatonConfig

Activity = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class Before:
    """How a lead's last round ended and what brought it back; strings are raw."""

    ended_by: str
    ended_at: datetime
    ended_how: str  # "returned" or "lost"
    reason: str | None  # a return reason's code
    notes: str | None
    back_by: str | None = None
    back_at: datetime | None = None
    back_how: str | None = None  # "requalified", "requeued" or "rerouted"
    back_note: str | None = None


@dataclass(frozen=True)
class LeadView:
    """What the builders show about a lead; strings are raw, the builders escape them."""

    short_id: str
    status: str
    round: int
    name: str | None
    title: str | None
    company: str | None
    email: str
    phone: str | None
    country: str | None
    state: str | None
    campaign: str | None
    source: str | None
    score: float | None
    qualification_reason: str | None
    route_reason: str | None
    region: str | None  # None = triage
    activity: tuple[Activity, ...]  # (type, at ISO or None, detail), newest first
    notes: str | None
    timezone: str  # the region's zone, for showing dates
    decided_by: str | None = None
    rep_id: str | None = None
    comment: str | None = None
    method: str | None = None
    feedback_due_at: datetime | None = None
    return_reason: str | None = None
    return_notes: str | None = None
    rerouted_to: str | None = None
    reroute_note: str | None = None
    link: str | None = None  # the permalink of the round's card
    before: Before | None = None  # a lead back again: how its last round ended, why it is back

    @property
    def ref(self) -> LeadRef:
        return LeadRef(lead=self.short_id, round=self.round)


def deciding_view(stored: StoredLead, config: BatonConfig) -> LeadView:
    """The lead as a decision's modal shows it (who it is, where it is routed), from the lead
    the decider was checked on: the modal shows nothing of its rounds, activity or decisions,
    so none of them is read for every click."""
    facts = LeadFacts(**{name: stored.facts.get(name) for name in MODAL_FACTS}, email=stored.email)
    snapshot = LeadSnapshot(
        stored.id, stored.lead, facts, round=None, decision=None, activity=(), batch=None
    )
    return lead_view(snapshot, config)


MODAL_FACTS = ("first_name", "last_name", "title", "company", "phone", "country", "state")


def lead_view(snapshot: LeadSnapshot, config: BatonConfig) -> LeadView:
    """The lead of `snapshot` in the round it names, with that round's decision."""
    lead, facts, decision = snapshot.lead, snapshot.facts, snapshot.decision
    # A later round's card keeps showing what was decided in its own round.
    status = lead.status.value
    current = snapshot.round_no == lead.handoff_round
    if not current and decision is not None:
        status = decision.kind
    return LeadView(
        short_id=lead.short_id,
        status=status,
        round=snapshot.round_no,
        name=facts.name,
        title=facts.title,
        company=facts.company,
        email=facts.email,
        phone=facts.phone,
        country=facts.country,
        state=facts.state,
        campaign=lead.campaign,
        source=lead.source,
        score=facts.score,
        qualification_reason=facts.qualification_reason,
        route_reason=facts.route_reason,
        region=snapshot.region,
        activity=tuple(
            (a.type, a.at.isoformat() if a.at else None, a.detail) for a in snapshot.activity
        ),
        notes=facts.notes,
        timezone=region_zone(config, snapshot.region),
        link=snapshot.round.permalink if snapshot.round else None,
        before=before_of(snapshot.story) if snapshot.story else None,
        **(_decided(decision, reassigned_to=lead.rep_id if current else None) if decision else {}),
    )


class _Decided(TypedDict, total=False):
    """The view's fields that say what was decided in its round, and by whom."""

    decided_by: str
    rep_id: str | None
    comment: str | None
    method: str | None
    feedback_due_at: datetime | None
    return_reason: str | None
    return_notes: str | None
    rerouted_to: str | None
    reroute_note: str | None


def _decided(decision: EventLine, *, reassigned_to: str | None) -> _Decided:
    """What `decision` decided; an accepted lead since reassigned is with `reassigned_to`."""
    data, notes, kind = decision.data, decision.notes, decision.kind
    due = data.get("feedback_due_at")
    return _Decided(
        decided_by=decision.actor,
        rep_id=(reassigned_to or data.get("rep_id")) if kind == "accepted" else data.get("rep_id"),
        comment=notes if kind == "accepted" else None,
        method=data.get("method"),
        feedback_due_at=datetime.fromisoformat(due) if due else None,
        return_reason=decision.reason_code if kind == "returned" else None,
        return_notes=notes if kind == "returned" else None,
        rerouted_to=(data.get("to_region") or "triage") if kind == "rerouted" else None,
        reroute_note=notes if kind == "rerouted" else None,
    )


@dataclass(frozen=True)
class TimerItem:
    """One fired timer as a message shows it; strings are raw, the builders escape them."""

    fire_id: int
    kind: TimerKind
    again: bool
    short_id: str
    round: int
    name: str | None
    company: str | None
    email: str
    timezone: str
    due_at: datetime
    pending_since: datetime | None = None
    rep_id: str | None = None
    feedback_due_at: datetime | None = None
    next_step_at: datetime | None = None
    snoozed_until: datetime | None = None
    snooze_reason: str | None = None
    link: str | None = None  # the permalink of the lead's card

    @property
    def snoozable(self) -> bool:
        return self.kind.snoozable and not self.again and self.snoozed_until is None

    @property
    def ref(self) -> TimerRef:
        return TimerRef(fire=self.fire_id, lead=self.short_id)

    @property
    def lead_ref(self) -> LeadRef:
        return LeadRef(lead=self.short_id, round=self.round)


@dataclass(frozen=True)
class Touch:
    """A customer-service touch logged on a leaked lead."""

    by: str
    reached: bool
    notes: str | None


@dataclass(frozen=True)
class OutcomeNote:
    """An outcome (or its correction) as its thread note shows it."""

    actor: str
    outcome: Outcome
    status_before: str | None
    status_after: str
    amount: Decimal | None = None
    currency: str | None = None
    notes: str | None = None
    next_step_at: datetime | None = None
    corrected: bool = False


def timer_item(line: FireLine, *, again: bool, config: BatonConfig) -> TimerItem:
    """The fired timer of `line`; `again` when it is back after a snooze."""
    current = line.handoff_round == line.lead_round
    return TimerItem(
        fire_id=line.fire_id,
        kind=line.kind,
        again=again,
        short_id=line.short_id,
        round=line.handoff_round,
        name=line.name,
        company=line.company,
        email=line.email,
        timezone=region_zone(config, line.region),
        due_at=line.due_at,
        pending_since=line.round_started_at if current else None,
        rep_id=line.rep_id,
        feedback_due_at=line.feedback_due_at,
        next_step_at=line.next_step_at,
        snoozed_until=line.snoozed_until,
        snooze_reason=line.snooze_reason,
        link=line.permalink,
    )


def touch_of(event: EventLine) -> Touch:
    """The customer-service touch a `touch` event records."""
    by = event.data.get("by") or event.actor
    return Touch(by=by, reached=bool(event.data.get("reached")), notes=event.notes)


def outcome_note_of(event: EventLine) -> OutcomeNote:
    """The outcome an `outcome` event records, or the one a `correction` withdraws."""
    next_step = event.data.get("next_step_at")
    return OutcomeNote(
        actor=event.actor,
        outcome=Outcome(event.reason_code or ""),
        status_before=event.status_before,
        status_after=event.status_after,
        amount=event.amount,
        currency=event.data.get("currency"),
        notes=event.notes,
        next_step_at=datetime.fromisoformat(next_step) if next_step else None,
        corrected=event.kind == "correction",
    )


def before_of(story: Story) -> Before:
    """What `story` tells about a lead's earlier round and its return to sales."""
    ended, back = story.ended, story.back
    how = None
    if back is not None:
        how = {"qualified": "requalified", "handoff_started": "requeued"}.get(back.kind, back.kind)
        if back.kind == "handoff_started" and back.status_before == "pending":
            how = "rerouted"
    return Before(
        ended_by=ended.actor,
        ended_at=ended.at,
        ended_how="returned" if ended.kind == "returned" else "lost",
        reason=ended.reason_code if ended.kind == "returned" else None,
        notes=ended.notes,
        back_by=back.actor if back else None,
        back_at=back.at if back else None,
        back_how=how,
        back_note=back.notes if back else None,
    )


def region_zone(config: BatonConfig, region_name: str | None) -> str:
    """The time zone a region's dates are shown in (UTC for triage or a region gone)."""
    region = config.region(region_name) if region_name else None
    return region.timezone if region else "UTC"
