"""A manager acts on an accepted lead: nudge its rep for the feedback due, or move it to another rep.

Both are the lifecycle's (`Nudge`, `Reassign`): only the region's manager and backup (triage
deciders for a triage lead) may, and each is an event in the lead's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.lead import LeadError, Nudge, Reassign
from bot.services.crm_out import crm_work
from bot.services.handoff import apply_command, load_lead
from bot.services.ports import UnitOfWork
from bot.services.records import Work, WorkKind
from config.model import BatonConfig


@dataclass(frozen=True)
class ReassignForm:
    """What the Reassign modal needs: the lead, its rep now and the reps of its region."""

    lead_id: int
    short_id: str
    rep_id: str | None
    reps: list[str]


@dataclass(frozen=True)
class Reassigned:
    short_id: str
    from_rep: str | None
    to_rep: str
    repeated: bool = False


@dataclass(frozen=True)
class Nudged:
    short_id: str
    rep_id: str | None
    repeated: bool = False


def reassign_form(
    short_id: str,
    actor: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> ReassignForm:
    """Check that `actor` may reassign the lead now (a dry run through the lifecycle)."""
    with uow_factory() as uow:
        stored = load_lead(uow, short_id)
    apply_command(stored, Reassign(rep_id=""), actor, config, at=clock.now())
    region = config.region(stored.lead.region) if stored.lead.region else None
    reps = [r for r in (region.reps if region else []) if r != stored.lead.rep_id]
    return ReassignForm(stored.id, stored.lead.short_id, stored.lead.rep_id, reps)


def reassign_lead(
    short_id: str,
    *,
    actor: str,
    rep_id: str,
    note: str | None,
    request_key: str | None,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Reassigned:
    """Move an accepted lead to `rep_id`: the new rep gets the lead's DM with the manager's
    comment and `note`, the old rep is told, and the card and its thread show the change."""
    if not rep_id:
        raise LeadError(f"Pick the rep to give {short_id} to.")
    now = clock.now()
    with uow_factory() as uow:
        if request_key and not uow.requests.first_handling(request_key, now=now):
            return Reassigned(short_id, None, rep_id, repeated=True)
        stored = load_lead(uow, short_id, for_update=True)
        before = stored.lead.rep_id
        change = apply_command(
            stored, Reassign(rep_id, (note or "").strip() or None), actor, config, now
        )
        stored.lead = change.lead
        uow.leads.save(stored, now=now)
        [event_id] = uow.events.append([(stored.id, e) for e in change.events])
        round_no, data = stored.lead.handoff_round, {"event_id": event_id}
        update = f"update:{stored.id}:{round_no}:{event_id}"
        uow.outbox.queue(
            [
                Work(WorkKind.HANDOFF_UPDATE, update, stored.id, round_no),
                Work.thread_note(stored.id, round_no, event_id),
                Work(
                    WorkKind.REASSIGN_DM, f"reassigned:{event_id}", stored.id, round_no, data=data
                ),
                Work(
                    WorkKind.REASSIGN_NOTICE,
                    f"unassigned:{event_id}",
                    stored.id,
                    round_no,
                    data=data,
                ),
                *crm_work(uow, config, stored.id, stored.lead, [(event_id, change.events[0])]),
            ],
            now=now,
        )
        uow.commit()
    return Reassigned(stored.lead.short_id, before, rep_id)


def nudge_rep(
    short_id: str,
    *,
    actor: str,
    handoff_round: int | None,
    request_key: str | None,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Nudged:
    """Ask the lead's rep for the feedback due: a DM to them and a note in the lead's thread."""
    now = clock.now()
    with uow_factory() as uow:
        if request_key and not uow.requests.first_handling(request_key, now=now):
            return Nudged(short_id, None, repeated=True)
        stored = load_lead(uow, short_id, for_update=True)
        change = apply_command(stored, Nudge(handoff_round), actor, config, now)
        [event_id] = uow.events.append([(stored.id, e) for e in change.events])
        round_no, data = stored.lead.handoff_round, {"event_id": event_id}
        uow.outbox.queue(
            [
                Work.thread_note(stored.id, round_no, event_id),
                Work(WorkKind.NUDGE_DM, f"nudge:{event_id}", stored.id, round_no, data=data),
            ],
            now=now,
        )
        uow.commit()
    return Nudged(stored.lead.short_id, stored.lead.rep_id)
