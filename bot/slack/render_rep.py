"""Rendering for reps' work at delivery time: outcome notes, withdrawn returns, Home refreshes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import FixedClock
from bot.domain.lead import Outcome
from bot.services import desk
from bot.slack import blocks_rep, home, text
from bot.slack.views import LeadView
from config.model import BatonConfig
from storage.outbox import LeadSnapshot, SqlOutbox
from storage.reads import SqlLeadReader
from storage.rows import EventRow


def outcome_note(view: LeadView, event: EventRow, *, currency: str) -> dict[str, Any]:
    data = event.data or {}
    next_step = data.get("next_step_at")
    note = blocks_rep.OutcomeNote(
        actor=event.actor,
        outcome=Outcome(event.reason_code),
        status_before=event.status_before,
        status_after=event.status_after,
        amount=event.amount,
        currency=data.get("currency"),
        notes=event.notes,
        next_step_at=datetime.fromisoformat(next_step) if next_step else None,
        corrected=event.kind == "correction",
    )
    return blocks_rep.outcome_note(view, note, currency=currency)


def return_withdrawn(view: LeadView, event: EventRow | None) -> dict[str, Any]:
    return blocks_rep.return_withdrawn_notice(view, actor=event.actor if event else "someone")


def home_of(user: str, *, outbox: SqlOutbox, config: BatonConfig, now: datetime) -> dict[str, Any]:
    """The user's Home tab as it stands at delivery time."""
    reader = SqlLeadReader(outbox.database)
    return home.home_view(desk.desk(user, reader=reader, config=config, clock=FixedClock(now)))


def homes_of(snapshot: LeadSnapshot, config: BatonConfig) -> tuple[str, ...]:
    """Whose Home shows this lead: its rep, and the deciders of its region and of this round's."""
    lead = snapshot.lead
    regions = {lead.region, snapshot.round.region if snapshot.round else lead.region}
    people = [lead.rep_id] if lead.rep_id else []
    for name in sorted(regions, key=lambda r: r or ""):
        region = config.region(name) if name else None
        if region is None:
            people += config.triage.deciders
        else:
            people += [region.manager, *([region.backup] if region.backup else [])]
    return tuple(p for p in dict.fromkeys(people) if text.is_user_id(p))
