"""What people and jobs ask of a lead: the commands the lifecycle carries out or refuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.domain.states import FollowUpMethod, LeadStatus, Outcome, ReturnReason


@dataclass(frozen=True)
class Qualify:
    """Place a new or re-qualified lead: sales-ready starts a handoff round, else nurture."""

    sales_ready: bool
    reason: str
    region: str | None
    version: int | None = None  # the lead definition's version that decided; None: before versions


@dataclass(frozen=True)
class Requeue:
    """Marketing sends a closed or nurtured lead back for a new handoff round."""

    region: str | None
    note: str | None = None


@dataclass(frozen=True)
class Accept:
    rep_id: str
    comment: str
    method: FollowUpMethod
    feedback_due_at: datetime
    handoff_round: int


@dataclass(frozen=True)
class Return:
    reason: ReturnReason
    notes: str | None
    handoff_round: int | None = None


@dataclass(frozen=True)
class Reroute:
    region: str | None
    note: str | None
    handoff_round: int


@dataclass(frozen=True)
class LogOutcome:
    outcome: Outcome
    amount: Decimal | None = None
    notes: str | None = None
    next_step_at: datetime | None = None
    return_reason: ReturnReason | None = None
    currency: str | None = None  # as typed with the amount; None: the configured currency


@dataclass(frozen=True)
class RecordDeal:
    """The CRM says where a deal of the lead stands: an opportunity, won or lost.

    The deal's stage and amount are the truth for revenue; a rep's outcome may come before or
    after it, and the lead is counted once either way.
    """

    outcome: Outcome  # OPPORTUNITY, WON or LOST
    deal_id: str
    stage: str
    amount: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class CorrectOutcome:
    """Withdraw an earlier outcome; the lead falls back to `status_after`."""

    corrected_event_id: int
    status_after: LeadStatus
    outcome: Outcome
    next_step_at: datetime | None = None


@dataclass(frozen=True)
class RecordActivity:
    activity: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class RecordDetails:
    """Contact details intake brought for a known lead: the empty ones filled, the rest kept."""

    details: dict[str, Any]


@dataclass(frozen=True)
class RecordCampaignTouch:
    """A known lead came again through a campaign or source; its first ones stay."""

    campaign: str | None
    source: str | None


@dataclass(frozen=True)
class LogTouch:
    reached: bool
    notes: str
    by: str | None = None  # who made the touch, when not the person logging it


@dataclass(frozen=True)
class Nudge:
    """A manager asks the lead's rep for the feedback that is due."""

    handoff_round: int | None = None


@dataclass(frozen=True)
class Reassign:
    """A manager moves an accepted lead to another rep; its due dates and timers stay."""

    rep_id: str
    note: str | None = None


@dataclass(frozen=True)
class KeepNurturing:
    """Marketing keeps a returned lead in nurture rather than sending it back to sales."""

    note: str | None = None


@dataclass(frozen=True)
class AskWhy:
    """Marketing asks whoever returned a lead why (`to`: who returned it)."""

    question: str
    to: str | None = None


@dataclass(frozen=True)
class FlagLeaked:
    leakage_days: int


Command = (
    Qualify
    | Requeue
    | Accept
    | Return
    | Reroute
    | LogOutcome
    | RecordDeal
    | CorrectOutcome
    | RecordActivity
    | RecordDetails
    | RecordCampaignTouch
    | LogTouch
    | FlagLeaked
    | Nudge
    | Reassign
    | KeepNurturing
    | AskWhy
)
