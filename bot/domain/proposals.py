"""Proposals to change the lead definition, and how both teams approve them.

A proposal becomes the next version of the definition once marketing and sales have each
approved it: at least one marketing user and one sales manager (a region's manager or
backup, or a triage decider). The proposer's own side counts as approved by the proposer.
One person approves for one side only, so that two people always agree; a person on both
teams approves for the side still waiting, marketing first. A rejection needs a reason and
ends the proposal. Only one proposal is open at a time, and one made against a version that
is no longer live is stale: it can be rejected or marked stale, never approved.

`propose(...)` opens a proposal; `decide(proposal, action, ...)` is the one place an open
proposal changes: one `match (status, action)` table returning the changed proposal (and
the version it made live), or raising a `RulesError` whose message a person can read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.domain.definitions import DefinitionVersion, Rules
from bot.domain.lead import LeadError

# Who proposes from `baton rules propose`: on neither team, so both must approve.
COMMAND_LINE = "command-line"


class Side(StrEnum):
    MARKETING = "marketing"
    SALES = "sales"


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"  # neither side has approved yet
    MARKETING_APPROVED = "marketing_approved"
    SALES_APPROVED = "sales_approved"
    LIVE = "live"
    REJECTED = "rejected"
    STALE = "stale"


OPEN = frozenset(
    {ProposalStatus.PROPOSED, ProposalStatus.MARKETING_APPROVED, ProposalStatus.SALES_APPROVED}
)
CLOSED = frozenset({ProposalStatus.LIVE, ProposalStatus.REJECTED, ProposalStatus.STALE})
# What each side is called when it is asked for.
WANTED = {Side.MARKETING: "marketing's approval", Side.SALES: "a sales manager's approval"}


class RulesError(LeadError):
    """A request about the lead definition that cannot be carried out, explained for a person.

    A LeadError, so that the one place that shows people Baton's refusals shows these too.
    """


class NotOnATeam(RulesError):
    """The person is neither in marketing nor a sales manager."""


class SideApproved(RulesError):
    """The person's side has approved already: the other side must."""


class AlreadyApproved(RulesError):
    """The person approved (or proposed) this proposal already."""


class ProposalClosed(RulesError):
    """The proposal is live, rejected or stale."""


class ProposalStale(RulesError):
    """A newer version went live since the proposal was made."""


class ProposalOpen(RulesError):
    """Another proposal is open: one at a time."""


class NothingToChange(RulesError):
    """The proposed rules are the live ones."""


class ReasonNeeded(RulesError):
    """A proposal without a why, or a rejection without a reason."""


@dataclass(frozen=True)
class Teams:
    """Who approves for each side: marketing's users, and sales' managers."""

    marketing: frozenset[str]
    sales: frozenset[str]  # region managers and backups, triage deciders

    def sides_of(self, user: str) -> tuple[Side, ...]:
        return tuple(
            side
            for side, people in ((Side.MARKETING, self.marketing), (Side.SALES, self.sales))
            if user in people
        )


@dataclass(frozen=True)
class Approval:
    side: Side
    by: str
    at: datetime


@dataclass(frozen=True)
class Proposal:
    id: int | None  # None until stored
    rules: Rules
    why: str
    proposed_by: str
    proposed_at: datetime
    base_version: int  # the version that was live when it was proposed
    status: ProposalStatus
    approvals: tuple[Approval, ...] = ()
    closed_by: str | None = None
    closed_at: datetime | None = None
    reason: str | None = None  # why it was rejected, or what made it stale
    version: int | None = None  # the version it became

    @property
    def name(self) -> str:
        return f"proposal {self.id}" if self.id is not None else "the proposal"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def approval(self, side: Side) -> Approval | None:
        return next((a for a in self.approvals if a.side is side), None)

    @property
    def waiting_for(self) -> tuple[Side, ...]:
        """The sides whose approval it still needs."""
        if not self.is_open:
            return ()
        return tuple(side for side in Side if self.approval(side) is None)


