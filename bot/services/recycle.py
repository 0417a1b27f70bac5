"""Marketing's choices on a returned lead, from its notice: send it back to sales with a note,
keep it in nurture, or ask whoever returned it why. Each is an event; the notice then shows it.

And the other way round: when a lead marketing had back comes back and qualifies again,
marketing is told that it is with sales once more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.domain.lead import (
    AskWhy,
    Command,
    KeepNurturing,
    LeadError,
    Requeue,
)
from bot.services.handoff import apply_command, load_lead
from bot.services.ports import UnitOfWork
from bot.services.records import NewRound, StoredLead, Work, WorkKind
from config.model import BatonConfig

TRIAGE = "triage"


@dataclass(frozen=True)
class ChoiceForm:
    """What marketing's modals need: the lead, the regions to send it to, who returned it."""

    lead_id: int
    regions: list[str]
    returned_by: str | None


@dataclass(frozen=True)
class Chosen:
    short_id: str
    said: str  # what was done, in Baton's own words
    repeated: bool = False


def choice_form(
    short_id: str,
    actor: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> ChoiceForm:
    """Check that `actor` may choose for the returned lead now (a dry run of keeping it)."""
    with uow_factory() as uow:
        stored = load_lead(uow, short_id)
        returned_by = _returned_by(uow, stored)
    apply_command(stored, KeepNurturing(), actor, config, clock.now())
    regions = [r.name for r in config.regions]
    return ChoiceForm(stored.id, regions, returned_by)


def send_back(
    short_id: str,
    *,
    actor: str,
    region: str | None,
    note: str | None,
    request_key: str | None,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Chosen:
    """Re-queue a returned lead by hand: a new handoff round in `region` (None: triage)."""
    if region is not None and config.region(region) is None:
        raise LeadError(f"There is no region named “{region}”.")
    note = (note or "").strip()
    if not note:
        raise LeadError("Say why it deserves another look: the note goes to sales.")
    where = region or TRIAGE

    def queued(stored: StoredLead, old_round: int, event_id: int) -> list[Work]:
        new_round = stored.lead.handoff_round
        handoff = Work.handoff(stored.id, new_round)
        return [handoff, _notice_update(stored, old_round, event_id)]

    said = f"🔁 {short_id} is back with sales ({where})."
    return _choose(
        short_id,
        Requeue(region, note),
        actor,
        request_key,
        said,
        queued,
        uow_factory=uow_factory,
        config=config,
        now=clock.now(),
    )


def keep_nurturing(
    short_id: str,
    *,
    actor: str,
    request_key: str | None,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Chosen:
    """Keep a returned lead in nurture; the notice says who chose so."""

    def queued(stored: StoredLead, old_round: int, event_id: int) -> list[Work]:
        return [_notice_update(stored, old_round, event_id)]

    said = f"🌱 {short_id} stays in nurture."
    return _choose(
        short_id,
        KeepNurturing(),
        actor,
        request_key,
        said,
        queued,
        uow_factory=uow_factory,
        config=config,
        now=clock.now(),
    )


def ask_why(
    short_id: str,
    *,
    actor: str,
    question: str,
    request_key: str | None,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Chosen:
    """Ask whoever returned the lead why: the question goes to the lead's thread."""
    with uow_factory() as uow:
        returned_by = _returned_by(uow, load_lead(uow, short_id))

    def queued(stored: StoredLead, old_round: int, event_id: int) -> list[Work]:
        return [Work.thread_note(stored.id, old_round, event_id)]

    asked = f"<@{returned_by}>" if returned_by else "whoever returned it"
    said = f"❓ Asked {asked} in the thread of {short_id}."
    return _choose(
        short_id,
        AskWhy(question.strip(), to=returned_by),
        actor,
        request_key,
        said,
        queued,
        uow_factory=uow_factory,
        config=config,
        now=clock.now(),
    )


def back_to_sales_work(uow: UnitOfWork, stored: StoredLead, event_id: int) -> list[Work]:
    """What marketing is told when a lead it had back (its last round ended in a return)
    qualifies again and starts a new round: a notice, and its old notice updated."""
    old_round = stored.lead.handoff_round - 1
    ended = uow.events.round_events(stored.id, old_round) if old_round >= 1 else []
    if not ended or ended[-1].kind != "returned":
        return []
    round_no, data = stored.lead.handoff_round, {"event_id": event_id}
    key = f"backtosales:{stored.id}:{round_no}"
    notice = Work(WorkKind.BACK_TO_SALES, key, stored.id, round_no, data=data)
    return [notice, _notice_update(stored, old_round, event_id)]


def _choose(
    short_id: str,
    command: Command,
    actor: str,
    request_key: str | None,
    said: str,
    queued: Callable[[StoredLead, int, int], list[Work]],
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    now: datetime,
) -> Chosen:
    with uow_factory() as uow:
        if request_key and not uow.requests.first_handling(request_key, now=now):
            return Chosen(short_id, said, repeated=True)
        stored = load_lead(uow, short_id, for_update=True)
        old_round = stored.lead.handoff_round
        change = apply_command(stored, command, actor, config, now)
        stored.lead = change.lead
        uow.leads.save(stored, now=now)
        event_ids = uow.events.append([(stored.id, e) for e in change.events])
        if stored.lead.handoff_round != old_round:
            started = NewRound(stored.id, stored.lead.handoff_round, stored.lead.region, None)
            uow.rounds.start([started], now=now)
        uow.outbox.queue(queued(stored, old_round, event_ids[-1]), now=now)
        uow.commit()
    return Chosen(stored.lead.short_id, said)


def _notice_update(stored: StoredLead, round_no: int, event_id: int) -> Work:
    return Work(
        WorkKind.RETURNED_NOTICE_UPDATE,
        f"notice:{event_id}",
        stored.id,
        round_no,
        data={"event_id": event_id},
    )


def _returned_by(uow: UnitOfWork, stored: StoredLead) -> str | None:
    """Who returned the lead in its current round (a manager deciding, or its rep)."""
    events = uow.events.round_events(stored.id, stored.lead.handoff_round)
    returns = [e for e in events if e.kind == "returned"]
    return returns[-1].actor if returns else None
