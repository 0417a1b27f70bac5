"""The lead definition's use cases: the live version (seeded from the config file), proposing
a change, approving or rejecting it, and backtesting rules on the leads of a period."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.domain.backtest import Backtest, backtest, facts_read
from bot.domain.definitions import DefinitionVersion, Rules, first_version
from bot.domain.proposals import (
    Action,
    Proposal,
    ProposalChange,
    ProposalEvent,
    Reject,
    RulesError,
    Teams,
    decide,
    may_propose,
    propose,
)
from bot.services.ports import UnitOfWork
from bot.services.records import Work, WorkKind
from bot.services.rules_ports import BacktestReader, RulesReader, RulesRepository
from config.model import BatonConfig

# A proposal in Slack is backtested on the leads received in the year before it is posted.
BACKTEST_DAYS = 365
MARKETING = "marketing"


@dataclass(frozen=True)
class Audience:
    """Who a proposal is posted to: marketing's channel, or a region's channel (mentioning
    its manager) or its manager's DMs."""

    name: str
    channel: str
    mention: str | None = None


def audiences(config: BatonConfig) -> list[Audience]:
    """Everyone a proposal is posted to, each channel once."""
    found = [Audience(MARKETING, config.marketing.channel)]
    for region in config.regions:
        if region.channel:
            audience = Audience(region.name, region.channel, region.manager)
        else:
            audience = Audience(region.name, region.manager)
        if all(audience.channel != known.channel for known in found):
            found.append(audience)
    return found


def teams_of(config: BatonConfig) -> Teams:
    """Who approves a change of the lead definition: marketing, and sales' managers (each
    region's manager and backup, and the triage deciders)."""
    managers = {region.manager for region in config.regions}
    backups = {region.backup for region in config.regions if region.backup}
    return Teams(
        marketing=frozenset(config.marketing.users),
        sales=frozenset(managers | backups | set(config.triage.deciders)),
    )


def post_key(proposal_id: int, audience: str) -> str:
    """The outbox key of a proposal's post to one audience; its thread is found by it."""
    return f"rules:{proposal_id}:post:{audience}"


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
    config: BatonConfig,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    request_key: str | None = None,
) -> Proposal | None:
    """Open a proposal to replace the live version; it is stored with the proposer's side
    approved (a proposal from the command line needs both sides). None: `request_key` was
    handled already (a form Slack sent twice)."""
    now = clock.now()
    with uow_factory() as uow:
        if request_key and not uow.requests.first_handling(request_key, now=now):
            return None
        live = _live(uow.rules)
        change = propose(
            rules,
            why=why,
            by=by,
            teams=teams_of(config),
            live=live,
            open_proposal=uow.rules.open_proposal(),
            at=now,
        )
        stored = uow.rules.add_proposal(change.proposal)
        uow.outbox.queue(_posting(stored, config), now=now)
        uow.commit()
    return stored


def _posting(proposal: Proposal, config: BatonConfig) -> list[Work]:
    """The proposal posted to each audience, and its backtest in each post's thread."""
    work = []
    for audience in audiences(config):
        key = post_key(_id(proposal), audience.name)
        data = {"proposal": proposal.id, "channel": audience.channel, "mention": audience.mention}
        work.append(Work(WorkKind.RULES_POST, key, data=data))
        backtest = f"rules:{proposal.id}:backtest:{audience.name}"
        work.append(
            Work(WorkKind.RULES_BACKTEST, backtest, data={"proposal": proposal.id, "post": key})
        )
    return work


def _telling(change: ProposalChange, config: BatonConfig) -> list[Work]:
    """Everyone who saw the proposal told what happened: each post updated, a note in its
    thread."""
    proposal, event = change.proposal, change.event
    step = f"{event.kind.value}:{len(proposal.approvals)}"
    told = {"proposal": proposal.id, "event": event_data(event, change)}
    work = []
    for audience in audiences(config):
        key = post_key(_id(proposal), audience.name)
        where = f"rules:{proposal.id}:{step}:{audience.name}"
        work.append(Work(WorkKind.RULES_UPDATE, f"{where}:update", data={**told, "post": key}))
        work.append(Work(WorkKind.RULES_NOTE, f"{where}:note", data={**told, "post": key}))
    return work


