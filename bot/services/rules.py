"""The lead definition's use cases: the live version (seeded from the config file), proposing
a change, approving or rejecting it, and backtesting rules on the leads of a period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.clock import Clock
from bot.domain.backtest import Backtest, backtest, facts_read
from bot.domain.definitions import DefinitionVersion, Rules, first_version
from bot.domain.proposals import (
    Action,
    Proposal,
    ProposalChange,
    RulesError,
    Teams,
    decide,
    propose,
)
from bot.services.ports import UnitOfWork
from bot.services.rules_ports import BacktestReader, RulesReader, RulesRepository


def live_version(
    *,
    reader: RulesReader,
    uow_factory: Callable[[], UnitOfWork],
    seed: Rules,
    clock: Clock,
) -> DefinitionVersion:
    """The live version of the lead definition; the config file's rules become version 1
    the first time it is asked for (by whichever process asks first)."""
    live = reader.live()
    if live is not None:
        return live
    with uow_factory() as uow:
        uow.rules.seed(first_version(seed, at=clock.now()))
        live = uow.rules.live()
        uow.commit()
    if live is None:
        raise AssertionError("version 1 was seeded, yet no version is live")
    return live


def propose_rules(
    rules: Rules,
    *,
    why: str,
    by: str,
    teams: Teams,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> Proposal:
    """Open a proposal to replace the live version; it is stored with the proposer's side
    approved (a proposal from the command line needs both sides)."""
    now = clock.now()
    with uow_factory() as uow:
        live = _live(uow.rules)
        change = propose(
            rules,
            why=why,
            by=by,
            teams=teams,
            live=live,
            open_proposal=uow.rules.open_proposal(),
            at=now,
        )
        stored = uow.rules.add_proposal(change.proposal)
        uow.commit()
    return stored


def decide_proposal(
    proposal_id: int,
    action: Action,
    *,
    actor: str,
    teams: Teams,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> ProposalChange:
    """Approve or reject a proposal for `actor`; the approval that completes both sides makes
    it the live version in the same transaction. Raises a RulesError saying why not."""
    now = clock.now()
    with uow_factory() as uow:
        # The definition's lock first: two approvals at once are decided one after the other.
        live = _live(uow.rules, for_update=True)
        proposal = uow.rules.proposal(proposal_id, for_update=True)
        if proposal is None:
            raise RulesError(f"There is no proposal {proposal_id}.")
        change = decide(proposal, action, actor=actor, teams=teams, live=live.number, at=now)
        uow.rules.save_proposal(change.proposal)
        if change.version is not None:
            uow.rules.add_version(change.version)
        uow.commit()
    return change


def backtest_rules(
    rules: Rules,
    *,
    live: DefinitionVersion,
    reader: BacktestReader,
    currency: str,
    since: datetime | None,
    until: datetime | None,
) -> Backtest:
    """What `rules` would have done to the leads received in the period, beside the live
    version's verdicts and what actually became of each lead."""
    fields = facts_read(live.rules, rules)
    return backtest(
        reader.leads(since=since, until=until, fields=fields),
        live=live.rules,
        proposal=rules,
        currency=currency,
        since=since,
        until=until,
    )


def _live(rules: RulesRepository, *, for_update: bool = False) -> DefinitionVersion:
    live = rules.live(for_update=for_update)
    if live is None:
        # Every process seeds version 1 when it starts; a store without one was never served.
        raise RulesError(
            "The lead definition has no version yet: start Baton once (or run any "
            "`baton rules` command) so that the config file's definition becomes version 1."
        )
    return live
