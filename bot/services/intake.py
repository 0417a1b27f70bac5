"""Take leads in: store, qualify, route and queue each handoff, in one transaction (for a
request of many new leads, the transaction makes them safe and they are settled after)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.domain.lead import (
    CLOSED,
    OPEN,
    Change,
    LeadStatus,
)
from bot.services.intake_plan import (
    Known,
    LiveRouting,
    Plan,
    PlannedLead,
    Planner,
    Routing,
    plan_merge,
    plan_one,
)
from bot.services.leadin import LeadIn
from bot.services.ports import DuplicateLead, UnitOfWork
from bot.services.records import NewLead, NewRound, StoredLead, Work, WorkKind
from bot.services.recycle import back_to_sales_work

BATCH_THRESHOLD = 10
# Up to this many new leads get their summaries, handoff rounds and handoffs in the request's
# transaction; more get only what makes them safe (their rows and first events), and are
# settled right after by the delivery worker (settling.py): the answer does not wait for
# rows that follow from those, and the worker makes them for many leads at once.
SETTLED_IN_THE_REQUEST_AT_MOST = 10
RETRIES_ON_TWIN = 3

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    id: str
    status: str
    result: str  # "created" or "merged"
    region: str | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "status": self.status, "result": self.result}


@dataclass
class Batching:
    """How handoffs are grouped: a label, always or only when many, and each region's batch."""

    label: str | None = None
    always: bool = False
    opens_batches: bool = True
    batch_ids: dict[str | None, int] = field(default_factory=dict)
    # The leads (row ids) taken so far: an import in several transactions meets a person
    # twice in its file as one arrival, merged quietly.
    taken: set[int] | None = None


def take_leads(
    leads: Sequence[LeadIn],
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    routing: Routing | LiveRouting,
    batching: Batching | None = None,
) -> list[IntakeResult]:
    """Store the leads all or nothing and return, in order, each one's id, status and result.

    `batching` carries a batch per region across calls, so that an import in several
    transactions still posts one summary per region. With a LiveRouting the leads are
    placed by the version live in their transaction.
    """
    now = clock.now()
    live, current = _routings(routing)
    while True:
        planner = Planner(now=now, routing=current)
        planned = [planner.plan(lead) for lead in leads]
        storing = _Storing(uow_factory, current, now, live)
        try:
            [results] = _take_with_retries([planned], storing, batching or Batching())
        except _DefinitionChanged as changed:
            current = changed.routing  # planned again by the version now live
            continue
        log_taken(results)
        return results


def take_planned(
    planned: Sequence[PlannedLead],
    *,
    now: datetime,
    uow_factory: Callable[[], UnitOfWork],
    routing: Routing,
    batching: Batching | None = None,
) -> list[IntakeResult]:
    """Store leads planned at `now` by `plan_facts` with `routing`, as `take_leads` does."""
    storing = _Storing(uow_factory, routing, now)
    [results] = _take_with_retries([planned], storing, batching or Batching())
    return results


def take_small_requests(
    requests: Sequence[Sequence[LeadIn]],
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    routing: Routing | LiveRouting,
) -> list[list[IntakeResult]]:
    """Store several small requests in one transaction, as if one after the other.

    The requests must not share an email or external id, and none may hold more than
    BATCH_THRESHOLD leads (so none would have opened a batch of its own).
    """
    if any(len(leads) > BATCH_THRESHOLD for leads in requests):
        raise ValueError(f"a small request holds at most {BATCH_THRESHOLD} leads")
    now = clock.now()
    live, current = _routings(routing)
    never = Batching(opens_batches=False)
    while True:
        planner = Planner(now=now, routing=current)
        planned = [[planner.plan(lead) for lead in leads] for leads in requests]
        try:
            taken = _take_with_retries(planned, _Storing(uow_factory, current, now, live), never)
        except _DefinitionChanged as changed:
            current = changed.routing
            continue
        for results in taken:
            log_taken(results)
        return taken


