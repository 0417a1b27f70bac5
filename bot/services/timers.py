"""Scheduled accountability passes: SLA reminders and escalation, feedback chasing, next steps, leakage.

Each pass reads the clock once and finds what came due since its last pass (with a day's
grace), a page of leads at a time: each page's transaction records each fire under a unique
key and queues its Slack work, so a timer fires once however often, late or in how many
processes a pass runs, and a catch-up on days missed lets new leads in between its pages.
Each person gets one message per pass listing what is theirs (held while it grows page by
page); each lead's thread gets its own note. Only the last page moves the catch-up point.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.clock import Clock
from bot.domain.lead import SYSTEM, WORKING, Authority, FlagLeaked, LeadStatus, apply
from bot.domain.timers import (
    GRACE,
    TimerKind,
    feedback_due,
    feedback_overdue,
    handoff_due,
    leakage_due,
    next_step_due,
    working_day_hours,
)
from bot.services.crm_out import crm_work
from bot.services.ports import UnitOfWork
from bot.services.records import Fire, NewFire, Page, TimerLead, Work, WorkKind
from bot.services.timer_calendars import Calendars, earliest
from bot.services.timer_messages import GATHERED, Gathered, Sent, recipients, work_for
from config.model import BatonConfig

# What a pass's summary counts as messages: to people and channels, not notes in lead threads.
MESSAGES = frozenset({WorkKind.TIMER_DM, WorkKind.TIMER_POST, WorkKind.TIMER_LEAK_TASK})
# Leads a pass takes at a time, in one transaction: on SQLite a transaction holds the one write
# lock, so this bounds how long intake and delivery wait for it while a pass catches up.
PAGE_SIZE = 250
# Between pages a catch-up (a pass past its first ORDINARY_LEADS leads that has run this long)
# waits twice as long as the page took: while it writes, intake and delivery wait for the
# interpreter (and SQLite's lock). A day's ordinary pass never waits, however busy the machine.
GIVE_WAY_AFTER, GIVE_WAY = 0.5, 2.0
ORDINARY_LEADS = 1_000
# A pass's messages to people and channels wait until its last page has added to them (one
# message a person a pass), and no longer than this should the process stop before then.
HOLD = timedelta(minutes=5)


class Job(StrEnum):
    HANDOFF_SLA = "handoff-sla"
    FOLLOWUPS = "followups"
    NEXTSTEPS = "nextsteps"
    LEAKAGE = "leakage"


@dataclass(frozen=True)
class Planned:
    """One thing a pass fired (or, in a dry run, would fire): on what, and who hears of it."""

    subject: str  # a lead's short id, or a digest's audience
    what: str
    due_at: datetime | None
    to: tuple[str, ...]  # a channel and the people it mentions, or the people DMed


@dataclass(frozen=True)
class PassResult:
    job: str
    as_of: datetime
    fired: dict[str, int] = field(default_factory=dict)
    messages: int = 0
    skipped: bool = False
    plan: tuple[Planned, ...] = ()

    def summary(self) -> str:
        if self.skipped:
            return "skipped: another process was running this pass"
        if not self.fired:
            return "nothing due"
        fired = ", ".join(f"{count} {kind}" for kind, count in sorted(self.fired.items()))
        return f"{fired}; {self.messages} message{'' if self.messages == 1 else 's'}"


@dataclass(frozen=True)
class _Due:
    target: TimerLead
    kind: TimerKind
    due_at: datetime
    again: Fire | None = None  # a snoozed reminder coming back


# A page's due timers, and the page after it (None: it was the last).
PagePlan = tuple[list[_Due], Page | None]
Planner = Callable[[UnitOfWork, datetime | None, datetime, Page], PagePlan]


def run_handoff_sla_pass(
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
    as_of: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> PassResult:
    """Remind deciders of leads pending past the SLA; call in the backup past escalation."""
    hours = {
        TimerKind.HANDOFF_SLA: config.sla.handoff_hours,
        TimerKind.ESCALATION: config.sla.escalation_hours,
    }
    calendars = Calendars(config)

    def plan(uow: UnitOfWork, after: datetime | None, now: datetime, page: Page) -> PagePlan:
        # The longer timer reaches furthest back: its range covers the shorter one's.
        started_after = earliest(
            after, calendars, lambda cal: lambda s: handoff_due(cal, s, max(hours.values()))
        )
        # Working hours are at least as long as clock hours: nothing can be due sooner.
        leads = uow.timers.pending_leads(
            started_after=started_after,
            started_by=now - timedelta(hours=hours[TimerKind.HANDOFF_SLA]),
            escalate_started_by=now - timedelta(hours=hours[TimerKind.ESCALATION]),
            page=page,
        )
        due = []
        for target in leads:
            calendar = calendars.of(target.lead.region)
            for kind, limit in hours.items():
                if kind in target.fired or target.round_started_at is None:
                    continue
                at = handoff_due(calendar, target.round_started_at, limit)
                if at <= now:
                    due.append(_Due(target, kind, at))
        due += _back(uow, TimerKind.HANDOFF_SLA, after, now, _still_pending, page)
        return due, page.following(leads, lambda target: target.round_started_at)

    return _run(Job.HANDOFF_SLA, plan, uow_factory, config, clock.now(), as_of, page_size)


def run_followups_pass(
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
    as_of: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> PassResult:
    """Remind reps whose feedback is due with no outcome; a working day later, tell the manager."""
    calendars = Calendars(config)
    shortest_day = min(working_day_hours(cal) for cal in calendars.all())

    def plan(uow: UnitOfWork, after: datetime | None, now: datetime, page: Page) -> PagePlan:
        due_after = earliest(after, calendars, lambda cal: lambda d: feedback_overdue(cal, d))
        leads = uow.timers.awaiting_feedback(
            due_after=due_after,
            due_by=now,
            overdue_by=now - timedelta(hours=shortest_day),
            page=page,
        )
        due = []
        for target in leads:
            calendar, due_at = calendars.of(target.lead.region), target.lead.feedback_due_at
            assert due_at is not None
            for kind, when in (
                (TimerKind.FEEDBACK_DUE, feedback_due),
                (TimerKind.FEEDBACK_OVERDUE, feedback_overdue),
            ):
                if kind not in target.fired and (at := when(calendar, due_at)) <= now:
                    due.append(_Due(target, kind, at))
        due += _back(uow, TimerKind.FEEDBACK_DUE, after, now, _still_unreported, page)
        return due, page.following(leads, lambda target: target.lead.feedback_due_at)

    return _run(Job.FOLLOWUPS, plan, uow_factory, config, clock.now(), as_of, page_size)


def run_nextsteps_pass(
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
    as_of: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> PassResult:
    """Remind reps of the next steps they set, on the day (the next working morning)."""
    calendars = Calendars(config)

    def still_due(target: TimerLead, fire: Fire) -> bool:
        step = target.lead.next_step_at
        return (
            _still_worked(target, fire)
            and step is not None
            and next_step_due(calendars.of(target.lead.region), step) == fire.due_at
        )

    def plan(uow: UnitOfWork, after: datetime | None, now: datetime, page: Page) -> PagePlan:
        due_after = earliest(after, calendars, lambda cal: lambda d: next_step_due(cal, d))
        due = []
        leads = uow.timers.next_steps(due_after=due_after, due_by=now, page=page)
        for target in leads:
            assert target.lead.next_step_at is not None
            at = next_step_due(calendars.of(target.lead.region), target.lead.next_step_at)
            if at <= now:
                due.append(_Due(target, TimerKind.NEXT_STEP, at))
        due += _back(uow, TimerKind.NEXT_STEP, after, now, still_due, page)
        return due, page.following(leads, lambda target: target.lead.next_step_at)

    return _run(Job.NEXTSTEPS, plan, uow_factory, config, clock.now(), as_of, page_size)


def run_leakage_pass(
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
    as_of: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> PassResult:
    """Flag accepted leads nobody reached within the leakage period; marketing gets a touch task."""
    periods = [config.sla.leakage_days, *config.sla.leakage_days_by_source.values()]

    def plan(uow: UnitOfWork, after: datetime | None, now: datetime, page: Page) -> PagePlan:
        decided_after = None if after is None else after - timedelta(days=max(periods))
        leads = uow.timers.unworked(
            decided_after=decided_after,
            decided_by=now - timedelta(days=min(periods)),
            page=page,
        )
        due = []
        for target in leads:
            assert target.lead.decided_at is not None
            days = config.leakage_days_for(target.lead.source)
            at = leakage_due(target.lead.decided_at, days)
            if at <= now:
                due.append(_Due(target, TimerKind.LEAKAGE, at))
        return due, page.following(leads, lambda target: target.lead.decided_at)

    return _run(Job.LEAKAGE, plan, uow_factory, config, clock.now(), as_of, page_size)


PASSES = {
    Job.HANDOFF_SLA: run_handoff_sla_pass,
    Job.FOLLOWUPS: run_followups_pass,
    Job.NEXTSTEPS: run_nextsteps_pass,
    Job.LEAKAGE: run_leakage_pass,
}


def _give_way(*, began: float, page_began: float, leads_taken: int) -> None:
    """Between pages of a catch-up that has run a while, wait twice as long as the page took."""
    ended = time.perf_counter()
    if leads_taken > ORDINARY_LEADS and ended - began >= GIVE_WAY_AFTER:
        time.sleep((ended - page_began) * GIVE_WAY)


def _run(
    job: Job,
    plan: Planner,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock_now: datetime,
    as_of: datetime | None,
    page_size: int,
) -> PassResult:
    """Run a pass as of now, or as of a given time (which leaves the catch-up point alone),
    a page of leads at a time."""
    now, advance = (clock_now, True) if as_of is None else (as_of.astimezone(UTC), False)
    tally = _Tally(job, now, config)
    page: Page | None = Page(page_size)
    gathered = Gathered()
    window: tuple[datetime | None, datetime | None, datetime | None] | None = None
    began, leads_taken = time.perf_counter(), 0
    while page is not None:
        started = time.perf_counter()
        with uow_factory() as uow:
            if not uow.passes.lock(job.value):
                if window is None:
                    return PassResult(job.value, now, skipped=True)
                break  # another process runs the pass now, and goes on from the fires recorded
            if window is None:
                window = _window(uow, job)
            caught_up, after, floor = window
            due, following = plan(uow, after, now, page)
            due = [d for d in due if floor is None or d.due_at >= floor]
            sent = _record(uow, due, config, now, queue_at=min(now, clock_now))
            work = work_for(sent, config)
            # Slack may have it at once, even when the pass ran as of a later time.
            queue_at = min(now, clock_now)
            uow.outbox.queue([w for w in work if w.kind not in GATHERED], now=queue_at)
            grown = gathered.add([w for w in work if w.kind in GATHERED])
            uow.outbox.hold(grown, now=queue_at, until=queue_at + HOLD)
            if following is None:
                uow.outbox.release(gathered.keys, now=queue_at)
                if advance and (caught_up is None or now > caught_up):
                    uow.passes.catch_up(job.value, as_of=now)
            uow.commit()
        tally.add(sent, [w for w in work if w.kind not in GATHERED])
        page, leads_taken = following, leads_taken + page_size
        if page is not None:
            _give_way(began=began, page_began=started, leads_taken=leads_taken)
    if page is not None:  # cut short: what it gathered goes now rather than when held until
        with uow_factory() as uow:
            uow.outbox.release(gathered.keys, now=min(now, clock_now))
            uow.commit()
    return tally.result(gathered=len(gathered.keys))


class _Tally:
    """What a pass fired and sent, page by page."""

    def __init__(self, job: Job, now: datetime, config: BatonConfig) -> None:
        self.job, self.now, self.config = job, now, config
        self.fired: dict[str, int] = defaultdict(int)
        self.messages = 0
        self.planned: list[Planned] = []

    def add(self, sent: Sequence[Sent], work: Sequence[Work]) -> None:
        for item in sent:
            self.fired[item.kind.value + (" again" if item.again else "")] += 1
        self.messages += sum(1 for w in work if w.kind in MESSAGES)
        self.planned += [_planned(item, self.config) for item in sent]

    def result(self, *, gathered: int) -> PassResult:
        messages = self.messages + gathered
        return PassResult(
            self.job.value, self.now, dict(self.fired), messages, plan=tuple(self.planned)
        )


def _window(uow: UnitOfWork, job: Job) -> tuple[datetime | None, datetime | None, datetime | None]:
    """Where the pass caught up to, from when it looks for what came due, and the first due
    time it may fire at all."""
    caught_up = uow.passes.caught_up_to(job.value)
    after = caught_up - GRACE if caught_up is not None else None
    floor = uow.passes.fires_from(job.value)
    if floor is not None and (after is None or after < floor):
        after = floor
    return caught_up, after, floor


def start_timers_from(
    *, uow_factory: Callable[[], UnitOfWork], clock: Clock, at: datetime
) -> list[str]:
    """Let no timer fire for what came due before `at`; return the jobs set.

    For a first deploy over a database with history: without it, the first pass of each job
    would fire every reminder that ever came due.
    """
    with uow_factory() as uow:
        for job in Job:
            uow.passes.start_from(job.value, at=at.astimezone(UTC), now=clock.now())
        uow.commit()
    return [job.value for job in Job]


def _planned(item: Sent, config: BatonConfig) -> Planned:
    what = item.kind.value + (" again" if item.again else "")
    if item.kind is TimerKind.LEAKAGE:
        return Planned(item.target.lead.short_id, what, item.due_at, (config.marketing.channel,))
    channel, people = recipients(config, item.target, item.kind)
    to = (channel, *people) if channel else tuple(people)
    return Planned(item.target.lead.short_id, what, item.due_at, to)


def _record(
    uow: UnitOfWork, due: list[_Due], config: BatonConfig, now: datetime, *, queue_at: datetime
) -> list[Sent]:
    """Record each fire once; return the ones recorded by this pass, leaks flagged."""
    first = {
        NewFire(d.target.id, d.kind, d.target.lead.handoff_round, d.due_at): d
        for d in due
        if d.again is None
    }
    recorded = uow.timers.record_fires(list(first), now=now)
    sent = [_sent(fire_id, first[new]) for new, fire_id in recorded.items()]
    sent += [
        _sent(d.again.id, d)
        for d in due
        if d.again is not None and uow.timers.refire(d.again.id, now=now)
    ]
    sent.sort(key=lambda s: (s.fire_id, s.again))
    # A reminder changes nothing about its lead: its fire is its record. A leak is a change.
    events, leaked = [], []
    for item in sent:
        if item.kind is TimerKind.LEAKAGE:
            days = config.leakage_days_for(item.target.lead.source)
            change = apply(
                item.target.lead, FlagLeaked(days), actor=SYSTEM, authority=Authority(), at=now
            )
            leaked.append(item.target.id)
            events += [(item.target.id, event) for event in change.events]
            leak = [(None, event) for event in change.events]
            crm = crm_work(uow, config, item.target.id, change.lead, leak)
            uow.outbox.queue(crm, now=queue_at)
    uow.leads.mark_leaked(leaked, at=now)
    uow.events.append(events, ids=False)
    return sent


def _sent(fire_id: int, due: _Due) -> Sent:
    return Sent(fire_id, due.target, due.kind, due.due_at, again=due.again is not None)


def _back(
    uow: UnitOfWork,
    kind: TimerKind,
    after: datetime | None,
    now: datetime,
    still: Callable[[TimerLead, Fire], bool],
    page: Page,
) -> list[_Due]:
    """Snoozed reminders of `kind` whose snooze is over, on leads still in the same state;
    all of them with the pass's first page."""
    if page.after is not None:
        return []
    return [
        _Due(target, kind, fire.due_at, again=fire)
        for fire, target in uow.timers.snoozed_due([kind], after=after, by=now)
        if still(target, fire)
    ]


def _still_pending(target: TimerLead, fire: Fire) -> bool:
    lead = target.lead
    return lead.status is LeadStatus.PENDING and lead.handoff_round == fire.handoff_round


def _still_unreported(target: TimerLead, fire: Fire) -> bool:
    lead = target.lead
    return lead.status is LeadStatus.ACCEPTED and lead.handoff_round == fire.handoff_round


def _still_worked(target: TimerLead, fire: Fire) -> bool:
    lead = target.lead
    return lead.status in WORKING and lead.handoff_round == fire.handoff_round
