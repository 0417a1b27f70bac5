"""New leads settled after the transaction that took them in.

What makes a lead safe is its row and its first event: once they are committed, the lead
cannot be lost. Its summary (what the report reads), its handoff round and its handoff
follow from those rows, so an intake request of many new leads writes only them, and one
row naming the leads (`NewLeadsToSettle.later`); the delivery worker, woken by the same
request, makes the rest here, in a transaction of its own, before it claims the handoffs
it has just queued. A settling transaction is all or nothing, and a request's leads are
settled once: the row naming them is removed in the same transaction as what it makes.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.services.intake import queue_stored_handoffs
from bot.services.ports import UnitOfWork

# Leads settled in one transaction (a request holds at most 500).
SETTLE_AT_MOST = 2_000


def settle_new_leads(uow_factory: Callable[[], UnitOfWork]) -> int:
    """Settle the oldest leads waiting, at most about SETTLE_AT_MOST, in one transaction:
    each one's summary, and each pending one's handoff round (started when intake took it)
    and handoff. Return how many leads were settled (0: none waits)."""
    with uow_factory() as uow:
        waiting = uow.settling.take(leads_at_most=SETTLE_AT_MOST)
        for request in waiting:
            uow.events.summarise_new(request.lead_ids)
            # A lead whose current round was started meanwhile, by another write, already
            # has its round and handoff.
            handoffs = uow.rounds.without_round(request.handoff_ids)
            queue_stored_handoffs(uow, handoffs, now=request.taken_at)
        uow.settling.settled([request.id for request in waiting])
        uow.commit()
    return sum(len(request.lead_ids) for request in waiting)