def _routings(routing: Routing | LiveRouting) -> tuple[LiveRouting | None, Routing]:
    """The live routing (if any) and the routing to plan by first."""
    if isinstance(routing, LiveRouting):
        return routing, routing.known()
    return None, routing


class _DefinitionChanged(Exception):
    """Another version went live since the leads were planned: plan them by this one."""

    def __init__(self, routing: Routing) -> None:
        super().__init__(f"version {routing.version} of the lead definition is live")
        self.routing = routing


def log_taken(results: Sequence[IntakeResult]) -> None:
    """One line per lead stored: its id, what happened, where it went, where it came from."""
    for result in results:
        verb = "received" if result.result == "created" else "merged"
        log.info(
            "lead %s %s: %s, %s, from %s",
            result.id,
            verb,
            result.status,
            result.region or "triage",
            result.source or "unknown source",
            extra={
                "lead": result.id,
                "result": result.result,
                "status": result.status,
                "region": result.region or "triage",
                "source": result.source,
            },
        )


@dataclass(frozen=True)
class _Storing:
    """Where and how intake stores: its transactions, its routing and the time it took leads."""

    uow_factory: Callable[[], UnitOfWork]
    routing: Routing
    now: datetime
    live: LiveRouting | None = None  # checked in the transaction: is `routing` still live?


def _take_with_retries(
    requests: Sequence[Sequence[PlannedLead]], storing: _Storing, batching: Batching
) -> list[list[IntakeResult]]:
    for attempt in range(RETRIES_ON_TWIN):
        taken = None if batching.taken is None else set(batching.taken)
        trial = replace(batching, batch_ids=dict(batching.batch_ids), taken=taken)
        try:
            results = _take(requests, storing, trial)
            batching.batch_ids.update(trial.batch_ids)
            batching.taken = trial.taken
            return results
        except DuplicateLead:
            # A simultaneous request stored the same email or external_id first; on the
            # next try that lead is found and merged into instead of twinned.
            if attempt == RETRIES_ON_TWIN - 1:
                raise
    raise AssertionError("unreachable")


def _take(
    requests: Sequence[Sequence[PlannedLead]], storing: _Storing, batching: Batching
) -> list[list[IntakeResult]]:
    now, routing = storing.now, storing.routing
    leads = [lead for request in requests for lead in request]
    with storing.uow_factory() as uow:
        results = _write_unseen(uow, leads, now, batching)
        if results is None:
            known = Known(
                uow.leads.matching(
                    external_ids={lead.external_id for lead in leads if lead.external_id},
                    emails={lead.email for lead in leads},
                ),
                uow.activity.known,
                uow.events.latest_touches,
                quiet=batching.taken or (),
            )
            plan = Plan(now=now)
            for lead_in in leads:
                plan_one(lead_in, plan, known)
            plan.merged = [
                plan_merge(stored, planned, now, routing, known) for stored, planned in plan.merging
            ]
            # Small requests stored together are each settled as if stored alone: in the
            # request.
            results = _write(uow, plan, batching, settle_later=len(requests) == 1)
        # Asked last, when a store that writes a few leads whole has read the live number
        # with them (one round trip fewer); another version live: rolled back, planned again.
        if storing.live is not None:
            live = storing.live.live_in(uow)
            if live.version != routing.version:
                raise _DefinitionChanged(live)
        uow.commit()
    return _split(results, [len(request) for request in requests])


def _split(results: list[IntakeResult], sizes: list[int]) -> list[list[IntakeResult]]:
    parts, start = [], 0
    for size in sizes:
        parts.append(results[start : start + size])
        start += size
    return parts


def _write_unseen(
    uow: UnitOfWork, leads: Sequence[PlannedLead], now: datetime, batching: Batching
) -> list[IntakeResult] | None:
    """A small request's leads written whole as new without being looked up first, where
    the store writes them so: it checks, in the same statement, that none is stored (for a
    new lead, one round trip fewer). None, with nothing written, where one is stored or the
    store cannot: they are then looked up and planned as usual, in the same transaction."""
    importing = batching.taken is not None or batching.always or bool(batching.batch_ids)
    if importing or len(leads) > uow.leads.whole_at_most:
        return None  # part of an import (its batches), or too many for one statement
    plan = Plan(now=now)
    nobody = Known([], uow.activity.known)
    for lead_in in leads:
        plan_one(lead_in, plan, nobody)  # a person twice in the request: merged in the plan
    created = _add_whole(uow, plan, unless_stored=True)
    return None if created is None else _results(plan, created, [])


