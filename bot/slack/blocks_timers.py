"""Block Kit for the accountability timers: reminder DMs, escalations, thread notes, leakage tasks.

Like `blocks`, every string that came from a lead or a person is escaped and cut, and every
message has a `text` fallback. A person's reminders of one pass come in one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.timers import TimerKind
from bot.domain.wording import counted
from bot.slack import blockkit as kit
from bot.slack import text as t
from bot.slack.blockkit import MAX_BLOCKS, NOTE, Message, Modal
from bot.slack.blocks import TRIAGE, headline_md, lead_facts
from bot.slack.ids import ActionId
from bot.slack.views import LeadView, TimerItem, Touch

# Room left in a message for the lines that say what was left out.
_SPARE_BLOCKS = 2
_ORDER = (
    TimerKind.ESCALATION,
    TimerKind.HANDOFF_SLA,
    TimerKind.FEEDBACK_OVERDUE,
    TimerKind.FEEDBACK_DUE,
    TimerKind.NEXT_STEP,
)
_COUNTED = {
    TimerKind.HANDOFF_SLA: ("lead waiting for your decision", "leads waiting for your decision"),
    TimerKind.ESCALATION: ("lead escalated to you", "leads escalated to you"),
    TimerKind.FEEDBACK_DUE: ("lead with feedback due", "leads with feedback due"),
    TimerKind.FEEDBACK_OVERDUE: ("lead with feedback overdue", "leads with feedback overdue"),
    TimerKind.NEXT_STEP: ("next step due", "next steps due"),
}


@dataclass(frozen=True)
class Hours:
    """The SLA settings the messages quote."""

    handoff: int
    escalation: int


def reminder_dm(items: Sequence[TimerItem], *, hours: Hours) -> Message:
    """One DM listing everything of one person's that a pass found due, grouped by kind."""
    counts = _counts(items)
    head = f"⏰ {counts}"
    blocks: list[dict[str, Any]] = []
    left_out = 0
    for kind in _ORDER:
        mine = [item for item in items if item.kind is kind]
        if mine:
            blocks.append(kit.section(_heading(kind, hours)))
            left_out += _pack(blocks, mine)
    if left_out:
        blocks.append(kit.context(f"…and {left_out} more: your App Home lists every open lead."))
    return kit.message(head, blocks)


def escalation_post(items: Sequence[TimerItem], *, mention: Sequence[str], hours: Hours) -> Message:
    """For a region's channel: the backup is called in on leads waiting too long, and may decide."""
    leads = counted(len(items), "lead")
    who = " ".join(kit.who(user) for user in mention) or "Deciders:"
    head = (
        f"🚨 {who} no decision on {leads} after {hours.escalation} working hours — you can decide:"
    )
    blocks = [kit.section(head)]
    left_out = _pack(blocks, items)
    if left_out:
        blocks.append(kit.context(f"…and {left_out} more waiting in this channel."))
    return kit.message(head, blocks)


def timer_note(
    item: TimerItem, *, hours: Hours, told: str = "the manager", leakage_days: int | None = None
) -> Message:
    """A note in the lead's thread saying what fired and who was `told` ("the backup").

    It mentions nobody: the people reminded get one DM for all their leads.
    """
    lead = kit.one(item.short_id, 20)
    if item.again:
        return kit.note(f"⏰ The snoozed reminder about {lead} is back: {_what_due(item)}.")
    match item.kind:
        case TimerKind.HANDOFF_SLA:
            text = (
                f"⏰ {lead} has waited {hours.handoff} working hours for a decision; "
                f"a reminder went to {told}."
            )
        case TimerKind.ESCALATION:
            text = (
                f"🚨 {lead} has waited {hours.escalation} working hours for a decision; "
                f"escalated to {told}, who can decide."
            )
        case TimerKind.FEEDBACK_DUE:
            text = (
                f"⏰ Feedback on {lead} was due {_day(item.feedback_due_at, item)} and no outcome "
                f"is logged; a reminder went to {told}."
            )
        case TimerKind.FEEDBACK_OVERDUE:
            text = (
                f"⚠️ Still no outcome on {lead} a working day after feedback was due "
                f"({_day(item.feedback_due_at, item)}); {told} has been told."
            )
        case TimerKind.NEXT_STEP:
            text = (
                f"📅 The next step on {lead} is due {_day(item.next_step_at, item)}; "
                f"a reminder went to {told}."
            )
        case TimerKind.LEAKAGE:
            days = f" {leakage_days} days" if leakage_days else ""
            text = (
                f"🕳️ {lead} is flagged as leaked: no contact logged{days} after it was accepted. "
                "Marketing has a customer-service touch task."
            )
    return kit.note(text)


