"""Block Kit for a returned lead's second chance: marketing's choices on the returned-lead notice
(send it back to sales, keep nurturing, ask why), their modals and notes, and the notice that a
lead marketing had back is with sales again.

Like `blocks`, every string that came from a lead or a person is escaped and cut.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.snapshots import EventLine
from bot.slack import blockkit as kit
from bot.slack import story
from bot.slack import text as t
from bot.slack.blockkit import NOTE, Block, Message, Modal
from bot.slack.blocks import TRIAGE, headline_md
from bot.slack.ids import ActionId
from bot.slack.views import LeadView


def notice_choice(view: LeadView, chosen: EventLine | None) -> Block:
    """The end of the returned-lead notice: marketing's three buttons, or what was chosen."""
    ref = view.ref.dumps()
    if chosen is None:
        return kit.actions(
            kit.button("Send back to sales…", ActionId.SEND_BACK, ref, style="primary"),
            kit.button("Keep nurturing", ActionId.KEEP_NURTURING, ref),
            kit.button("Ask why…", ActionId.ASK_WHY, ref),
        )
    when = t.date_for_people(chosen.at, view.timezone)
    match chosen.kind:
        case "kept_nurturing":
            said = f"🌱 {kit.who(chosen.actor)} kept it in nurture on {when}"
        case "handoff_started" if t.is_user_id(chosen.actor):
            where = kit.one(chosen.region or TRIAGE)
            said = f"🔁 {kit.who(chosen.actor)} sent it back to sales ({where}) on {when}"
        case _:
            said = f"🔁 It came back and qualified again on {when}; it is with sales"
    return kit.section(f"{said} — {kit.one(chosen.notes, NOTE)}" if chosen.notes else said)


def back_to_sales_notice(view: LeadView) -> Message:
    """For the marketing channel: a lead marketing had back is with sales again, and its story."""
    where = kit.one(view.region or TRIAGE)
    head = f"🔁 {headline_md(view, linked=True)} is back with sales ({where})"
    blocks = [kit.section(head)]
    if view.before is not None:
        blocks.append(kit.section(story.before_text(view.before, view.timezone)))
    return kit.message(head, blocks)


def send_back_modal(view: LeadView, *, regions: Sequence[str]) -> Modal:
    """Send a returned lead back to sales by hand: to which region, and a note for them."""
    current = view.region or TRIAGE
    choices = list(dict.fromkeys([current, *regions, TRIAGE]))
    options = [kit.option(region, region) for region in choices]
    region = kit.select(ActionId.REGION_INPUT, options)
    region["initial_option"] = options[0]
    blocks = [
        kit.section(headline_md(view)),
        kit.input_block(ActionId.REGION_BLOCK, "Send to", region),
        kit.input_block(
            ActionId.NOTE_BLOCK,
            "Note for sales",
            kit.text_input(ActionId.NOTE_INPUT, "Why it deserves another look"),
        ),
    ]
    return kit.modal(
        ActionId.SEND_BACK_MODAL,
        "Send back to sales",
        blocks,
        submit="Send",
        metadata=view.ref.dumps(),
    )


def ask_why_modal(view: LeadView, *, to: str | None) -> Modal:
    """Ask whoever returned the lead why; the question goes to the lead's thread."""
    blocks = [
        kit.section(
            f"{headline_md(view)}\nReturned by {kit.who(to)}: your question goes to them "
            "in the lead's thread."
        ),
        kit.input_block(
            ActionId.QUESTION_BLOCK,
            "Your question",
            kit.text_input(ActionId.QUESTION_INPUT, "What would help marketing next time?"),
        ),
    ]
    return kit.modal(
        ActionId.ASK_WHY_MODAL, "Ask why", blocks, submit="Ask", metadata=view.ref.dumps()
    )


def ask_why_note(view: LeadView, *, by: str, to: str | None, question: str | None) -> Message:
    """The question in the lead's thread, mentioning whoever returned it."""
    said = f"❓ {kit.who(to)}, {kit.who(by)} asks why {kit.one(view.short_id, 20)} was returned"
    return kit.note(f"{said}: {kit.one(question, NOTE)}" if question else said)


def answer(text: str) -> Message:
    """An answer to the marketer who chose; `text` is Baton's own mrkdwn."""
    return kit.message(text, [kit.section(text)])
