"""A CRM deal closes the loop: its stage becomes the lead's outcome, its amount the revenue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.domain.crm_rules import DealOutcome
from bot.domain.lead import Authority, LeadError, RecordDeal, apply
from bot.domain.states import LeadEvent, Outcome
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

    The loop closes on worked leads: a deal on a lead no rep has accepted yet is kept, and
    recorded on the lead when a rep accepts it (`record_waiting_deals`).
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
        if stored.lead.rep_id is None:
            uow.crm.see_deal(
                provider,
                deal.deal_id,
                short_id,
                outcome=deal.outcome.value,
                seen=seen,
                now=now,
                waiting=True,
            )
            uow.commit()
            return DealTaken(short_id, "waiting until a rep accepts the lead")
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


def record_waiting_deals(
    uow: UnitOfWork, stored: StoredLead, *, now: datetime
) -> list[tuple[int, LeadEvent]]:
    """Record on a lead a rep now has the deals the CRM told of before: in the decision's
    own transaction, so that the lead is never accepted without them. The events written,
    with their ids; the caller saves the lead and queues what Slack is told."""
    written: list[tuple[int, LeadEvent]] = []
    for waiting in uow.crm.waiting_deals(stored.id):
        command = RecordDeal(
            Outcome(waiting.outcome),
            waiting.deal_id,
            waiting.stage or "",
            waiting.amount,
            waiting.currency,
        )
        try:
            change = apply(stored.lead, command, actor=CRM_ACTOR, authority=Authority(), at=now)
        except LeadError:
            continue  # what the lead is now takes no deal: it stays waiting
        stored.lead = change.lead
        event_ids = uow.events.append([(stored.id, e) for e in change.events])
        written += zip(event_ids, change.events, strict=True)
        uow.crm.deal_recorded(waiting.provider, waiting.deal_id)
    return written


def deal_notes(stored: StoredLead, written: list[tuple[int, LeadEvent]]) -> list[Work]:
    """The thread notes that tell of deals recorded with a decision."""
    round_no = stored.lead.handoff_round
    return [Work.thread_note(stored.id, round_no, event_id) for event_id, _ in written]


def _slack_work(stored: StoredLead, event_id: int) -> list[Work]:
    """The handoff card shows the outcome, and its thread tells it, as for a rep's outcome."""
    round_no = stored.lead.handoff_round
    update = f"update:{stored.id}:{round_no}:{event_id}"
    return [
        Work(WorkKind.HANDOFF_UPDATE, update, stored.id, round_no),
        Work.thread_note(stored.id, round_no, event_id),
    ]
