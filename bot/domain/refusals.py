"""Why a lead refuses a command: who may act on it, and the message a person reads."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.commands import (
    Accept,
    Command,
    CorrectOutcome,
    LogOutcome,
    Nudge,
    Reassign,
    Reroute,
    Return,
)
from bot.domain.states import CLOSED, SYSTEM, WORKING, Authority, Lead, LeadStatus


class LeadError(Exception):
    """A request about a lead that cannot be carried out, explained for a person."""


class NotAllowed(LeadError):
    """The person asking may not do this to this lead."""


class AlreadyDecided(LeadError):
    """Someone else decided on this round first."""


class LeadClosed(LeadError):
    """The lead is won, lost or returned; it takes no more outcomes."""


def require_decider(
    lead: Lead, actor: str, authority: Authority, *, what: str = "decide on"
) -> None:
    if actor not in authority.deciders:
        who = _people(authority.deciders) or "the region's manager"
        raise NotAllowed(f"Only {who} can {what} {lead.short_id}.")


def require_worker(lead: Lead, actor: str, authority: Authority) -> None:
    if actor != lead.rep_id and actor not in authority.deciders:
        named = [p for p in authority.named if p in authority.deciders]
        deciders = named + sorted(authority.deciders - set(named))
        people = list(dict.fromkeys([p for p in (lead.rep_id,) if p] + deciders))
        raise NotAllowed(f"Only {_listed(people)} can log outcomes on {lead.short_id}.")


def require_marketing(actor: str, authority: Authority) -> None:
    if actor not in authority.marketing:
        raise NotAllowed(
            f"Only marketing ({_people(authority.marketing) or 'nobody configured'}) can do that."
        )


def require_current_round(lead: Lead, command: Accept | Return | Reroute | Nudge) -> None:
    asked_round = command.handoff_round
    if asked_round is not None and asked_round != lead.handoff_round:
        raise AlreadyDecided(
            f"{lead.short_id} has moved on since that message: it is in round {lead.handoff_round}."
        )


def already_decided(lead: Lead, command: Command) -> str:
    asked_round = getattr(command, "handoff_round", None)
    if asked_round is not None and asked_round != lead.handoff_round:
        return f"{lead.short_id} has moved on since that message (now round {lead.handoff_round})."
    who = f"<@{lead.decided_by}>" if lead.decided_by and lead.decided_by != SYSTEM else "Someone"
    if lead.status is LeadStatus.RETURNED:
        what = "returned it to marketing"
    elif lead.rep_id:
        what = f"accepted it for <@{lead.rep_id}>"
    else:
        what = f"moved it to {lead.status}"
    return f"{lead.short_id} was already decided: {who} {what}."


def refusal(lead: Lead, command: Command) -> str:
    action = type(command).__name__.lower()
    if lead.status in CLOSED and isinstance(command, LogOutcome | Return):
        return f"{lead.short_id} is closed ({lead.status}); it takes no more outcomes."
    if lead.status in CLOSED:
        return f"{lead.short_id} is closed ({lead.status}); it cannot be changed that way."
    if isinstance(command, LogOutcome | CorrectOutcome) and lead.status is LeadStatus.PENDING:
        return f"{lead.short_id} awaits a manager's decision; log outcomes once accepted."
    if isinstance(command, Reassign | Nudge) and lead.status is LeadStatus.PENDING:
        return f"{lead.short_id} awaits a manager's decision; accept it for a rep instead."
    if isinstance(command, Reassign | Nudge) and lead.status not in WORKING:
        return f"{lead.short_id} is {lead.status} and not with a rep."
    if isinstance(command, LogOutcome | CorrectOutcome | Return) and lead.status not in WORKING:
        return f"{lead.short_id} is {lead.status} and not with sales; it takes no outcomes."
    return f"{lead.short_id} is {lead.status}; “{action}” does not apply to it now."


def _people(user_ids: Iterable[str]) -> str:
    return _listed(sorted(set(user_ids)))


def _listed(user_ids: list[str]) -> str:
    """Mentions in the given order: `<@A>`, `<@A> or <@B>`, `<@A>, <@B> or <@C>`."""
    mentions = [f"<@{u}>" for u in user_ids]
    if len(mentions) <= 1:
        return "".join(mentions)
    return ", ".join(mentions[:-1]) + " or " + mentions[-1]