def snooze_note(short_id: str, *, by: str, until: datetime, timezone: str, reason: str) -> Message:
    """A note in the lead's thread: who snoozed its reminder, until when, and why."""
    said = f"💤 {kit.who(by)} snoozed the reminder about {kit.one(short_id, 20)} until "
    said += t.when(until, timezone)
    return kit.note(f"{said}: {kit.one(reason, NOTE)}")


def touch_note(short_id: str, touch: Touch) -> Message:
    """A note in the lead's thread: a customer-service touch and what it learned."""
    return kit.note(f"📞 Customer-service touch on {kit.one(short_id, 20)}{_touch_text(touch)}")


def leakage_task(
    view: LeadView, *, manager: str | None, days: int, touch: Touch | None = None
) -> Message:
    """For the marketing channel: reach a lead nobody reached; the button logs the touch."""
    head = f"🕳️ Customer-service touch needed: {headline_md(view, linked=True)}"
    accepted = f"Accepted for {kit.who(view.rep_id)}"
    if manager:
        accepted += f" (manager {kit.who(manager)})"
    blocks = [
        kit.section(f"{head}\n{accepted}; no contact logged in the {days} days since."),
        lead_facts(view),
        kit.context(f"Lead {kit.one(view.short_id, 20)} · {kit.one(view.region or TRIAGE)}"),
    ]
    if touch is None:
        button = kit.button("Touch logged…", ActionId.TOUCH, view.ref.dumps(), style="primary")
        blocks.append(
            kit.actions(button, kit.button("Reassign…", ActionId.REASSIGN, view.ref.dumps()))
        )
    else:
        blocks.append(kit.section(f"✅ Touch logged{_touch_text(touch)}"))
    return kit.message(head, blocks)


def snooze_modal(item: TimerItem, *, choices: Sequence[tuple[int, datetime]], once: str) -> Modal:
    """Snooze a reminder once: for how many working days (each showing until when) and why."""
    options = [
        kit.option(f"{_days(days)} — until {t.when(until, item.timezone)}", str(days))
        for days, until in choices
    ]
    days = kit.select(ActionId.SNOOZE_DAYS_INPUT, options)
    days["initial_option"] = options[0]
    blocks = [
        kit.section(f"{_what_due(item)}"),
        kit.context(once),
        kit.input_block(ActionId.SNOOZE_DAYS_BLOCK, "Snooze for", days),
        kit.input_block(
            ActionId.SNOOZE_REASON_BLOCK,
            "Why",
            kit.text_input(ActionId.SNOOZE_REASON_INPUT, "What you are waiting for"),
        ),
    ]
    return kit.modal(
        ActionId.SNOOZE_MODAL, "Snooze reminder", blocks, submit="Snooze", metadata=item.ref.dumps()
    )


def touch_modal(view: LeadView, *, by: str) -> Modal:
    """Log a customer-service touch: who reached out, whether they reached the lead, what they learned."""
    who = {"type": "users_select", "action_id": ActionId.TOUCH_BY_INPUT.value}
    if t.is_user_id(by):
        who["initial_user"] = by
    reached = {
        "type": "radio_buttons",
        "action_id": ActionId.TOUCH_REACHED_INPUT.value,
        "options": [
            kit.option("Reached the lead", "reached"),
            kit.option("Could not reach them", "not_reached"),
        ],
    }
    blocks = [
        kit.section(f"🕳️ {headline_md(view)}"),
        kit.input_block(ActionId.TOUCH_BY_BLOCK, "Who reached out", who),
        kit.input_block(ActionId.TOUCH_REACHED_BLOCK, "Did they reach the lead?", reached),
        kit.input_block(
            ActionId.TOUCH_NOTES_BLOCK,
            "What they learned",
            kit.text_input(
                ActionId.TOUCH_NOTES_INPUT, "Interest, timing, who to talk to, why no reply"
            ),
        ),
    ]
    return kit.modal(
        ActionId.TOUCH_MODAL, "Log a touch", blocks, submit="Log touch", metadata=view.ref.dumps()
    )


