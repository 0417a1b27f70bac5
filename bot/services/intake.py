"""Take leads in: store, qualify, route and queue each handoff, in one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.domain.lead import (
    CLOSED,
    INTAKE,
    OPEN,
    REQUALIFIABLE,
    Authority,
    Change,
    Lead,
    LeadStatus,
    Qualify,
    RecordActivity,
    apply,
)
from bot.domain.qualification import LeadDefinition, RoutableRegion, qualify, route
from bot.domain.shortid import new_short_id
from bot.services.leadin import LeadIn
from bot.services.ports import StoredLead, UnitOfWork, Work, WorkKind

BATCH_THRESHOLD = 10
RETRIES_ON_TWIN = 3


@dataclass(frozen=True)
class IntakeResult:
    id: str
    status: str
    result: str  # "created" or "merged"

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "status": self.status, "result": self.result}


@dataclass
class Routing:
    definition: LeadDefinition
    regions: Sequence[RoutableRegion]


@dataclass
class _Plan:
    """What one intake request does, built up before anything is written."""

    now: datetime
    new: list[tuple[Lead, dict[str, Any], dict[str, str], Change, list[dict[str, Any]]]] = field(
        default_factory=list
    )
    merged: list[tuple[StoredLead, Change, list[dict[str, Any]], dict[str, str] | None]] = field(
        default_factory=list
    )
    results: list[tuple[str, int]] = field(default_factory=list)  # ("new"|"merged", index)


def take_leads(
    leads: Sequence[LeadIn],
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    routing: Routing,
    batch_label: str | None = None,
    always_batch: bool = False,
) -> list[IntakeResult]:
    """Store the leads all or nothing and return, in order, each one's id, status and result."""
    for attempt in range(RETRIES_ON_TWIN):
        try:
            return _take(leads, uow_factory, clock, routing, batch_label, always_batch)
        except IntegrityError:
            # A simultaneous request stored the same email or external_id first; on the
            # next try that lead is found and merged into instead of twinned.
            if attempt == RETRIES_ON_TWIN - 1:
                raise
    raise AssertionError("unreachable")


def _take(
    leads: Sequence[LeadIn],
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    routing: Routing,
    batch_label: str | None,
    always_batch: bool,
) -> list[IntakeResult]:
    now = clock.now()
    with uow_factory() as uow:
        known = _Known(
            uow.leads.matching(
                external_ids={lead.external_id for lead in leads if lead.external_id},
                emails={lead.email for lead in leads},
            ),
            uow.known_activity,
        )
        plan = _Plan(now=now)
        for lead_in in leads:
            _plan_one(lead_in, plan, known, routing)
        results = _write(uow, plan, batch_label, always_batch)
        uow.commit()
    return results


class _Known:
    """Leads already stored or already planned in this request, by external id and email."""

    def __init__(self, stored: list[StoredLead], activity_of: Callable[[list[int]], set]) -> None:
        self.by_external_id: dict[str, Any] = {}
        self.by_email: dict[str, Any] = {}
        for item in stored:
            self.remember(item, item.email, item.external_id)
        self.activity = activity_of([item.id for item in stored]) if stored else set()

    def find(self, lead_in: LeadIn) -> Any:
        if lead_in.external_id and lead_in.external_id in self.by_external_id:
            return self.by_external_id[lead_in.external_id]
        return self.by_email.get(lead_in.email)

    def remember(self, item: Any, email: str, external_id: str | None) -> None:
        self.by_email.setdefault(email, item)
        if external_id:
            self.by_external_id.setdefault(external_id, item)


