"""A lead as one line of a list, and a person's week, for `/lead` answers and the App Home."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.domain.lead import EventKind
from bot.domain.merge import field_label
from bot.domain.snapshots import EventLine
from bot.domain.wording import counted
from bot.services.desk import Desk, Week
from bot.services.records import LeadLine
from bot.slack import blockkit as kit
from bot.slack import text as t
from bot.slack.blocks import TRIAGE
from bot.slack.views import Activity


def lead_line(line: LeadLine, desk: Desk) -> str:
    """`⚠️ *L-7K3Q9* Jane Doe, Acme GmbH · meeting · due Fri 27 Nov (overdue) · 🔥 back: …`."""
    tz = desk.zones.get(line.region, "UTC")
    overdue = desk.overdue(line)
    parts = [("⚠️ " if overdue else "") + line_head(line), kit.one(line.status)]
    if line.feedback_due_at:
        due = f"due {t.date_for_people(line.feedback_due_at, tz)}"
        parts.append(f"*{due} (overdue)*" if overdue else due)
    if line.next_step_at:
        parts.append(f"next step {t.date_for_people(line.next_step_at, tz)}")
    if line.priority:
        parts.append(f"🔥 back: {kit.one(line.last_activity or 'new activity', 120)}")
    return " · ".join(parts)


def waiting_line(line: LeadLine, desk: Desk) -> str:
    waited = waited_for(line.waiting_since, desk.now) if line.waiting_since else "a while"
    return f"{line_head(line)} · {kit.one(line.region or TRIAGE)} · waiting {waited}"


def week_text(week: Week, *, rep: bool, decider: bool, currency: str) -> str:
    parts = []
    if rep:
        parts.append(counted(week.leads_given, "new lead") + " for you")
        parts.append(counted(week.outcomes, "outcome") + " logged")
        won = f"{week.won} won"
        if week.won_amount:
            won += f" ({format_amount(week.won_amount, currency)})"
        parts.append(won)
    if decider:
        parts.append(
            f"{week.decided} decided ({week.accepted} accepted, {week.returned} returned, "
            f"{week.rerouted} sent on)"
        )
    return "This week: " + (" · ".join(parts) if parts else "nothing yet")


def waited_for(since: datetime, now: datetime) -> str:
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def format_amount(amount: Decimal, currency: str) -> str:
    shown = f"{amount:,.2f}".removesuffix(".00")
    return f"{kit.one(currency, 3)} {shown}"


def line_head(line: LeadLine) -> str:
    who = ", ".join(kit.one(p, 120) for p in (line.name or line.email, line.company) if p)
    return f"*{kit.one(line.short_id, 20)}* {who}"


def activity_of(item: Mapping[str, Any]) -> Activity:
    """An activity item as an event records it ({type, at, detail}), for a message."""
    return (str(item.get("type") or ""), item.get("at"), item.get("detail"))


def merge_said(kind: str, data: Mapping[str, Any]) -> str:
    """What a merge recorded, in words (raw text: escape it where it is shown)."""
    if kind == EventKind.CAMPAIGN_TOUCH:
        named = [f"{label} {data[key]}" for key, label in TOUCH_LABELS if data.get(key)]
        return "came again through " + (" and ".join(named) or "an intake")
    parts = []
    if filled := data.get("filled"):
        parts.append("filled in " + ", ".join(f"{field_label(k)} {v}" for k, v in filled.items()))
    if offered := data.get("offered"):
        kept = data.get("kept") or {}
        said = [f"{field_label(k)} {kept.get(k, '—')} (sent: {v})" for k, v in offered.items()]
        parts.append("kept " + ", ".join(said))
    if score := data.get("score"):
        before, now = score
        parts.append(f"score {_score(before)} → {_score(now)}")
    return "details: " + ("; ".join(parts) or "unchanged")


def merge_lines(events: Sequence[EventLine | None]) -> list[str | Activity]:
    """What one merge did, in the order recorded: its activity, touches and changed details."""
    lines: list[str | Activity] = []
    for event in events:
        if event is None:
            continue
        if event.kind in (EventKind.DETAILS, EventKind.CAMPAIGN_TOUCH):
            lines.append(merge_said(event.kind, event.data))
        else:
            lines.extend(activity_of(item) for item in event.data.get("activity", []))
    return lines


TOUCH_LABELS = (("campaign", "campaign"), ("source", "source"))


def _score(value: Any) -> str:
    return "none" if value is None else f"{value:g}"
