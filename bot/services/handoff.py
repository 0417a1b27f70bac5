"""The manager's decisions on a pending lead: accept for a rep, return to marketing, re-route."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.lead import (
    Accept,
    AlreadyDecided,
    Authority,
    Change,
    Command,
    FollowUpMethod,
    Lead,
    LeadError,
    LeadStatus,
    NotAllowed,
    Reroute,
    Return,
    ReturnReason,
    apply,
)
from bot.services.crm_deals import deal_notes, record_waiting_deals
from bot.services.crm_out import crm_work
from bot.services.ports import UnitOfWork
from bot.services.records import NewRound, StoredLead, Work, WorkKind
from config.model import BatonConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AcceptForm:
    """What the accept modal needs: the lead, the reps and a suggested default."""

    lead: StoredLead
    reps: list[str]
    suggested_rep: str | None
    suggestion_reason: str | None
    due_date: date
    timezone: str


@dataclass(frozen=True)
class Decided:
    short_id: str
    status: str
    repeated: bool = False


def authority_for(config: BatonConfig, region: str | None) -> Authority:
    """Who may decide on a lead of `region` (None: triage), and who is marketing."""
    marketing = frozenset(config.marketing.users)
    settings = config.region(region) if region else None
    if settings is None:
        triage = tuple(config.triage.deciders)
        return Authority(deciders=frozenset(triage), marketing=marketing, named=triage)
    named = (settings.manager, *([settings.backup] if settings.backup else []))
    return Authority(deciders=frozenset(named), marketing=marketing, named=named)


def timezone_of(config: BatonConfig, region: str | None) -> str:
    settings = config.region(region) if region else None
    return settings.timezone if settings else "UTC"


def check_decider(
    short_id: str,
    actor: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    handoff_round: int | None = None,
) -> StoredLead:
    """Load a pending lead for `actor` to decide on, or raise saying why they cannot."""
    with uow_factory() as uow:
        return _decider_checked(uow, short_id, actor, config, handoff_round)


def _decider_checked(
    uow: UnitOfWork, short_id: str, actor: str, config: BatonConfig, handoff_round: int | None
) -> StoredLead:
    stored = load_lead(uow, short_id)
    authority = authority_for(config, stored.lead.region)
    # A button from an earlier round (the lead was re-routed) must not open a modal.
    if handoff_round is not None and handoff_round != stored.lead.handoff_round:
        raise AlreadyDecided(
            f"{short_id} has moved on since that message: it is in round "
            f"{stored.lead.handoff_round}."
        )
    if stored.lead.status is not LeadStatus.PENDING:
        raise AlreadyDecided(_decided_message(stored))
    if actor not in authority.deciders:
        people = " or ".join(f"<@{p}>" for p in sorted(authority.deciders))
        raise NotAllowed(f"Only {people} can decide on {short_id}.")
    return stored


def accept_form(
    short_id: str,
    actor: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
    handoff_round: int | None = None,
) -> AcceptForm:
    """Prepare the accept modal: suggest the rep with an open lead at the company, else the least busy."""
    # One transaction: a modal is opened for every click, and fifty clicks come at once.
    with uow_factory() as uow:
        stored = _decider_checked(uow, short_id, actor, config, handoff_round)
        region = config.region(stored.lead.region) if stored.lead.region else None
        reps = list(region.reps) if region else []
        company_rep = uow.leads.open_rep_at_company(stored.facts.get("company"), exclude=stored.id)
        loads = uow.leads.open_lead_counts(reps)
    suggested, reason = _suggest(reps, company_rep, loads)
    calendar = region.calendar() if region else None
    due = calendar.end_of_working_week(clock.now()) if calendar else clock.now()
    tz = timezone_of(config, stored.lead.region)
    return AcceptForm(stored, reps, suggested, reason, due.astimezone(ZoneInfo(tz)).date(), tz)


def _suggest(
    reps: list[str], company_rep: str | None, loads: dict[str, int]
) -> tuple[str | None, str | None]:
    if company_rep:
        return company_rep, "already owns an open lead at this company"
    if not reps:
        return None, None
    rep = min(reps, key=lambda r: (loads.get(r, 0), reps.index(r)))
    return rep, f"fewest open leads in the region ({loads.get(rep, 0)})"


def accept_lead(
    short_id: str,
    *,
    actor: str,
    rep_id: str,
    comment: str,
    method: FollowUpMethod,
    due_date: date,
    handoff_round: int,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Decided:
    """Accept a pending lead for a rep; the rep is told and the handoff message updated."""
    if not comment.strip():
        raise LeadError("Add a comment for the rep: what the company is and how to follow up.")
    now = clock.now()

    def command(stored: StoredLead) -> Accept:
        due = _end_of_day(due_date, config, stored.lead.region)
        if due < now:
            raise LeadError("The feedback due date is in the past; pick today or later.")
        return Accept(rep_id, comment.strip(), method, due, handoff_round)

    def work(stored: StoredLead, event_ids: list[int]) -> list[Work]:
        round_no = stored.lead.handoff_round
        return [
            _update(stored, round_no, "accepted"),
            _note(stored, round_no, event_ids[-1]),
            Work(
                WorkKind.REP_DM,
                f"repdm:{stored.id}:{round_no}",
                stored.id,
                round_no,
                data={"event_id": event_ids[-1]},
            ),
        ]

    return _decide(short_id, actor, command, work, uow_factory=uow_factory, config=config, now=now)


def return_lead(
    short_id: str,
    *,
    actor: str,
    reason: ReturnReason,
    notes: str | None,
    handoff_round: int | None,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Decided:
    """Return a lead to marketing with a reason; marketing is told."""
    now = clock.now()

    def work(stored: StoredLead, event_ids: list[int]) -> list[Work]:
        round_no = stored.lead.handoff_round
        return [
            _update(stored, round_no, "returned"),
            _note(stored, round_no, event_ids[-1]),
            Work(
                WorkKind.RETURNED_NOTICE,
                f"returned:{stored.id}:{round_no}",
                stored.id,
                round_no,
                data={"event_id": event_ids[-1]},
            ),
        ]

    def command(stored: StoredLead) -> Return:
        return Return(reason, (notes or "").strip() or None, handoff_round)

    return _decide(short_id, actor, command, work, uow_factory=uow_factory, config=config, now=now)


def reroute_lead(
    short_id: str,
    *,
    actor: str,
    region: str | None,
    note: str | None,
    handoff_round: int,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Decided:
    """Send a pending lead to another region (None: triage): a new handoff round there."""
    if region is not None and config.region(region) is None:
        raise LeadError(f"There is no region named “{region}”.")
    now = clock.now()

    def work(stored: StoredLead, event_ids: list[int]) -> list[Work]:
        old_round, new_round = handoff_round, stored.lead.handoff_round
        return [
            _update(stored, old_round, "rerouted"),
            _note(stored, old_round, event_ids[0]),
            Work.handoff(stored.id, new_round),
        ]

    def command(stored: StoredLead) -> Reroute:
        return Reroute(region, (note or "").strip() or None, handoff_round)

    return _decide(short_id, actor, command, work, uow_factory=uow_factory, config=config, now=now)


def _decide(
    short_id: str,
    actor: str,
    command: Callable[[StoredLead], Accept | Return | Reroute],
    work: Callable[[StoredLead, list[int]], list[Work]],
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    now: datetime,
) -> Decided:
    """Carry out a decision on a pending lead and queue what Slack is told, in one transaction;
    the decider deciding again is told it was done."""
    with uow_factory() as uow:
        stored = load_lead(uow, short_id, for_update=True)
        before = stored.lead
        try:
            change: Change = apply(
                before,
                command(stored),
                actor=actor,
                authority=authority_for(config, before.region),
                at=now,
            )
        except AlreadyDecided:
            if before.decided_by == actor:
                return Decided(short_id, before.status.value, repeated=True)
            raise
        stored.lead = change.lead
        event_ids = uow.events.append([(stored.id, e) for e in change.events])
        # A deal the CRM told of before a rep had the lead is recorded the moment one does.
        deals = []
        if before.rep_id is None and stored.lead.rep_id is not None:
            deals = record_waiting_deals(uow, stored, now=now)
        uow.leads.save(stored, now=now)
        if change.lead.handoff_round != before.handoff_round:
            new_round = NewRound(stored.id, change.lead.handoff_round, change.lead.region, None)
            uow.rounds.start([new_round], now=now)
        written = list(zip(event_ids, change.events, strict=True))
        uow.outbox.queue(
            work(stored, event_ids)
            + deal_notes(stored, deals)
            + crm_work(uow, config, stored.id, stored.lead, written),
            now=now,
        )
        uow.commit()
    _log_decision(short_id, actor, before.region, change.lead)
    return Decided(short_id, change.lead.status.value)


def _log_decision(short_id: str, actor: str, region_before: str | None, lead: Lead) -> None:
    log.info(
        "lead %s %s by %s: now with %s",
        short_id,
        lead.status.value,
        actor,
        lead.rep_id or lead.region or "triage",
        extra={
            "lead": short_id,
            "decision": lead.status.value,
            "by": actor,
            "region": lead.region or "triage",
            "rep": lead.rep_id,
            "reassigned": lead.region != region_before,
        },
    )


def load_lead(uow: UnitOfWork, short_id: str, *, for_update: bool = False) -> StoredLead:
    """The lead with this short id, or a LeadError saying there is none."""
    stored = uow.leads.by_short_id(short_id, for_update=for_update)
    if stored is None:
        raise LeadError(f"There is no lead {short_id}.")
    return stored


def apply_command(
    stored: StoredLead, command: Command, actor: str, config: BatonConfig, at: datetime
) -> Change:
    """Apply `command` by `actor` with the authority of the lead's region (or triage)."""
    authority = authority_for(config, stored.lead.region)
    return apply(stored.lead, command, actor=actor, authority=authority, at=at)


