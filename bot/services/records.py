"""The plain records that cross the ports: what storage hands the services, and takes back."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any, NamedTuple

from bot.domain.lead import Lead, LeadStatus
from bot.domain.snapshots import EventLine as EventLine  # the snapshots carry it too
from bot.domain.timers import TimerKind

# Leads and their history ------------------------------------------------------------------


@dataclass
class StoredLead:
    """A lead as stored: its row id, its facts and its lifecycle state."""

    id: int
    lead: Lead
    email: str
    external_id: str | None
    facts: dict[str, Any]
    priority: int = 0


# A lead to create: its lifecycle state, its facts and why it qualified and routed as it did.
NewLead = tuple[Lead, dict[str, Any], dict[str, str]]


class NewRound(NamedTuple):
    """A handoff round to record: its lead's row id, number, region and batch (if any)."""

    lead_id: int
    round_no: int
    region: str | None
    batch_id: int | None


@dataclass(frozen=True)
class ToSettle:
    """New leads an intake request stored with their first events only: all of them still
    need their summaries, the pending ones their handoff rounds and handoffs."""

    id: int
    lead_ids: list[int]
    handoff_ids: list[int]
    taken_at: datetime  # when intake took them: their rounds start then


@dataclass(frozen=True)
class LeadLine:
    """A lead as one line of a list."""

    id: int
    short_id: str
    status: LeadStatus
    email: str
    name: str | None
    company: str | None
    region: str | None
    rep_id: str | None
    feedback_due_at: datetime | None
    next_step_at: datetime | None
    priority: int
    waiting_since: datetime | None  # when its current handoff round started
    last_activity: str | None = None  # "page view: visited pricing", for a lead back again
    handoff_round: int = 0
    leaked_at: datetime | None = None


class LeadPage(NamedTuple):
    """The first lines of a list of leads, and how many the whole list holds."""

    lines: list[LeadLine]
    total: int


@dataclass(frozen=True)
class RegionsBoard:
    """What a manager watches in their regions' working leads: those with feedback overdue
    and those leaked (the first few of each, by feedback due), and each holder's open and
    overdue leads."""

    overdue: LeadPage
    leaked: LeadPage
    held: dict[str, tuple[int, int]]  # by rep: open leads, feedback overdue


@dataclass(frozen=True)
class LeadDetail:
    line: LeadLine
    title: str | None
    phone: str | None
    country: str | None
    campaign: str | None
    source: str | None
    score: float | None
    decided_by: str | None
    events: Sequence[EventLine]


# Slack work -------------------------------------------------------------------------------


class WorkKind(StrEnum):
    """Slack work that must not be lost; delivered by the outbox worker."""

    HANDOFF = "handoff"
    BATCH_SUMMARY = "batch_summary"
    BATCH_UPDATE = "batch_update"
    HANDOFF_UPDATE = "handoff_update"
    THREAD_NOTE = "thread_note"
    REP_DM = "rep_dm"
    RETURNED_NOTICE = "returned_notice"
    OWNER_DM = "owner_dm"
    SETUP_NOTICE = "setup_notice"
    RETURN_WITHDRAWN = "return_withdrawn"
    HOME_REFRESH = "home_refresh"
    PERMALINK = "permalink"  # take a posted handoff card's permalink, once
    REASSIGN_DM = "reassign_dm"  # the rep a lead was reassigned to
    REASSIGN_NOTICE = "reassign_notice"  # the rep it was taken from
    NUDGE_DM = "nudge_dm"  # a manager asks the rep for the feedback due
    RETURNED_NOTICE_UPDATE = "returned_notice_update"  # marketing chose, or the lead came back
    BACK_TO_SALES = "back_to_sales"  # a lead marketing had back is with sales again
    # Accountability timers
    TIMER_DM = "timer_dm"
    TIMER_POST = "timer_post"
    TIMER_NOTE = "timer_note"
    TIMER_LEAK_TASK = "timer_leak_task"
    TIMER_TOUCH_UPDATE = "timer_touch_update"
    # Weekly digests
    DIGEST_POST = "digest_post"
    DIGEST_CHART = "digest_chart"
    # A proposal to change the lead definition: posted to each audience, its backtest in
    # each post's thread, and each decision on it (the post updated, a note in its thread)
    RULES_POST = "rules_post"
    RULES_BACKTEST = "rules_backtest"
    RULES_UPDATE = "rules_update"
    RULES_NOTE = "rules_note"
    # The CRM bridge: an event the CRM sent, to take in; Baton's decisions, to write back
    CRM_EVENT = "crm_event"
    CRM_ACCEPTED = "crm_accepted"
    CRM_OUTCOME = "crm_outcome"
    CRM_RETURNED = "crm_returned"
    CRM_TASK = "crm_task"
    CRM_REASSIGNED = "crm_reassigned"

    @property
    def urgency(self) -> Urgency:
        return URGENCY.get(self, Urgency.REPLY)