def event_data(event: ProposalEvent, change: ProposalChange) -> dict[str, Any]:
    """What happened, as the outbox keeps it for the note."""
    return {
        "kind": event.kind.value,
        "actor": event.actor,
        "at": event.at.isoformat(),
        "side": event.side.value if event.side else None,
        "reason": event.reason,
        "version": change.version.number if change.version else None,
    }


def _id(proposal: Proposal) -> int:
    if proposal.id is None:
        raise ValueError("a proposal is posted once it is stored")
    return proposal.id


def decide_proposal(
    proposal_id: int,
    action: Action,
    *,
    actor: str,
    config: BatonConfig,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    request_key: str | None = None,
) -> ProposalChange | None:
    """Approve or reject a proposal for `actor`; the approval that completes both sides makes
    it the live version in the same transaction. Raises a RulesError saying why not; None:
    `request_key` was handled already."""
    now = clock.now()
    with uow_factory() as uow:
        if request_key and not uow.requests.first_handling(request_key, now=now):
            return None
        # The definition's lock first: two approvals at once are decided one after the other.
        live = _live(uow.rules, for_update=True)
        proposal = uow.rules.proposal(proposal_id, for_update=True)
        if proposal is None:
            raise RulesError(f"There is no proposal {proposal_id}.")
        teams = teams_of(config)
        change = decide(proposal, action, actor=actor, teams=teams, live=live.number, at=now)
        uow.rules.save_proposal(change.proposal)
        if change.version is not None:
            uow.rules.add_version(change.version)
        uow.outbox.queue(_telling(change, config), now=now)
        uow.commit()
    return change


def check_decider(
    proposal_id: int, actor: str, *, reader: RulesReader, config: BatonConfig
) -> Proposal:
    """The proposal, once `actor` may still reject it (before the Reject modal opens); raises
    the RulesError a rejection would."""
    proposal = reader.proposal(proposal_id)
    live = reader.live()
    if proposal is None or live is None:
        raise RulesError(f"There is no proposal {proposal_id}.")
    checking = Reject(reason="checking whether this person may")
    decide(
        proposal,
        checking,
        actor=actor,
        teams=teams_of(config),
        live=live.number,
        at=proposal.proposed_at,
    )
    return proposal


def propose_form(actor: str, *, reader: RulesReader, config: BatonConfig) -> DefinitionVersion:
    """The live version, to edit, once `actor` may propose a change now."""
    pending = [proposal for proposal in reader.proposals(limit=5) if proposal.is_open]
    may_propose(actor, teams=teams_of(config), open_proposal=pending[0] if pending else None)
    live = reader.live()
    if live is None:
        raise RulesError("The lead definition has no version yet: Baton stores it as it starts.")
    return live


@dataclass(frozen=True)
class Overview:
    """What `/lead rules` shows: the live version, the versions before it, the open proposal."""

    live: DefinitionVersion
    history: list[DefinitionVersion]
    open: Proposal | None


def overview(live: DefinitionVersion, *, reader: RulesReader) -> Overview:
    pending = [proposal for proposal in reader.proposals(limit=5) if proposal.is_open]
    return Overview(live, reader.history(), pending[0] if pending else None)


def proposal_backtest(
    proposal: Proposal,
    *,
    rules: RulesReader,
    leads: BacktestReader,
    currency: str,
    now: datetime,
) -> Backtest:
    """A proposal's backtest against the version it was proposed to replace, on the leads
    received in the BACKTEST_DAYS before `now`."""
    base = rules.version(proposal.base_version)
    if base is None:
        raise LookupError(f"version {proposal.base_version} is not stored")
    since = now - timedelta(days=BACKTEST_DAYS)
    return backtest_rules(
        proposal.rules, live=base, reader=leads, currency=currency, since=since, until=now
    )


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
