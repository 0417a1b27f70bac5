"""The CRM's changes coming in: webhook events queued at once, then each one read through the
API and taken in as any lead is (intake's merging, qualification, routing and handoff)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.crm.hubspot_webhook import HubSpotEvent
from bot.crm.leads import lead_from_record
from bot.crm.provider import CrmClient
from bot.domain.crm import CrmDeal, CrmRecord
from bot.domain.crm_rules import CrmRules
from bot.services.crm_deals import record_deal
from bot.services.intake import take_leads
from bot.services.intake_plan import LiveRouting, Routing
from bot.services.ports import UnitOfWork
from bot.services.records import Work, WorkKind

# The deal properties whose change can change an outcome or its amount.
DEAL_FIELDS = frozenset({"dealstage", "amount", "deal_currency_code"})


@dataclass(frozen=True)
class Intake:
    """What taking a CRM record in needs: the CRM, the store, the clock and the routing."""

    crm: CrmClient
    uow_factory: Callable[[], UnitOfWork]
    clock: Clock
    routing: Routing | LiveRouting  # live: the version live when each record is taken in

    @property
    def provider(self) -> str:
        return self.crm.rules.provider.value


def queue_hubspot_events(
    events: Sequence[HubSpotEvent],
    *,
    rules: CrmRules,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> int:
    """Store the events that may matter, in one transaction; return how many.

    Each is keyed by its event, so an event HubSpot sends again is left as it is.
    """
    now = clock.now()
    work = [
        Work(WorkKind.CRM_EVENT, event.key, data=_event_data(event))
        for event in events
        if _may_matter(event, rules)
    ]
    with uow_factory() as uow:
        uow.outbox.queue(work, now=now)
        uow.commit()
    return len(work)


def take_event(data: dict[str, Any], intake: Intake) -> str:
    """Read the record or deal an event is about and take it in; say what happened."""
    if data.get("object") == "deal":
        return take_deal(intake.crm.read_deal(str(data["id"])), intake)
    return take_record(intake.crm.read_record(str(data["id"])), intake)


def take_record(record: CrmRecord, intake: Intake) -> str:
    """Take a sales-ready record in as a lead and link the two; others are left alone."""
    rules = intake.crm.rules
    if not rules.is_sales_ready(record):
        return f"{rules.record_name} {record.id} is not sales-ready"
    lead = lead_from_record(record, rules)
    [result] = take_leads(
        [lead], uow_factory=intake.uow_factory, clock=intake.clock, routing=intake.routing
    )
    with intake.uow_factory() as uow:
        uow.crm.link(intake.provider, record.id, result.id, now=intake.clock.now())
        uow.commit()
    return f"{rules.record_name} {record.id}: lead {result.id} {result.result}"


def take_deal(deal: CrmDeal, intake: Intake) -> str:
    """Record the deal's stage and amount on each linked lead it belongs to."""
    outcome = intake.crm.rules.deal_outcome(deal)
    if outcome is None:
        return f"deal {deal.id}: stage {deal.stage} means nothing to Baton"
    with intake.uow_factory() as uow:
        leads = [uow.crm.lead_of(intake.provider, record_id) for record_id in deal.record_ids]
    taken = [
        record_deal(
            short_id,
            outcome,
            provider=intake.provider,
            uow_factory=intake.uow_factory,
            clock=intake.clock,
        )
        for short_id in dict.fromkeys(leads)
        if short_id is not None
    ]
    if not taken:
        return f"deal {deal.id}: none of its records is a lead"
    return "; ".join(f"deal {deal.id} on {t.short_id}: {t.result}" for t in taken)


def _may_matter(event: HubSpotEvent, rules: CrmRules) -> bool:
    match event.subscription_type:
        case "contact.creation" | "deal.creation":
            return True
        case "contact.propertyChange":
            return rules.becomes_sales_ready(event.property_name or "", event.property_value)
        case "deal.propertyChange":
            return event.property_name in DEAL_FIELDS
    return False


def _event_data(event: HubSpotEvent) -> dict[str, Any]:
    return {
        "provider": "hubspot",
        "object": event.object_type,
        "id": event.object_id,
        "event": event.subscription_type,
        "occurred_at": event.occurred_at.isoformat(),
    }