def _plan_one(lead_in: LeadIn, plan: _Plan, known: _Known, routing: Routing) -> None:
    match = known.find(lead_in)
    if match is None:
        index = len(plan.new)
        plan.new.append(_plan_new(lead_in, plan.now, routing))
        plan.results.append(("new", index))
        known.remember(("new", index), lead_in.email, lead_in.external_id)
    elif isinstance(match, tuple):
        # The same lead twice in one request: the second brings only its activity.
        _, index = match
        activity = plan.new[index][4]
        activity.extend(a for a in _activity_of(lead_in) if a not in activity)
        plan.results.append(("new", index))
    else:
        plan.merged.append(_plan_merge(match, lead_in, plan.now, routing, known))
        plan.results.append(("merged", len(plan.merged) - 1))


def _plan_new(lead_in: LeadIn, now: datetime, routing: Routing):  # type: ignore[no-untyped-def]
    facts = lead_in.facts()
    verdict = qualify(facts, routing.definition)
    where = route(facts, routing.regions)
    lead = Lead(
        short_id="", status=LeadStatus.RECEIVED, campaign=lead_in.campaign, source=lead_in.source
    )
    command = Qualify(sales_ready=verdict.sales_ready, reason=verdict.reason, region=where.region)
    change = apply(lead, command, actor=INTAKE, authority=Authority(), at=now)
    reasons = {"qualification": verdict.reason, "route": where.reason}
    return lead, facts, reasons, change, _activity_of(lead_in)


def _plan_merge(
    stored: StoredLead, lead_in: LeadIn, now: datetime, routing: Routing, known: _Known
):  # type: ignore[no-untyped-def]
    new_activity = [
        a
        for a in _activity_of(lead_in)
        if (stored.id, a["type"], a["at"], a["detail"]) not in known.activity
    ]
    for a in new_activity:
        known.activity.add((stored.id, a["type"], a["at"], a["detail"]))
    facts = {k: v for k, v in lead_in.facts().items() if v is not None}
    changed = {k: v for k, v in facts.items() if k in stored.facts and stored.facts[k] != v}
    if stored.lead.status in REQUALIFIABLE:
        merged = {**stored.facts, **facts}
        verdict = qualify(merged, routing.definition)
        where = route(merged, routing.regions)
        command = Qualify(
            sales_ready=verdict.sales_ready, reason=verdict.reason, region=where.region
        )
        change = apply(stored.lead, command, actor=INTAKE, authority=Authority(), at=now)
        if not verdict.sales_ready and not new_activity and not changed:
            change = Change(stored.lead, ())
        stored.facts.update(facts)
        return (
            stored,
            change,
            new_activity,
            {"qualification": verdict.reason, "route": where.reason},
        )
    if not new_activity and not changed:
        return stored, Change(stored.lead, ()), [], None
    shown = new_activity or [{"type": "resubmitted", "at": None, "detail": _changes_note(changed)}]
    command = RecordActivity(activity=tuple(_jsonable(a) for a in shown))
    change = apply(stored.lead, command, actor=INTAKE, authority=Authority(), at=now)
    stored.facts.update(facts)
    return stored, change, new_activity, None


def _write(
    uow: UnitOfWork, plan: _Plan, batch_label: str | None, always_batch: bool
) -> list[IntakeResult]:
    created = _write_new(uow, plan, batch_label, always_batch)
    merged = [_write_merge(uow, plan.now, *item) for item in plan.merged]
    results = []
    for which, index in plan.results:
        stored = created[index] if which == "new" else merged[index]
        outcome = "created" if which == "new" else "merged"
        results.append(IntakeResult(stored.lead.short_id, stored.lead.status.value, outcome))
    return results


def _write_new(
    uow: UnitOfWork, plan: _Plan, batch_label: str | None, always_batch: bool
) -> list[StoredLead]:
    if not plan.new:
        return []
    short_ids = _fresh_short_ids(uow, len(plan.new))
    rows = [
        (replace(change.lead, short_id=short_id), facts, reasons)
        for short_id, (_, facts, reasons, change, _) in zip(short_ids, plan.new, strict=True)
    ]
    stored = uow.leads.add_all(rows, now=plan.now)
    events = [(s.id, e) for s, item in zip(stored, plan.new, strict=True) for e in item[3].events]
    uow.append_events(events)
    for s, item in zip(stored, plan.new, strict=True):
        uow.add_activity(s.id, item[4], now=plan.now)
    handoffs = [s for s in stored if s.lead.status is LeadStatus.PENDING]
    _queue_handoffs(uow, handoffs, plan.now, batch_label, always_batch)
    return stored


