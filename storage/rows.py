"""The tables, as SQLAlchemy 2 typed rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.services.lead_rows import EVENT_ROW_COLUMNS
from storage.columns import NAMING as NAMING
from storage.columns import Base as Base
from storage.columns import Id as Id
from storage.columns import UtcDateTime as UtcDateTime

# The CRM bridge's tables live in a module of their own, on the same base.
from storage.crm_rows import CrmCursorRow as CrmCursorRow
from storage.crm_rows import CrmDealRow as CrmDealRow
from storage.crm_rows import CrmLinkRow as CrmLinkRow


class LeadRow(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    short_id: Mapped[str] = mapped_column(String(12), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(40))
    campaign: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(100))
    score: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(100))
    handoff_round: Mapped[int] = mapped_column(Integer, default=0)
    round_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rep_id: Mapped[str | None] = mapped_column(String(40))
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    feedback_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_step_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    leaked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    qualification_reason: Mapped[str | None] = mapped_column(String(300))
    route_reason: Mapped[str | None] = mapped_column(String(300))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The version of the lead definition that last qualified it (None: before versions).
    definition_version: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        # The scheduled scans: pending past SLA, accepted past feedback/next step/leakage.
        Index("ix_leads_status_round_started_at", "status", "round_started_at"),
        Index("ix_leads_status_feedback_due_at", "status", "feedback_due_at"),
        Index("ix_leads_status_next_step_at", "status", "next_step_at"),
        Index("ix_leads_status_decided_at", "status", "decided_at"),
        Index("ix_leads_rep_id_status", "rep_id", "status"),
        Index("ix_leads_company", "company"),
    )


class HandoffRoundRow(Base):
    """One handoff round of a lead: where its message went, so later events thread under it."""

    __tablename__ = "handoff_rounds"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    round_no: Mapped[int] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(100))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    channel: Mapped[str | None] = mapped_column(String(40))
    message_ts: Mapped[str | None] = mapped_column(String(40))
    # The card's permalink, taken once after it is posted, for messages that name the lead.
    permalink: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("lead_id", "round_no"),)


class BatchRow(Base):
    """Leads that arrived together for one region and share one summary message."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    region: Mapped[str | None] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(300))
    lead_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    channel: Mapped[str | None] = mapped_column(String(40))
    message_ts: Mapped[str | None] = mapped_column(String(40))


class EventRow(Base):
    """An append-only record of one change to a lead."""

    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(40))
    handoff_round: Mapped[int] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(100))
    campaign: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(100))
    status_before: Mapped[str | None] = mapped_column(String(20))
    status_after: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(60))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    notes: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_lead_events_at_kind", "at", "kind"),)


# An event's values in the order bulk inserts of events take them (storage/events.py), which
# first summaries read (storage/summaries.py).
EVENT_VALUES = EVENT_ROW_COLUMNS


class ActivityRow(Base):
    __tablename__ = "lead_activity"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    type: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    detail: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


# Work to deliver, in literal SQL: a query uses a partial index only when written the same.
UNDELIVERED_SQL = "state IN ('pending', 'blocked')"


class OutboxRow(Base):
    """Slack work that must not be lost, written with the change that causes it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    handoff_round: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    result_channel: Mapped[str | None] = mapped_column(String(40))
    result_ts: Mapped[str | None] = mapped_column(String(40))
    urgency: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # Urgency

    __table_args__ = (
        Index("ix_outbox_state_available_at", "state", "available_at"),
        # Work to deliver in the order it is claimed (urgent first); sent work left out.
        Index(
            "ix_outbox_due",
            "urgency",
            "available_at",
            "id",
            sqlite_where=text(UNDELIVERED_SQL),
            postgresql_where=text(UNDELIVERED_SQL),
        ),
    )


class ChannelPaceRow(Base):
    """When a channel may next be posted to, shared by every delivering process."""

    __tablename__ = "channel_pace"

    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_post_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the next scheduled post that found the channel busy tries again (they queue).
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SlackNoticeRow(Base):
    """Notices sent once about a problem a person must fix (e.g. the bot is not in a channel)."""

    __tablename__ = "slack_notices"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HandledRequestRow(Base):
    """A person's request (a slash command's trigger_id, a modal) that has changed a lead."""

    __tablename__ = "handled_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class TimerFireRow(Base):
    """One accountability timer that fired: at most once per lead, kind, round and due time."""

    __tablename__ = "timer_fires"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    kind: Mapped[str] = mapped_column(String(30))
    handoff_round: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    snoozed_by: Mapped[str | None] = mapped_column(String(40))
    snooze_reason: Mapped[str | None] = mapped_column(Text)
    refired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # a snoozed reminder, back

    __table_args__ = (
        UniqueConstraint("lead_id", "kind", "handoff_round", "due_at"),
        Index("ix_timer_fires_kind_snoozed_until", "kind", "snoozed_until"),
    )


class JobRunRow(Base):
    """The last run of each scheduled job, for `baton jobs list` and `/healthz`."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime)
    result: Mapped[str | None] = mapped_column(Text)
    ok: Mapped[bool | None] = mapped_column()
    runs: Mapped[int] = mapped_column(Integer, default=0)
    # Every item due up to here has been handled; the next pass looks back from here.
    caught_up_to: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set by `baton jobs start-from`: nothing due before it fires (history on a first deploy).
    fires_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DigestSentRow(Base):
    """A weekly digest sent to one audience (a region or marketing): once per week each."""

    __tablename__ = "digests_sent"

    audience: Mapped[str] = mapped_column(String(100), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)


