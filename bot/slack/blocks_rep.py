"""Block Kit for reps in the loop: `/lead` answers, the outcome modal and outcome notes.

Like `blocks`, every string that came from a lead or a person is escaped and cut; every
message has a `text` fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.domain.lead import Outcome, ReturnReason
from bot.services.desk import Desk, Week
from bot.services.outcomes import Logged, OutcomeForm, Undone
from bot.services.records import EventLine, LeadDetail, LeadLine
from bot.slack import text as t
from bot.slack.blocks import (
    NOTE,
    TRIAGE,
    LeadView,
    Message,
    Modal,
    _context,
    _headline_md,
    _input,
    _message,
    _modal,
    _note,
    _one,
    _option,
    _plain,
    _quote,
    _section,
    _select,
    _text_input,
    _who,
)
from bot.slack.ids import ActionId, OutcomeRef
from bot.slack.lead_command import REASONS
from config.model import SLA, LeadDefinition

LINES_SHOWN = 40
OUTCOME_LABELS = {
    Outcome.ATTEMPTED: "Attempted (no answer yet)",
    Outcome.CONNECTED: "Connected",
    Outcome.MEETING: "Meeting",
    Outcome.OPPORTUNITY: "Opportunity",
    Outcome.WON: "Won",
    Outcome.LOST: "Lost",
    Outcome.RETURN: "Return to marketing",
}
OUTCOME_ICONS = {
    Outcome.ATTEMPTED: "📞",
    Outcome.CONNECTED: "💬",
    Outcome.MEETING: "📅",
    Outcome.OPPORTUNITY: "💼",
    Outcome.WON: "🏆",
    Outcome.LOST: "✖️",
    Outcome.RETURN: "↩️",
}


@dataclass(frozen=True)
class OutcomeNote:
    """An outcome (or its correction) as its thread note shows it."""

    actor: str
    outcome: Outcome
    status_before: str | None
    status_after: str
    amount: Decimal | None = None
    currency: str | None = None
    notes: str | None = None
    next_step_at: datetime | None = None
    corrected: bool = False


# Answers to /lead ---------------------------------------------------------------------------


def help_message() -> Message:
    lines = [
        "*`/lead` — your leads and their outcomes*",
        "`/lead mine` — your open leads, overdue first",
        "`/lead show L-7K3Q9` — a lead, its owner, due date and history",
        "`/lead find jane@acme.example` or `/lead find Acme` — find a lead's id",
        "`/lead log L-7K3Q9 OUTCOME [amount] [notes] [next:DATE]` — log what happened",
        "`/lead log L-7K3Q9` — the same, in a form",
        "`/lead undo L-7K3Q9` — withdraw your last outcome (within a day)",
        "`/lead return L-7K3Q9 REASON [notes]` — give a lead back to marketing",
        "`/lead rules` — the lead definition and SLAs both teams agreed",
        "`/lead report [region] [period]` — the closed-loop numbers, e.g. "
        "`/lead report emea last-month` (managers: their region; marketing: all)",
    ]
    outcomes = ", ".join(f"`{o.value}`" for o in Outcome)
    tips = [
        f"Outcomes: {outcomes}. The status only moves forward; won, lost and return close a lead.",
        "Amounts (for opportunity and won): `12500`, `$12,500`, `12.5k`, `€8k`.",
        "Next step: `next:2026-12-01`, `next:tomorrow`, `next:friday`.",
        f"Return reasons: {', '.join(f'`{r}`' for r in REASONS.split(', '))}.",
    ]
    fallback = "/lead: mine, show, find, log, undo, return, rules, report"
    return _message(fallback, [_section("\n".join(lines)), _context(*tips)])


def rules_message(
    definition: LeadDefinition, sla: SLA, *, regions: Sequence[tuple[str, str, str]]
) -> Message:
    """The agreed lead definition and SLAs, worded from the config; `regions` is (name, zone, hours)."""
    score = (
        f"a score of at least {definition.min_score}"
        if definition.min_score is not None
        else "no minimum score"
    )
    fields = ", ".join(definition.required_fields) or "nothing"
    lines = [
        "*What a sales-ready lead is*",
        f"• {score}, and these fields filled in: {fields}",
        f"• from {', '.join(definition.allowed_sources)} only"
        if definition.allowed_sources
        else "• from any source",
    ]
    for source, rule in definition.source_rules.items():
        rule_score = (
            f"score at least {rule.min_score}" if rule.min_score is not None else "no score needed"
        )
        rule_fields = ", ".join(rule.required_fields) or "nothing"
        lines.append(f"• leads from {_one(source)}: {rule_score}; fields: {rule_fields}")
    lines.append("A lead that falls short stays with marketing as nurture.")
    timers = [
        "*What we promised each other*",
        f"• a manager decides on a lead within {sla.handoff_hours} working hours "
        f"(after {sla.escalation_hours} the backup is called in)",
        "• the rep reports back by the feedback due date the manager sets "
        "(default: the end of the working week)",
        f"• a lead with no real contact {sla.leakage_days} days after acceptance counts as leaked"
        + _by_source(sla.leakage_days_by_source),
        f"• a reminder may be snoozed once, for at most {sla.snooze_max_working_days} working days",
    ]
    hours = [f"{_one(name)}: {_one(hours)} {_one(zone)}" for name, zone, hours in regions]
    blocks = [_section("\n".join(lines)), _section("\n".join(timers))]
    if hours:
        blocks.append(_context("Working hours — " + "; ".join(hours)))
    return _message("The lead definition and SLAs both teams agreed", blocks)


def mine_message(desk: Desk) -> Message:
    blocks = []
    if desk.mine:
        overdue = sum(1 for line in desk.mine if desk.overdue(line))
        head = f"*Your open leads* ({len(desk.mine)}"
        head += f", {overdue} overdue)" if overdue else ")"
        blocks.append(_section(head))
        blocks += [_section(lead_line(line, desk)) for line in desk.mine[:LINES_SHOWN]]
        blocks += _more(len(desk.mine))
    else:
        blocks.append(_section("You have no open leads."))
    if desk.waiting:
        blocks.append(_section(f"*Waiting for your decision* ({len(desk.waiting)})"))
        shown = LINES_SHOWN - min(len(desk.mine), LINES_SHOWN)
        blocks += [_section(waiting_line(line, desk)) for line in desk.waiting[: max(shown, 5)]]
    fallback = f"Your open leads: {len(desk.mine)}"
    return _message(fallback, blocks)


def show_message(detail: LeadDetail, *, zones: Mapping[str | None, str], currency: str) -> Message:
    line, tz = detail.line, zones.get(detail.line.region, "UTC")
    head = f"{_line_head(line)} — {_one(line.status)}"
    facts = [
        f"*Owner:* {_who(line.rep_id) if line.rep_id else 'nobody yet'}"
        f" · *Region:* {_one(line.region or TRIAGE)}",
    ]
    if line.feedback_due_at:
        facts.append(f"*Feedback due:* {t.date_for_people(line.feedback_due_at, tz)}")
    if line.next_step_at:
        facts.append(f"*Next step:* {t.date_for_people(line.next_step_at, tz)}")
    about = [
        f"{label}: {_one(value)}"
        for label, value in (
            ("Title", detail.title),
            ("Email", line.email),
            ("Phone", detail.phone),
            ("Country", detail.country),
            ("Campaign", detail.campaign),
            ("Source", detail.source),
        )
        if value
    ]
    blocks = [_section(head), _section(" · ".join(facts))]
    if about:
        blocks.append(_context(" · ".join(about)))
    if line.last_activity:
        blocks.append(_section(f"🔥 Active again: {_one(line.last_activity)}"))
    history = [f"• {_history_line(e, tz, currency)}" for e in detail.events]
    if history:
        blocks.append(_section(t.cut("*History*\n" + "\n".join(history), 3000)))
    return _message(f"{line.short_id}: {line.status}", blocks)


def find_message(text: str, lines: Sequence[LeadLine]) -> Message:
    if not lines:
        said = f"No lead matches “{_one(text, 80)}”. Try part of the email or the company name."
        return _message(said, [_section(said)])
    head = f"*Leads matching “{_one(text, 80)}”*"
    rows = []
    for line in lines:
        owner = f" · {_who(line.rep_id)}" if line.rep_id else ""
        rows.append(f"{_line_head(line)} · {_one(line.status)}{owner}")
    return _message(f"{len(lines)} leads match", [_section(head), *map(_section, rows)])


def logged_message(logged: Logged, *, currency: str) -> Message:
    icon = OUTCOME_ICONS[logged.outcome]
    if logged.outcome is Outcome.RETURN:
        said = f"{icon} {logged.short_id} is returned to marketing; they have been told."
    elif logged.status_kept:
        said = (
            f"{icon} Logged *{logged.outcome.value}* on {logged.short_id}. Its status stays "
            f"*{logged.status.value}*: a status only moves forward."
        )
    else:
        said = f"{icon} Logged *{logged.outcome.value}* on {logged.short_id}: now *{logged.status.value}*."
    if logged.next_step_at:
        said += f" Next step: {t.date_for_people(logged.next_step_at, logged.timezone)}."
    return _message(said, [_section(said), _context(f"Wrong? `/lead undo {logged.short_id}`")])


def undone_message(undone: Undone) -> Message:
    said = (
        f"↩️ Withdrew your *{undone.outcome.value}* on {undone.short_id}: "
        f"it is *{undone.status.value}* again."
    )
    return _message(said, [_section(said)])


# The outcome modal ---------------------------------------------------------------------------


def outcome_modal(form: OutcomeForm, *, ref: OutcomeRef, today: date) -> Modal:
    """Log an outcome: what happened, the amount, notes, the next step (and why, for a return)."""
    outcomes = [_option(OUTCOME_LABELS[o], o.value) for o in Outcome]
    reasons = [_option(r.label, r.value) for r in ReturnReason]
    amount = {
        "type": "plain_text_input",
        "action_id": ActionId.AMOUNT_INPUT.value,
        "placeholder": _plain("12500, $12,500, 12.5k", 150),
    }
    next_step = {"type": "datepicker", "action_id": ActionId.NEXT_STEP_INPUT.value}
    next_step["placeholder"] = _plain(f"e.g. {today.isoformat()}", 150)
    who = ", ".join(_one(p) for p in (form.name or form.email, form.company) if p)
    blocks = [
        _section(f"*{_one(form.short_id, 20)}*: {who} — now {_one(form.status)}"),
        _input(ActionId.OUTCOME_BLOCK, "What happened", _select(ActionId.OUTCOME_INPUT, outcomes)),
        _input(
            ActionId.AMOUNT_BLOCK,
            "Amount",
            amount,
            optional=True,
            hint="For an opportunity or a win.",
        ),
        _input(
            ActionId.NOTES_BLOCK,
            "Notes",
            _text_input(ActionId.NOTES_INPUT, "What you learned, what comes next"),
            optional=True,
        ),
        _input(ActionId.NEXT_STEP_BLOCK, "Next step on", next_step, optional=True),
        _input(
            ActionId.REASON_BLOCK,
            "Return reason",
            _select(ActionId.REASON_INPUT, reasons),
            optional=True,
            hint="Only when you return the lead to marketing.",
        ),
    ]
    return _modal(ActionId.OUTCOME_MODAL, "Log outcome", "Log", blocks, ref)  # type: ignore[arg-type]


# Thread notes and notices ---------------------------------------------------------------------


def outcome_note(view: LeadView, note: OutcomeNote, *, currency: str) -> Message:
    """For the lead's thread: who logged what, the amount, the next step and the notes."""
    if note.corrected:
        text = (
            f"↩️ {_who(note.actor)} withdrew *{note.outcome.value}* on {_headline_md(view)}"
            f" · back to {_one(note.status_after)}"
        )
        return _note(text)
    parts = [f"{OUTCOME_ICONS[note.outcome]} {_who(note.actor)} logged *{note.outcome.value}*"]
    parts[0] += f" on {_headline_md(view)}"
    if note.amount is not None:
        parts.append(format_amount(note.amount, note.currency or currency))
    if note.status_after != note.outcome.status.value:
        parts.append(f"status stays {_one(note.status_after)}")
    if note.next_step_at:
        parts.append(f"next step {t.date_for_people(note.next_step_at, view.timezone)}")
    text = " · ".join(parts)
    if note.notes and note.notes.strip():
        text += "\n" + _quote(note.notes)
    return _message(" · ".join(parts), [_section(text)])


