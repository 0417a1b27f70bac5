"""Definition versions, proposals and approvals as stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.domain.definitions import Rules, SourceRules, first_version
from bot.domain.proposals import (
    COMMAND_LINE,
    Approve,
    ProposalClosed,
    ProposalStatus,
    Reject,
    RulesError,
    Side,
    Supersede,
    Teams,
    decide,
    propose,
)
from storage.db import Database
from storage.definitions import ProposalPost, SqlRules
from storage.rows import RuleApprovalRow
from tests.conftest import empty_database

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M1, S1, S2 = "U0MKTG0001", "U0EMEAMGR1", "U0AMERMGR1"
TEAMS = Teams(marketing=frozenset({M1}), sales=frozenset({S1, S2}))
LIVE = Rules(
    min_score=50,
    required_fields=("email", "company"),
    source_rules={"trade_show": SourceRules(None, ("email", "first_name", "last_name", "company"))},
)
PROPOSED = replace(LIVE, min_score=60, allowed_sources=("web", "trade_show"))


def seeded(database: Database) -> SqlRules:
    rules = SqlRules(database)
    with rules.changing() as store:
        assert store.seed(first_version(LIVE, at=T0))
    return rules


def test_version_1_is_seeded_once(database: Database) -> None:
    rules = seeded(database)
    with rules.changing() as store:
        assert not store.seed(first_version(PROPOSED, at=T0 + timedelta(days=1)))
    with rules.reading() as store:
        live = store.live()
        assert live == first_version(LIVE, at=T0)
        assert store.history() == [live]
        assert store.version(1) == live and store.version(2) is None


def test_nothing_is_live_before_the_seed(database: Database) -> None:
    with SqlRules(database).reading() as store:
        assert store.live() is None and store.history() == [] and store.open_proposal() is None


def test_a_proposal_approved_by_both_sides_becomes_the_live_version(database: Database) -> None:
    rules = seeded(database)
    with rules.changing() as store:
        live = store.live(for_update=True)
        assert live is not None
        made = propose(
            PROPOSED, why="Fewer returns.", by=M1, teams=TEAMS, live=live, open_proposal=None, at=T0
        )
        proposal = store.add_proposal(made.proposal)
    assert proposal.id is not None
    assert proposal == replace(made.proposal, id=proposal.id)
    with rules.reading() as store:
        assert store.open_proposal() == proposal
    later = T0 + timedelta(hours=2)
    with rules.changing() as store:
        stored = store.proposal(proposal.id, for_update=True)
        live = store.live(for_update=True)
        assert stored is not None and live is not None
        change = decide(stored, Approve(), actor=S1, teams=TEAMS, live=live.number, at=later)
        store.save_proposal(change.proposal)
        assert change.version is not None
        store.add_version(change.version)
    with rules.reading() as store:
        live = store.live()
        assert live is not None and live == change.version
        assert (live.number, live.rules, live.marketing_approver, live.sales_approver) == (
            2,
            PROPOSED,
            M1,
            S1,
        )
        assert [v.number for v in store.history()] == [2, 1]
        done = store.proposal(proposal.id)
        assert done == change.proposal
        assert done is not None and done.status is ProposalStatus.LIVE and done.version == 2
        assert [(a.side, a.by) for a in done.approvals] == [(Side.MARKETING, M1), (Side.SALES, S1)]
        assert store.open_proposal() is None


def test_rejected_and_stale_proposals_keep_why(database: Database) -> None:
    rules = seeded(database)
    with rules.changing() as store:
        live = store.live()
        assert live is not None
        made = propose(
            PROPOSED,
            why="Try it.",
            by=COMMAND_LINE,
            teams=TEAMS,
            live=live,
            open_proposal=None,
            at=T0,
        )
        first = store.add_proposal(made.proposal)
        rejected = decide(first, Reject("Too strict"), actor=S2, teams=TEAMS, live=1, at=T0)
        store.save_proposal(rejected.proposal)
        second = store.add_proposal(replace(made.proposal, why="Again."))
        stale = decide(second, Supersede(2), actor="system", teams=TEAMS, live=2, at=T0)
        store.save_proposal(stale.proposal)
    with rules.reading() as store:
        newest, oldest = store.proposals()
        assert newest == stale.proposal and oldest == rejected.proposal
        assert (oldest.status, oldest.reason, oldest.closed_by) == (
            ProposalStatus.REJECTED,
            "Too strict",
            S2,
        )
        assert newest.status is ProposalStatus.STALE and newest.approvals == ()


def test_one_side_approves_once_and_one_person_once_whatever_the_code_does(
    database: Database,
) -> None:
    rules = seeded(database)
    with rules.changing() as store:
        live = store.live()
        assert live is not None
        made = propose(PROPOSED, why="x", by=M1, teams=TEAMS, live=live, open_proposal=None, at=T0)
        proposal_id = store.add_proposal(made.proposal).id
    for side, user in ((Side.MARKETING.value, S1), (Side.SALES.value, M1)):
        with pytest.raises(IntegrityError), rules.changing() as store:
            store.session.add(
                RuleApprovalRow(proposal_id=proposal_id, side=side, user_id=user, at=T0)
            )
            store.session.flush()
    with rules.reading() as store:
        stored = store.proposal(proposal_id)  # type: ignore[arg-type]
        assert stored is not None and len(stored.approvals) == 1


def test_two_managers_approving_at_once_make_one_version(database: Database) -> None:
    rules = seeded(database)
    with rules.changing() as store:
        live = store.live()
        assert live is not None
        made = propose(PROPOSED, why="x", by=M1, teams=TEAMS, live=live, open_proposal=None, at=T0)
        proposal_id = store.add_proposal(made.proposal).id
    assert proposal_id is not None
    outcomes: dict[str, object] = {}
    start = threading.Barrier(2)

    def approve(manager: str) -> None:
        start.wait()
        try:
            with rules.changing() as store:
                # Locked in this order by every decision on the definition.
                live = store.live(for_update=True)
                stored = store.proposal(proposal_id, for_update=True)
                assert live is not None and stored is not None
                change = decide(
                    stored, Approve(), actor=manager, teams=TEAMS, live=live.number, at=T0
                )
                store.save_proposal(change.proposal)
                assert change.version is not None
                store.add_version(change.version)
            outcomes[manager] = change.version.number
        except RulesError as error:
            outcomes[manager] = error

    threads = [threading.Thread(target=approve, args=(m,)) for m in (S1, S2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(map(str, outcomes.values()))[0] == "2"
    [refused] = [o for o in outcomes.values() if isinstance(o, RulesError)]
    assert isinstance(refused, ProposalClosed)
    assert str(refused) == "Proposal 1 is already live, as version 2."
    with rules.reading() as store:
        assert [v.number for v in store.history()] == [2, 1]


def test_where_a_proposal_was_posted_is_remembered(database: Database) -> None:
    rules = seeded(database)
    with rules.changing() as store:
        live = store.live()
        assert live is not None
        made = propose(PROPOSED, why="x", by=M1, teams=TEAMS, live=live, open_proposal=None, at=T0)
        proposal_id = store.add_proposal(made.proposal).id
        assert proposal_id is not None
        store.record_post(
            proposal_id, audience="marketing", channel="C0MKTG0001", message_ts="1.1", at=T0
        )
        store.record_post(
            proposal_id, audience="emea", channel="D0EMEA0001", message_ts="2.1", at=T0
        )
        later = T0 + timedelta(minutes=5)
        store.record_post(
            proposal_id, audience="emea", channel="D0EMEA0001", message_ts="2.2", at=later
        )
    with rules.reading() as store:
        assert store.posts(proposal_id) == [
            ProposalPost("emea", "D0EMEA0001", "2.2", later),
            ProposalPost("marketing", "C0MKTG0001", "1.1", T0),
        ]
        assert store.posts(proposal_id + 1) == []


# Only PostgreSQL lets two deciders read at once: SQLite takes its write lock at BEGIN.
@pytest.mark.postgres
def test_a_decision_that_waited_for_another_sees_the_version_it_made_live(
    migrated_postgres: Database,
) -> None:
    database = migrated_postgres
    empty_database(database)
    rules = seeded(database)
    with rules.changing() as store:
        live = store.live()
        assert live is not None
        made = propose(PROPOSED, why="x", by=M1, teams=TEAMS, live=live, open_proposal=None, at=T0)
        proposal_id = store.add_proposal(made.proposal).id
    assert proposal_id is not None
    seen: list[int] = []

    def propose_meanwhile() -> None:
        with rules.changing() as store:
            live = store.live(for_update=True)  # waits for the approval below to commit
            assert live is not None
            seen.append(live.number)

    with rules.changing() as store:
        live = store.live(for_update=True)
        stored = store.proposal(proposal_id)
        assert live is not None and stored is not None
        change = decide(stored, Approve(), actor=S1, teams=TEAMS, live=live.number, at=T0)
        store.save_proposal(change.proposal)
        assert change.version is not None
        store.add_version(change.version)
        other = threading.Thread(target=propose_meanwhile)
        other.start()
        wait_until_blocked(database)
    other.join(60)
    assert seen == [2]


def wait_until_blocked(database: Database) -> None:
    """Return once another connection waits for a lock (PostgreSQL)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    )
    with database.engine.connect() as connection:
        for _ in range(10_000):
            if connection.execute(query).scalar():
                return
    raise AssertionError("the other transaction never waited for the lock")