def _update(stored: StoredLead, round_no: int, what: str) -> Work:
    return Work(
        WorkKind.HANDOFF_UPDATE, f"update:{stored.id}:{round_no}:{what}", stored.id, round_no
    )


def _note(stored: StoredLead, round_no: int, event_id: int) -> Work:
    return Work.thread_note(stored.id, round_no, event_id)


def _end_of_day(day: date, config: BatonConfig, region: str | None) -> datetime:
    """The end of the working day `day` in the lead's region: feedback is due by close of business."""
    settings = config.region(region) if region else None
    zone = ZoneInfo(settings.timezone if settings else "UTC")
    if settings is None:
        return datetime.combine(day, time(23, 59), zone)
    closing = max(end for _, end in settings.calendar().working_hours)
    return datetime.combine(day, closing, zone)


def _decided_message(stored: StoredLead) -> str:
    lead = stored.lead
    who = f"<@{lead.decided_by}>" if lead.decided_by else "Someone"
    if lead.status is LeadStatus.RETURNED:
        return f"{lead.short_id} was already decided: {who} returned it to marketing."
    if lead.rep_id:
        return f"{lead.short_id} was already decided: {who} accepted it for <@{lead.rep_id}>."
    return f"{lead.short_id} is {lead.status.value}; there is nothing to decide."
