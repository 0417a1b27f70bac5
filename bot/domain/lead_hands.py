"""What the people around a lead do besides deciding and working it: a region's deciders nudge
its rep or reassign it; marketing keeps a returned lead in nurture or asks why it came back."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.commands import AskWhy, KeepNurturing, Nudge, Reassign
from bot.domain.lead_events import event_of, record_only
from bot.domain.refusals import LeadError, require_current_round, require_decider, require_marketing
from bot.domain.states import Authority, Change, EventKind, Lead, LeadStatus


def for_manager(
    lead: Lead, command: Nudge | Reassign, actor: str, authority: Authority, at: datetime
) -> Change:
    """What the region's deciders may do to an accepted lead: nudge its rep, or reassign it."""
    if isinstance(command, Nudge):
        require_decider(lead, actor, authority, what="nudge the rep of")
        require_current_round(lead, command)
        return record_only(lead, EventKind.NUDGED, actor, at, data={"rep_id": lead.rep_id})
    require_decider(lead, actor, authority, what="reassign")
    return _reassign(lead, command, actor, at)


def _reassign(lead: Lead, command: Reassign, actor: str, at: datetime) -> Change:
    """The lead goes to another rep as it stands: its status, due dates and timers stay."""
    if command.rep_id == lead.rep_id:
        raise LeadError(f"{lead.short_id} is already with <@{command.rep_id}>.")
    new = replace(lead, rep_id=command.rep_id)
    data = {"rep_id": command.rep_id, "from_rep": lead.rep_id}
    event = event_of(
        new,
        EventKind.REASSIGNED,
        actor,
        at,
        status_before=lead.status,
        notes=command.note,
        data=data,
    )
    return Change(new, (event,))


def for_marketing(
    lead: Lead, command: KeepNurturing | AskWhy, actor: str, authority: Authority, at: datetime
) -> Change:
    """Marketing's choices on a returned lead: keep it in nurture, or ask whoever returned it why."""
    require_marketing(actor, authority)
    if isinstance(command, KeepNurturing):
        new = replace(lead, status=LeadStatus.NURTURE)
        event = event_of(
            new, EventKind.KEPT_NURTURING, actor, at, status_before=lead.status, notes=command.note
        )
        return Change(new, (event,))
    if not command.question.strip():
        raise LeadError(f"Ask something: what would you like to know about {lead.short_id}?")
    data = {"to": command.to}
    return record_only(lead, EventKind.ASKED_WHY, actor, at, notes=command.question, data=data)
