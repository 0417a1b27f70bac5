"""A lead's events: each records the lead as it stands after the change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.domain.states import Change, EventKind, Lead, LeadEvent, LeadStatus


def record_only(
    lead: Lead,
    kind: EventKind,
    actor: str,
    at: datetime,
    *,
    notes: str | None = None,
    data: dict[str, Any],
) -> Change:
    """A change that only records an event: the lead stays as it is."""
    event = event_of(lead, kind, actor, at, status_before=lead.status, notes=notes, data=data)
    return Change(lead, (event,))


def event_of(
    lead: Lead,
    kind: EventKind,
    actor: str,
    at: datetime,
    *,
    status_before: LeadStatus | None = None,
    status_after: LeadStatus | None = None,
    reason_code: str | None = None,
    amount: Decimal | None = None,
    notes: str | None = None,
    data: dict[str, Any] | None = None,
) -> LeadEvent:
    """An event of `lead` as it stands after the change (its round, region, campaign, source)."""
    return LeadEvent(
        kind=kind,
        actor=actor,
        at=at,
        handoff_round=lead.handoff_round,
        region=lead.region,
        campaign=lead.campaign,
        source=lead.source,
        status_before=status_before,
        status_after=status_after or lead.status,
        reason_code=reason_code,
        amount=amount,
        notes=notes,
        data=data or {},
    )