def return_withdrawn_notice(view: LeadView, *, actor: str) -> Message:
    """For the marketing channel: a return was a mistake and the lead is back with sales."""
    head = (
        f"↪️ {_headline_md(view)} is back with sales: {_who(actor)} withdrew the return "
        "(ignore the earlier returned-lead notice)."
    )
    return _message(head, [_section(head)])


# Pieces shared with the Home tab -------------------------------------------------------------


def lead_line(line: LeadLine, desk: Desk) -> str:
    """`⚠️ *L-7K3Q9* Jane Doe, Acme GmbH · meeting · due Fri 27 Nov (overdue) · 🔥 back: …`."""
    tz = desk.zones.get(line.region, "UTC")
    overdue = desk.overdue(line)
    parts = [("⚠️ " if overdue else "") + _line_head(line), _one(line.status)]
    if line.feedback_due_at:
        due = f"due {t.date_for_people(line.feedback_due_at, tz)}"
        parts.append(f"*{due} (overdue)*" if overdue else due)
    if line.next_step_at:
        parts.append(f"next step {t.date_for_people(line.next_step_at, tz)}")
    if line.priority:
        parts.append(f"🔥 back: {_one(line.last_activity or 'new activity', 120)}")
    return " · ".join(parts)


def waiting_line(line: LeadLine, desk: Desk) -> str:
    waited = waited_for(line.waiting_since, desk.now) if line.waiting_since else "a while"
    return f"{_line_head(line)} · {_one(line.region or TRIAGE)} · waiting {waited}"


