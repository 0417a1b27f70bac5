"""Outcomes in the lifecycle: forward only, closing, who may log, and undo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.domain.lead import (
    Authority,
    CorrectOutcome,
    EventKind,
    Lead,
    LeadClosed,
    LeadError,
    LeadStatus,
    LogOutcome,
    NotAllowed,
    Outcome,
    ReturnReason,
    apply,
)
from bot.domain.outcomes import PastOutcome, standing, to_undo

REP, MANAGER, BACKUP, STRANGER = "U0REP00001", "U0MANAGER1", "U0BACKUP01", "U0STRANGE1"
AT = datetime(2026, 11, 23, 10, tzinfo=UTC)
AUTHORITY = Authority(deciders=frozenset({MANAGER, BACKUP}), named=(MANAGER, BACKUP))


def lead(status: LeadStatus = LeadStatus.ACCEPTED) -> Lead:
    return Lead(short_id="L-7K3Q9", status=status, region="emea", handoff_round=1, rep_id=REP)


def log(status: LeadStatus, outcome: Outcome, actor: str = REP, **extra) -> Lead:  # type: ignore[no-untyped-def]
    return apply(
        lead(status), LogOutcome(outcome, **extra), actor=actor, authority=AUTHORITY, at=AT
    ).lead


@pytest.mark.parametrize(
    ("status", "outcome", "after"),
    [
        (LeadStatus.ACCEPTED, Outcome.ATTEMPTED, LeadStatus.ATTEMPTED),
        (LeadStatus.ATTEMPTED, Outcome.MEETING, LeadStatus.MEETING),
        (LeadStatus.MEETING, Outcome.ATTEMPTED, LeadStatus.MEETING),
        (LeadStatus.OPPORTUNITY, Outcome.CONNECTED, LeadStatus.OPPORTUNITY),
        (LeadStatus.MEETING, Outcome.MEETING, LeadStatus.MEETING),
        (LeadStatus.OPPORTUNITY, Outcome.LOST, LeadStatus.LOST),
        (LeadStatus.ACCEPTED, Outcome.WON, LeadStatus.WON),
    ],
)
def test_the_status_follows_the_furthest_outcome(
    status: LeadStatus, outcome: Outcome, after: LeadStatus
) -> None:
    assert log(status, outcome).status is after


def test_an_outcome_that_does_not_move_the_lead_is_still_an_event() -> None:
    change = apply(
        lead(LeadStatus.MEETING),
        LogOutcome(Outcome.ATTEMPTED, notes="no answer"),
        actor=REP,
        authority=AUTHORITY,
        at=AT,
    )
    [event] = change.events
    assert (event.kind, event.reason_code, event.status_before, event.status_after) == (
        EventKind.OUTCOME,
        "attempted",
        LeadStatus.MEETING,
        LeadStatus.MEETING,
    )


@pytest.mark.parametrize("status", [LeadStatus.WON, LeadStatus.LOST, LeadStatus.RETURNED])
def test_a_closed_lead_takes_no_more_outcomes(status: LeadStatus) -> None:
    with pytest.raises(LeadClosed, match=f"closed \\({status}\\); it takes no more outcomes"):
        log(status, Outcome.MEETING)


def test_a_return_outcome_is_a_return_with_its_reason() -> None:
    change = apply(
        lead(),
        LogOutcome(Outcome.RETURN, notes="fax number", return_reason=ReturnReason.BAD_CONTACT_DATA),
        actor=REP,
        authority=AUTHORITY,
        at=AT,
    )
    assert change.lead.status is LeadStatus.RETURNED
    assert (change.events[0].kind, change.events[0].reason_code) == (
        EventKind.RETURNED,
        "bad_contact_data",
    )


def test_a_stranger_is_told_the_rep_then_the_manager_then_the_backup_can_log() -> None:
    with pytest.raises(NotAllowed) as refused:
        log(LeadStatus.ACCEPTED, Outcome.MEETING, actor=STRANGER)
    assert (
        str(refused.value)
        == f"Only <@{REP}>, <@{MANAGER}> or <@{BACKUP}> can log outcomes on L-7K3Q9."
    )


@pytest.mark.parametrize("actor", [MANAGER, BACKUP])
def test_the_deciders_may_log_for_the_rep(actor: str) -> None:
    assert (
        log(LeadStatus.ACCEPTED, Outcome.WON, actor=actor, amount=Decimal(5)).status
        is LeadStatus.WON
    )


def test_a_correction_sets_the_status_and_next_step_back() -> None:
    before = lead(LeadStatus.MEETING)
    change = apply(
        before,
        CorrectOutcome(7, LeadStatus.CONNECTED, Outcome.MEETING, next_step_at=AT),
        actor=REP,
        authority=AUTHORITY,
        at=AT,
    )
    assert (change.lead.status, change.lead.next_step_at) == (LeadStatus.CONNECTED, AT)
    assert change.events[0].data == {"corrects_event_id": 7}


def past(
    event_id: int, outcome: Outcome, *, actor: str = REP, hours: float = 0, **extra
) -> PastOutcome:  # type: ignore[no-untyped-def]
    return PastOutcome(event_id, actor, AT + timedelta(hours=hours), outcome, **extra)


def test_standing_replays_the_outcomes_that_still_count_forward_only() -> None:
    history = [
        past(1, Outcome.CONNECTED, next_step_at=AT),
        past(2, Outcome.MEETING, corrected=True),
        past(3, Outcome.ATTEMPTED),
        past(4, Outcome.OPPORTUNITY, next_step_at=AT + timedelta(days=3)),
    ]
    assert standing(history).status is LeadStatus.OPPORTUNITY
    assert standing(history, without=4).status is LeadStatus.CONNECTED
    assert standing(history, without=4).next_step_at == AT
    assert standing([]).status is LeadStatus.ACCEPTED


def test_undo_picks_the_callers_own_last_outcome_that_still_counts() -> None:
    history = [
        past(1, Outcome.CONNECTED),
        past(2, Outcome.MEETING, actor=MANAGER),
        past(3, Outcome.WON, corrected=True),
    ]
    assert (
        to_undo(history, actor=REP, now=AT + timedelta(hours=2), short_id="L-7K3Q9").event_id == 1
    )
    assert to_undo(history, actor=MANAGER, now=AT, short_id="L-7K3Q9").event_id == 2


def test_undo_refuses_nothing_to_undo_and_anything_older_than_a_day() -> None:
    with pytest.raises(LeadError, match="You have no outcome on L-7K3Q9 to undo"):
        to_undo([past(1, Outcome.MEETING, actor=MANAGER)], actor=REP, now=AT, short_id="L-7K3Q9")
    history = [past(1, Outcome.MEETING)]
    assert to_undo(history, actor=REP, now=AT + timedelta(hours=24), short_id="L-7K3Q9")
    with pytest.raises(LeadError, match="more than a day ago"):
        to_undo(history, actor=REP, now=AT + timedelta(hours=24, seconds=1), short_id="L-7K3Q9")


def test_an_amount_keeps_the_currency_it_was_typed_in() -> None:
    change = apply(
        lead(),
        LogOutcome(Outcome.OPPORTUNITY, amount=Decimal(8000), currency="EUR"),
        actor=REP,
        authority=AUTHORITY,
        at=AT,
    )
    assert (change.events[0].amount, change.events[0].data["currency"]) == (Decimal(8000), "EUR")
