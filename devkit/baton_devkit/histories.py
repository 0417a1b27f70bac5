"""Generated lead histories, for tests and benchmarks: leads with their facts, the events of
their lives as Baton writes them, and the truth of what became of each.

A lead's life is drawn step by step (qualified under the definition version live when it
arrived; handed to sales or kept in nurture; maybe back later with more data, or re-queued
by marketing; accepted or returned; outcomes, mistakes corrected, leakage and touches), and
the truth is written down as it is drawn, in the report's words. So a test can count the
truth directly and compare it with what Baton reads back from the events.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import Connection, insert

from bot.domain.definitions import DEFINITION_VERSION, Rules
from bot.domain.lead_summary import Fact, LeadSummary, summarise
from bot.domain.qualification import qualify
from storage.bulk import BulkInsert
from storage.rows import EVENT_VALUES, EventRow, LeadRow, LeadSummaryRow
from storage.summaries import summary_values

SOURCES = ("webinar", "trade_show", "web", "partner", "referral")
CAMPAIGNS = ("spring-webinar-2026", "trade-show-berlin", "partner-list", "newsletter", None)
REGIONS = (
    ("emea", "U0EMEAMGR1", ("U0EMEAREP1", "U0EMEAREP2")),
    ("amer", "U0AMERMGR1", ("U0AMERREP1", "U0AMERREP2")),
    (None, "U0SALESVP1", ("U0SALESVP1",)),
)
REASONS = ("not_a_fit", "bad_contact_data", "not_ready", "duplicate", "competitor_or_partner")
MARKETER = "U0MKTG0001"
OTHER_CURRENCY = "EUR"
LEAD_COLUMNS = (
    "first_name",
    "last_name",
    "company",
    "title",
    "phone",
    "country",
    "campaign",
    "source",
    "score",
)


@dataclass(frozen=True)
class Era:
    """A version of the lead definition, live from `since`."""

    since: datetime
    version: int
    rules: Rules


@dataclass
class Truth:
    """What became of a lead, in the report's words: "ever" for every stage."""

    received_at: datetime
    source: str | None  # its first touch
    campaign: str | None
    arrived_ready: bool = False
    came_back: bool = False
    handed_over: bool = False
    accepted: bool = False
    returned: bool = False
    return_reason: str | None = None  # its last return's
    contacted: bool = False
    opportunity: bool = False
    won: bool = False
    won_amount: Decimal | None = None
    won_currency: str | None = None  # None: the configured currency
    definition_version: int | None = None


@dataclass
class GeneratedLead:
    id: int
    facts: dict[str, Any]
    events: list[dict[str, Any]]
    truth: Truth
    status: str = "received"
    region: str | None = None
    handoff_round: int = 0
    version: int | None = None  # the one that qualified it last

    def row(self) -> dict[str, Any]:
        """Its row of the leads table."""
        return {
            "id": self.id,
            "short_id": f"G{self.id:09d}",
            "email": self.facts["email"],
            **{name: self.facts.get(name) for name in LEAD_COLUMNS},
            "status": self.status,
            "region": self.region,
            "handoff_round": self.handoff_round,
            "priority": 0,
            "created_at": self.truth.received_at,
            "updated_at": self.events[-1]["at"],
            "definition_version": self.version,
        }

    def summary(self) -> LeadSummary:
        """Its summary as Baton reads it from the events."""
        summary = summarise([fact_of(event) for event in self.events])
        assert summary is not None  # every lead has events
        return summary


def fact_of(event: dict[str, Any]) -> Fact:
    return Fact(
        event["id"],
        event["kind"],
        event["at"],
        event["region"],
        event["campaign"],
        event["source"],
        event["status_before"],
        event["status_after"],
        event["reason_code"],
        event["amount"],
        event["data"],
    )