def week_text(week: Week, *, rep: bool, decider: bool, currency: str) -> str:
    parts = []
    if rep:
        parts.append(_count(week.leads_given, "new lead") + " for you")
        parts.append(_count(week.outcomes, "outcome") + " logged")
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
    return f"{_one(currency, 3)} {shown}"


def _line_head(line: LeadLine) -> str:
    who = ", ".join(_one(p, 120) for p in (line.name or line.email, line.company) if p)
    return f"*{_one(line.short_id, 20)}* {who}"


def _history_line(event: EventLine, tz: str, currency: str) -> str:
    when = t.date_for_people(event.at, tz)
    who = _who(event.actor)
    match event.kind:
        case "received":
            what = "received"
        case "qualified":
            what = f"qualified: {_one(event.reason_code)}"
        case "handoff_started":
            what = f"handed off to {_one(event.region or TRIAGE)} (round {event.handoff_round})"
        case "accepted":
            rep = event.data.get("rep_id")
            what = f"{who} accepted it for {_who(rep)}"
        case "returned":
            what = f"{who} returned it: {_reason_label(event.reason_code)}"
        case "rerouted":
            what = f"{who} sent it to {_one(event.data.get('to_region') or TRIAGE)}"
        case "outcome":
            what = f"{who} logged *{_one(event.reason_code)}*"
            if event.amount is not None:
                what += f" ({format_amount(event.amount, event.data.get('currency') or currency)})"
        case "correction":
            what = f"{who} withdrew *{_one(event.reason_code)}*"
        case "activity":
            what = "active again"
        case "touch":
            what = f"{who} logged a customer-service touch"
        case "leaked":
            what = "flagged as leaked"
        case _:
            what = _one(event.kind)
    if event.notes and event.notes.strip() and event.kind not in ("qualified",):
        what += f" — {_one(event.notes, NOTE // 4)}"
    return f"{when}: {what}"


def _reason_label(code: str | None) -> str:
    try:
        return ReturnReason(code or "").label
    except ValueError:
        return _one(code)


def _by_source(days: Mapping[str, int]) -> str:
    if not days:
        return ""
    exceptions = ", ".join(f"{_one(source)}: {n}" for source, n in days.items())
    return f" ({exceptions})"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _more(total: int) -> list[dict[str, Any]]:
    if total <= LINES_SHOWN:
        return []
    return [_context(f"and {total - LINES_SHOWN} more")]
