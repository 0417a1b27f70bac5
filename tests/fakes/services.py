"""The services wired to the in-memory store, with leads brought to a given state by the
services themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.clock import FixedClock
from bot.domain.lead import FollowUpMethod, Outcome
from bot.services import handoff, outcomes
from bot.services.intake import take_leads
from bot.services.intake_plan import Routing
from bot.services.leadin import LeadIn
from bot.services.outcomes import OutcomeEntry
from config.model import BatonConfig, load_config
from tests.conftest import EXAMPLE_CONFIG, MONDAY_MORNING
from tests.fakes.store import FakeStore

MANAGER, BACKUP, REP, OTHER_REP = "U0EMEAMGR1", "U0EMEABK01", "U0EMEAREP1", "U0EMEAREP2"
MARKETING = "U0MKTG0001"
STRANGER = "U0STRANGER"

_emails = iter(range(1, 1_000_000))


@dataclass
class Services:
    """The services over a fresh in-memory store, on the example config, at a fixed time."""

    store: FakeStore = field(default_factory=FakeStore)
    config: BatonConfig = field(default_factory=lambda: load_config(EXAMPLE_CONFIG))
    clock: FixedClock = field(default_factory=lambda: FixedClock(MONDAY_MORNING))

    @property
    def common(self) -> dict[str, Any]:
        return {"uow_factory": self.store.unit_of_work, "config": self.config, "clock": self.clock}

    @property
    def routing(self) -> Routing:
        return Routing(definition=self.config.lead_definition, regions=self.config.regions)

    def take(self, **facts: Any) -> str:
        """Take in one lead (sales-ready for emea unless told otherwise); its short id."""
        values = {
            "email": f"person{next(_emails)}@acme.example",
            "company": "Acme GmbH",
            "country": "DE",
            "score": 80,
        }
        [result] = take_leads(
            [LeadIn.model_validate(values | facts)],
            uow_factory=self.store.unit_of_work,
            clock=self.clock,
            routing=self.routing,
        )
        return result.id

    def accepted(self, rep: str = REP, **facts: Any) -> str:
        short_id = self.take(**facts)
        handoff.accept_lead(
            short_id,
            actor=MANAGER,
            rep_id=rep,
            comment="Call them this week.",
            method=FollowUpMethod.PHONE,
            due_date=self.today() + timedelta(days=3),
            handoff_round=1,
            **self.common,
        )
        return short_id

    def log(self, short_id: str, outcome: Outcome, actor: str = REP, **entry: Any) -> Any:
        return outcomes.log_outcome(
            short_id,
            OutcomeEntry(outcome, **entry),
            actor=actor,
            request_key=None,
            **self.common,
        )

    def today(self) -> date:
        return self.clock.now().date()
