"""The CRM side of the composition root: the CRM worker with each kind of work bound to this
Baton's CRM client, store, clock and routing."""

from __future__ import annotations

from bot.app import Baton
from bot.crm.inbound import Intake, take_event
from bot.crm.provider import CrmClient
from bot.crm.worker import CrmWorker, Handler
from bot.services.records import OutboxItem, WorkKind
from storage.outbox import SqlOutbox


def crm_intake(baton: Baton, client: CrmClient) -> Intake:
    return Intake(
        client=client, uow_factory=baton.uow_factory, clock=baton.clock, routing=baton.routing
    )


def crm_worker(baton: Baton) -> CrmWorker | None:
    """The worker of the configured CRM's work; None when Baton has no `crm:` section."""
    client = baton.crm
    if client is None:
        return None
    intake = crm_intake(baton, client)

    def take(item: OutboxItem) -> str:
        return take_event(item.payload, intake)

    handlers: dict[WorkKind, Handler] = {WorkKind.CRM_EVENT: take}
    return CrmWorker(
        outbox=SqlOutbox(baton.database),
        handlers=handlers,
        clock=baton.clock,
        label=client.rules.label,
        changed=baton.outbox_changed,
    )