# What the report adds up per group, after the group's own column: in an index of this order
# SQLite reads the groups in order, without sorting a row per lead. Only the two groupings
# read most (and benchmarked) have one; each index costs every summary write.
REPORT_CELL = (
    *("campaign", "stages", "return_reason", "amount_currency", "received_at", "region"),
    *("accept_minutes", "contact_minutes", "amount_cents"),
)


def _report_index(group: str) -> Index:
    columns = [group, *(c for c in REPORT_CELL if c != group)]
    return Index(f"ix_lead_summary_by_{group}", *columns)


class LeadSummaryRow(Base):
    """How far a lead got and how fast: recomputed from its events whenever they change.

    The report reads this instead of the events, through one covering index per grouping.
    """

    __tablename__ = "lead_summary"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    campaign: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    rep_id: Mapped[str | None] = mapped_column(String(40))
    stages: Mapped[int] = mapped_column(Integer)  # bot.domain.lead_summary.Stage bits
    return_reason: Mapped[str | None] = mapped_column(String(60))
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    amount_currency: Mapped[str | None] = mapped_column(String(8))
    # The calendar each speed was measured in: a report finds the ones measured in another.
    accept_stamp: Mapped[str | None] = mapped_column(String(120), index=True)
    accept_minutes: Mapped[int | None] = mapped_column(Integer)
    contact_stamp: Mapped[str | None] = mapped_column(String(120), index=True)
    contact_minutes: Mapped[int | None] = mapped_column(Integer)
    handed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    accept_region: Mapped[str | None] = mapped_column(String(100))
    contact_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    contacted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    contact_region: Mapped[str | None] = mapped_column(String(100))
    leaked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_event_id: Mapped[int | None] = mapped_column(BigInteger)
    definition_version: Mapped[int | None] = mapped_column(Integer)
    came_back_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Last-touch attribution: the touch before its latest acceptance (see lead_summary.py).
    last_campaign: Mapped[str | None] = mapped_column(String(200))
    last_source: Mapped[str | None] = mapped_column(String(100))
    # Where the won (or lost) amount came from: "crm" (its deal), "rep" (typed in Slack).
    amount_source: Mapped[str | None] = mapped_column(String(8))

    __table_args__ = (
        _report_index("campaign"),
        _report_index("region"),
        # The report's few amounts from the CRM, found without a scan of every summary.
        Index(
            "ix_lead_summary_crm_amounts",
            "amount_source",
            sqlite_where=text("amount_source = 'crm'"),
            postgresql_where=text("amount_source = 'crm'"),
        ),
    )


class LeadTouchRow(Base):
    """A campaign or source a lead's later touches named besides its first: rebuilt with its summary."""

    __tablename__ = "lead_touches"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    dimension: Mapped[str] = mapped_column(String(10))  # "campaign" or "source"
    name: Mapped[str] = mapped_column(String(200))


class DefinitionVersionRow(Base):
    """One version of the lead definition; the highest number is the live one."""

    __tablename__ = "definition_versions"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)  # as the config's lead_definition
    why: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(40))
    marketing_approver: Mapped[str | None] = mapped_column(String(40))
    sales_approver: Mapped[str | None] = mapped_column(String(40))
    took_effect_at: Mapped[datetime] = mapped_column(UtcDateTime)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("rule_proposals.id"))


class RuleProposalRow(Base):
    """A proposed change to the lead definition, open until both teams approve or one rejects."""

    __tablename__ = "rule_proposals"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    why: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(40))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    base_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(30), index=True)
    closed_by: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)


class RuleApprovalRow(Base):
    """One side's approval of a proposal: one per side, and one person approves once."""

    __tablename__ = "rule_approvals"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("rule_proposals.id"), primary_key=True)
    side: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)


class RuleProposalPostRow(Base):
    """Where a proposal was posted (the marketing channel, each region's manager), so that
    every copy can be updated when it is decided and its backtest threaded under it."""

    __tablename__ = "rule_proposal_posts"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("rule_proposals.id"), primary_key=True)
    audience: Mapped[str] = mapped_column(String(100), primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    message_ts: Mapped[str] = mapped_column(String(40))
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WriteProbeRow(Base):
    """One row that `/healthz` writes, to know that writes reach the disk, not only reads."""

    __tablename__ = "write_probes"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    probed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NewLeadsToSettleRow(Base):
    """New leads stored by an intake request whose summaries, handoff rounds and handoffs are
    made after its transaction, by the delivery worker (`settle_new_leads`): the request
    writes only what makes them safe (their rows and first events) and this one row."""

    __tablename__ = "new_leads_to_settle"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    lead_ids: Mapped[list[int]] = mapped_column(JSON)  # every new lead: its summary
    handoff_ids: Mapped[list[int]] = mapped_column(JSON)  # the pending ones: round and handoff
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when intake took them