# Pieces -----------------------------------------------------------------------------------


def _counts(items: Sequence[TimerItem]) -> str:
    parts = []
    for kind in _ORDER:
        count = sum(1 for item in items if item.kind is kind)
        if count:
            one, many = _COUNTED[kind]
            parts.append(f"{count} {one if count == 1 else many}")
    return " · ".join(parts)


def _heading(kind: TimerKind, hours: Hours) -> str:
    match kind:
        case TimerKind.HANDOFF_SLA:
            return f"*Waiting for your decision* — more than {hours.handoff} working hours"
        case TimerKind.ESCALATION:
            return (
                f"*Escalated to you* — no decision after {hours.escalation} working hours; "
                "you can decide"
            )
        case TimerKind.FEEDBACK_DUE:
            return "*Feedback due* — log what happened (or `/lead log ID OUTCOME`)"
        case TimerKind.FEEDBACK_OVERDUE:
            return "*Feedback overdue* — no outcome a working day after it was due"
        case _:
            return "*Next steps due*"


def _pack(blocks: list[dict[str, Any]], items: Sequence[TimerItem]) -> int:
    """Add each item's blocks while they fit in a message; return how many were left out."""
    left_out = 0
    for item in items:
        lines = _item_blocks(item)
        if len(blocks) + len(lines) > MAX_BLOCKS - _SPARE_BLOCKS:
            left_out += 1
            continue
        blocks += lines
    return left_out


def _item_blocks(item: TimerItem) -> list[dict[str, Any]]:
    """The item's line, and the buttons that do what it asks: decide, log, nudge, reassign."""
    line = kit.section(_line(item))
    if item.snoozable and item.kind is not TimerKind.ESCALATION:
        line["accessory"] = kit.button("Snooze…", ActionId.SNOOZE, item.ref.dumps())
    ref = item.lead_ref.dumps()
    match item.kind:
        case TimerKind.HANDOFF_SLA | TimerKind.ESCALATION if item.pending_since is not None:
            accept = kit.button("Accept…", ActionId.ACCEPT, ref, style="primary")
            return [line, kit.actions(accept, kit.button("Return…", ActionId.RETURN, ref))]
        case TimerKind.FEEDBACK_DUE | TimerKind.NEXT_STEP:
            log = kit.button("Log outcome…", ActionId.LOG_OUTCOME, ref, style="primary")
            return [line, kit.actions(log)]
        case TimerKind.FEEDBACK_OVERDUE:
            nudge = kit.button("Nudge", ActionId.NUDGE, ref)
            return [line, kit.actions(nudge, kit.button("Reassign…", ActionId.REASSIGN, ref))]
    return [line]


def _line(item: TimerItem) -> str:
    who = ", ".join(kit.one(part) for part in (item.name or item.email, item.company) if part)
    shown = f"`{kit.one(item.short_id, 20)}`"
    lead = kit.lead_link(item.short_id, item.link) if t.is_link(item.link) else shown
    line = f"{lead} {who} — {_what_due(item)}"
    if item.again and item.snooze_reason:
        line += f"\n💤 back after a snooze: {kit.one(item.snooze_reason, NOTE)}"
    return line


def _what_due(item: TimerItem) -> str:
    match item.kind:
        case TimerKind.HANDOFF_SLA | TimerKind.ESCALATION:
            since = item.pending_since or item.due_at
            return f"pending since {t.when(since, item.timezone)}"
        case TimerKind.FEEDBACK_DUE:
            return f"feedback was due {_day(item.feedback_due_at, item)}"
        case TimerKind.FEEDBACK_OVERDUE:
            return f"{kit.who(item.rep_id)}'s feedback was due {_day(item.feedback_due_at, item)}"
        case TimerKind.NEXT_STEP:
            return f"next step set for {_day(item.next_step_at, item)}"
    return f"due {t.when(item.due_at, item.timezone)}"


def _touch_text(touch: Touch) -> str:
    said = f" by {kit.who(touch.by)}: " + (
        "reached the lead" if touch.reached else "could not reach the lead"
    )
    return f"{said} — {kit.one(touch.notes, NOTE)}" if touch.notes else said


def _day(at: datetime | None, item: TimerItem) -> str:
    return t.date_for_people(at or item.due_at, item.timezone)


def _days(days: int) -> str:
    return "1 working day" if days == 1 else f"{days} working days"
