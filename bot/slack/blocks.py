"""Block Kit for a lead's handoff: its card, the decision modals, its notes and notices.

Pure functions of a `LeadView`. Every string that came from a lead is escaped and cut to the
Block Kit limit of the place it lands in; every message has a `text` fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot.domain.lead import FollowUpMethod, LeadStatus, ReturnReason
from bot.domain.snapshots import activity_kind
from bot.domain.wording import counted
from bot.slack import blockkit as kit
from bot.slack import story
from bot.slack import text as t
from bot.slack.blockkit import NOTE, SECTION, Message, Modal
from bot.slack.ids import ActionId, LeadRef, choice_value
from bot.slack.views import Activity, LeadView

ACTIVITY_SHOWN = 5
BATCH_IDS_SHOWN = 20

TRIAGE = "triage"
METHOD_LABELS = {
    FollowUpMethod.PHONE: "Phone",
    FollowUpMethod.EMAIL: "Email",
    FollowUpMethod.LINKEDIN: "LinkedIn",
    FollowUpMethod.MEETING: "Meeting",
}

# Messages ---------------------------------------------------------------------------------


def handoff_message(view: LeadView, *, mention: str | None = None) -> Message:
    """The lead's card: its facts, then buttons while pending or the decision once made."""
    pending = view.status == LeadStatus.PENDING and view.rerouted_to is None
    blocks = [kit.section(f"{kit.who(mention)} a new lead is waiting for you")] if mention else []
    title = f"🔔 New lead {_headline(view)}" if pending else _headline(view)
    blocks += [kit.header(title), lead_facts(view), _why(view), *_activity_and_notes(view)]
    if view.before is not None:
        blocks.append(kit.section(story.before_text(view.before, view.timezone)))
    blocks.append(_decide_buttons(view.ref) if pending else kit.section(_decision(view)))
    fallback = f"New lead {headline_md(view)}" if pending else headline_md(view)
    if mention:
        fallback = f"{kit.who(mention)} {fallback}"
    return kit.message(fallback, blocks)


def batch_summary(
    label: str, region: str | None, count: int, short_ids: Sequence[str], mention: str | None
) -> Message:
    """One message for a batch of leads; their cards go in its thread."""
    leads = counted(count, "lead")
    where = kit.one(region or TRIAGE)
    head = f"📦 {kit.one(label)}: {leads} for {where} — each card is in this thread"
    ids = ", ".join(kit.one(i, 20) for i in short_ids[:BATCH_IDS_SHOWN])
    if len(short_ids) > BATCH_IDS_SHOWN:
        ids += f" and {len(short_ids) - BATCH_IDS_SHOWN} more"
    blocks = [kit.section(f"{kit.who(mention)} new leads are waiting for you")] if mention else []
    blocks.append(kit.section(head))
    if ids:
        blocks.append(kit.context(ids))
    return kit.message(head, blocks)


