"""Block Kit for a manager acting on an accepted lead: reassigning it, nudging its rep.

Like `blocks`, every string that came from a lead or a person is escaped and cut, and every
message has a `text` fallback. Messages outside the lead's thread link to its card.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack import blockkit as kit
from bot.slack import text as t
from bot.slack.blockkit import NOTE, Message, Modal
from bot.slack.blocks import TRIAGE, headline_md
from bot.slack.ids import ActionId, LeadRef
from bot.slack.views import LeadView


def reassign_modal(view: LeadView, *, rep_id: str | None, reps: Sequence[str]) -> Modal:
    """Give an accepted lead to another rep, with a note for them."""
    rep: dict[str, Any] = {"type": "users_select", "action_id": ActionId.REASSIGN_REP_INPUT.value}
    rep["placeholder"] = kit.plain_text("Choose a rep", kit.PLACEHOLDER)
    blocks = [kit.section(f"{headline_md(view)}\nWith {kit.who(rep_id)} now; {_due(view)}")]
    if reps:
        blocks.append(kit.context(f"Reps in {kit.one(view.region or TRIAGE)}: {kit.people(reps)}"))
    blocks += [
        kit.input_block(ActionId.REASSIGN_REP_BLOCK, "Give it to", rep),
        kit.input_block(
            ActionId.REASSIGN_NOTE_BLOCK,
            "Note for the new rep",
            kit.text_input(ActionId.REASSIGN_NOTE_INPUT, "Why they, and what to pick up"),
            optional=True,
            hint="They also get your original comment on the lead.",
        ),
    ]
    ref = LeadRef(lead=view.short_id, round=view.round).dumps()
    return kit.modal(
        ActionId.REASSIGN_MODAL, "Reassign lead", blocks, submit="Reassign", metadata=ref
    )


def reassigned_note(view: LeadView, *, by: str, from_rep: str | None, note: str | None) -> Message:
    """A note in the lead's thread: who moved it from whom to whom, and why."""
    said = (
        f"➡️ {kit.who(by)} reassigned {kit.one(view.short_id, 20)} from {kit.who(from_rep)} "
        f"to {kit.who(view.rep_id)}; {_due(view)}"
    )
    return kit.note(f"{said} — {kit.one(note, NOTE)}" if note else said)


def unassigned_dm(view: LeadView, *, by: str, to_rep: str | None, note: str | None) -> Message:
    """Tell the rep a lead was taken from them, and who has it now."""
    head = (
        f"➡️ {kit.who(by)} gave {headline_md(view, linked=True)} to {kit.who(to_rep)}; "
        "it is no longer yours to work."
    )
    blocks = [kit.section(head)]
    if note and note.strip():
        blocks.append(kit.section(kit.quote(note)))
    return kit.message(head, blocks)


def nudged_note(view: LeadView, *, by: str) -> Message:
    """A note in the lead's thread: the manager asked the rep for the feedback due."""
    return kit.note(
        f"👉 {kit.who(by)} asked {kit.who(view.rep_id)} for feedback on "
        f"{kit.one(view.short_id, 20)} ({_due(view)})."
    )


def nudge_dm(view: LeadView, *, by: str) -> Message:
    """For the rep: their manager is waiting for feedback on the lead; the button logs it."""
    head = f"👉 {kit.who(by)} is waiting for your feedback on {headline_md(view, linked=True)}"
    due = view.feedback_due_at
    said = f"{head}\nFeedback was due {t.date_for_people(due, view.timezone)}." if due else head
    log = kit.button("Log outcome…", ActionId.LOG_OUTCOME, view.ref.dumps(), style="primary")
    blocks = [kit.section(said), kit.actions(log)]
    return kit.message(head, blocks)


def reassigned_answer(short_id: str, *, to_rep: str, from_rep: str | None) -> Message:
    """The answer to the manager who reassigned a lead."""
    text = f"➡️ {kit.one(short_id, 20)} is now with {kit.who(to_rep)}; {kit.who(from_rep)} was told."
    return kit.message(text, [kit.section(text)])


def nudged_answer(short_id: str, *, rep_id: str | None) -> Message:
    """The answer to the manager who nudged a rep."""
    text = f"👉 Asked {kit.who(rep_id)} for feedback on {kit.one(short_id, 20)}."
    return kit.message(text, [kit.section(text)])


def _due(view: LeadView) -> str:
    if view.feedback_due_at is None:
        return "no feedback due date"
    return f"feedback due {t.date_for_people(view.feedback_due_at, view.timezone)}"
