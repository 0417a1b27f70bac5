"""A proposal's lifecycle, table-driven: every status × action, allowed or refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import pytest

from bot.domain.definitions import DefinitionVersion, Rules, SourceRules, first_version
from bot.domain.lead import LeadError
from bot.domain.proposals import (
    CLOSED,
    COMMAND_LINE,
    Action,
    AlreadyApproved,
    Approval,
    Approve,
    NothingToChange,
    NotOnATeam,
    Proposal,
    ProposalClosed,
    ProposalEventKind,
    ProposalOpen,
    ProposalStale,
    ProposalStatus,
    ReasonNeeded,
    Reject,
    RulesError,
    Side,
    SideApproved,
    Supersede,
    Teams,
    decide,
    propose,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=3)
M1, M2 = "U0MKTG0001", "U0MKTG0002"  # marketing
S1, S2 = "U0EMEAMGR1", "U0AMERMGR1"  # sales managers
BOTH = "U0SALESVP1"  # a triage decider who is also in marketing
STRANGER = "U0EMEAREP1"

LIVE_RULES = Rules(
    min_score=50,
    required_fields=("email", "company"),
    source_rules={"trade_show": SourceRules(None, ("email", "first_name", "last_name", "company"))},
)
PROPOSED_RULES = replace(LIVE_RULES, min_score=60)
LIVE = replace(first_version(LIVE_RULES, at=T0 - timedelta(days=30)), number=3)


TEAMS = Teams(marketing=frozenset({M1, M2, BOTH}), sales=frozenset({S1, S2, BOTH}))


def proposal_in(status: ProposalStatus, **more: Any) -> Proposal:
    """A stored proposal against version 3, in `status`, as its history would leave it."""
    approvals = {
        ProposalStatus.PROPOSED: (),
        ProposalStatus.MARKETING_APPROVED: (Approval(Side.MARKETING, M1, T0),),
        ProposalStatus.SALES_APPROVED: (Approval(Side.SALES, S1, T0),),
        ProposalStatus.LIVE: (Approval(Side.MARKETING, M1, T0), Approval(Side.SALES, S1, T0)),
        ProposalStatus.REJECTED: (Approval(Side.MARKETING, M1, T0),),
        ProposalStatus.STALE: (Approval(Side.SALES, S1, T0),),
    }[status]
    closing = {
        ProposalStatus.LIVE: {"closed_by": S1, "closed_at": T0, "version": 4},
        ProposalStatus.REJECTED: {"closed_by": S2, "closed_at": T0, "reason": "too strict"},
        ProposalStatus.STALE: {
            "closed_by": "system",
            "closed_at": T0,
            "reason": "version 4 went live after it was proposed",
        },
    }.get(status, {})
    base: dict[str, Any] = {
        "id": 7,
        "rules": PROPOSED_RULES,
        "why": "Too many returns as not a fit below 60.",
        "proposed_by": M1 if status is not ProposalStatus.SALES_APPROVED else S1,
        "proposed_at": T0,
        "base_version": 3,
        "status": status,
        "approvals": approvals,
    }
    return Proposal(**(base | closing | more))


# (status, actor, action, live version) -> resulting status, or the refusal raised.
OPEN_TABLE: list[tuple[ProposalStatus, str, Action, int, ProposalStatus | type[RulesError]]] = [
    (ProposalStatus.PROPOSED, M2, Approve(), 3, ProposalStatus.MARKETING_APPROVED),
    (ProposalStatus.PROPOSED, S2, Approve(), 3, ProposalStatus.SALES_APPROVED),
    (ProposalStatus.PROPOSED, BOTH, Approve(), 3, ProposalStatus.MARKETING_APPROVED),
    (ProposalStatus.PROPOSED, STRANGER, Approve(), 3, NotOnATeam),
    (ProposalStatus.PROPOSED, M2, Approve(), 4, ProposalStale),
    (ProposalStatus.PROPOSED, S2, Reject("too strict"), 3, ProposalStatus.REJECTED),
    (ProposalStatus.PROPOSED, S2, Reject("  "), 3, ReasonNeeded),
    (ProposalStatus.PROPOSED, STRANGER, Reject("no"), 3, NotOnATeam),
    (ProposalStatus.PROPOSED, "system", Supersede(4), 4, ProposalStatus.STALE),
    (ProposalStatus.PROPOSED, "system", Supersede(3), 3, RulesError),
    (ProposalStatus.MARKETING_APPROVED, S2, Approve(), 3, ProposalStatus.LIVE),
    (ProposalStatus.MARKETING_APPROVED, BOTH, Approve(), 3, ProposalStatus.LIVE),
    (ProposalStatus.MARKETING_APPROVED, M2, Approve(), 3, SideApproved),
    (ProposalStatus.MARKETING_APPROVED, M1, Approve(), 3, AlreadyApproved),
    (ProposalStatus.MARKETING_APPROVED, STRANGER, Approve(), 3, NotOnATeam),
    (ProposalStatus.MARKETING_APPROVED, S2, Approve(), 4, ProposalStale),
    (ProposalStatus.MARKETING_APPROVED, M1, Reject("withdrawn"), 3, ProposalStatus.REJECTED),
    (ProposalStatus.MARKETING_APPROVED, S2, Reject(""), 3, ReasonNeeded),
    (ProposalStatus.MARKETING_APPROVED, STRANGER, Reject("no"), 3, NotOnATeam),
    (ProposalStatus.MARKETING_APPROVED, "system", Supersede(5), 5, ProposalStatus.STALE),
    (ProposalStatus.SALES_APPROVED, M2, Approve(), 3, ProposalStatus.LIVE),
    (ProposalStatus.SALES_APPROVED, BOTH, Approve(), 3, ProposalStatus.LIVE),
    (ProposalStatus.SALES_APPROVED, S2, Approve(), 3, SideApproved),
    (ProposalStatus.SALES_APPROVED, S1, Approve(), 3, AlreadyApproved),
    (ProposalStatus.SALES_APPROVED, STRANGER, Approve(), 3, NotOnATeam),
    (ProposalStatus.SALES_APPROVED, M2, Approve(), 4, ProposalStale),
    (ProposalStatus.SALES_APPROVED, M2, Reject("not yet"), 3, ProposalStatus.REJECTED),
    (ProposalStatus.SALES_APPROVED, M2, Reject("\n"), 3, ReasonNeeded),
    (ProposalStatus.SALES_APPROVED, STRANGER, Reject("no"), 3, NotOnATeam),
    (ProposalStatus.SALES_APPROVED, "system", Supersede(4), 4, ProposalStatus.STALE),
]
CLOSED_TABLE = [
    (status, actor, action, 4, ProposalClosed)
    for status, (actor, action) in product(
        sorted(CLOSED),
        [(S2, Approve()), (M2, Approve()), (M2, Reject("late")), ("system", Supersede(5))],
    )
]
TABLE = OPEN_TABLE + CLOSED_TABLE


def test_the_table_covers_every_status_and_action() -> None:
    covered = {(status, type(action)) for status, _, action, _, _ in TABLE}
    assert covered == set(product(ProposalStatus, (Approve, Reject, Supersede)))


@pytest.mark.parametrize(("status", "actor", "action", "live", "expected"), TABLE)
def test_every_status_and_action(
    status: ProposalStatus,
    actor: str,
    action: Action,
    live: int,
    expected: ProposalStatus | type[RulesError],
) -> None:
    proposal = proposal_in(status)
    if isinstance(expected, type):
        with pytest.raises(expected) as refused:
            decide(proposal, action, actor=actor, teams=TEAMS, live=live, at=LATER)
        assert isinstance(refused.value, LeadError)  # shown to the person like any refusal
        assert str(refused.value)
        return
    change = decide(proposal, action, actor=actor, teams=TEAMS, live=live, at=LATER)
    assert change.proposal.status is expected
    assert change.proposal.id == proposal.id
    if expected in CLOSED:
        assert (change.proposal.closed_by, change.proposal.closed_at) == (actor, LATER)
    assert (change.version is not None) == (expected is ProposalStatus.LIVE)
    assert change.event.actor == actor and change.event.at == LATER


def test_approval_by_the_other_side_makes_the_next_version_live() -> None:
    change = decide(
        proposal_in(ProposalStatus.MARKETING_APPROVED),
        Approve(),
        actor=S2,
        teams=TEAMS,
        live=3,
        at=LATER,
    )
    assert change.version == DefinitionVersion(
        number=4,
        rules=PROPOSED_RULES,
        why="Too many returns as not a fit below 60.",
        proposed_by=M1,
        marketing_approver=M1,
        sales_approver=S2,
        took_effect_at=LATER,
        proposal_id=7,
    )
    assert change.proposal.version == 4
    assert change.proposal.approvals[-1] == Approval(Side.SALES, S2, LATER)
    assert change.event.kind is ProposalEventKind.WENT_LIVE
    assert change.proposal.waiting_for == ()


def test_a_person_on_both_teams_approves_for_the_side_still_waiting() -> None:
    change = decide(
        proposal_in(ProposalStatus.SALES_APPROVED),
        Approve(),
        actor=BOTH,
        teams=TEAMS,
        live=3,
        at=LATER,
    )
    assert change.version is not None
    assert (change.version.marketing_approver, change.version.sales_approver) == (BOTH, S1)


def test_a_first_approval_waits_for_the_other_side() -> None:
    change = decide(
        proposal_in(ProposalStatus.PROPOSED), Approve(), actor=S2, teams=TEAMS, live=3, at=LATER
    )
    assert change.event.kind is ProposalEventKind.APPROVED
    assert change.event.side is Side.SALES
    assert change.proposal.waiting_for == (Side.MARKETING,)


def test_refusals_say_what_is_needed_instead() -> None:
    def refusal(status: ProposalStatus, actor: str, action: Action, live: int = 3) -> str:
        with pytest.raises(RulesError) as refused:
            decide(proposal_in(status), action, actor=actor, teams=TEAMS, live=live, at=LATER)
        return str(refused.value)

    assert refusal(ProposalStatus.MARKETING_APPROVED, M2, Approve()) == (
        "Marketing approved proposal 7 already (<@U0MKTG0001>); it now needs a sales "
        "manager's approval."
    )
    assert refusal(ProposalStatus.SALES_APPROVED, S1, Approve()) == (
        "You approved proposal 7 already; it now needs marketing's approval."
    )
    assert refusal(ProposalStatus.MARKETING_APPROVED, STRANGER, Approve()).startswith(
        "Only marketing or a sales manager"
    )
    assert refusal(ProposalStatus.PROPOSED, M2, Approve(), live=4) == (
        "Proposal 7 was made against version 3, and version 4 is live now: it can no longer "
        "be approved. Propose again from the live definition."
    )
    assert refusal(ProposalStatus.LIVE, S2, Approve()) == (
        "Proposal 7 is already live, as version 4."
    )
    assert refusal(ProposalStatus.REJECTED, S2, Approve()) == (
        "Proposal 7 was rejected by <@U0AMERMGR1>: too strict"
    )
    assert refusal(ProposalStatus.STALE, S2, Reject("x")) == (
        "Proposal 7 is stale (version 4 went live after it was proposed): propose again "
        "from the live definition."
    )
    assert refusal(ProposalStatus.PROPOSED, S2, Reject(" ")) == (
        "Say why you reject it: the proposer and both teams are told."
    )


def test_a_rejection_keeps_its_reason() -> None:
    change = decide(
        proposal_in(ProposalStatus.MARKETING_APPROVED),
        Reject("  Trade shows would lose half their leads. "),
        actor=S2,
        teams=TEAMS,
        live=3,
        at=LATER,
    )
    assert change.proposal.reason == "Trade shows would lose half their leads."
    assert change.event.kind is ProposalEventKind.REJECTED
    assert change.event.reason == change.proposal.reason
    assert change.proposal.waiting_for == ()


# Proposing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proposer", "status", "side"),
    [
        (M1, ProposalStatus.MARKETING_APPROVED, Side.MARKETING),
        (S1, ProposalStatus.SALES_APPROVED, Side.SALES),
        (BOTH, ProposalStatus.MARKETING_APPROVED, Side.MARKETING),
        (COMMAND_LINE, ProposalStatus.PROPOSED, None),
    ],
)
def test_the_proposers_own_side_counts_as_approved(
    proposer: str, status: ProposalStatus, side: Side | None
) -> None:
    change = propose(
        PROPOSED_RULES,
        why=" Fewer returns. ",
        by=proposer,
        teams=TEAMS,
        live=LIVE,
        open_proposal=None,
        at=T0,
    )
    proposal = change.proposal
    assert (proposal.status, proposal.base_version, proposal.why) == (status, 3, "Fewer returns.")
    assert proposal.approvals == ((Approval(side, proposer, T0),) if side else ())
    assert change.event.kind is ProposalEventKind.PROPOSED and change.event.side is side
    assert proposal.id is None and change.version is None


def test_the_proposer_cannot_approve_for_the_other_side_too() -> None:
    proposal = propose(
        PROPOSED_RULES, why="x", by=BOTH, teams=TEAMS, live=LIVE, open_proposal=None, at=T0
    ).proposal
    with pytest.raises(AlreadyApproved):
        decide(replace(proposal, id=8), Approve(), actor=BOTH, teams=TEAMS, live=3, at=LATER)


@pytest.mark.parametrize(
    ("by", "rules", "why", "open_proposal", "refusal"),
    [
        (STRANGER, PROPOSED_RULES, "x", None, NotOnATeam),
        (M1, PROPOSED_RULES, "x", proposal_in(ProposalStatus.SALES_APPROVED), ProposalOpen),
        (M1, PROPOSED_RULES, "   ", None, ReasonNeeded),
        (M1, LIVE_RULES, "x", None, NothingToChange),
    ],
)
def test_a_proposal_is_refused(
    by: str,
    rules: Rules,
    why: str,
    open_proposal: Proposal | None,
    refusal: type[RulesError],
) -> None:
    with pytest.raises(refusal) as refused:
        propose(rules, why=why, by=by, teams=TEAMS, live=LIVE, open_proposal=open_proposal, at=T0)
    if refusal is ProposalOpen:
        assert str(refused.value) == (
            "Proposal 7 by <@U0EMEAMGR1> is still open: approve or reject it first "
            "(one proposal at a time)."
        )
