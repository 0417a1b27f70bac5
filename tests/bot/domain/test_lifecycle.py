"""The lifecycle as a table: every command on a lead in every status, allowed or refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.lead import (
    REQUALIFIABLE,
    Accept,
    AlreadyDecided,
    AskWhy,
    Authority,
    Change,
    Command,
    CorrectOutcome,
    FlagLeaked,
    FollowUpMethod,
    KeepNurturing,
    Lead,
    LeadClosed,
    LeadError,
    LeadStatus,
    LogOutcome,
    LogTouch,
    NotAllowed,
    Nudge,
    Outcome,
    Qualify,
    Reassign,
    RecordActivity,
    Requeue,
    Reroute,
    Return,
    ReturnReason,
    apply,
    for_another_reason,
)

S = LeadStatus
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
BOSS, STRANGER = "U0BOSS0001", "U0STRANGER"
# One person who may do everything: decide, work the lead and speak for marketing.
EVERYONE = Authority(deciders=frozenset({BOSS}), marketing=frozenset({BOSS}), named=(BOSS,))

COMMANDS: dict[str, Command] = {
    "qualify": Qualify(sales_ready=True, reason="score 80 ≥ 50", region="emea"),
    "requeue": Requeue(region="emea", note="worth another look"),
    "accept": Accept(BOSS, "call them", FollowUpMethod.PHONE, NOW + timedelta(days=3), 1),
    "return": Return(ReturnReason.NOT_A_FIT, notes=None),
    "reroute": Reroute(region="apac", note="theirs", handoff_round=1),
    "log outcome": LogOutcome(Outcome.MEETING),
    "correct outcome": CorrectOutcome(1, S.ACCEPTED, Outcome.MEETING),
    "record activity": RecordActivity(({"type": "visit", "at": None, "detail": "pricing"},)),
    "log touch": LogTouch(reached=True, notes="called"),
    "flag leaked": FlagLeaked(leakage_days=14),
    "nudge": Nudge(handoff_round=1),
    "reassign": Reassign("U0OTHERREP", note="Ana covers Munich now"),
    "keep nurturing": KeepNurturing(note="not before Q3"),
    "ask why": AskWhy("Was it the budget?", to=BOSS),
}

# command: status -> (status after, events) when allowed, or the error that refuses it.
Expected = tuple[S, str] | type[LeadError]
WORKED = (S.ACCEPTED, S.ATTEMPTED, S.CONNECTED, S.MEETING, S.OPPORTUNITY)
TABLE: dict[str, dict[S, Expected]] = {
    "qualify": {
        S.RECEIVED: (S.PENDING, "received"),
        S.NURTURE: (S.PENDING, "qualified handoff_started"),
        S.PENDING: LeadError,
        **dict.fromkeys(WORKED, LeadError),
        S.WON: LeadClosed,
        S.LOST: (S.PENDING, "qualified handoff_started"),
        S.RETURNED: (S.PENDING, "qualified handoff_started"),
    },
    "requeue": {
        S.RECEIVED: LeadError,
        S.NURTURE: (S.PENDING, "handoff_started"),
        S.PENDING: LeadError,
        **dict.fromkeys(WORKED, LeadError),
        S.WON: LeadClosed,
        S.LOST: (S.PENDING, "handoff_started"),
        S.RETURNED: (S.PENDING, "handoff_started"),
    },
    "accept": {
        **dict.fromkeys(S, AlreadyDecided),
        S.PENDING: (S.ACCEPTED, "accepted"),
    },
    "return": {
        S.RECEIVED: LeadError,
        S.NURTURE: LeadError,
        S.PENDING: (S.RETURNED, "returned"),
        **dict.fromkeys(WORKED, (S.RETURNED, "returned")),
        S.WON: LeadClosed,
        S.LOST: LeadClosed,
        S.RETURNED: LeadClosed,
    },
    "reroute": {
        **dict.fromkeys(S, AlreadyDecided),
        S.PENDING: (S.PENDING, "rerouted handoff_started"),
    },
    "log outcome": {
        S.RECEIVED: LeadError,
        S.NURTURE: LeadError,
        S.PENDING: LeadError,
        S.ACCEPTED: (S.MEETING, "outcome"),
        S.ATTEMPTED: (S.MEETING, "outcome"),
        S.CONNECTED: (S.MEETING, "outcome"),
        S.MEETING: (S.MEETING, "outcome"),
        S.OPPORTUNITY: (S.OPPORTUNITY, "outcome"),  # an outcome never moves a lead back
        S.WON: LeadClosed,
        S.LOST: LeadClosed,
        S.RETURNED: LeadClosed,
    },
    "correct outcome": {
        S.RECEIVED: LeadError,
        S.NURTURE: LeadError,
        S.PENDING: LeadError,
        **dict.fromkeys((*WORKED, S.WON, S.LOST, S.RETURNED), (S.ACCEPTED, "correction")),
    },
    "record activity": {
        **{status: (status, "activity") for status in S},
        S.RECEIVED: LeadError,
    },
    "log touch": {
        S.RECEIVED: LeadError,
        S.NURTURE: LeadError,
        S.PENDING: LeadError,
        **{status: (status, "touch") for status in (*WORKED, S.WON, S.LOST, S.RETURNED)},
    },
    "flag leaked": {
        S.RECEIVED: LeadError,
        S.NURTURE: LeadError,
        S.PENDING: LeadError,
        **{status: (status, "leaked") for status in WORKED},
        S.WON: LeadClosed,
        S.LOST: LeadClosed,
        S.RETURNED: LeadClosed,
    },
    "nudge": {
        S.RECEIVED: LeadError,
        S.NURTURE: LeadError,
        S.PENDING: LeadError,
        **{status: (status, "nudged") for status in WORKED},
        S.WON: LeadClosed,
        S.LOST: LeadClosed,
        S.RETURNED: LeadClosed,
    },
    "keep nurturing": {
        **dict.fromkeys(S, LeadError),
        S.WON: LeadClosed,
        S.LOST: LeadClosed,
        S.RETURNED: (S.NURTURE, "kept_nurturing"),
    },
    "ask why": {
        **dict.fromkeys(S, LeadError),
        S.WON: LeadClosed,
        S.LOST: LeadClosed,
        S.RETURNED: (S.RETURNED, "asked_why"),
    },
    "reassign": {
        S.RECEIVED: LeadError,
        S.NURTURE: LeadError,
        S.PENDING: LeadError,
        **{status: (status, "reassigned") for status in WORKED},
        S.WON: LeadClosed,
        S.LOST: LeadClosed,
        S.RETURNED: LeadClosed,
    },
}


def lead_in(status: S) -> Lead:
    """A lead of emea in its first round; decided and with its rep once it was accepted."""
    worked = status in (*WORKED, S.WON, S.LOST) or status is S.RETURNED
    return Lead(
        short_id="L-7K3Q9",
        status=status,
        region="emea",
        handoff_round=1,
        rep_id=BOSS if worked else None,
        decided_by=BOSS if worked else None,
        decided_at=NOW - timedelta(days=1) if worked else None,
    )


CASES = [(name, status) for name in COMMANDS for status in S]


def test_the_table_covers_every_status_for_every_command() -> None:
    assert set(TABLE) == set(COMMANDS)
    assert all(set(row) == set(S) for row in TABLE.values())


@pytest.mark.parametrize(("command", "status"), CASES, ids=[f"{c} {s}" for c, s in CASES])
def test_a_command_is_carried_out_or_refused_as_the_table_says(command: str, status: S) -> None:
    expected = TABLE[command][status]
    before = lead_in(status)
    if isinstance(expected, type):
        with pytest.raises(LeadError) as refused:
            apply(before, COMMANDS[command], actor=BOSS, authority=EVERYONE, at=NOW)
        assert type(refused.value) is expected
        assert before.short_id in str(refused.value)
        return
    change = apply(before, COMMANDS[command], actor=BOSS, authority=EVERYONE, at=NOW)
    after, kinds = expected
    assert change.lead.status is after
    assert [event.kind.value for event in change.events] == kinds.split()
    assert all(event.actor == BOSS and event.at == NOW for event in change.events)
    assert change.events[-1].status_after is after


# A person the lead is not theirs to act on: who may do what.
PERMISSIONS = [
    ("requeue", S.NURTURE),
    ("accept", S.PENDING),
    ("return", S.PENDING),
    ("reroute", S.PENDING),
    ("return", S.ACCEPTED),
    ("log outcome", S.ACCEPTED),
    ("correct outcome", S.MEETING),
    ("log touch", S.ACCEPTED),
    ("nudge", S.ACCEPTED),
    ("reassign", S.MEETING),
    ("keep nurturing", S.RETURNED),
    ("ask why", S.RETURNED),
]


@pytest.mark.parametrize(("command", "status"), PERMISSIONS, ids=[c for c, _ in PERMISSIONS])
def test_a_stranger_is_not_allowed_what_the_lead_would_otherwise_accept(
    command: str, status: S
) -> None:
    with pytest.raises(NotAllowed, match="Only"):
        apply(lead_in(status), COMMANDS[command], actor=STRANGER, authority=EVERYONE, at=NOW)


def test_a_reassigned_lead_keeps_its_status_due_date_and_round_and_names_both_reps() -> None:
    before = replace(lead_in(S.CONNECTED), feedback_due_at=NOW + timedelta(days=2))
    change = apply(before, COMMANDS["reassign"], actor=BOSS, authority=EVERYONE, at=NOW)
    assert change.lead == replace(before, rep_id="U0OTHERREP")
    [event] = change.events
    assert event.data == {"rep_id": "U0OTHERREP", "from_rep": BOSS}
    assert event.notes == "Ana covers Munich now"


def test_a_lead_is_not_reassigned_to_the_rep_it_is_with() -> None:
    with pytest.raises(LeadError, match="already with <@U0BOSS0001>"):
        apply(lead_in(S.ACCEPTED), Reassign(BOSS), actor=BOSS, authority=EVERYONE, at=NOW)


def test_reassigning_a_pending_lead_says_to_accept_it_instead() -> None:
    with pytest.raises(LeadError, match="awaits a manager's decision; accept it"):
        apply(lead_in(S.PENDING), Reassign(BOSS), actor=BOSS, authority=EVERYONE, at=NOW)


def test_a_nudge_from_an_earlier_round_is_refused() -> None:
    with pytest.raises(AlreadyDecided, match="moved on"):
        apply(lead_in(S.ACCEPTED), Nudge(0), actor=BOSS, authority=EVERYONE, at=NOW)


def test_only_deciders_may_reassign_and_are_named() -> None:
    with pytest.raises(NotAllowed, match="Only <@U0BOSS0001> can reassign L-7K3Q9"):
        apply(lead_in(S.ACCEPTED), Reassign(STRANGER), actor=STRANGER, authority=EVERYONE, at=NOW)


def test_asking_why_needs_a_question_and_records_whom_it_asks() -> None:
    with pytest.raises(LeadError, match="Ask something"):
        apply(lead_in(S.RETURNED), AskWhy("  ", to=BOSS), actor=BOSS, authority=EVERYONE, at=NOW)
    change = apply(lead_in(S.RETURNED), COMMANDS["ask why"], actor=BOSS, authority=EVERYONE, at=NOW)
    [event] = change.events
    assert (event.notes, event.data) == ("Was it the budget?", {"to": BOSS})


def test_a_lead_under_another_short_id_is_the_same_lead_otherwise() -> None:
    lead = Lead(
        short_id="L-AAAAA",
        status=S.ACCEPTED,
        region="emea",
        handoff_round=2,
        campaign="spring",
        source="web",
        rep_id=BOSS,
        decided_by=BOSS,
        decided_at=NOW,
        feedback_due_at=NOW + timedelta(days=3),
        next_step_at=NOW + timedelta(days=5),
        leaked_at=NOW + timedelta(days=9),
        definition_version=4,
    )
    assert lead.with_short_id("L-BBBBB") == replace(lead, short_id="L-BBBBB")
    assert lead.short_id == "L-AAAAA"


@pytest.mark.parametrize("status", [S.RECEIVED, *sorted(REQUALIFIABLE)])
@pytest.mark.parametrize("sales_ready", [True, False])
@pytest.mark.parametrize("version", [None, 3])
def test_a_qualification_for_another_reason_differs_only_in_its_reason(
    status: LeadStatus, sales_ready: bool, version: int | None
) -> None:
    lead = Lead(short_id="L-AAAAA", status=status, campaign="spring", source="web")

    def qualified(reason: str) -> Change:
        command = Qualify(sales_ready=sales_ready, reason=reason, region="emea", version=version)
        return apply(lead, command, actor=BOSS, authority=EVERYONE, at=NOW)

    assert for_another_reason(qualified("score 60 ≥ 50"), "score 90 ≥ 50") == qualified(
        "score 90 ≥ 50"
    )
