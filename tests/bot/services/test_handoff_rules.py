"""The manager's decisions, on the in-memory store: who may decide, what each decision needs,
what it changes and what Slack is told."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.lead import AlreadyDecided, FollowUpMethod, LeadError, NotAllowed, ReturnReason
from bot.services import handoff
from tests.fakes.services import MANAGER, OTHER_REP, REP, STRANGER, Services


@pytest.fixture
def services() -> Services:
    return Services()


def accept(services: Services, short_id: str, *, actor: str = MANAGER, **given: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "actor": actor,
        "rep_id": REP,
        "comment": "Call them this week.",
        "method": FollowUpMethod.PHONE,
        "due_date": services.today() + timedelta(days=3),
        "handoff_round": 1,
    }
    return handoff.accept_lead(short_id, **(values | given), **services.common)  # type: ignore[arg-type]


def test_an_accepted_lead_goes_to_its_rep_and_the_handoff_message_is_updated(
    services: Services,
) -> None:
    short_id = services.take()
    decided = accept(services, short_id)
    stored = services.store.lead(short_id)
    assert (decided.status, decided.repeated) == ("accepted", False)
    assert (stored.lead.status, stored.lead.rep_id, stored.lead.decided_by) == (
        "accepted",
        REP,
        MANAGER,
    )
    assert services.store.event_kinds(short_id) == ["received", "accepted"]
    kinds = [work.kind for work in services.store.work()]
    assert kinds == ["handoff", "handoff_update", "thread_note", "rep_dm"]


def test_a_stranger_cannot_accept_a_lead_and_nothing_changes(services: Services) -> None:
    short_id = services.take()
    commits = services.store.commits
    with pytest.raises(NotAllowed, match="Only <@U0EMEABK01> or <@U0EMEAMGR1> can decide"):
        accept(services, short_id, actor=STRANGER)
    assert services.store.lead(short_id).lead.status == "pending"
    assert services.store.commits == commits


@pytest.mark.parametrize("comment", ["", "   "])
def test_an_accept_needs_a_comment_for_the_rep(services: Services, comment: str) -> None:
    short_id = services.take()
    with pytest.raises(LeadError, match="Add a comment for the rep"):
        accept(services, short_id, comment=comment)
    assert services.store.lead(short_id).lead.status == "pending"


def test_a_feedback_date_in_the_past_is_refused(services: Services) -> None:
    short_id = services.take()
    with pytest.raises(LeadError, match="feedback due date is in the past"):
        accept(services, short_id, due_date=services.today() - timedelta(days=1))


def test_the_decider_deciding_again_is_told_it_is_done_anyone_else_who_decided(
    services: Services,
) -> None:
    short_id = services.take()
    accept(services, short_id)
    assert accept(services, short_id).repeated
    with pytest.raises(AlreadyDecided, match="<@U0EMEAMGR1> accepted it for <@U0EMEAREP1>"):
        accept(services, short_id, actor="U0EMEABK01")
    assert len(services.store.work("rep_dm")) == 1


def test_a_return_for_another_reason_needs_notes(services: Services) -> None:
    short_id = services.take()
    common = {"actor": MANAGER, "handoff_round": 1, **services.common}
    with pytest.raises(LeadError, match="Say why in the notes"):
        handoff.return_lead(short_id, reason=ReturnReason.OTHER, notes=" ", **common)
    returned = handoff.return_lead(short_id, reason=ReturnReason.NOT_A_FIT, notes=None, **common)
    assert returned.status == "returned"
    assert [w.kind for w in services.store.work()][-1] == "returned_notice"


def test_a_reroute_starts_a_new_round_in_the_other_region(services: Services) -> None:
    short_id = services.take()
    common = {"actor": MANAGER, "note": "theirs", "handoff_round": 1, **services.common}
    with pytest.raises(LeadError, match="no region named “mars”"):
        handoff.reroute_lead(short_id, region="mars", **common)
    handoff.reroute_lead(short_id, region="apac", **common)
    lead = services.store.lead(short_id).lead
    assert (lead.status, lead.region, lead.handoff_round) == ("pending", "apac", 2)
    assert [w.key.split(":")[0] for w in services.store.work()][-3:] == [
        "update",
        "note",
        "handoff",
    ]
    assert services.store.work()[-1].handoff_round == 2


def test_a_button_from_an_earlier_round_opens_nothing(services: Services) -> None:
    short_id = services.take()
    handoff.reroute_lead(
        short_id, actor=MANAGER, region=None, note=None, handoff_round=1, **services.common
    )
    with pytest.raises(AlreadyDecided, match="moved on since that message: it is in round 2"):
        handoff.check_decider(
            short_id,
            "U0MKTG0001",
            uow_factory=services.store.unit_of_work,
            config=services.config,
            handoff_round=1,
        )


def test_the_accept_form_suggests_the_rep_at_the_company_else_the_least_busy(
    services: Services,
) -> None:
    services.accepted(rep=OTHER_REP, company="Initech")
    services.accepted(rep=REP, company="Globex")
    services.accepted(rep=REP, company="Globex")
    at_initech = services.take(company="Initech")
    form = handoff.accept_form(at_initech, MANAGER, **services.common)
    assert (form.suggested_rep, form.suggestion_reason) == (
        OTHER_REP,
        "already owns an open lead at this company",
    )
    elsewhere = services.take(company="Hooli")
    form = handoff.accept_form(elsewhere, MANAGER, **services.common)
    assert (form.suggested_rep, form.suggestion_reason) == (
        OTHER_REP,
        "fewest open leads in the region (1)",
    )
    assert form.reps == [REP, OTHER_REP]