def _write_merge(
    uow: UnitOfWork,
    now: datetime,
    stored: StoredLead,
    change: Change,
    activity: list[dict[str, Any]],
    reasons: dict[str, str] | None,
) -> StoredLead:
    if not change.events:
        return stored
    before = stored.lead
    stored.lead = change.lead
    uow.leads.update_facts(stored, stored.facts)
    if reasons:
        uow.leads.set_reasons(stored, reasons)
    if before.status in OPEN or before.status is LeadStatus.WON:
        stored.priority += 1
    uow.leads.save(stored, now=now)
    event_ids = uow.append_events([(stored.id, e) for e in change.events])
    uow.add_activity(stored.id, activity, now=now)
    uow.leads.mark_activity(stored, now=now)
    if stored.lead.handoff_round != before.handoff_round:
        _queue_handoffs(uow, [stored], now, None, False)
    elif before.status in OPEN or before.status in CLOSED:
        uow.queue(_activity_work(stored, event_ids[-1]), now=now)
    return stored


def _queue_handoffs(
    uow: UnitOfWork,
    leads: list[StoredLead],
    now: datetime,
    batch_label: str | None,
    always_batch: bool,
) -> None:
    by_region: dict[str | None, list[StoredLead]] = defaultdict(list)
    for stored in leads:
        by_region[stored.lead.region].append(stored)
    for region, group in by_region.items():
        batch_id = None
        work: list[Work] = []
        if always_batch or len(group) > BATCH_THRESHOLD:
            label = batch_label or f"{len(group)} leads from intake"
            batch_id = uow.add_batch(region, label, len(group), now=now)
            work.append(Work(WorkKind.BATCH_SUMMARY, f"batch:{batch_id}", batch_id=batch_id))
        for stored in group:
            round_no = stored.lead.handoff_round
            uow.start_round(stored.id, round_no, region, now=now, batch_id=batch_id)
            key = f"handoff:{stored.id}:{round_no}"
            work.append(Work(WorkKind.HANDOFF, key, stored.id, round_no, batch_id))
        uow.queue(work, now=now)


def _activity_work(stored: StoredLead, event_id: int) -> list[Work]:
    lead = stored.lead
    note = Work(
        WorkKind.THREAD_NOTE,
        f"note:{event_id}",
        stored.id,
        lead.handoff_round,
        data={"event_id": event_id},
    )
    dm = Work(
        WorkKind.OWNER_DM,
        f"owner:{event_id}",
        stored.id,
        lead.handoff_round,
        data={"event_id": event_id},
    )
    return [note, dm] if lead.handoff_round else [dm]


def _fresh_short_ids(uow: UnitOfWork, count: int) -> list[str]:
    chosen: list[str] = []
    while len(chosen) < count:
        candidates = list({new_short_id() for _ in range(count - len(chosen))} - set(chosen))
        chosen.extend(sorted(uow.leads.free_short_ids(candidates)))
    return chosen


def _activity_of(lead_in: LeadIn) -> list[dict[str, Any]]:
    return [{"type": a.type, "at": a.at, "detail": a.detail} for a in lead_in.activity]


def _jsonable(activity: dict[str, Any]) -> dict[str, Any]:
    at = activity.get("at")
    return {**activity, "at": at.isoformat() if at else None}


def _changes_note(changed: dict[str, Any]) -> str:
    if not changed:
        return "submitted again"
    return "submitted again with new " + ", ".join(sorted(changed))
