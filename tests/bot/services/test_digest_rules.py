"""The weekly digest pass, on the in-memory store: one digest per audience and week, none empty."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.domain.definitions import DefinitionVersion, Rules, first_version
from bot.domain.digest import MarketingDigest
from bot.domain.lead_summary import Stage
from bot.domain.proposals import Proposal
from bot.services.digest import run_digest_pass
from bot.services.records import Cell
from bot.slack.blocks_report import marketing_digest as marketing_digest_message
from tests.fakes.readers import FakeReportReader
from tests.fakes.services import Services

# Monday 30 November 2026, 10:00 UTC: 09:00 has come in Europe, not yet in New York.
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
ONE_LEAD = Cell(
    group="emea",
    campaign="spring-webinar-2026",
    stages=1,
    return_reason=None,
    amount_currency=None,
    accept_stamp=None,
    contact_stamp=None,
    leads=1,
    amount_cents=0,
)


def run(services: Services, reader: FakeReportReader, now: datetime = MONDAY) -> int:
    services.clock.set(now)
    result = run_digest_pass(
        uow_factory=services.store.unit_of_work,
        reader=reader,
        config=services.config,
        clock=services.clock,
    )
    return result.messages


def test_each_audience_whose_monday_morning_came_gets_one_digest_a_week() -> None:
    services = Services()
    reader = FakeReportReader([ONE_LEAD])
    assert run(services, reader) == 3  # emea, apac and marketing; not yet americas-east
    assert run(services, reader) == 0
    assert run(services, reader, datetime(2026, 11, 30, 15, 0, tzinfo=UTC)) == 1
    posts = [w.data["audience"] for w in services.store.work("digest_post")]
    assert sorted(posts) == ["americas-east", "apac", "emea", "marketing"]
    assert len(services.store.work("digest_chart")) == 4


def test_an_empty_digest_is_not_sent_and_not_counted_again() -> None:
    services = Services()
    assert run(services, FakeReportReader()) == 0
    assert services.store.work() == []
    assert run(services, FakeReportReader([ONE_LEAD])) == 0  # the week is done
    assert len(services.store.state.digests) == 3


def test_a_region_with_only_overdue_feedback_still_gets_its_scoreboard() -> None:
    services = Services()
    run(services, FakeReportReader(overdue=2))
    assert sorted(w.data["audience"] for w in services.store.work("digest_post")) == [
        "apac",
        "emea",
    ]


class LiveVersion:
    """The lead definition's store as the digest reads it: version 3 is live."""

    def live(self) -> DefinitionVersion:
        return replace(first_version(Rules(50, ("email",)), at=MONDAY), number=3)

    def version(self, number: int) -> DefinitionVersion | None:
        return None

    def history(self) -> list[DefinitionVersion]:
        return [self.live()]

    def proposal(self, proposal_id: int) -> None:
        return None

    def proposals(self, *, limit: int = 20) -> list[Proposal]:
        return []


def returned(group: str, reason: str, leads: int) -> Cell:
    stages = int(Stage.SALES_READY | Stage.ACCEPTED | Stage.RETURNED)
    return replace(ONE_LEAD, group=group, stages=stages, return_reason=reason, leads=leads)


def marketing_digest(services: Services, reader: FakeReportReader) -> dict[str, Any]:
    services.clock.set(MONDAY)
    run_digest_pass(
        uow_factory=services.store.unit_of_work,
        reader=reader,
        config=services.config,
        clock=services.clock,
        rules=LiveVersion(),
    )
    [post] = [w for w in services.store.work("digest_post") if w.data["audience"] == "marketing"]
    digest: dict[str, Any] = post.data["digest"]
    return digest


def test_marketings_digest_names_the_live_version_and_returns_for_one_reason_past_the_bar() -> None:
    reader = FakeReportReader(
        [
            returned("trade_show", "bad_contact_data", 31),
            returned("trade_show", "not_a_fit", 19),
            returned("webinar", "not_a_fit", 5),  # too few returns to be news
            returned("webinar", "duplicate", 4),
            returned("web", "not_a_fit", 6),  # no reason has half of them
            returned("web", "duplicate", 5),
            returned("web", "other", 4),
        ]
    )
    digest = marketing_digest(Services(), reader)
    assert digest["live_version"] == 3
    assert digest["return_alerts"] == ["62 % of trade_show returns last month: bad contact data"]
    message = marketing_digest_message(MarketingDigest.from_json(digest))
    text = str(message["blocks"])
    assert "Returns worth a look" in text and "62 % of trade_show returns last month" in text
    assert "Lead definition: version 3 is live" in text


def test_without_returns_worth_telling_the_digest_says_nothing_of_them() -> None:
    digest = marketing_digest(Services(), FakeReportReader([ONE_LEAD]))
    assert digest["return_alerts"] == []
    text = str(marketing_digest_message(MarketingDigest.from_json(digest))["blocks"])
    assert "Returns worth a look" not in text