def _add_whole(
    uow: UnitOfWork,
    plan: Plan,
    *,
    batch_ids: Sequence[int | None] | None = None,
    unless_stored: bool = False,
) -> list[StoredLead] | None:
    """The plan's new leads written whole (see LeadRepository.add_whole), with their activity."""
    new = _new_rows(plan)
    first_events = [item.change.events for item in plan.new]
    created = uow.leads.add_whole(
        new, first_events, now=plan.now, batch_ids=batch_ids, unless_stored=unless_stored
    )
    if created is not None:
        _add_activity(uow, created, plan)
    return created


def _write(
    uow: UnitOfWork, plan: Plan, batching: Batching, *, settle_later: bool
) -> list[IntakeResult]:
    created = _write_new(uow, plan, batching, settle_later=settle_later)
    quiet = batching.taken or set()
    merged = [_write_merge(uow, plan.now, *item, quiet=quiet) for item in plan.merged]
    if batching.taken is not None:
        batching.taken.update(stored.id for stored in [*created, *merged])
    return _results(plan, created, merged)


def _results(
    plan: Plan, created: Sequence[StoredLead], merged: Sequence[StoredLead]
) -> list[IntakeResult]:
    """Each planned lead's result, in the request's order."""
    results = []
    for which, index, outcome in plan.results:
        stored = created[index] if which == "new" else merged[index]
        lead = stored.lead
        results.append(
            IntakeResult(lead.short_id, lead.status.value, outcome, lead.region, lead.source)
        )
    return results


def _write_new(
    uow: UnitOfWork, plan: Plan, batching: Batching, *, settle_later: bool
) -> list[StoredLead]:
    if not plan.new:
        return []
    leads = [item.change.lead for item in plan.new]
    pending = Counter(lead.region for lead in leads if lead.status is LeadStatus.PENDING)
    batch_of = _batches_for(uow, pending, plan.now, batching)
    batch_ids = [
        batch_of.get(lead.region) if lead.status is LeadStatus.PENDING else None for lead in leads
    ]
    settled_now = not settle_later or len(leads) <= SETTLED_IN_THE_REQUEST_AT_MOST
    if settled_now and len(leads) <= uow.leads.whole_at_most:
        # Their events, summaries, rounds and handoffs with them, in one go where the store can.
        whole = _add_whole(uow, plan, batch_ids=batch_ids)
        if whole is None:  # only a write `unless_stored` is refused
            raise AssertionError("new leads written whole were refused")
        return whole
    stored = uow.leads.add_all(_new_rows(plan), now=plan.now, batch_ids=batch_ids)
    events = [
        (s.id, e) for s, item in zip(stored, plan.new, strict=True) for e in item.change.events
    ]
    _add_activity(uow, stored, plan)
    handoffs = [s for s in stored if s.lead.status is LeadStatus.PENDING]
    if settled_now:
        uow.events.append_first(events)
        _queue_handoffs(uow, handoffs, plan.now, batch_of)
    else:  # only what makes them safe; the delivery worker settles the rest right after
        uow.events.append_first_unsummarised(events)
        uow.settling.later([s.id for s in stored], [s.id for s in handoffs], now=plan.now)
    return stored


def _new_rows(plan: Plan) -> list[NewLead]:
    """The plan's new leads as the store adds them: each one's lead, facts and reasons."""
    return [(item.change.lead, item.facts, item.reasons) for item in plan.new]


def _add_activity(uow: UnitOfWork, stored: Sequence[StoredLead], plan: Plan) -> None:
    activity = [(s.id, a) for s, item in zip(stored, plan.new, strict=True) for a in item.activity]
    uow.activity.add(activity, now=plan.now)