# Work the CRM worker delivers; the Slack worker delivers every other kind.
CRM_WORK = frozenset(
    {
        WorkKind.CRM_EVENT,
        WorkKind.CRM_ACCEPTED,
        WorkKind.CRM_OUTCOME,
        WorkKind.CRM_RETURNED,
        WorkKind.CRM_TASK,
        WorkKind.CRM_REASSIGNED,
    }
)
SLACK_WORK = frozenset(WorkKind) - CRM_WORK


class Urgency(IntEnum):
    """The order the outbox delivers in: new handoffs first, scheduled work last.

    Scheduled work (timers, digests) can pile up by the thousand when the jobs catch up on
    days missed; it must never hold back a new lead's handoff, nor the answer to a person.
    """

    NEW = 0  # a new lead's handoff, a batch's summary, a setup problem to fix
    REPLY = 1  # what follows a person's action: updates, notes, DMs, App Homes
    SCHEDULED = 2  # what the timer and digest jobs queue (a note a person asks for is a REPLY)


URGENCY = {
    WorkKind.HANDOFF: Urgency.NEW,
    WorkKind.BATCH_SUMMARY: Urgency.NEW,
    WorkKind.SETUP_NOTICE: Urgency.NEW,
    WorkKind.TIMER_DM: Urgency.SCHEDULED,
    WorkKind.TIMER_POST: Urgency.SCHEDULED,
    WorkKind.TIMER_NOTE: Urgency.SCHEDULED,
    WorkKind.TIMER_LEAK_TASK: Urgency.SCHEDULED,
    WorkKind.DIGEST_POST: Urgency.SCHEDULED,
    WorkKind.DIGEST_CHART: Urgency.SCHEDULED,
}


# How a handoff's key begins: handoff:{lead id}:{round} (the store makes it too, in SQL).
HANDOFF_KEY = "handoff:"


@dataclass(frozen=True)
class Work:
    kind: WorkKind
    key: str
    lead_id: int | None = None
    handoff_round: int | None = None
    batch_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    urgency: Urgency | None = None  # None: its kind's (URGENCY)

    @property
    def delivery_urgency(self) -> Urgency:
        return self.kind.urgency if self.urgency is None else self.urgency

    @classmethod
    def handoff(cls, lead_id: int, round_no: int, batch_id: int | None = None) -> Work:
        """The post that hands round `round_no` of a lead to its manager: keyed by lead and
        round (HANDOFF_KEY), so that a round is posted once however often it is queued."""
        key = f"{HANDOFF_KEY}{lead_id}:{round_no}"
        return cls(WorkKind.HANDOFF, key, lead_id, round_no, batch_id)

    @classmethod
    def thread_note(cls, lead_id: int, round_no: int, event_id: int, **more: Any) -> Work:
        """The note in the lead's handoff thread that tells event `event_id` (and `more`):
        keyed by the event, so that it is told once however often it is queued."""
        data = {"event_id": event_id, **more}
        return cls(WorkKind.THREAD_NOTE, f"note:{event_id}", lead_id, round_no, data=data)


@dataclass(frozen=True)
class OutboxItem:
    """Queued Slack work, as the delivery worker claimed it."""

    id: int
    key: str
    kind: WorkKind
    lead_id: int | None
    batch_id: int | None
    handoff_round: int | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    urgency: Urgency = Urgency.REPLY


@dataclass(frozen=True)
class SlotWanted:
    """A post that may go only in a free slot of its pace (a channel's, a person's Home)."""

    item: OutboxItem
    pace: str
    spacing: timedelta


