"""Lead histories written through the real unit of work, at chosen times, for report tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from bot.app import Baton
from bot.domain.lead import (
    Accept,
    Authority,
    Command,
    CorrectOutcome,
    FlagLeaked,
    FollowUpMethod,
    Lead,
    LeadStatus,
    LogOutcome,
    LogTouch,
    Outcome,
    Qualify,
    Reroute,
    Return,
    ReturnReason,
    apply,
)

BOSS = "U0BOSS00001"
ANYONE = Authority(deciders=frozenset({BOSS}), marketing=frozenset({BOSS}), named=(BOSS,))


_PEOPLE = count(1)


class Histories:
    def __init__(self, baton: Baton) -> None:
        self.baton = baton

    def lead(
        self,
        at: datetime,
        *,
        region: str | None = "emea",
        campaign: str | None = "spring-webinar-2026",
        source: str | None = "webinar",
        sales_ready: bool = True,
    ) -> str:
        lead = Lead(short_id="", status=LeadStatus.RECEIVED, campaign=campaign, source=source)
        command = Qualify(sales_ready=sales_ready, reason="test", region=region)
        change = apply(lead, command, actor="intake", authority=ANYONE, at=at)
        email = f"person{next(_PEOPLE)}@example.com"
        facts = {"email": email, "campaign": campaign, "source": source}
        with self.baton.unit_of_work() as uow:
            [stored] = uow.leads.add_all([(change.lead, facts, {})], now=at)
            uow.events.append([(stored.id, e) for e in change.events])
            uow.commit()
        return stored.lead.short_id

    def act(self, short_id: str, command: Command, at: datetime) -> int:
        """Apply `command` to the lead at `at`; return the id of its last event."""
        with self.baton.unit_of_work() as uow:
            stored = uow.leads.by_short_id(short_id, for_update=True)
            assert stored is not None
            change = apply(stored.lead, command, actor=BOSS, authority=ANYONE, at=at)
            stored.lead = change.lead
            uow.leads.save(stored, now=at)
            ids = uow.events.append([(stored.id, e) for e in change.events])
            uow.commit()
        return ids[-1]

    def round_of(self, short_id: str) -> int:
        with self.baton.unit_of_work() as uow:
            stored = uow.leads.by_short_id(short_id)
            assert stored is not None
            return stored.lead.handoff_round

    # The usual steps, by name.

    def accept(self, short_id: str, at: datetime, rep: str = "U0EMEAREP1") -> int:
        command = Accept(
            rep_id=rep,
            comment="call them",
            method=FollowUpMethod.PHONE,
            feedback_due_at=at + timedelta(days=4),
            handoff_round=self.round_of(short_id),
        )
        return self.act(short_id, command, at)

    def give_back(self, short_id: str, at: datetime, reason: ReturnReason) -> int:
        return self.act(short_id, Return(reason=reason, notes="see notes"), at)

    def reroute(self, short_id: str, at: datetime, region: str | None) -> int:
        return self.act(short_id, Reroute(region, "theirs", self.round_of(short_id)), at)

    def requalify(self, short_id: str, at: datetime, region: str | None = "emea") -> int:
        return self.act(short_id, Qualify(sales_ready=True, reason="again", region=region), at)

    def log(self, short_id: str, at: datetime, outcome: Outcome, amount: str | None = None) -> int:
        money = Decimal(amount) if amount else None
        return self.act(short_id, LogOutcome(outcome=outcome, amount=money), at)

    def undo(
        self, short_id: str, at: datetime, event_id: int, back_to: LeadStatus, outcome: Outcome
    ) -> int:
        return self.act(short_id, CorrectOutcome(event_id, back_to, outcome), at)

    def leak(self, short_id: str, at: datetime) -> int:
        return self.act(short_id, FlagLeaked(leakage_days=14), at)

    def touch(self, short_id: str, at: datetime, *, reached: bool) -> int:
        return self.act(short_id, LogTouch(reached=reached, notes="called"), at)
