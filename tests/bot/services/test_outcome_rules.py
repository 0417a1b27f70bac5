"""Reps' outcomes, on the in-memory store: forward only, once per request, undone within a day."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.domain.lead import LeadClosed, LeadError, NotAllowed, Outcome
from bot.services import outcomes
from bot.services.outcomes import OutcomeEntry
from tests.fakes.services import MANAGER, REP, STRANGER, Services


@pytest.fixture
def services() -> Services:
    return Services()


def undo(services: Services, short_id: str, actor: str = REP) -> outcomes.Undone:
    return outcomes.undo_outcome(short_id, actor=actor, request_key=None, **services.common)


def test_an_outcome_moves_the_lead_forward_and_tells_its_thread_and_card(
    services: Services,
) -> None:
    short_id = services.accepted()
    logged = services.log(short_id, Outcome.MEETING, notes="  demo on Friday ")
    assert (logged.status_before, logged.status, logged.status_kept) == (
        "accepted",
        "meeting",
        False,
    )
    assert services.store.lead(short_id).lead.status == "meeting"
    assert [w.kind for w in services.store.work()][-2:] == ["handoff_update", "thread_note"]


def test_an_earlier_stage_is_recorded_without_moving_the_lead_back(services: Services) -> None:
    short_id = services.accepted()
    services.log(short_id, Outcome.MEETING)
    logged = services.log(short_id, Outcome.ATTEMPTED)
    assert (logged.status, logged.status_kept) == ("meeting", True)
    assert services.store.event_kinds(short_id)[-2:] == ["outcome", "outcome"]


def test_a_request_handled_before_is_not_recorded_twice(services: Services) -> None:
    short_id = services.accepted()
    entry = OutcomeEntry(Outcome.WON, amount=Decimal("1200"))
    common = {"actor": REP, "request_key": "slack:req-1", **services.common}
    assert not outcomes.log_outcome(short_id, entry, **common).repeated
    assert outcomes.log_outcome(short_id, entry, **common).repeated
    assert services.store.event_kinds(short_id).count("outcome") == 1


def test_only_the_rep_or_the_deciders_log_outcomes(services: Services) -> None:
    short_id = services.accepted()
    with pytest.raises(NotAllowed, match="Only <@U0EMEAREP1>, <@U0EMEAMGR1> or <@U0EMEABK01>"):
        services.log(short_id, Outcome.ATTEMPTED, actor=STRANGER)
    assert services.log(short_id, Outcome.ATTEMPTED, actor=MANAGER).status == "attempted"


def test_a_closed_lead_takes_no_more_outcomes_and_says_how_to_undo(services: Services) -> None:
    short_id = services.accepted()
    services.log(short_id, Outcome.LOST)
    with pytest.raises(LeadClosed, match=f"`/lead undo {short_id}` withdraws it within a day"):
        services.log(short_id, Outcome.MEETING)


def test_a_next_step_in_the_past_is_refused(services: Services) -> None:
    short_id = services.accepted()
    with pytest.raises(LeadError, match="is in the past; pick today or later"):
        services.log(short_id, Outcome.ATTEMPTED, next_step=services.today() - timedelta(days=1))
    with pytest.raises(LeadError, match="`next:someday` sets the date"):
        services.log(short_id, Outcome.ATTEMPTED, next_step="someday")


def test_an_undo_withdraws_ones_own_last_outcome_and_the_lead_falls_back(
    services: Services,
) -> None:
    short_id = services.accepted()
    services.log(short_id, Outcome.CONNECTED)
    services.log(short_id, Outcome.WON, amount=Decimal("500"))
    undone = undo(services, short_id)
    assert (undone.outcome, undone.status) == ("won", "connected")
    assert services.store.lead(short_id).lead.status == "connected"
    assert services.store.event_kinds(short_id)[-1] == "correction"


def test_an_undo_after_a_day_or_of_someone_elses_outcome_is_refused(services: Services) -> None:
    short_id = services.accepted()
    services.log(short_id, Outcome.CONNECTED)
    with pytest.raises(LeadError, match="You have no outcome"):
        undo(services, short_id, actor=MANAGER)
    services.clock.advance(days=1, seconds=1)
    with pytest.raises(LeadError, match="more than a day ago, so it stands"):
        undo(services, short_id)
    assert services.store.lead(short_id).lead.status == "connected"


def test_undoing_a_reps_return_tells_marketing_it_was_withdrawn(services: Services) -> None:
    short_id = services.accepted()
    services.log(short_id, Outcome.RETURN, notes="wrong person")
    assert services.store.lead(short_id).lead.status == "returned"
    undo(services, short_id)
    assert services.store.lead(short_id).lead.status == "accepted"
    assert [w.kind for w in services.store.work()][-1] == "return_withdrawn"
