"""Baton's decisions on a lead linked to a CRM record, queued for the CRM in the transaction
of the change: an acceptance, a reassignment, a return, each outcome a rep logs, a leak and
a touch."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.lead import EventKind, Lead, LeadEvent
from bot.services.crm_deals import CRM_ACTOR
from bot.services.ports import UnitOfWork
from bot.services.records import Work, WorkKind
from config.model import BatonConfig

WRITTEN_BACK = {
    EventKind.ACCEPTED: WorkKind.CRM_ACCEPTED,
    EventKind.RETURNED: WorkKind.CRM_RETURNED,
    EventKind.OUTCOME: WorkKind.CRM_OUTCOME,
    EventKind.LEAKED: WorkKind.CRM_TASK,
    EventKind.TOUCH: WorkKind.CRM_TASK,
    EventKind.REASSIGNED: WorkKind.CRM_REASSIGNED,
}


def crm_work(
    uow: UnitOfWork,
    config: BatonConfig,
    lead_id: int,
    lead: Lead,
    events: Sequence[tuple[int | None, LeadEvent]],
) -> list[Work]:
    """The CRM work the events call for: none without a `crm:` section or a linked record.

    `events` pairs each event with its id (None when it was appended without one). What the
    CRM itself said (a deal's outcome, by `crm`) is never written back to it.
    """
    if config.crm is None:
        return []
    wanted = [
        (event_id, event)
        for event_id, event in events
        if event.kind in WRITTEN_BACK and event.actor != CRM_ACTOR
    ]
    if not wanted:
        return []
    record_id = uow.crm.record_of(config.crm.provider, lead.short_id)
    if record_id is None:
        return []
    round_no = lead.handoff_round
    work = []
    for event_id, event in wanted:
        kind = WRITTEN_BACK[event.kind]
        what = event.kind.value
        key = f"crm:{what}:{lead_id}:{event_id if event_id is not None else round_no}"
        data = {"record_id": record_id, "event_id": event_id, "what": what}
        work.append(Work(kind, key, lead_id, round_no, data=data))
    return work
