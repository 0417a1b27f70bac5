"""A lead as one line of a list, and a person's week, for `/lead` answers and the App Home."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.services.desk import Desk, Week
from bot.services.records import LeadLine
from bot.slack import blockkit as kit
from bot.slack import text as t
from bot.slack.blocks import TRIAGE


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
        parts.append(plural(week.leads_given, "new lead") + " for you")
        parts.append(plural(week.outcomes, "outcome") + " logged")
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


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