def rep_dm(
    view: LeadView,
    *,
    manager: str,
    handed_by: str | None = None,
    from_rep: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Message:
    """Tell the rep a lead is theirs: the facts, the manager's comment, how and by when; a lead
    reassigned to them (`handed_by`, `from_rep`) also carries the note that came with it. A
    due date already past at `now` (a lead handed on late) says it is overdue."""
    head = f"👋 {kit.who(manager)} accepted {headline_md(view, linked=True)} for you"
    if handed_by:
        lead = headline_md(view, linked=True)
        head = f"👋 {kit.who(handed_by)} gave you {lead} (it was with {kit.who(from_rep)})"
    blocks = [kit.section(head), lead_facts(view)]
    if view.comment:
        blocks.append(kit.section(f"*Comment from {kit.who(manager)}*\n{kit.quote(view.comment)}"))
    if handed_by and note and note.strip():
        blocks.append(kit.section(f"*Note from {kit.who(handed_by)}*\n{kit.quote(note)}"))
    plan = [_field("Follow up by", _method(view.method) if view.method else None)]
    if view.feedback_due_at:
        due = kit.one(t.date_for_people(view.feedback_due_at, view.timezone))
        overdue = now is not None and view.feedback_due_at < now
        plan.append(kit.field("Feedback due", f"*{due} (overdue)*" if overdue else due))
    blocks += [kit.fields(*plan), _why(view), *_activity_and_notes(view)]
    blocks.append(kit.actions(kit.button("Log outcome…", ActionId.LOG_OUTCOME, view.ref.dumps())))
    return kit.message(head, blocks)


def accepted_note(view: LeadView) -> Message:
    return kit.note(_accepted(view, subject=f"{_id(view)} accepted"))


def returned_note(view: LeadView) -> Message:
    return kit.note(_returned(view, subject=f"{_id(view)} returned"))


def rerouted_note(view: LeadView) -> Message:
    return kit.note(_rerouted(view, subject=f"{_id(view)} sent"))


def activity_note(view: LeadView, activity_lines: Sequence[str | Activity]) -> Message:
    """A thread note: the lead is active again, with what it did (raw lines or activity)."""
    lines = [_activity_line(item, view.timezone) for item in activity_lines[:ACTIVITY_SHOWN]]
    return kit.note("\n".join([f"🔁 {headline_md(view)} is active again:", *lines]))


def returned_notice(view: LeadView, *, choice: kit.Block | None = None) -> Message:
    """For the marketing channel: who returned which lead and why, and marketing's `choice`
    (its buttons, or what was chosen)."""
    who = ", ".join(kit.one(part) for part in (_person(view), view.company) if part)
    head = f"↩️ {_id(view, linked=True)} {who} was returned by {kit.who(view.decided_by)}: {_reason(view)}"
    blocks = [kit.section(head)]
    if view.return_notes and view.return_notes.strip():
        blocks.append(kit.section(kit.quote(view.return_notes)))
    where = [
        f"{label}: {kit.one(value)}"
        for label, value in (("Campaign", view.campaign), ("Source", view.source))
        if value
    ]
    blocks.append(kit.context(" · ".join([*where, f"Region: {kit.one(view.region or TRIAGE)}"])))
    return kit.message(head, [*blocks, *([choice] if choice else [])])


def owner_activity_dm(view: LeadView, *, upsell: bool) -> Message:
    """Tell a lead's owner it is back, worded as an upsell signal for a customer."""
    who = kit.one(_first_name(view))
    if view.company:
        who = f"{kit.one(view.company)}'s {who}"
    what = _activity_what(view.activity[0]) if view.activity else "new activity"
    head = f"💰 Customer {who} is back: {what}" if upsell else f"🔁 {who} is back: {what}"
    blocks = [kit.section(head)]
    if upsell:
        blocks.append(kit.context("A won lead coming back is a chance to sell more."))
    blocks += [
        *_activity_and_notes(view),
        kit.context(f"Lead {_id(view, linked=True)} · {kit.one(view.status)}"),
    ]
    return kit.message(head, blocks)


def setup_notice(problem: str, fix: str) -> Message:
    """For the triage channel: what Slack refused and what a person must do.

    Both texts are Baton's own mrkdwn (they may name channels or people), not lead data.
    """
    head = f"⚠️ Slack refused: {problem}"
    return kit.message(head, [kit.section(head), kit.section(f"*What to do:* {fix}")])


def ephemeral(text: str) -> Message:
    """An answer only the asker sees; `text` is Baton's own mrkdwn, not lead data."""
    return kit.message(text, [kit.section(text)])


# Modals -----------------------------------------------------------------------------------


def accept_modal(
    view: LeadView,
    *,
    reps: Sequence[str],
    suggested_rep: str | None,
    suggestion_reason: str | None,
    due_date: date,
    ref: LeadRef,
) -> Modal:
    """Accept for a rep: rep (suggested, any may be picked), comment, method, due date."""
    rep: dict[str, Any] = {"type": "users_select", "action_id": ActionId.REP_INPUT.value}
    rep["placeholder"] = kit.plain_text("Choose a rep", kit.PLACEHOLDER)
    if t.is_user_id(suggested_rep):
        rep["initial_user"] = suggested_rep
    hint = f"Suggested: {suggestion_reason}" if suggestion_reason else None
    methods = [kit.option(label, method.value) for method, label in METHOD_LABELS.items()]
    due = {"type": "datepicker", "action_id": ActionId.DUE_INPUT.value}
    due["initial_date"] = due_date.isoformat()
    blocks = [_summary(view)]
    if reps:
        blocks.append(kit.context(f"Reps in {kit.one(view.region or TRIAGE)}: {kit.people(reps)}"))
    blocks += [
        kit.input_block(ActionId.REP_BLOCK, "Rep", rep, hint=hint),
        kit.input_block(
            ActionId.COMMENT_BLOCK,
            "Your comment for the rep",
            kit.text_input(
                ActionId.COMMENT_INPUT, "Who they are, how to follow up, what feedback you want"
            ),
        ),
        kit.input_block(
            ActionId.METHOD_BLOCK, "Follow up by", kit.select(ActionId.METHOD_INPUT, methods)
        ),
        kit.input_block(ActionId.DUE_BLOCK, "Feedback due", due),
    ]
    return kit.modal(
        ActionId.ACCEPT_MODAL, "Accept lead", blocks, submit="Accept", metadata=ref.dumps()
    )


def return_modal(view: LeadView, *, ref: LeadRef) -> Modal:
    """Return to marketing with a reason and notes (required when the reason is Other)."""
    reasons = [kit.option(reason.label, reason.value) for reason in ReturnReason]
    blocks = [
        _summary(view),
        kit.input_block(
            ActionId.REASON_BLOCK, "Reason", kit.select(ActionId.REASON_INPUT, reasons)
        ),
        kit.input_block(
            ActionId.NOTES_BLOCK,
            "Notes for marketing",
            kit.text_input(ActionId.NOTES_INPUT, "What marketing should know"),
            optional=True,
            hint="Required when the reason is Other.",
        ),
    ]
    return kit.modal(
        ActionId.RETURN_MODAL, "Return lead", blocks, submit="Return", metadata=ref.dumps()
    )


def reroute_modal(view: LeadView, *, regions: Sequence[str], ref: LeadRef) -> Modal:
    """Send the lead to another region (or to triage) with a note."""
    current = view.region or TRIAGE
    choices = [r for r in dict.fromkeys([*regions, TRIAGE]) if r != current]
    if not choices:
        blocks = [_summary(view), kit.section("There is no other region to send this lead to.")]
        return kit.modal(
            ActionId.REROUTE_MODAL,
            "Send to another region",
            blocks,
            submit=None,
            metadata=ref.dumps(),
        )
    options = [kit.option(region, region) for region in choices]
    blocks = [
        _summary(view),
        kit.input_block(
            ActionId.REGION_BLOCK, "Send to", kit.select(ActionId.REGION_INPUT, options)
        ),
        kit.input_block(
            ActionId.NOTE_BLOCK,
            "Note",
            kit.text_input(ActionId.NOTE_INPUT, "Why it belongs there"),
            optional=True,
        ),
    ]
    return kit.modal(
        ActionId.REROUTE_MODAL,
        "Send to another region",
        blocks,
        submit="Send",
        metadata=ref.dumps(),
    )


def modal_errors(errors: Mapping[str, str]) -> dict[str, Any]:
    """The answer to a view submission that shows each message under its input block."""
    return {"response_action": "errors", "errors": {str(k): v for k, v in errors.items()}}


# Pieces -----------------------------------------------------------------------------------


def _decide_buttons(ref: LeadRef) -> dict[str, Any]:
    more = {
        "type": "overflow",
        "action_id": ActionId.MORE.value,
        "options": [kit.option("Send to another region…", choice_value(ActionId.REROUTE, ref))],
    }
    accept = kit.button("Accept…", ActionId.ACCEPT, ref.dumps(), style="primary")
    return kit.actions(accept, kit.button("Return…", ActionId.RETURN, ref.dumps()), more)


def lead_facts(view: LeadView) -> kit.Block:
    """The lead's card: who, where from and how good, side by side."""
    contact = " · ".join(part for part in (view.email, view.phone) if part)
    place = ", ".join(part for part in (view.state, view.country) if part)
    score = None if view.score is None else f"{view.score:g}"
    fields = [
        _field("Name", view.name),
        _field("Title", view.title),
        _field("Company", view.company),
        _field("Contact", contact),
        _field("Country", place),
        _field("Campaign", view.campaign),
        _field("Source", view.source),
        _field("Score", score),
    ]
    return kit.fields(*fields)


def _why(view: LeadView) -> dict[str, Any]:
    lines = [f"Lead {_id(view)} · round {view.round} · {kit.one(view.region or TRIAGE)}"]
    if view.qualification_reason:
        lines.append(f"Why it qualified: {kit.one(view.qualification_reason, NOTE)}")
    if view.route_reason:
        lines.append(f"Routed: {kit.one(view.route_reason, NOTE)}")
    return kit.context(*lines)


def _activity_and_notes(view: LeadView) -> list[dict[str, Any]]:
    blocks = []
    if view.activity:
        lines = [_activity_line(item, view.timezone) for item in view.activity[:ACTIVITY_SHOWN]]
        blocks.append(kit.section("\n".join(["*Recent activity*", *lines])))
    if view.notes and view.notes.strip():
        blocks.append(kit.section(f"*Notes*\n{t.cut(t.escape(view.notes.strip()), SECTION - 20)}"))
    return blocks


def _activity_line(item: str | Activity, tz: str) -> str:
    if isinstance(item, str):
        return f"• {kit.one(item)}"
    when = _activity_date(item[1], tz)
    return f"• {when + ' — ' if when else ''}{_activity_what(item)}"


def _activity_what(item: Activity) -> str:
    kind, _, detail = item
    what = kit.one(activity_kind(kind), 100)
    return f"{what}: {kit.one(detail)}" if detail else what


def _activity_date(at: str | None, tz: str) -> str:
    if not at:
        return ""
    try:
        return t.date_for_people(datetime.fromisoformat(at), tz)
    except ValueError:
        return kit.one(at, 40)


def _decision(view: LeadView) -> str:
    if view.rerouted_to is not None:
        return _rerouted(view, subject="Sent")
    if view.status == LeadStatus.RETURNED:
        return _returned(view, subject="Returned")
    if view.rep_id:
        decided = _accepted(view, subject="Accepted")
        if view.status != LeadStatus.ACCEPTED:
            decided += f" · now {kit.one(view.status)}"
        return f"{decided}\n{kit.quote(view.comment)}" if view.comment else decided
    return f"Status: {kit.one(view.status)}"


def _accepted(view: LeadView, *, subject: str) -> str:
    parts = [f"✅ {subject} by {kit.who(view.decided_by)} for {kit.who(view.rep_id)}"]
    if view.method:
        parts.append(kit.one(_method(view.method)))
    if view.feedback_due_at:
        parts.append(f"feedback due {t.date_for_people(view.feedback_due_at, view.timezone)}")
    return " · ".join(parts)


def _returned(view: LeadView, *, subject: str) -> str:
    said = f"↩️ {subject} by {kit.who(view.decided_by)}: {_reason(view)}"
    return f"{said} — {kit.one(view.return_notes, NOTE)}" if view.return_notes else said


def _rerouted(view: LeadView, *, subject: str) -> str:
    where = kit.one(view.rerouted_to or TRIAGE)
    said = f"➡️ {subject} to {where} by {kit.who(view.decided_by)}"
    return f"{said}: {kit.one(view.reroute_note, NOTE)}" if view.reroute_note else said


def _reason(view: LeadView) -> str:
    if not view.return_reason:
        return "no reason given"
    try:
        return ReturnReason(view.return_reason).label
    except ValueError:
        return kit.one(view.return_reason)


def _method(method: str) -> str:
    try:
        return METHOD_LABELS[FollowUpMethod(method)]
    except ValueError:
        return method


def _summary(view: LeadView) -> dict[str, Any]:
    title = f" — {kit.one(view.title)}" if view.title else ""
    return kit.section(f"{headline_md(view)}{title}")


def _headline(view: LeadView) -> str:
    """`L-7K3Q9: Jane Doe, Acme GmbH` as plain text."""
    who = ", ".join(t.one_line(part) for part in (_person(view), view.company) if part)
    return f"{view.short_id}: {who}"


def headline_md(view: LeadView, *, linked: bool = False) -> str:
    """`L-7K3Q9: Jane Doe, Acme GmbH` as mrkdwn, its parts escaped; `linked`: the id links to
    the lead's card (for messages outside its thread)."""
    who = ", ".join(kit.one(part) for part in (_person(view), view.company) if part)
    return f"{_id(view, linked=linked)}: {who}"


def _person(view: LeadView) -> str:
    return view.name if view.name and view.name.strip() else view.email


def _first_name(view: LeadView) -> str:
    return view.name.split()[0] if view.name and view.name.strip() else view.email


def _id(view: LeadView, *, linked: bool = False) -> str:
    return kit.lead_link(view.short_id, view.link if linked else None)


def _field(label: str, value: str | None) -> dict[str, Any]:
    return kit.field(label, kit.one(value) if value else "—")
