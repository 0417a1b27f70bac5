"""A lead's summary from hand-built event histories with known answers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.domain.lead_summary import (
    NOT_COMPUTED,
    CalendarBook,
    Fact,
    Stage,
    speed_of,
    summarise,
)
from config.model import BatonConfig

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


class History:
    """Events of one lead, written the way the lifecycle writes them."""

    def __init__(self, region: str | None = "emea", campaign: str | None = "webinar") -> None:
        self.facts: list[Fact] = []
        self.region, self.campaign = region, campaign
        self.status = "received"

    def add(
        self,
        kind: str,
        at: datetime,
        status_after: str | None = None,
        reason_code: str | None = None,
        amount: str | None = None,
        **data: Any,
    ) -> int:
        event_id = len(self.facts) + 1
        after = status_after or self.status
        self.facts.append(
            Fact(
                id=event_id,
                kind=kind,
                at=at,
                region=self.region,
                campaign=self.campaign,
                source="web",
                status_before=self.status,
                status_after=after,
                reason_code=reason_code,
                amount=Decimal(amount) if amount else None,
                data=data,
            )
        )
        self.status = after
        return event_id

    def received(self, at: datetime, sales_ready: bool = True) -> None:
        status = "pending" if sales_ready else "nurture"
        self.add("received", at, status, "sales-ready" if sales_ready else "nurture")

    def accepted(self, at: datetime, rep: str = "U0EMEAREP1") -> None:
        self.add("accepted", at, "accepted", rep_id=rep)

    def outcome(self, at: datetime, outcome: str, amount: str | None = None, **data: Any) -> int:
        status = outcome if outcome not in ("attempted",) else self.status
        return self.add("outcome", at, status, outcome, amount, outcome=outcome, **data)

    def summary(self):  # type: ignore[no-untyped-def]
        summary = summarise(self.facts)
        assert summary is not None
        return summary


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def book(example_config: BatonConfig) -> CalendarBook:
    return CalendarBook({r.name: r.calendar() for r in example_config.regions})


def accept_minutes(history: History, book: CalendarBook) -> int | None:
    return speed_of(history.summary(), book).accept_minutes


# Working time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "handed", "accepted", "minutes"),
    [
        # Berlin, 09:00-12:30 and 13:30-17:30: Friday 16:30 to Monday 10:00 is 1 h + 1 h.
        ("emea", "2026-11-20T16:30+01:00", "2026-11-23T10:00+01:00", 120),
        # The lunch break does not count: 12:00 to 14:00 is 30 + 30 minutes.
        ("emea", "2026-11-24T12:00+01:00", "2026-11-24T14:00+01:00", 60),
        # Singapore, 09:00-18:00: Thursday 17:00 to Friday 10:00 is 1 h + 1 h.
        ("apac", "2026-11-19T17:00+08:00", "2026-11-20T10:00+08:00", 120),
        # The same two instants in New York (08:30-17:30) are all of Thursday's working day.
        ("americas-east", "2026-11-19T17:00+08:00", "2026-11-20T10:00+08:00", 540),
        # No region: UTC, Monday to Friday 09:00-17:00; a Saturday lead waits for Monday.
        (None, "2026-11-21T11:00+00:00", "2026-11-23T10:00+00:00", 60),
        # Berlin's clocks go back on 25 October: Friday 17:00 CEST to Monday 09:30 CET is 1 h.
        ("emea", "2026-10-23T17:00+02:00", "2026-10-26T09:30+01:00", 60),
        # Christmas Day (a holiday) and the weekend do not count: 30 minutes.
        ("emea", "2026-12-24T17:00+01:00", "2026-12-28T09:00+01:00", 30),
        # New York's Thanksgiving (26 November) is a holiday: Wednesday 17:00 to Friday 09:00.
        ("americas-east", "2026-11-25T17:00-05:00", "2026-11-27T09:00-05:00", 60),
        # Accepted before the working day starts: no working time has passed.
        ("emea", "2026-11-24T06:00+01:00", "2026-11-24T08:59+01:00", 0),
    ],
)
def test_time_to_accept_counts_the_accepting_regions_working_hours(
    book: CalendarBook, region: str | None, handed: str, accepted: str, minutes: int
) -> None:
    history = History(region=region)
    history.received(at(handed))
    history.accepted(at(accepted))
    assert accept_minutes(history, book) == minutes


def test_a_rerouted_lead_waits_from_its_first_handoff_and_counts_in_the_accepting_region(
    book: CalendarBook,
) -> None:
    history = History(region="emea")
    history.received(at("2026-11-23T09:00+01:00"))  # Monday 09:00 Berlin
    history.add("rerouted", at("2026-11-23T11:00+01:00"), to_region="apac")
    history.region = "apac"
    history.add("handoff_started", at("2026-11-23T11:00+01:00"), "pending")
    history.accepted(at("2026-11-24T10:00+08:00"), rep="U0APACREP1")  # Tuesday 10:00 SGT
    summary = history.summary()
    assert summary.handed_at == at("2026-11-23T09:00+01:00")
    assert summary.accept_region == "apac"
    assert summary.region == "apac"
    # Singapore: Monday 16:00-18:00 and Tuesday 09:00-10:00.
    assert accept_minutes(history, book) == 180


def test_speed_is_left_unmeasured_without_calendars() -> None:
    history = History()
    history.received(T0)
    history.accepted(at("2026-11-02T10:00+00:00"))
    speed = speed_of(history.summary(), None)
    assert (speed.accept_minutes, speed.accept_stamp) == (None, NOT_COMPUTED)
    assert (speed.contact_minutes, speed.contact_stamp) == (None, None)


def test_a_calendar_stamp_changes_with_the_calendar(example_config: BatonConfig) -> None:
    book = CalendarBook({r.name: r.calendar() for r in example_config.regions})
    emea = example_config.region("emea")
    assert emea is not None
    changed = emea.model_copy(update={"holidays": (*emea.holidays, datetime(2026, 11, 30).date())})
    later = CalendarBook({**book.calendars, "emea": changed.calendar()})
    assert book.is_current(book.stamp("emea")) and book.is_current(book.stamp(None))
    assert not later.is_current(book.stamp("emea"))
    assert later.is_current(book.stamp("apac"))
    assert not book.is_current(NOT_COMPUTED)


# Stages --------------------------------------------------------------------------------


def test_a_nurture_lead_reaches_no_stage() -> None:
    history = History(campaign=None)
    history.received(T0, sales_ready=False)
    history.campaign = "webinar"
    history.add("activity", at("2026-11-03T09:00+00:00"))
    summary = history.summary()
    assert summary.stages == Stage(0)
    assert summary.received_at == T0
    assert summary.campaign == "webinar"  # the first campaign any event names


def test_a_returned_lead_handed_off_again_counts_once_in_each_stage_it_reached(
    book: CalendarBook,
) -> None:
    history = History()
    history.received(at("2026-11-02T09:00+01:00"))
    history.add("returned", at("2026-11-02T10:00+01:00"), "returned", "not_ready")
    history.add("qualified", at("2026-11-16T09:00+01:00"), "pending", "sales-ready")
    history.add("handoff_started", at("2026-11-16T09:00+01:00"), "pending", "sales-ready")
    history.accepted(at("2026-11-16T11:00+01:00"))
    history.outcome(at("2026-11-17T10:00+01:00"), "connected")
    summary = history.summary()
    assert summary.stages == (Stage.SALES_READY | Stage.RETURNED | Stage.ACCEPTED | Stage.CONTACTED)
    assert summary.return_reason == "not_ready"
    assert summary.received_at == at("2026-11-02T09:00+01:00")
    # Speed counts from the round that was accepted, not from the first handoff.
    assert summary.handed_at == at("2026-11-16T09:00+01:00")
    speed = speed_of(summary, book)
    assert speed.accept_minutes == 120
    assert speed.contact_minutes == 510  # Monday 09:00 to Tuesday 10:00 in Berlin: 7.5 h + 1 h


def test_a_corrected_won_is_not_won_and_a_later_loss_carries_the_pipeline_amount() -> None:
    history = History()
    history.received(T0)
    history.accepted(at("2026-11-02T10:00+00:00"))
    history.outcome(at("2026-11-03T10:00+00:00"), "opportunity", "8000")
    mistake = history.outcome(at("2026-11-04T10:00+00:00"), "won", "9000")
    history.add("correction", at("2026-11-04T11:00+00:00"), "opportunity", "won")
    history.facts[-1] = history.facts[-1]._replace(data={"corrects_event_id": mistake})
    history.outcome(at("2026-11-05T10:00+00:00"), "lost")
    summary = history.summary()
    assert Stage.WON not in summary.stages
    assert Stage.LOST in summary.stages and Stage.OPPORTUNITY in summary.stages
    assert summary.amount == Decimal("8000")


@pytest.mark.parametrize(
    ("won_amount", "expected"), [("12500.50", Decimal("12500.50")), (None, Decimal("8000"))]
)
def test_a_won_deal_is_its_won_amount_or_else_its_opportunity_amount(
    won_amount: str | None, expected: Decimal
) -> None:
    history = History()
    history.received(T0)
    history.accepted(at("2026-11-02T10:00+00:00"))
    history.outcome(at("2026-11-03T10:00+00:00"), "opportunity", "8000")
    history.outcome(at("2026-11-04T10:00+00:00"), "won", won_amount)
    summary = history.summary()
    assert summary.amount == expected
    assert Stage.LOST not in summary.stages


def test_a_won_lead_has_passed_every_stage_before_it() -> None:
    history = History()
    history.received(T0)
    history.accepted(at("2026-11-02T10:00+00:00"))
    history.outcome(at("2026-11-03T10:00+00:00"), "won", "100", currency="EUR")
    summary = history.summary()
    for stage in (Stage.SALES_READY, Stage.ACCEPTED, Stage.CONTACTED, Stage.MEETING):
        assert stage in summary.stages
    assert Stage.OPPORTUNITY in summary.stages
    assert (summary.amount, summary.amount_currency) == (Decimal("100"), "EUR")


def test_an_attempt_is_not_contact() -> None:
    history = History()
    history.received(T0)
    history.accepted(at("2026-11-02T10:00+00:00"))
    history.outcome(at("2026-11-03T10:00+00:00"), "attempted")
    assert Stage.CONTACTED not in history.summary().stages


def test_a_touch_that_reached_a_leaked_lead_is_contact_and_rescues_it(book: CalendarBook) -> None:
    history = History()
    history.received(at("2026-11-02T09:00+01:00"))
    history.accepted(at("2026-11-02T10:00+01:00"))
    history.add("leaked", at("2026-11-16T10:00+01:00"), leakage_days=14)
    history.add("touch", at("2026-11-17T10:00+01:00"), reached=False)
    history.add("touch", at("2026-11-18T10:00+01:00"), reached=True)
    summary = history.summary()
    assert {Stage.LEAKED, Stage.RESCUED, Stage.CONTACTED} <= set(summary.stages)
    assert summary.leaked_at == at("2026-11-16T10:00+01:00")
    assert summary.contacted_at == at("2026-11-18T10:00+01:00")
    assert speed_of(summary, book).contact_minutes == 60 * (12 * 7.5 + 1)


def test_a_withdrawn_rep_return_does_not_count_as_returned() -> None:
    history = History()
    history.received(T0)
    history.accepted(at("2026-11-02T10:00+00:00"))
    returned = history.add("returned", at("2026-11-03T10:00+00:00"), "returned", "not_a_fit")
    history.add("correction", at("2026-11-03T11:00+00:00"), "accepted", "return")
    history.facts[-1] = history.facts[-1]._replace(data={"corrects_event_id": returned})
    summary = history.summary()
    assert Stage.RETURNED not in summary.stages
    assert summary.return_reason is None


def test_the_rep_is_the_one_of_the_latest_acceptance() -> None:
    history = History()
    history.received(T0)
    history.accepted(at("2026-11-02T10:00+00:00"), rep="U0EMEAREP1")
    history.add("returned", at("2026-11-03T10:00+00:00"), "returned", "not_a_fit")
    history.add("handoff_started", at("2026-11-10T10:00+00:00"), "pending")
    history.accepted(at("2026-11-10T11:00+00:00"), rep="U0EMEAREP2")
    summary = history.summary()
    assert summary.rep_id == "U0EMEAREP2"
    assert summary.accepted_at == at("2026-11-02T10:00+00:00")  # the first acceptance


def test_no_events_is_no_summary() -> None:
    assert summarise([]) is None
