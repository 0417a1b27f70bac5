"""A lead as the Block Kit builders show it, made from its stored snapshot."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain.snapshots import EventLine, LeadSnapshot
from bot.slack.ids import LeadRef
from config.model import BatonConfig

Activity = tuple[str, str | None, str | None]


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

    @property
    def ref(self) -> LeadRef:
        return LeadRef(lead=self.short_id, round=self.round)


def lead_view(snapshot: LeadSnapshot, config: BatonConfig) -> LeadView:
    """The lead of `snapshot` in the round it names, with that round's decision."""
    lead, facts = snapshot.lead, snapshot.facts
    region = config.region(snapshot.region) if snapshot.region else None
    decision = snapshot.decision
    # A later round's card keeps showing what was decided in its own round.
    status = lead.status.value
    if snapshot.round_no != lead.handoff_round and decision is not None:
        status = decision.kind
    view = LeadView(
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
        timezone=region.timezone if region else "UTC",
    )
    return view if decision is None else _with_decision(view, decision)


def _with_decision(view: LeadView, decision: EventLine) -> LeadView:
    """The view with what was decided in its round, and by whom."""
    data, notes, kind = decision.data, decision.notes, decision.kind
    due = data.get("feedback_due_at")
    return replace(
        view,
        decided_by=decision.actor,
        rep_id=data.get("rep_id"),
        comment=notes if kind == "accepted" else None,
        method=data.get("method"),
        feedback_due_at=datetime.fromisoformat(due) if due else None,
        return_reason=decision.reason_code if kind == "returned" else None,
        return_notes=notes if kind == "returned" else None,
        rerouted_to=(data.get("to_region") or "triage") if kind == "rerouted" else None,
        reroute_note=notes if kind == "rerouted" else None,
    )