def generate(
    count: int,
    *,
    eras: Sequence[Era],
    start: datetime,
    span: timedelta,
    seed: int,
    first_id: int = 1,
    first_event_id: int = 1,
) -> Iterator[GeneratedLead]:
    """`count` leads received between `start` and `start + span`, with ids from `first_id`."""
    rng = random.Random(seed)
    ordered = sorted(eras, key=lambda era: era.since)
    next_event = [first_event_id]
    for lead_id in range(first_id, first_id + count):
        received_at = start + timedelta(seconds=rng.randrange(int(span.total_seconds())))
        life = _Life(rng, lead_id, received_at, ordered, next_event)
        life.live()
        yield life.lead


@dataclass
class _Life:
    rng: random.Random
    lead_id: int
    at: datetime
    eras: Sequence[Era]
    next_event: list[int]
    lead: GeneratedLead = field(init=False)

    def __post_init__(self) -> None:
        rng = self.rng
        source, campaign = rng.choice(SOURCES), rng.choice(CAMPAIGNS)
        facts: dict[str, Any] = {
            "email": f"lead{self.lead_id}@generated.example",
            "first_name": _maybe(rng, "Ada", 0.9),
            "last_name": _maybe(rng, "Lovelace", 0.9),
            "company": _maybe(rng, f"Company {rng.randrange(5_000)}", 0.85),
            "title": _maybe(rng, "CTO", 0.7),
            "phone": _maybe(rng, "+49 30 1234567", 0.6),
            "country": _maybe(rng, rng.choice(("DE", "FR", "US", "CA")), 0.95),
            "campaign": campaign,
            "source": source,
            "score": _score(rng, source),
        }
        truth = Truth(received_at=self.at, source=source, campaign=campaign)
        region, manager, reps = rng.choice(REGIONS)
        self.manager, self.reps = manager, reps
        self.lead = GeneratedLead(self.lead_id, facts, [], truth, region=region)

    # The lead's events, as the lifecycle writes them -----------------------------------------

    def event(self, kind: str, after: str, *, hours: float = 0, **more: Any) -> int:
        self.at += timedelta(hours=hours)
        event_id = self.next_event[0]
        self.next_event[0] += 1
        lead = self.lead
        self.lead.events.append(
            {
                "id": event_id,
                "lead_id": lead.id,
                "at": self.at,
                "kind": kind,
                "actor": more.pop("actor", self.manager),
                "handoff_round": lead.handoff_round,
                "region": lead.region,
                "campaign": lead.facts["campaign"],
                "source": lead.facts["source"],
                "status_before": lead.status,
                "status_after": after,
                "reason_code": more.pop("reason_code", None),
                "amount": more.pop("amount", None),
                "notes": None,
                "data": more,
            }
        )
        lead.status = after
        return event_id

    def wait(self, mean_hours: float) -> float:
        return self.rng.expovariate(1 / mean_hours)

    def era(self) -> Era:
        live = self.eras[0]
        for era in self.eras:
            if era.since <= self.at:
                live = era
        return live

    def qualify(self, kind: str, *, hours: float = 0) -> bool:
        """Qualify the lead under the version live now; True when it went to sales."""
        self.at += timedelta(hours=hours)
        era, lead, truth = self.era(), self.lead, self.lead.truth
        ready = qualify(lead.facts, era.rules).sales_ready
        verdict = "sales-ready" if ready else "nurture"
        lead.version = era.version
        if truth.definition_version is None or (ready and not truth.handed_over):
            truth.definition_version = era.version
        data = {DEFINITION_VERSION: era.version}
        if ready:
            lead.handoff_round += 1
        after = "pending" if ready else "nurture"
        if kind == "received":
            truth.arrived_ready = ready
            self.event("received", after, reason_code=verdict, actor="intake", **data)
        else:
            before = lead.status
            self.event("qualified", after, reason_code=verdict, actor="intake", **data)
            if ready:
                lead.status = before  # both events of a re-qualification start from it
                self.event("handoff_started", after, reason_code=verdict, actor="intake")
        if ready:
            self.handed_over()
        return ready

    def handed_over(self) -> None:
        truth = self.lead.truth
        if not truth.handed_over and not truth.arrived_ready:
            truth.came_back = True
        truth.handed_over = True

    # The life ---------------------------------------------------------------------------------

    def live(self) -> None:
        rng = self.rng
        if not self.qualify("received"):
            chance = rng.random()
            if chance < 0.12:
                self.come_back_with_more_data()
            elif chance < 0.15:
                self.lead.handoff_round += 1
                hours = self.wait(24 * 20)
                self.event("handoff_started", "pending", hours=hours, actor=MARKETER)
                self.handed_over()
            if self.lead.status != "pending":
                return
        for _ in range(3):  # a returned lead may be qualified again, twice at most
            if not self.decide() or rng.random() > 0.25:
                return
            if not self.qualify("qualified", hours=self.wait(24 * 15)):
                return

    def come_back_with_more_data(self) -> None:
        facts, rng = self.lead.facts, self.rng
        if rng.random() < 0.05:  # its source as told the second time; its first touch stays
            facts["source"] = rng.choice(SOURCES)
        facts["phone"] = facts["phone"] or "+33 1 23456789"
        facts["company"] = facts["company"] or "Returning Co"
        if facts["score"] is not None:
            facts["score"] = min(100, facts["score"] + rng.randrange(10, 40))
        self.qualify("qualified", hours=self.wait(24 * 30))

    def decide(self) -> bool:
        """The manager's decision on a pending lead; True when it ended returned."""
        rng, truth = self.rng, self.lead.truth
        choice = rng.random()
        if choice < 0.1:
            return False  # still waiting
        if choice < 0.3:
            self.returned(self.wait(6))
            return True
        truth.accepted = True
        rep = rng.choice(self.reps)
        self.event("accepted", "accepted", hours=self.wait(6), rep_id=rep, method="phone")
        return self.work(rep)

    def returned(self, hours: float, *, actor: str | None = None) -> None:
        truth = self.lead.truth
        reason = self.rng.choice(REASONS)
        truth.returned, truth.return_reason = True, reason
        self.event(
            "returned", "returned", hours=hours, reason_code=reason, actor=actor or self.manager
        )

    def work(self, rep: str) -> bool:
        """The rep's outcomes; True when the rep returned the lead."""
        rng, truth = self.rng, self.lead.truth
        if rng.random() < 0.5:
            self.outcome(rep, "attempted", self.wait(12))
        if rng.random() < 0.05:  # won at once, with no other outcome logged
            self.won(rep, None)
            return False
        if rng.random() < 0.4:
            if rng.random() < 0.1:
                truth.contacted = True  # a lost outcome counts as contact
                self.outcome(rep, "lost", self.wait(100))
                return False
            if rng.random() < 0.35:
                self.event(
                    "leaked", self.lead.status, hours=24 * 14, actor="system", leakage_days=14
                )
                reached = rng.random() < 0.6
                if rng.random() < 0.6:
                    truth.contacted |= reached
                    self.event(
                        "touch",
                        self.lead.status,
                        hours=self.wait(48),
                        actor=MARKETER,
                        reached=reached,
                        by=MARKETER,
                    )
            return False
        truth.contacted = True
        self.outcome(rep, "connected", self.wait(20))
        if rng.random() < 0.08:
            self.returned(self.wait(20), actor=rep)
            return True
        if rng.random() < 0.5:
            self.outcome(rep, "meeting", self.wait(72))
            if rng.random() < 0.6:
                amount = Decimal(rng.randrange(2_000, 200_000))
                currency = OTHER_CURRENCY if rng.random() < 0.05 else None
                truth.opportunity = True
                self.outcome(rep, "opportunity", self.wait(120), amount, currency)
                ending = rng.random()
                if ending < 0.45:
                    self.won(rep, (amount, currency))
                elif ending < 0.75:
                    self.outcome(rep, "lost", self.wait(300))
        return False

    def won(self, rep: str, pipeline: tuple[Decimal, str | None] | None) -> None:
        truth, rng = self.lead.truth, self.rng
        truth.won = truth.opportunity = truth.contacted = True
        if pipeline is None or rng.random() < 0.7:
            amount = Decimal(rng.randrange(1_000, 250_000)) + Decimal(rng.randrange(100)) / 100
            currency = OTHER_CURRENCY if rng.random() < 0.05 else None
            truth.won_amount, truth.won_currency = amount, currency
            self.outcome(rep, "won", self.wait(300), amount, currency)
        else:
            truth.won_amount, truth.won_currency = pipeline
            self.outcome(rep, "won", self.wait(300))

    def outcome(
        self,
        rep: str,
        outcome: str,
        hours: float,
        amount: Decimal | None = None,
        currency: str | None = None,
    ) -> None:
        if self.rng.random() < 0.04:  # a mistaken "won", corrected at once: it never counts
            before = self.lead.status
            mistake = self.event(
                "outcome",
                "won",
                hours=hours,
                actor=rep,
                reason_code="won",
                amount=Decimal(1),
                outcome="won",
            )
            self.event(
                "correction",
                before,
                hours=0.1,
                actor=rep,
                reason_code="won",
                corrects_event_id=mistake,
            )
            hours = 0.1
        progress = ("accepted", "attempted", "connected", "meeting", "opportunity")
        status = self.lead.status
        after = outcome if outcome in ("won", "lost") else status
        if outcome in progress and progress.index(outcome) > progress.index(status):
            after = outcome
        data: dict[str, Any] = {"outcome": outcome}
        if currency:
            data["currency"] = currency
        self.event(
            "outcome", after, hours=hours, actor=rep, reason_code=outcome, amount=amount, **data
        )


