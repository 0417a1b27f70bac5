"""Block Kit for reps in the loop: `/lead` answers, the outcome modal and outcome notes.

Like `blocks`, every string that came from a lead or a person is escaped and cut; every
message has a `text` fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.domain.lead import Outcome, ReturnReason
from bot.domain.qualification import LeadDefinition
from bot.domain.wording import counted
from bot.services.desk import Desk
from bot.services.outcomes import Logged, OutcomeForm, Undone
from bot.services.records import EventLine, LeadDetail, LeadLine
from bot.slack import blockkit as kit
from bot.slack import text as t
from bot.slack.blockkit import NOTE, Message, Modal
from bot.slack.blocks import TRIAGE, headline_md
from bot.slack.ids import ActionId, OutcomeRef
from bot.slack.lead_command import REASONS
from bot.slack.lines import format_amount, lead_line, line_head, merge_said, waiting_line
from bot.slack.views import LeadView, OutcomeNote
from config.model import SLA

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
        "`/lead reassign L-7K3Q9 @rep [note]` — give an accepted lead to another rep "
        "(the region's manager or backup)",
        "`/lead rules` — the lead definition and SLAs both teams agreed, its versions and "
        "the change waiting for approval; `/lead rules propose` proposes a change",
        "`/lead report [region] [period] [first|last|any]` — the closed-loop numbers, e.g. "
        "`/lead report emea last-month` (managers: their region; marketing: all)",
    ]
    outcomes = ", ".join(f"`{o.value}`" for o in Outcome)
    tips = [
        f"Outcomes: {outcomes}. The status only moves forward; won, lost and return close a lead.",
        "Amounts (for opportunity and won): `12500`, `$12,500`, `12.5k`, `€8k`.",
        "Next step: `next:2026-12-01`, `next:tomorrow`, `next:friday`.",
        f"Return reasons: {', '.join(f'`{r}`' for r in REASONS.split(', '))}.",
    ]
    fallback = "/lead: mine, show, find, log, undo, return, reassign, rules, report"
    return kit.message(fallback, [kit.section("\n".join(lines)), kit.context(*tips)])


def rules_message(
    definition: LeadDefinition, sla: SLA, *, regions: Sequence[tuple[str, str, str]]
) -> Message:
    """The agreed lead definition (the live version's) and SLAs; `regions` is (name, zone, hours)."""
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
        lines.append(f"• leads from {kit.one(source)}: {rule_score}; fields: {rule_fields}")
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
    hours = [f"{kit.one(name)}: {kit.one(hours)} {kit.one(zone)}" for name, zone, hours in regions]
    blocks = [kit.section("\n".join(lines)), kit.section("\n".join(timers))]
    if hours:
        blocks.append(kit.context("Working hours — " + "; ".join(hours)))
    return kit.message("The lead definition and SLAs both teams agreed", blocks)


def mine_message(desk: Desk) -> Message:
    blocks = []
    if desk.mine:
        overdue = sum(1 for line in desk.mine if desk.overdue(line))
        head = f"*Your open leads* ({len(desk.mine)}"
        head += f", {overdue} overdue)" if overdue else ")"
        blocks.append(kit.section(head))
        blocks += [kit.section(lead_line(line, desk)) for line in desk.mine[:LINES_SHOWN]]
        blocks += _more(len(desk.mine))
    else:
        blocks.append(kit.section("You have no open leads."))
    if desk.waiting:
        blocks.append(kit.section(f"*Waiting for your decision* ({desk.waiting_total})"))
        shown = LINES_SHOWN - min(len(desk.mine), LINES_SHOWN)
        blocks += [kit.section(waiting_line(line, desk)) for line in desk.waiting[: max(shown, 5)]]
    fallback = f"Your open leads: {len(desk.mine)}"
    return kit.message(fallback, blocks)


def show_message(detail: LeadDetail, *, zones: Mapping[str | None, str], currency: str) -> Message:
    line, tz = detail.line, zones.get(detail.line.region, "UTC")
    head = f"{line_head(line)} — {kit.one(line.status)}"
    facts = [
        f"*Owner:* {kit.who(line.rep_id) if line.rep_id else 'nobody yet'}"
        f" · *Region:* {kit.one(line.region or TRIAGE)}",
    ]
    if line.feedback_due_at:
        facts.append(f"*Feedback due:* {t.date_for_people(line.feedback_due_at, tz)}")
    if line.next_step_at:
        facts.append(f"*Next step:* {t.date_for_people(line.next_step_at, tz)}")
    about = [
        f"{label}: {kit.one(value)}"
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
    blocks = [kit.section(head), kit.section(" · ".join(facts))]
    if about:
        blocks.append(kit.context(" · ".join(about)))
    if line.last_activity:
        blocks.append(kit.section(f"🔥 Active again: {kit.one(line.last_activity)}"))
    history = [f"• {_history_line(e, tz, currency)}" for e in detail.events]
    if history:
        blocks.append(kit.section(t.cut("*History*\n" + "\n".join(history), 3000)))
    return kit.message(f"{line.short_id}: {line.status}", blocks)


def find_message(text: str, lines: Sequence[LeadLine]) -> Message:
    if not lines:
        said = f"No lead matches “{kit.one(text, 80)}”. Try part of the email or the company name."
        return kit.message(said, [kit.section(said)])
    head = f"*Leads matching “{kit.one(text, 80)}”*"
    rows = []
    for line in lines:
        owner = f" · {kit.who(line.rep_id)}" if line.rep_id else ""
        rows.append(f"{line_head(line)} · {kit.one(line.status)}{owner}")
    return kit.message(
        f"{counted(len(lines), 'lead')} match", [kit.section(head), *map(kit.section, rows)]
    )


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
    return kit.message(
        said, [kit.section(said), kit.context(f"Wrong? `/lead undo {logged.short_id}`")]
    )


def undone_message(undone: Undone) -> Message:
    said = (
        f"↩️ Withdrew your *{undone.outcome.value}* on {undone.short_id}: "
        f"it is *{undone.status.value}* again."
    )
    return kit.message(said, [kit.section(said)])


# The outcome modal ---------------------------------------------------------------------------


def outcome_modal(form: OutcomeForm, *, ref: OutcomeRef, today: date) -> Modal:
    """Log an outcome: what happened, the amount, notes, the next step (and why, for a return)."""
    outcomes = [kit.option(OUTCOME_LABELS[o], o.value) for o in Outcome]
    reasons = [kit.option(r.label, r.value) for r in ReturnReason]
    amount = {
        "type": "plain_text_input",
        "action_id": ActionId.AMOUNT_INPUT.value,
        "placeholder": kit.plain_text("12500, $12,500, 12.5k", 150),
    }
    next_step: dict[str, Any] = {"type": "datepicker", "action_id": ActionId.NEXT_STEP_INPUT.value}
    next_step["placeholder"] = kit.plain_text(f"e.g. {today.isoformat()}", 150)
    who = ", ".join(kit.one(p) for p in (form.name or form.email, form.company) if p)
    blocks = [
        kit.section(f"*{kit.one(form.short_id, 20)}*: {who} — now {kit.one(form.status)}"),
        kit.input_block(
            ActionId.OUTCOME_BLOCK, "What happened", kit.select(ActionId.OUTCOME_INPUT, outcomes)
        ),
        kit.input_block(
            ActionId.AMOUNT_BLOCK,
            "Amount",
            amount,
            optional=True,
            hint="For an opportunity or a win.",
        ),
        kit.input_block(
            ActionId.NOTES_BLOCK,
            "Notes",
            kit.text_input(ActionId.NOTES_INPUT, "What you learned, what comes next"),
            optional=True,
        ),
        kit.input_block(ActionId.NEXT_STEP_BLOCK, "Next step on", next_step, optional=True),
        kit.input_block(
            ActionId.REASON_BLOCK,
            "Return reason",
            kit.select(ActionId.REASON_INPUT, reasons),
            optional=True,
            hint="Only when you return the lead to marketing.",
        ),
    ]
    return kit.modal(
        ActionId.OUTCOME_MODAL, "Log outcome", blocks, submit="Log", metadata=ref.dumps()
    )


# Thread notes and notices ---------------------------------------------------------------------


def outcome_note(view: LeadView, note: OutcomeNote, *, currency: str) -> Message:
    """For the lead's thread: who logged what, the amount, the next step and the notes."""
    if note.corrected:
        text = (
            f"↩️ {kit.who(note.actor)} withdrew *{note.outcome.value}* on {headline_md(view)}"
            f" · back to {kit.one(note.status_after)}"
        )
        return kit.note(text)
    parts = [f"{OUTCOME_ICONS[note.outcome]} {kit.who(note.actor)} logged *{note.outcome.value}*"]
    parts[0] += f" on {headline_md(view)}"
    if note.amount is not None:
        parts.append(format_amount(note.amount, note.currency or currency))
    if note.status_after != note.outcome.status.value:
        parts.append(f"status stays {kit.one(note.status_after)}")
    if note.next_step_at:
        parts.append(f"next step {t.date_for_people(note.next_step_at, view.timezone)}")
    text = " · ".join(parts)
    if note.notes and note.notes.strip():
        text += "\n" + kit.quote(note.notes)
    return kit.message(" · ".join(parts), [kit.section(text)])


def return_withdrawn_notice(view: LeadView, *, actor: str) -> Message:
    """For the marketing channel: a return was a mistake and the lead is back with sales."""
    head = (
        f"↪️ {headline_md(view, linked=True)} is back with sales: {kit.who(actor)} withdrew the return "
        "(ignore the earlier returned-lead notice)."
    )
    return kit.message(head, [kit.section(head)])


def _history_line(event: EventLine, tz: str, currency: str) -> str:
    when = t.date_for_people(event.at, tz)
    who = kit.who(event.actor)
    match event.kind:
        case "received":
            what = "received"
        case "qualified":
            what = f"qualified: {kit.one(event.reason_code)}"
        case "handoff_started":
            what = f"handed off to {kit.one(event.region or TRIAGE)} (round {event.handoff_round})"
        case "accepted":
            rep = event.data.get("rep_id")
            what = f"{who} accepted it for {kit.who(rep)}"
        case "returned":
            what = f"{who} returned it: {_reason_label(event.reason_code)}"
        case "rerouted":
            what = f"{who} sent it to {kit.one(event.data.get('to_region') or TRIAGE)}"
        case "outcome":
            what = f"{who} logged *{kit.one(event.reason_code)}*"
            if event.amount is not None:
                what += f" ({format_amount(event.amount, event.data.get('currency') or currency)})"
        case "correction":
            what = f"{who} withdrew *{kit.one(event.reason_code)}*"
        case "activity":
            what = "active again"
        case "touch":
            what = f"{who} logged a customer-service touch"
        case "details" | "campaign_touch":
            what = kit.one(merge_said(event.kind, event.data), NOTE // 2)
        case "leaked":
            what = "flagged as leaked"
        case "reassigned":
            moved = kit.who(event.data.get("from_rep"))
            what = f"{who} reassigned it from {moved} to {kit.who(event.data.get('rep_id'))}"
        case "nudged":
            what = f"{who} asked {kit.who(event.data.get('rep_id'))} for feedback"
        case _:
            what = kit.one(event.kind)
    if event.notes and event.notes.strip() and event.kind not in ("qualified",):
        what += f" — {kit.one(event.notes, NOTE // 4)}"
    return f"{when}: {what}"


def _reason_label(code: str | None) -> str:
    try:
        return ReturnReason(code or "").label
    except ValueError:
        return kit.one(code)


def _by_source(days: Mapping[str, int]) -> str:
    if not days:
        return ""
    exceptions = ", ".join(f"{kit.one(source)}: {n}" for source, n in days.items())
    return f" ({exceptions})"


def _more(total: int) -> list[dict[str, Any]]:
    if total <= LINES_SHOWN:
        return []
    return [kit.context(f"and {total - LINES_SHOWN} more")]
