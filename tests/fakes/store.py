"""An in-memory store behind the services' ports: a unit of work whose repositories keep
their rows in plain Python, committed all together or not at all.

The service-rule tests run on it in milliseconds; what only a database can show (SQL,
locking, concurrency, migrations) is tested against the real ones.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

from bot.domain.facts import FACT_FIELDS
from bot.domain.lead import CONTACTED, WORKING, LeadEvent, LeadStatus
from bot.domain.shortid import new_short_id
from bot.domain.timers import TimerKind
from bot.services.crm_ports import SeenDeal, WaitingDeal
from bot.services.ports import DuplicateLead
from bot.services.records import (
    EventLine,
    Fire,
    NewFire,
    NewLead,
    NewRound,
    Page,
    StoredLead,
    TimerLead,
    ToSettle,
    Work,
    WorkKind,
)

OUTCOME_KINDS = ("outcome", "returned", "correction")


@dataclass
class Row:
    """A stored lead and what the store keeps beside it."""

    stored: StoredLead
    round_started_at: datetime | None = None
    last_activity_at: datetime | None = None
    reasons: dict[str, str] = field(default_factory=dict)
    batch_id: int | None = None


@dataclass
class State:
    """Everything the store holds: copied for each transaction, put back on commit."""

    leads: dict[int, Row] = field(default_factory=dict)
    events: list[tuple[int, int, LeadEvent]] = field(default_factory=list)  # id, lead, event
    activity: list[tuple[int, str, datetime | None, str | None]] = field(default_factory=list)
    rounds: list[tuple[NewRound, datetime]] = field(default_factory=list)
    batches: dict[int, list[Any]] = field(default_factory=dict)  # id: [region, label, count]
    outbox: dict[str, tuple[Work, datetime]] = field(default_factory=dict)
    requests: set[str] = field(default_factory=set)
    fires: dict[int, Fire] = field(default_factory=dict)
    caught_up: dict[str, datetime] = field(default_factory=dict)
    fires_from: dict[str, datetime] = field(default_factory=dict)
    digests: set[tuple[str, date]] = field(default_factory=set)
    crm_links: dict[tuple[str, str], str] = field(default_factory=dict)  # record: short id
    crm_deals: dict[tuple[str, str], SeenDeal] = field(default_factory=dict)
    # A deal waiting for a rep: the lead's id and the deal's outcome.
    crm_waiting: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    crm_cursors: dict[str, str] = field(default_factory=dict)
    to_settle: list[ToSettle] = field(default_factory=list)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class FakeStore:
    """The committed state, and a unit of work factory over it."""

    def __init__(self) -> None:
        self.state = State()
        self.held_passes: set[str] = set()  # passes another process is running now
        self.commits = 0

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    # What a test reads back -------------------------------------------------------------

    def lead(self, short_id: str) -> StoredLead:
        [row] = [row for row in self.state.leads.values() if row.stored.lead.short_id == short_id]
        return row.stored

    def work(self, kind: str | None = None) -> list[Work]:
        return [w for w, _ in self.state.outbox.values() if kind is None or w.kind == kind]

    def event_kinds(self, short_id: str | None = None) -> list[str]:
        wanted = None if short_id is None else self.lead(short_id).id
        return [e.kind.value for _, lead, e in self.state.events if wanted in (None, lead)]


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.state = State()
        self.leads = FakeLeads(self)
        self.events = FakeEvents(self)
        self.activity = FakeActivity(self)
        self.rounds = FakeRounds(self)
        self.batches = FakeBatches(self)
        self.outbox = FakeOutbox(self)
        self.settling = FakeSettling(self)
        self.requests = FakeRequests(self)
        self.timers = FakeTimers(self)
        self.passes = FakePasses(self)
        self.digests = FakeDigests(self)
        self.crm = FakeCrm(self)

    def __enter__(self) -> Self:
        self.state = copy.deepcopy(self.store.state)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.state = State()

    def commit(self) -> None:
        self.store.state = copy.deepcopy(self.state)
        self.store.commits += 1


class _Part:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    @property
    def state(self) -> State:
        return self.uow.state


class FakeLeads(_Part):
    def matching(self, *, external_ids: Iterable[str], emails: Iterable[str]) -> list[StoredLead]:
        ids, mails = set(external_ids), set(emails)
        return [
            copy.deepcopy(row.stored)
            for row in self.state.leads.values()
            if row.stored.email in mails or (row.stored.external_id or "") in ids
        ]

    def add_all(
        self,
        new: Sequence[NewLead],
        *,
        now: datetime,
        batch_ids: Sequence[int | None] | None = None,
        draw: Callable[[], str] = new_short_id,
    ) -> list[StoredLead]:
        added = []
        for (lead, facts, reasons), batch_id in zip(
            new, batch_ids or [None] * len(new), strict=True
        ):
            self._refuse_twin(facts["email"], facts.get("external_id"))
            short_id = lead.short_id
            while not short_id or self._short_id_taken(short_id):
                short_id = draw()
            kept = {name: facts.get(name) for name in FACT_FIELDS}
            kept |= {"email": facts["email"], "external_id": facts.get("external_id")}
            stored = StoredLead(
                id=self.state.new_id(),
                lead=replace(lead, short_id=short_id),
                email=facts["email"],
                external_id=facts.get("external_id"),
                facts=kept,
            )
            pending = lead.status is LeadStatus.PENDING
            self.state.leads[stored.id] = Row(
                copy.deepcopy(stored), now if pending else None, None, dict(reasons), batch_id
            )
            added.append(stored)
        return added

    # As PostgreSQL's store: a small request's new leads are written whole.
    whole_at_most = 10

    def add_whole(
        self,
        new: Sequence[NewLead],
        first_events: Sequence[Sequence[LeadEvent]],
        *,
        now: datetime,
        batch_ids: Sequence[int | None] | None = None,
        unless_stored: bool = False,
    ) -> list[StoredLead] | None:
        if len(new) > self.whole_at_most:
            raise ValueError(f"{self.whole_at_most} new leads at most are written whole")
        emails = {facts["email"] for _, facts, _ in new}
        external_ids = {key for _, facts, _ in new if (key := facts.get("external_id"))}
        if unless_stored and self.matching(external_ids=external_ids, emails=emails):
            return None
        stored = self.add_all(new, now=now, batch_ids=batch_ids)
        events = zip(stored, first_events, strict=True)
        self.uow.events.append_first([(s.id, e) for s, each in events for e in each])
        pending = [s.id for s in stored if s.lead.status is LeadStatus.PENDING]
        self.uow.rounds.start_of_leads(pending, now=now)
        self.uow.outbox.queue_handoffs(pending, now=now)
        return stored

    def save(self, stored: StoredLead, *, now: datetime) -> None:
        row = self.state.leads[stored.id]
        if stored.lead.handoff_round != row.stored.lead.handoff_round:
            row.round_started_at = now
        row.stored.lead = stored.lead
        row.stored.priority = stored.priority

    def update_facts(self, stored: StoredLead, facts: dict[str, Any]) -> None:
        row = self.state.leads[stored.id]
        for name in FACT_FIELDS:
            if facts.get(name) is not None:
                row.stored.facts[name] = stored.facts[name] = facts[name]
        if facts.get("external_id") and not row.stored.external_id:
            self._refuse_twin("", facts["external_id"])
            row.stored.external_id = facts["external_id"]

    def by_short_id(self, short_id: str, *, for_update: bool = False) -> StoredLead | None:
        for row in self.state.leads.values():
            if row.stored.lead.short_id == short_id:
                return copy.deepcopy(row.stored)
        return None

    def open_rep_at_company(self, company: str | None, *, exclude: int) -> str | None:
        rows = [
            row.stored
            for row in self.state.leads.values()
            if company
            and row.stored.facts.get("company") == company
            and row.stored.id != exclude
            and row.stored.lead.rep_id
            and row.stored.lead.status in WORKING
        ]
        rows.sort(key=lambda s: s.lead.decided_at or datetime.min, reverse=True)
        return rows[0].lead.rep_id if rows else None

    def open_lead_counts(self, reps: Sequence[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.state.leads.values():
            rep, status = row.stored.lead.rep_id, row.stored.lead.status
            if rep is not None and rep in reps and status in WORKING:
                counts[rep] = counts.get(rep, 0) + 1
        return counts

    def mark_activity(self, stored: StoredLead, *, now: datetime) -> None:
        self.state.leads[stored.id].last_activity_at = now

    def set_reasons(self, stored: StoredLead, reasons: dict[str, str]) -> None:
        self.state.leads[stored.id].reasons |= reasons

    def mark_leaked(self, lead_ids: Sequence[int], *, at: datetime) -> None:
        for lead_id in lead_ids:
            row = self.state.leads[lead_id]
            row.stored.lead = replace(row.stored.lead, leaked_at=at)

    def _short_id_taken(self, short_id: str) -> bool:
        return any(row.stored.lead.short_id == short_id for row in self.state.leads.values())

    def _refuse_twin(self, email: str, external_id: str | None) -> None:
        for row in self.state.leads.values():
            if row.stored.email == email or (external_id and row.stored.external_id == external_id):
                raise DuplicateLead("a lead with the same email or external id is stored")


class FakeEvents(_Part):
    def append(self, events: Sequence[tuple[int, LeadEvent]], *, ids: bool = True) -> list[int]:
        added = [self.state.new_id() for _ in events]
        self.state.events += [(i, lead, e) for i, (lead, e) in zip(added, events, strict=True)]
        return added if ids else []

    def append_first(self, events: Sequence[tuple[int, LeadEvent]]) -> None:
        self.append(events, ids=False)

    def append_first_unsummarised(self, events: Sequence[tuple[int, LeadEvent]]) -> None:
        self.append(events, ids=False)

    def summarise_new(self, lead_ids: Sequence[int]) -> None:
        pass  # this store keeps no summaries: the report's tests run on the databases

    def latest_touches(self, lead_ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
        return {
            lead: (event.data.get("campaign"), event.data.get("source"))
            for _, lead, event in self.state.events
            if lead in lead_ids and event.kind.value == "campaign_touch"
        }

    def round_events(self, lead_id: int, round_no: int) -> list[EventLine]:
        return [
            event_line(event_id, event)
            for event_id, lead, event in self.state.events
            if lead == lead_id
            and event.handoff_round == round_no
            and event.kind.value in OUTCOME_KINDS
        ]


def event_line(event_id: int, event: LeadEvent) -> EventLine:
    return EventLine(
        id=event_id,
        at=event.at,
        kind=event.kind.value,
        actor=event.actor,
        handoff_round=event.handoff_round,
        status_before=event.status_before.value if event.status_before else None,
        status_after=event.status_after.value,
        reason_code=event.reason_code,
        amount=event.amount,
        notes=event.notes,
        data=dict(event.data),
    )


class FakeActivity(_Part):
    def known(self, lead_ids: list[int]) -> set[tuple[Any, ...]]:
        return {item for item in self.state.activity if item[0] in lead_ids}

    def add(self, activity: Sequence[tuple[int, dict[str, Any]]], *, now: datetime) -> None:
        self.state.activity += [(i, a["type"], a.get("at"), a.get("detail")) for i, a in activity]


class FakeRounds(_Part):
    def start(self, rounds: Sequence[NewRound], *, now: datetime) -> None:
        self.state.rounds += [(round_, now) for round_ in rounds]

    def start_of_leads(self, lead_ids: Sequence[int], *, now: datetime) -> None:
        rows = [self.state.leads[id] for id in lead_ids]
        rounds = [
            NewRound(r.stored.id, r.stored.lead.handoff_round, r.stored.lead.region, r.batch_id)
            for r in rows
        ]
        self.start(rounds, now=now)

    def without_round(self, lead_ids: Sequence[int]) -> list[int]:
        started = {(r.lead_id, r.round_no) for r, _ in self.state.rounds}
        leads = self.state.leads
        return [i for i in lead_ids if (i, leads[i].stored.lead.handoff_round) not in started]


class FakeBatches(_Part):
    def add(self, region: str | None, label: str, lead_count: int, *, now: datetime) -> int:
        batch_id = self.state.new_id()
        self.state.batches[batch_id] = [region, label, lead_count]
        return batch_id

    def grow(self, batch_id: int, more: int) -> int:
        batch = self.state.batches[batch_id]
        batch[2] += more
        return int(batch[2])


class FakeOutbox(_Part):
    def queue(self, work: Sequence[Work], *, now: datetime) -> None:
        for item in work:
            self.state.outbox.setdefault(item.key, (item, now))

    def hold(self, work: Sequence[Work], *, now: datetime, until: datetime) -> None:
        for item in work:
            self.state.outbox[item.key] = (item, self.state.outbox.get(item.key, (item, until))[1])

    def release(self, keys: Sequence[str], *, now: datetime) -> None:
        for key in keys:
            if key in self.state.outbox:
                self.state.outbox[key] = (self.state.outbox[key][0], now)

    def queue_handoffs(self, lead_ids: Sequence[int], *, now: datetime) -> None:
        rows = [self.state.leads[id] for id in lead_ids]
        self.queue(
            [
                Work(
                    WorkKind.HANDOFF,
                    f"handoff:{row.stored.id}:{row.stored.lead.handoff_round}",
                    row.stored.id,
                    row.stored.lead.handoff_round,
                    row.batch_id,
                )
                for row in rows
            ],
            now=now,
        )


class FakeSettling(_Part):
    def later(self, lead_ids: Sequence[int], handoff_ids: Sequence[int], *, now: datetime) -> None:
        waiting = ToSettle(self.state.new_id(), list(lead_ids), list(handoff_ids), now)
        self.state.to_settle.append(waiting)

    def take(self, *, leads_at_most: int) -> list[ToSettle]:
        taken: list[ToSettle] = []
        for waiting in self.state.to_settle:
            if taken and sum(len(t.lead_ids) for t in [*taken, waiting]) > leads_at_most:
                break
            taken.append(waiting)
        return taken

    def settled(self, ids: Sequence[int]) -> None:
        self.state.to_settle = [t for t in self.state.to_settle if t.id not in ids]


class FakeRequests(_Part):
    def first_handling(self, key: str, *, now: datetime) -> bool:
        if key in self.state.requests:
            return False
        self.state.requests.add(key)
        return True


class FakePasses(_Part):
    def lock(self, job: str) -> bool:
        return job not in self.uow.store.held_passes

    def caught_up_to(self, job: str) -> datetime | None:
        return self.state.caught_up.get(job)

    def catch_up(self, job: str, *, as_of: datetime) -> None:
        self.state.caught_up[job] = as_of

    def fires_from(self, job: str) -> datetime | None:
        return self.state.fires_from.get(job)

    def start_from(self, job: str, *, at: datetime, now: datetime) -> None:
        self.state.fires_from[job] = at


class FakeDigests(_Part):
    def sent(self, audience: str, week_start: date) -> bool:
        return (audience, week_start) in self.state.digests

    def claim(self, audience: str, week_start: date, *, now: datetime) -> bool:
        if self.sent(audience, week_start):
            return False
        self.state.digests.add((audience, week_start))
        return True


class FakeCrm(_Part):
    def link(self, provider: str, record_id: str, short_id: str, *, now: datetime) -> None:
        self.state.crm_links.setdefault((provider, record_id), short_id)

    def lead_of(self, provider: str, record_id: str) -> str | None:
        return self.state.crm_links.get((provider, record_id))

    def record_of(self, provider: str, short_id: str) -> str | None:
        links = self.state.crm_links.items()
        return next((r for (p, r), s in links if p == provider and s == short_id), None)

    def deal_seen(self, provider: str, deal_id: str) -> SeenDeal | None:
        return self.state.crm_deals.get((provider, deal_id))

    def see_deal(
        self,
        provider: str,
        deal_id: str,
        short_id: str,
        *,
        outcome: str | None,
        seen: SeenDeal,
        now: datetime,
        waiting: bool = False,
    ) -> None:
        self.state.crm_deals[(provider, deal_id)] = seen
        self.state.crm_waiting.pop((provider, deal_id), None)
        if waiting:
            stored = self.uow.leads.by_short_id(short_id)
            lead_id = stored.id if stored else 0
            self.state.crm_waiting[(provider, deal_id)] = (lead_id, outcome or "")

    def waiting_deals(self, lead_id: int) -> list[WaitingDeal]:
        found = []
        for (provider, deal_id), (waiting_on, outcome) in self.state.crm_waiting.items():
            if waiting_on == lead_id:
                seen = self.state.crm_deals[(provider, deal_id)]
                found.append(
                    WaitingDeal(provider, deal_id, outcome, seen.stage, seen.amount, seen.currency)
                )
        return found

    def deal_recorded(self, provider: str, deal_id: str) -> None:
        self.state.crm_waiting.pop((provider, deal_id), None)

    def cursor(self, name: str) -> str | None:
        return self.state.crm_cursors.get(name)

    def move_cursor(self, name: str, cursor: str, *, now: datetime) -> None:
        self.state.crm_cursors[name] = cursor


class FakeTimers(_Part):
    """The timers' questions answered by scanning every lead: the same answers as the SQL."""

    def pending_leads(
        self,
        *,
        started_after: datetime | None,
        started_by: datetime,
        escalate_started_by: datetime,
        page: Page,
    ) -> list[TimerLead]:
        kinds = (TimerKind.HANDOFF_SLA, TimerKind.ESCALATION)
        found = []
        for row, target in self._leads(kinds):
            started = row.round_started_at
            if target.lead.status is not LeadStatus.PENDING or started is None:
                continue
            if started > started_by or (started_after and started <= started_after):
                continue
            escalate = TimerKind.ESCALATION not in target.fired and started <= escalate_started_by
            if TimerKind.HANDOFF_SLA not in target.fired or escalate:
                found.append(target)
        return _paged(found, lambda target: target.round_started_at, page)

    def awaiting_feedback(
        self, *, due_after: datetime | None, due_by: datetime, overdue_by: datetime, page: Page
    ) -> list[TimerLead]:
        kinds = (TimerKind.FEEDBACK_DUE, TimerKind.FEEDBACK_OVERDUE)
        found = []
        for _, target in self._leads(kinds):
            due = target.lead.feedback_due_at
            if target.lead.status is not LeadStatus.ACCEPTED or due is None or due > due_by:
                continue
            if due_after and due <= due_after:
                continue
            told = TimerKind.FEEDBACK_OVERDUE in target.fired
            if TimerKind.FEEDBACK_DUE not in target.fired or (not told and due <= overdue_by):
                found.append(target)
        return _paged(found, lambda target: target.lead.feedback_due_at, page)

    def next_steps(
        self, *, due_after: datetime | None, due_by: datetime, page: Page
    ) -> list[TimerLead]:
        found = []
        for _, target in self._leads(()):
            step = target.lead.next_step_at
            if target.lead.status not in WORKING or step is None or step > due_by:
                continue
            if due_after and step <= due_after:
                continue
            reminded = any(
                fire.lead_id == target.id
                and fire.kind is TimerKind.NEXT_STEP
                and fire.handoff_round == target.lead.handoff_round
                and fire.due_at >= step
                for fire in self.state.fires.values()
            )
            if not reminded:
                found.append(target)
        return _paged(found, lambda target: target.lead.next_step_at, page)

    def unworked(
        self, *, decided_after: datetime | None, decided_by: datetime, page: Page
    ) -> list[TimerLead]:
        found = []
        for _, target in self._leads(()):
            lead, decided = target.lead, target.lead.decided_at
            if lead.status not in WORKING - CONTACTED or lead.leaked_at or decided is None:
                continue
            if decided <= decided_by and not (decided_after and decided <= decided_after):
                found.append(target)
        return _paged(found, lambda target: target.lead.decided_at, page)

    def snoozed_due(
        self, kinds: Sequence[TimerKind], *, after: datetime | None, by: datetime
    ) -> list[tuple[Fire, TimerLead]]:
        found = []
        for fire in self.state.fires.values():
            until = fire.snoozed_until
            if fire.kind not in kinds or until is None or until > by or fire.refired_at:
                continue
            if after is None or until > after:
                found.append((fire, self._target(fire.lead_id, ())))
        return found

    def record_fires(self, fires: Sequence[NewFire], *, now: datetime) -> dict[NewFire, int]:
        recorded = {}
        for new in fires:
            key = (new.lead_id, new.kind, new.handoff_round, new.due_at)
            if any(
                (f.lead_id, f.kind, f.handoff_round, f.due_at) == key
                for f in self.state.fires.values()
            ):
                continue
            fire_id = self.state.new_id()
            self.state.fires[fire_id] = Fire(fire_id, *key, fired_at=now)
            recorded[new] = fire_id
        return recorded

    def refire(self, fire_id: int, *, now: datetime) -> bool:
        fire = self.state.fires[fire_id]
        if fire.refired_at is not None:
            return False
        self.state.fires[fire_id] = replace(fire, refired_at=now)
        return True

    def fire(self, fire_id: int) -> tuple[Fire, TimerLead] | None:
        fire = self.state.fires.get(fire_id)
        return None if fire is None else (fire, self._target(fire.lead_id, ()))

    def snooze(self, fire_id: int, *, until: datetime, by: str, reason: str) -> bool:
        fire = self.state.fires[fire_id]
        if fire.snoozed_until is not None or fire.refired_at is not None:
            return False
        snoozed = replace(fire, snoozed_until=until, snoozed_by=by, snooze_reason=reason)
        self.state.fires[fire_id] = snoozed
        return True

    def _leads(self, kinds: Sequence[TimerKind]) -> list[tuple[Row, TimerLead]]:
        return [(row, self._target(lead_id, kinds)) for lead_id, row in self.state.leads.items()]

    def _target(self, lead_id: int, kinds: Sequence[TimerKind]) -> TimerLead:
        row = self.state.leads[lead_id]
        lead = row.stored.lead
        fired = frozenset(
            fire.kind
            for fire in self.state.fires.values()
            if fire.lead_id == lead_id
            and fire.kind in kinds
            and fire.handoff_round == lead.handoff_round
        )
        return TimerLead(lead_id, lead, row.round_started_at, fired)


def _paged(
    found: list[TimerLead], column: Callable[[TimerLead], datetime | None], page: Page
) -> list[TimerLead]:
    """The page's leads of `found`, by `column` then id, as the SQL reads them."""

    def key(target: TimerLead) -> tuple[datetime, int]:
        value = column(target)
        assert value is not None
        return value, target.id

    ordered = sorted(found, key=key)
    if page.after is not None:
        ordered = [target for target in ordered if key(target) > page.after]
    return ordered[: page.size]