@dataclass(frozen=True)
class Delivered:
    """Work Slack carried out: where it went, and what follows from it."""

    item: OutboxItem
    channel: str | None
    ts: str | None
    homes: Sequence[str] = ()
    permalink: str | None = None


# Timers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of the leads a timer pass looks at, in the order of the timer's own column
    (when the lead's round started, its feedback is due…) then id: at most `size` leads, those
    after `after` (the column's value and the id of the last lead of the page before)."""

    size: int
    after: tuple[datetime, int] | None = None

    def following(
        self, leads: Sequence[TimerLead], column: Callable[[TimerLead], datetime | None]
    ) -> Page | None:
        """The page after `leads` (this page's), or None when this page was the last."""
        if len(leads) < self.size:
            return None
        last = leads[-1]
        value = column(last)
        assert value is not None  # the page's query leaves out leads without the column
        return Page(self.size, (value, last.id))


@dataclass(frozen=True)
class TimerLead:
    """A lead a timer may be due on, and which timers already fired in its current round."""

    id: int
    lead: Lead
    round_started_at: datetime | None
    fired: frozenset[TimerKind] = frozenset()


@dataclass(frozen=True)
class NewFire:
    lead_id: int
    kind: TimerKind
    handoff_round: int
    due_at: datetime


@dataclass(frozen=True)
class Fire:
    """A timer that fired: once per lead, kind, round and due time."""

    id: int
    lead_id: int
    kind: TimerKind
    handoff_round: int
    due_at: datetime
    fired_at: datetime
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    snooze_reason: str | None = None
    refired_at: datetime | None = None


# The closed-loop report -------------------------------------------------------------------

Regions = tuple[str | None, ...] | None  # None: every region; a None inside: triage


@dataclass(frozen=True)
class Cell:
    """Leads of one group alike in everything the report counts, as the store adds them up."""

    group: str | None
    campaign: str | None
    stages: int
    return_reason: str | None
    amount_currency: str | None
    accept_stamp: str | None
    contact_stamp: str | None
    leads: int
    amount_cents: int
    accept_minutes: Mapping[int, int] = field(default_factory=dict)  # minutes: how many leads
    contact_minutes: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Unmeasured:
    """A lead whose speed was measured in another calendar than its region's current one."""

    group: str | None
    handed_at: datetime | None
    accepted_at: datetime | None
    accept_region: str | None
    accept_stamp: str | None
    contact_from: datetime | None
    contacted_at: datetime | None
    contact_region: str | None
    contact_stamp: str | None


# The running service ----------------------------------------------------------------------


@dataclass(frozen=True)
class JobRun:
    """The last run of a scheduled job, and when the scheduler runs it next."""

    name: str
    started_at: datetime
    finished_at: datetime | None
    as_of: datetime
    result: str | None
    ok: bool | None
    runs: int
    next_run_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        if not self.runs:
            return {"last_run": None, "runs": 0, "next_run": _iso(self.next_run_at)}
        return {
            "last_run": self.started_at.isoformat(),
            "finished": _iso(self.finished_at),
            "as_of": self.as_of.isoformat(),
            "ok": self.ok,
            "result": self.result,
            "runs": self.runs,
            "next_run": _iso(self.next_run_at),
        }


@dataclass(frozen=True)
class StoreStatus:
    """What the store holds that an admin watches: leads by status, undelivered Slack work,
    the work that keeps failing, and each job's last run."""

    lead_counts: dict[str, int]
    backlog: dict[str, int]
    stuck: list[dict[str, Any]]
    job_runs: list[JobRun]
    oldest_waiting: datetime | None = None  # when the oldest undelivered work was queued
    crm_backlog: dict[str, int] = field(default_factory=dict)  # the CRM's work, by state
    crm_stuck: list[dict[str, Any]] = field(default_factory=list)
    requests_to_settle: int = 0  # intake requests whose new leads wait to be settled


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


@dataclass(frozen=True)
class ProposalPost:
    """One copy of a proposal in Slack: for the marketing channel, or a region's manager."""

    audience: str
    channel: str
    message_ts: str
    posted_at: datetime
