"""A CRM deal closes the loop: its stage becomes the lead's outcome, its amount the revenue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.crm_rules import DealOutcome
from bot.domain.lead import Authority, LeadError, RecordDeal, apply
from bot.services.crm_ports import SeenDeal
from bot.services.ports import UnitOfWork
from bot.services.records import StoredLead, Work, WorkKind

CRM_ACTOR = "crm"


@dataclass(frozen=True)
class DealTaken:
    short_id: str
    result: str  # "recorded", "unchanged" or why it was not recorded


def record_deal(
    short_id: str,
    deal: DealOutcome,
    *,
    provider: str,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> DealTaken:
    """Record what the CRM says of a deal on the lead, once per stage and amount.

    A deal on a lead no rep has accepted yet is left for a later change of the deal: the
    loop closes on worked leads.
    """
    now = clock.now()
    amount = deal.amount.amount if deal.amount else None
    currency = deal.amount.currency if deal.amount else None
    seen = SeenDeal(deal.stage, amount, currency)
    with uow_factory() as uow:
        if uow.crm.deal_seen(provider, deal.deal_id) == seen:
            return DealTaken(short_id, "unchanged")
        stored = uow.leads.by_short_id(short_id, for_update=True)
        if stored is None:
            return DealTaken(short_id, "no such lead")
        command = RecordDeal(deal.outcome, deal.deal_id, deal.stage, amount, currency)
        try:
            change = apply(stored.lead, command, actor=CRM_ACTOR, authority=Authority(), at=now)
        except LeadError as error:
            return DealTaken(short_id, f"not recorded: {error}")
        stored.lead = change.lead
        uow.leads.save(stored, now=now)
        [event_id] = uow.events.append([(stored.id, e) for e in change.events])
        uow.outbox.queue(_slack_work(stored, event_id), now=now)
        uow.crm.see_deal(
            provider, deal.deal_id, short_id, outcome=deal.outcome.value, seen=seen, now=now
        )
        uow.commit()
    return DealTaken(short_id, "recorded")


def _slack_work(stored: StoredLead, event_id: int) -> list[Work]:
    """The handoff card shows the outcome, and its thread tells it, as for a rep's outcome."""
    round_no = stored.lead.handoff_round
    update = f"update:{stored.id}:{round_no}:{event_id}"
    return [
        Work(WorkKind.HANDOFF_UPDATE, update, stored.id, round_no),
        Work(
            WorkKind.THREAD_NOTE,
            f"note:{event_id}",
            stored.id,
            round_no,
            data={"event_id": event_id},
        ),
    ]