def _maybe(rng: random.Random, value: str, given: float) -> str | None:
    """The value, or (rarely) blank text, which qualification counts as missing; else None."""
    chance = rng.random()
    if chance < given:
        return value
    return "   " if chance < given + 0.03 else None


def _score(rng: random.Random, source: str) -> float | None:
    if source == "trade_show" and rng.random() < 0.8:
        return None
    if rng.random() < 0.05:
        return None
    score = float(rng.randrange(0, 101))
    return score + 0.5 if rng.random() < 0.1 and score < 100 else score


def store(connection: Connection, leads: Iterable[GeneratedLead], *, chunk: int = 5_000) -> int:
    """Insert leads with their events and summaries (read from the events as Baton reads
    them), in the caller's transaction; return how many leads."""
    return store_rows(connection, rows_of(leads, chunk=chunk))


@dataclass(frozen=True)
class StoredRows:
    """A chunk of leads as the rows stored for them: to make once and store in several
    databases (the same leads in SQLite and PostgreSQL)."""

    leads: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    summaries: list[tuple[Any, ...]]


def rows_of(leads: Iterable[GeneratedLead], *, chunk: int = 5_000) -> Iterator[StoredRows]:
    """The leads' rows (lead, events, summary read from the events), a chunk at a time."""
    remaining = iter(leads)
    while part := list(islice(remaining, chunk)):
        yield StoredRows(
            _LEADS.rows_of([lead.row() for lead in part]),
            _EVENTS.rows_of([e for lead in part for e in lead.events]),
            _SUMMARIES.rows_of([summary_values(lead.id, lead.summary(), None) for lead in part]),
        )


def store_rows(connection: Connection, chunks: Iterable[StoredRows]) -> int:
    """Insert chunks of rows made by `rows_of`, in the caller's transaction; return how many
    leads."""
    stored = 0
    for rows in chunks:
        _LEADS.run(connection, rows.leads)
        _EVENTS.run(connection, rows.events)
        _SUMMARIES.run(connection, rows.summaries)
        stored += len(rows.leads)
    return stored


_LEADS = BulkInsert(
    insert(LeadRow),
    (
        "id",
        "short_id",
        "email",
        *LEAD_COLUMNS,
        "status",
        "region",
        "handoff_round",
        "priority",
        "created_at",
        "updated_at",
        "definition_version",
    ),
)
_EVENTS = BulkInsert(insert(EventRow), ("id", *EVENT_VALUES))
_SUMMARIES = BulkInsert(
    insert(LeadSummaryRow), tuple(c.name for c in LeadSummaryRow.__table__.columns)
)
