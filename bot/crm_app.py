"""The CRM side of the composition root: the CRM worker with each kind of work bound to this
Baton's CRM client, store, clock and routing."""

from __future__ import annotations

from bot.app import Baton
from bot.crm.inbound import Intake, take_event
from bot.crm.outbound import Writer
from bot.crm.people import People, slack_emails
from bot.crm.provider import CrmClient
from bot.crm.worker import CrmWorker, Handler
from bot.runtime import web_client
from bot.services.records import OutboxItem, WorkKind
from storage.outbox import SqlOutbox


def crm_intake(baton: Baton, client: CrmClient) -> Intake:
    return Intake(
        crm=client, uow_factory=baton.uow_factory, clock=baton.clock, routing=baton.live_routing
    )


def crm_worker(baton: Baton) -> CrmWorker | None:
    """The worker of the configured CRM's work; None when Baton has no `crm:` section."""
    client = baton.crm
    if client is None:
        return None
    intake = crm_intake(baton, client)

    def take(item: OutboxItem) -> str:
        return take_event(item.payload, intake)

    people = People(crm=client, email_of=slack_emails(web_client(baton)), clock=baton.clock)
    writer = Writer(crm=client, reads=SqlOutbox(baton.database), people=people, clock=baton.clock)
    handlers: dict[WorkKind, Handler] = {
        WorkKind.CRM_EVENT: take,
        WorkKind.CRM_ACCEPTED: writer.accepted,
        WorkKind.CRM_OUTCOME: writer.outcome,
        WorkKind.CRM_RETURNED: writer.returned,
        WorkKind.CRM_TASK: writer.task,
        WorkKind.CRM_REASSIGNED: writer.reassigned,
    }
    return CrmWorker(
        outbox=SqlOutbox(baton.database),
        handlers=handlers,
        clock=baton.clock,
        label=client.rules.label,
        changed=baton.outbox_changed,
    )


def start_crm_work(baton: Baton) -> CrmWorker | None:
    """Deliver the CRM's work in the background (with a `crm:` section), woken like Slack's."""
    worker = crm_worker(baton)
    if worker is not None:
        baton.outbox_listeners.append(worker.wake.set)
        worker.start()
    return worker
