"""The weekly digest pass, on the in-memory store: one digest per audience and week, none empty."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.digest import run_digest_pass
from bot.services.records import Cell
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
