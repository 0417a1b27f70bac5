"""Marketing logs a customer-service touch on a leaked lead: who reached out and what they learned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.lead import LeadError, LogTouch
from bot.services.crm_out import crm_work
from bot.services.handoff import apply_command, load_lead
from bot.services.ports import UnitOfWork
from bot.services.records import Urgency, Work, WorkKind
from config.model import BatonConfig


@dataclass(frozen=True)
class Touched:
    short_id: str
    reached: bool
    repeated: bool = False


def touch_form(
    short_id: str,
    actor: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> int:
    """Check that `actor` may log a touch on the lead now; return the lead's row id."""
    with uow_factory() as uow:
        stored = load_lead(uow, short_id)
    # A dry run through the lifecycle refuses exactly what logging would refuse.
    apply_command(stored, LogTouch(reached=False, notes=""), actor, config, at=clock.now())
    return stored.id


def log_touch(
    short_id: str,
    *,
    actor: str,
    by: str | None,
    reached: bool,
    notes: str,
    request_key: str | None,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Touched:
    """Record a touch (a `touch` event); the lead's thread is told and its leakage task updated."""
    notes = notes.strip()
    if not notes:
        raise LeadError("Say what you learned: it is what makes the touch useful to sales.")
    now = clock.now()
    with uow_factory() as uow:
        if request_key and not uow.requests.first_handling(request_key, now=now):
            return Touched(short_id, reached, repeated=True)
        stored = load_lead(uow, short_id, for_update=True)
        command = LogTouch(reached=reached, notes=notes, by=by)
        change = apply_command(stored, command, actor, config, at=now)
        [event_id] = uow.events.append([(stored.id, e) for e in change.events])
        round_no = stored.lead.handoff_round
        data = {"event_id": event_id}
        # The person who logged the touch sees its note: a reply, however the timers' go.
        note = f"timernote:{event_id}"
        work = [Work(WorkKind.TIMER_NOTE, note, stored.id, round_no, None, data, Urgency.REPLY)]
        if stored.lead.leaked_at is not None:
            key = f"touched:{event_id}"
            work.append(Work(WorkKind.TIMER_TOUCH_UPDATE, key, stored.id, round_no, data=data))
        work += crm_work(uow, config, stored.id, stored.lead, [(event_id, change.events[0])])
        uow.outbox.queue(work, now=now)
        uow.commit()
    return Touched(stored.lead.short_id, reached)
