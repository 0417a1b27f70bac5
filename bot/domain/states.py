"""What a lead is to the lifecycle: its states, its outcomes and reasons, the events that
record each change, and who may act on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

SYSTEM = "system"
INTAKE = "intake"


class LeadStatus(StrEnum):
    RECEIVED = "received"
    NURTURE = "nurture"
    PENDING = "pending"
    ACCEPTED = "accepted"
    ATTEMPTED = "attempted"
    CONNECTED = "connected"
    MEETING = "meeting"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    RETURNED = "returned"


CLOSED = frozenset({LeadStatus.WON, LeadStatus.LOST, LeadStatus.RETURNED})
WORKING = frozenset(
    {
        LeadStatus.ACCEPTED,
        LeadStatus.ATTEMPTED,
        LeadStatus.CONNECTED,
        LeadStatus.MEETING,
        LeadStatus.OPPORTUNITY,
    }
)
OPEN = WORKING | {LeadStatus.PENDING}
REQUALIFIABLE = frozenset({LeadStatus.NURTURE, LeadStatus.RETURNED, LeadStatus.LOST})


class Outcome(StrEnum):
    ATTEMPTED = "attempted"
    CONNECTED = "connected"
    MEETING = "meeting"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    RETURN = "return"

    @property
    def status(self) -> LeadStatus:
        return LeadStatus.RETURNED if self is Outcome.RETURN else LeadStatus(self.value)


# How far down the funnel a status is; an outcome never moves a lead backwards.
PROGRESS = {
    LeadStatus.ACCEPTED: 0,
    LeadStatus.ATTEMPTED: 1,
    LeadStatus.CONNECTED: 2,
    LeadStatus.MEETING: 3,
    LeadStatus.OPPORTUNITY: 4,
    LeadStatus.WON: 5,
    LeadStatus.LOST: 5,
    LeadStatus.RETURNED: 5,
}
CONTACTED = frozenset(s for s, rank in PROGRESS.items() if rank >= 2) - {LeadStatus.RETURNED}


class ReturnReason(StrEnum):
    NOT_A_FIT = "not_a_fit"
    BAD_CONTACT_DATA = "bad_contact_data"
    NOT_READY = "not_ready"
    DUPLICATE = "duplicate"
    COMPETITOR_OR_PARTNER = "competitor_or_partner"
    OTHER = "other"

    @property
    def label(self) -> str:
        return RETURN_REASON_LABELS[self]


RETURN_REASON_LABELS = {
    ReturnReason.NOT_A_FIT: "Not a fit",
    ReturnReason.BAD_CONTACT_DATA: "Bad contact data",
    ReturnReason.NOT_READY: "Not ready — nurture",
    ReturnReason.DUPLICATE: "Duplicate",
    ReturnReason.COMPETITOR_OR_PARTNER: "Competitor or partner",
    ReturnReason.OTHER: "Other",
}


class FollowUpMethod(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    LINKEDIN = "linkedin"
    MEETING = "meeting"


class EventKind(StrEnum):
    RECEIVED = "received"
    QUALIFIED = "qualified"
    HANDOFF_STARTED = "handoff_started"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    REROUTED = "rerouted"
    OUTCOME = "outcome"
    CORRECTION = "correction"
    ACTIVITY = "activity"
    TOUCH = "touch"
    LEAKED = "leaked"
    SNOOZED = "snoozed"
    NUDGED = "nudged"  # a manager asked the rep for the overdue feedback
    REASSIGNED = "reassigned"  # a manager moved an accepted lead to another rep
    KEPT_NURTURING = "kept_nurturing"  # marketing kept a returned lead in nurture
    ASKED_WHY = "asked_why"  # marketing asked whoever returned a lead why
    DETAILS = "details"  # intake brought other contact details: filled in or kept apart
    CAMPAIGN_TOUCH = "campaign_touch"  # a later intake or import named a campaign or source


@dataclass(frozen=True)
class Lead:
    """What the lifecycle needs to know about a lead."""

    short_id: str
    status: LeadStatus
    region: str | None = None
    handoff_round: int = 0
    campaign: str | None = None
    source: str | None = None
    rep_id: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    feedback_due_at: datetime | None = None
    next_step_at: datetime | None = None
    leaked_at: datetime | None = None
    definition_version: int | None = None  # the lead definition's version that last qualified it

    def with_short_id(self, short_id: str) -> Lead:
        """This lead under another short id: what replace(self, short_id=...) makes."""
        # Intake gives every lead of a request a copy of one first state, and replace()
        # (which calls __init__ with every field) cost more than the rest of planning it.
        twin = object.__new__(Lead)
        twin.__dict__.update(self.__dict__, short_id=short_id)
        return twin


@dataclass(frozen=True)
class Authority:
    """Who may act on a lead: its deciders (manager and backup, or triage deciders)."""

    deciders: frozenset[str] = frozenset()
    marketing: frozenset[str] = frozenset()
    named: tuple[str, ...] = ()  # the deciders in the order to name them: manager first


@dataclass(frozen=True)
class LeadEvent:
    kind: EventKind
    actor: str
    at: datetime
    handoff_round: int
    region: str | None
    campaign: str | None
    source: str | None
    status_before: LeadStatus | None
    status_after: LeadStatus
    reason_code: str | None = None
    amount: Decimal | None = None
    notes: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    lead: Lead
    events: tuple[LeadEvent, ...]