def queue_stored_handoffs(uow: UnitOfWork, lead_ids: Sequence[int], *, now: datetime) -> None:
    """Start each new pending lead's handoff round and queue its handoff, made by the store
    from the rows just written (their round, region and batch), one statement each however
    many leads, in their order."""
    uow.rounds.start_of_leads(lead_ids, now=now)
    uow.outbox.queue_handoffs(lead_ids, now=now)


def _batches_for(
    uow: UnitOfWork, pending: Counter[str | None], now: datetime, batching: Batching
) -> dict[str | None, int]:
    """Open or grow a batch for each region with enough handoffs; queue its summary work."""
    chosen: dict[str | None, int] = {}
    for region, count in pending.items():
        batch_id = batching.batch_ids.get(region)
        if batch_id is not None:
            size = uow.batches.grow(batch_id, count)
            uow.outbox.queue(
                [Work(WorkKind.BATCH_UPDATE, f"batch:{batch_id}:{size}", batch_id=batch_id)],
                now=now,
            )
        elif batching.opens_batches and (batching.always or count > BATCH_THRESHOLD):
            label = batching.label or "Leads from intake"
            batch_id = uow.batches.add(region, label, count, now=now)
            batching.batch_ids[region] = batch_id
            uow.outbox.queue(
                [Work(WorkKind.BATCH_SUMMARY, f"batch:{batch_id}", batch_id=batch_id)], now=now
            )
        if batch_id is not None:
            chosen[region] = batch_id
    return chosen


def _write_merge(
    uow: UnitOfWork,
    now: datetime,
    stored: StoredLead,
    change: Change,
    activity: list[dict[str, Any]],
    reasons: dict[str, str] | None,
    applied: dict[str, Any],
    *,
    quiet: set[int],
) -> StoredLead:
    if not change.events:
        return stored
    before = stored.lead
    stored.lead = change.lead
    uow.leads.update_facts(stored, applied)
    if reasons:
        uow.leads.set_reasons(stored, reasons)
    if (before.status in OPEN or before.status is LeadStatus.WON) and stored.id not in quiet:
        stored.priority += 1
    uow.leads.save(stored, now=now)
    event_ids = uow.events.append([(stored.id, e) for e in change.events])
    uow.activity.add([(stored.id, a) for a in activity], now=now)
    uow.leads.mark_activity(stored, now=now)
    if stored.lead.handoff_round != before.handoff_round:
        _queue_handoffs(uow, [stored], now, {})
        uow.outbox.queue(back_to_sales_work(uow, stored, event_ids[-1]), now=now)
    elif stored.id in quiet:
        pass  # a second row of one arrival: its first row already told whoever needs to know
    elif before.status in OPEN or before.status in CLOSED:
        uow.outbox.queue(_activity_work(stored, event_ids), now=now)
    return stored


def _queue_handoffs(
    uow: UnitOfWork, leads: list[StoredLead], now: datetime, batch_of: dict[str | None, int]
) -> None:
    rounds, work = [], []
    for stored in leads:
        lead = stored.lead
        batch_id = batch_of.get(lead.region)
        rounds.append(NewRound(stored.id, lead.handoff_round, lead.region, batch_id))
        work.append(Work.handoff(stored.id, lead.handoff_round, batch_id))
    uow.rounds.start(rounds, now=now)
    uow.outbox.queue(work, now=now)


def _activity_work(stored: StoredLead, event_ids: Sequence[int]) -> list[Work]:
    # A merge records its activity, touches and detail changes as events of their own; the
    # thread note tells all of them, keyed (and the owner told) by the last.
    lead = stored.lead
    event_id = event_ids[-1]
    note = Work.thread_note(stored.id, lead.handoff_round, event_id, event_ids=list(event_ids))
    dm = Work(
        WorkKind.OWNER_DM,
        f"owner:{event_id}",
        stored.id,
        lead.handoff_round,
        data={"event_id": event_id},
    )
    return [note, dm] if lead.handoff_round else [dm]