class ProposalEventKind(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    WENT_LIVE = "went_live"
    REJECTED = "rejected"
    WENT_STALE = "went_stale"


@dataclass(frozen=True)
class ProposalEvent:
    """What happened to a proposal, for everyone who saw it."""

    kind: ProposalEventKind
    actor: str
    at: datetime
    side: Side | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ProposalChange:
    proposal: Proposal
    event: ProposalEvent
    version: DefinitionVersion | None = None  # the version it made live


# Actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Approve:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str


@dataclass(frozen=True)
class Supersede:
    """A newer version went live (another proposal): this one can no longer be approved."""

    version: int


Action = Approve | Reject | Supersede


def propose(
    rules: Rules,
    *,
    why: str,
    by: str,
    teams: Teams,
    live: DefinitionVersion,
    open_proposal: Proposal | None,
    at: datetime,
) -> ProposalChange:
    """Open a proposal to replace the live version; the proposer's side counts as approved."""
    may_propose(by, teams=teams, open_proposal=open_proposal)
    sides = teams.sides_of(by)
    if not why.strip():
        raise ReasonNeeded("Say why the definition should change: both teams read it first.")
    if rules == live.rules:
        raise NothingToChange(
            f"Those are the rules of version {live.number}, the live one: change something first."
        )
    approvals = (Approval(sides[0], by, at),) if sides else ()
    proposal = Proposal(
        id=None,
        rules=rules,
        why=why.strip(),
        proposed_by=by,
        proposed_at=at,
        base_version=live.number,
        status=_open_status(approvals),
        approvals=approvals,
    )
    event = ProposalEvent(ProposalEventKind.PROPOSED, by, at, side=sides[0] if sides else None)
    return ProposalChange(proposal, event)


def may_propose(by: str, *, teams: Teams, open_proposal: Proposal | None) -> None:
    """Raise the RulesError that refuses `by` a proposal now, if one does (before they write it)."""
    if not teams.sides_of(by) and by != COMMAND_LINE:
        raise NotOnATeam(
            "Only marketing or a sales manager (a region's manager or backup, or a triage "
            "decider) can propose a change to the lead definition."
        )
    if open_proposal is not None:
        raise ProposalOpen(
            f"{open_proposal.name.capitalize()} by {_who(open_proposal.proposed_by)} is still "
            "open: approve or reject it first (one proposal at a time)."
        )


def decide(
    proposal: Proposal, action: Action, *, actor: str, teams: Teams, live: int, at: datetime
) -> ProposalChange:
    """Carry out `action` on `proposal` for `actor`, `live` being the live version's number;
    or raise a RulesError saying why not."""
    sides = teams.sides_of(actor)
    match (proposal.status, action):
        case (status, _) if status in CLOSED:
            raise ProposalClosed(_closed(proposal))
        case (_, Supersede(version=newer)) if newer > proposal.base_version:
            reason = f"version {newer} went live after it was proposed"
            return _close(proposal, ProposalStatus.STALE, actor, at, reason)
        case (_, Supersede()):
            raise RulesError(f"{proposal.name.capitalize()} was made against the live version.")
        case (_, Approve() | Reject()) if not sides:
            raise NotOnATeam(
                "Only marketing or a sales manager (a region's manager or backup, or a triage "
                "decider) can approve or reject a change to the lead definition."
            )
        case (_, Reject(reason=reason)) if not reason.strip():
            raise ReasonNeeded("Say why you reject it: the proposer and both teams are told.")
        case (_, Reject(reason=reason)):
            return _close(proposal, ProposalStatus.REJECTED, actor, at, reason.strip())
        case (_, Approve()) if proposal.base_version != live:
            raise ProposalStale(
                f"{proposal.name.capitalize()} was made against version {proposal.base_version}, "
                f"and version {live} is live now: it can no longer be approved. Propose again "
                "from the live definition."
            )
        case (_, Approve()) if any(a.by == actor for a in proposal.approvals):
            raise AlreadyApproved(
                f"You approved {proposal.name} already; it now needs "
                f"{_and(WANTED[side] for side in proposal.waiting_for)}."
            )
        case (ProposalStatus.PROPOSED, Approve()):
            return _approve(proposal, sides[0], actor, at)
        case (ProposalStatus.MARKETING_APPROVED, Approve()) if Side.SALES in sides:
            return _go_live(proposal, Side.SALES, actor, at, live)
        case (ProposalStatus.SALES_APPROVED, Approve()) if Side.MARKETING in sides:
            return _go_live(proposal, Side.MARKETING, actor, at, live)
        case (ProposalStatus.MARKETING_APPROVED | ProposalStatus.SALES_APPROVED, Approve()):
            raise SideApproved(_side_approved(proposal))
    raise RulesError(f"{proposal.name.capitalize()} cannot be changed that way now.")


def _side_approved(proposal: Proposal) -> str:
    approved = ", ".join(
        f"{a.side.capitalize()} approved {proposal.name} already ({_who(a.by)})"
        for a in proposal.approvals
    )
    return f"{approved}; it now needs {_and(WANTED[side] for side in proposal.waiting_for)}."


def _open_status(approvals: tuple[Approval, ...]) -> ProposalStatus:
    sides = {approval.side for approval in approvals}
    if sides == {Side.MARKETING}:
        return ProposalStatus.MARKETING_APPROVED
    if sides == {Side.SALES}:
        return ProposalStatus.SALES_APPROVED
    return ProposalStatus.PROPOSED


def _approve(proposal: Proposal, side: Side, actor: str, at: datetime) -> ProposalChange:
    approvals = (*proposal.approvals, Approval(side, actor, at))
    approved = replace(proposal, approvals=approvals, status=_open_status(approvals))
    return ProposalChange(approved, ProposalEvent(ProposalEventKind.APPROVED, actor, at, side))


def _go_live(proposal: Proposal, side: Side, actor: str, at: datetime, live: int) -> ProposalChange:
    approvals = (*proposal.approvals, Approval(side, actor, at))
    number = live + 1
    done = replace(
        proposal,
        approvals=approvals,
        status=ProposalStatus.LIVE,
        closed_by=actor,
        closed_at=at,
        version=number,
    )
    version = DefinitionVersion(
        number=number,
        rules=proposal.rules,
        why=proposal.why,
        proposed_by=proposal.proposed_by,
        marketing_approver=_approver(done, Side.MARKETING),
        sales_approver=_approver(done, Side.SALES),
        took_effect_at=at,
        proposal_id=proposal.id,
    )
    event = ProposalEvent(ProposalEventKind.WENT_LIVE, actor, at, side)
    return ProposalChange(done, event, version)


def _approver(proposal: Proposal, side: Side) -> str | None:
    approval = proposal.approval(side)
    return approval.by if approval else None


def _close(
    proposal: Proposal, status: ProposalStatus, actor: str, at: datetime, reason: str
) -> ProposalChange:
    closed = replace(proposal, status=status, closed_by=actor, closed_at=at, reason=reason)
    rejected = status is ProposalStatus.REJECTED
    kind = ProposalEventKind.REJECTED if rejected else ProposalEventKind.WENT_STALE
    return ProposalChange(closed, ProposalEvent(kind, actor, at, reason=reason))


def _closed(proposal: Proposal) -> str:
    name = proposal.name.capitalize()
    match proposal.status:
        case ProposalStatus.LIVE:
            return f"{name} is already live, as version {proposal.version}."
        case ProposalStatus.REJECTED:
            return f"{name} was rejected by {_who(proposal.closed_by)}: {proposal.reason}"
        case _:
            return f"{name} is stale ({proposal.reason}): propose again from the live definition."


def _who(user: str | None) -> str:
    if user is None or user == COMMAND_LINE:
        return "the command line"
    return f"<@{user}>"


def _and(words: Iterable[str]) -> str:
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
