"""Block Kit for every message and modal Baton sends: pure functions of a `LeadView`.

Every string that came from a lead goes through `escape` and is cut to the Block Kit limit of
the place it lands in; every message has a `text` fallback for notifications.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.lead import FollowUpMethod, LeadStatus, ReturnReason
from bot.slack import text as t
from bot.slack.ids import ActionId, LeadRef, choice_value

# Block Kit limits, in characters unless named otherwise.
HEADER = 150
SECTION = 3000
FIELD = 2000
BUTTON = 75
OPTION = 75
CONTEXT = 2000
PLACEHOLDER = 150
MODAL_TITLE = 24
MAX_BLOCKS = 50
FALLBACK = 3000
# Shorter limits of our own, so one long value cannot crowd out the rest of a message.
VALUE = 300
NOTE = 1500
ACTIVITY_SHOWN = 5
BATCH_IDS_SHOWN = 20
COMMENT_MAX = 2000

TRIAGE = "triage"
METHOD_LABELS = {
    FollowUpMethod.PHONE: "Phone",
    FollowUpMethod.EMAIL: "Email",
    FollowUpMethod.LINKEDIN: "LinkedIn",
    FollowUpMethod.MEETING: "Meeting",
}

Activity = tuple[str, str | None, str | None]
Message = dict[str, Any]
Modal = dict[str, Any]


@dataclass(frozen=True)
class LeadView:
    """What the builders show about a lead; strings are raw, the builders escape them."""

    short_id: str
    status: str
    round: int
    name: str | None
    title: str | None
    company: str | None
    email: str
    phone: str | None
    country: str | None
    state: str | None
    campaign: str | None
    source: str | None
    score: float | None
    qualification_reason: str | None
    route_reason: str | None
    region: str | None  # None = triage
    activity: tuple[Activity, ...]  # (type, at ISO or None, detail), newest first
    notes: str | None
    timezone: str  # the region's zone, for showing dates
    decided_by: str | None = None
    rep_id: str | None = None
    comment: str | None = None
    method: str | None = None
    feedback_due_at: datetime | None = None
    return_reason: str | None = None
    return_notes: str | None = None
    rerouted_to: str | None = None
    reroute_note: str | None = None

    @property
    def ref(self) -> LeadRef:
        return LeadRef(lead=self.short_id, round=self.round)


# Messages ---------------------------------------------------------------------------------


def handoff_message(view: LeadView, *, mention: str | None = None) -> Message:
    """The lead's card: its facts, then buttons while pending or the decision once made."""
    pending = view.status == LeadStatus.PENDING and view.rerouted_to is None
    blocks = [_section(f"{_who(mention)} a new lead is waiting for you")] if mention else []
    title = f"🔔 New lead {_headline(view)}" if pending else _headline(view)
    blocks += [_header(title), _facts(view), _why(view), *_activity_and_notes(view)]
    blocks.append(_decide_buttons(view.ref) if pending else _section(_decision(view)))
    fallback = f"New lead {_headline_md(view)}" if pending else _headline_md(view)
    if mention:
        fallback = f"{_who(mention)} {fallback}"
    return _message(fallback, blocks)


def batch_summary(
    label: str, region: str | None, count: int, short_ids: Sequence[str], mention: str | None
) -> Message:
    """One message for a batch of leads; their cards go in its thread."""
    leads = "1 lead" if count == 1 else f"{count} leads"
    where = _one(region or TRIAGE)
    head = f"📦 {_one(label)}: {leads} for {where} — each card is in this thread"
    ids = ", ".join(_one(i, 20) for i in short_ids[:BATCH_IDS_SHOWN])
    if len(short_ids) > BATCH_IDS_SHOWN:
        ids += f" and {len(short_ids) - BATCH_IDS_SHOWN} more"
    blocks = [_section(f"{_who(mention)} new leads are waiting for you")] if mention else []
    blocks.append(_section(head))
    if ids:
        blocks.append(_context(ids))
    return _message(head, blocks)


def rep_dm(view: LeadView, *, manager: str) -> Message:
    """Tell the rep a lead is theirs: the facts, the manager's comment, how and by when."""
    head = f"👋 {_who(manager)} accepted {_headline_md(view)} for you"
    blocks = [_section(head), _facts(view)]
    if view.comment:
        blocks.append(_section(f"*Comment from {_who(manager)}*\n{_quote(view.comment)}"))
    plan = [_field("Follow up by", _method(view.method) if view.method else None)]
    if view.feedback_due_at:
        plan.append(_field("Feedback due", t.date_for_people(view.feedback_due_at, view.timezone)))
    blocks += [{"type": "section", "fields": plan}, _why(view), *_activity_and_notes(view)]
    log = _button("Log outcome…", ActionId.LOG_OUTCOME, view.ref)
    blocks.append({"type": "actions", "elements": [log]})
    return _message(head, blocks)


def accepted_note(view: LeadView) -> Message:
    return _note(_accepted(view, subject=f"{_id(view)} accepted"))


def returned_note(view: LeadView) -> Message:
    return _note(_returned(view, subject=f"{_id(view)} returned"))


def rerouted_note(view: LeadView) -> Message:
    return _note(_rerouted(view, subject=f"{_id(view)} sent"))


def activity_note(view: LeadView, activity_lines: Sequence[str | Activity]) -> Message:
    """A thread note: the lead is active again, with what it did (raw lines or activity)."""
    lines = [_activity_line(item, view.timezone) for item in activity_lines[:ACTIVITY_SHOWN]]
    return _note("\n".join([f"🔁 {_headline_md(view)} is active again:", *lines]))


def returned_notice(view: LeadView) -> Message:
    """For the marketing channel: who returned which lead and why, without links."""
    who = ", ".join(_one(part) for part in (_person(view), view.company) if part)
    head = f"↩️ {_id(view)} {who} was returned by {_who(view.decided_by)}: {_reason(view)}"
    blocks = [_section(head)]
    if view.return_notes and view.return_notes.strip():
        blocks.append(_section(_quote(view.return_notes)))
    where = [
        f"{label}: {_one(value)}"
        for label, value in (("Campaign", view.campaign), ("Source", view.source))
        if value
    ]
    blocks.append(_context(" · ".join([*where, f"Region: {_one(view.region or TRIAGE)}"])))
    return _message(head, blocks)


def owner_activity_dm(view: LeadView, *, upsell: bool) -> Message:
    """Tell a lead's owner it is back, worded as an upsell signal for a customer."""
    who = _one(_first_name(view))
    if view.company:
        who = f"{_one(view.company)}'s {who}"
    what = _activity_what(view.activity[0]) if view.activity else "new activity"
    head = f"💰 Customer {who} is back: {what}" if upsell else f"🔁 {who} is back: {what}"
    blocks = [_section(head)]
    if upsell:
        blocks.append(_context("A won lead coming back is a chance to sell more."))
    blocks += [*_activity_and_notes(view), _context(f"Lead {_id(view)} · {_one(view.status)}")]
    return _message(head, blocks)


def setup_notice(problem: str, fix: str) -> Message:
    """For the triage channel: what Slack refused and what a person must do.

    Both texts are Baton's own mrkdwn (they may name channels or people), not lead data.
    """
    head = f"⚠️ Slack refused: {problem}"
    return _message(head, [_section(head), _section(f"*What to do:* {fix}")])


def ephemeral(text: str) -> Message:
    """An answer only the asker sees; `text` is Baton's own mrkdwn, not lead data."""
    return _message(text, [_section(text)])


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
    rep = {"type": "users_select", "action_id": ActionId.REP_INPUT.value}
    rep["placeholder"] = _plain("Choose a rep", PLACEHOLDER)
    if t.is_user_id(suggested_rep):
        rep["initial_user"] = suggested_rep
    hint = f"Suggested: {suggestion_reason}" if suggestion_reason else None
    methods = [_option(label, method.value) for method, label in METHOD_LABELS.items()]
    due = {"type": "datepicker", "action_id": ActionId.DUE_INPUT.value}
    due["initial_date"] = due_date.isoformat()
    blocks = [_summary(view)]
    if reps:
        blocks.append(_context(f"Reps in {_one(view.region or TRIAGE)}: {_people(reps)}"))
    blocks += [
        _input(ActionId.REP_BLOCK, "Rep", rep, hint=hint),
        _input(
            ActionId.COMMENT_BLOCK,
            "Your comment for the rep",
            _text_input(
                ActionId.COMMENT_INPUT, "Who they are, how to follow up, what feedback you want"
            ),
        ),
        _input(ActionId.METHOD_BLOCK, "Follow up by", _select(ActionId.METHOD_INPUT, methods)),
        _input(ActionId.DUE_BLOCK, "Feedback due", due),
    ]
    return _modal(ActionId.ACCEPT_MODAL, "Accept lead", "Accept", blocks, ref)


def return_modal(view: LeadView, *, ref: LeadRef) -> Modal:
    """Return to marketing with a reason and notes (required when the reason is Other)."""
    reasons = [_option(reason.label, reason.value) for reason in ReturnReason]
    blocks = [
        _summary(view),
        _input(ActionId.REASON_BLOCK, "Reason", _select(ActionId.REASON_INPUT, reasons)),
        _input(
            ActionId.NOTES_BLOCK,
            "Notes for marketing",
            _text_input(ActionId.NOTES_INPUT, "What marketing should know"),
            optional=True,
            hint="Required when the reason is Other.",
        ),
    ]
    return _modal(ActionId.RETURN_MODAL, "Return lead", "Return", blocks, ref)


def reroute_modal(view: LeadView, *, regions: Sequence[str], ref: LeadRef) -> Modal:
    """Send the lead to another region (or to triage) with a note."""
    current = view.region or TRIAGE
    choices = [r for r in dict.fromkeys([*regions, TRIAGE]) if r != current]
    if not choices:
        blocks = [_summary(view), _section("There is no other region to send this lead to.")]
        return _modal(ActionId.REROUTE_MODAL, "Send to another region", None, blocks, ref)
    options = [_option(region, region) for region in choices]
    blocks = [
        _summary(view),
        _input(ActionId.REGION_BLOCK, "Send to", _select(ActionId.REGION_INPUT, options)),
        _input(
            ActionId.NOTE_BLOCK,
            "Note",
            _text_input(ActionId.NOTE_INPUT, "Why it belongs there"),
            optional=True,
        ),
    ]
    return _modal(ActionId.REROUTE_MODAL, "Send to another region", "Send", blocks, ref)


def modal_errors(errors: Mapping[str, str]) -> dict[str, Any]:
    """The answer to a view submission that shows each message under its input block."""
    return {"response_action": "errors", "errors": {str(k): v for k, v in errors.items()}}


# Pieces -----------------------------------------------------------------------------------


def _message(fallback: str, blocks: list[dict[str, Any]]) -> Message:
    return {"text": t.cut(fallback, FALLBACK), "blocks": blocks[:MAX_BLOCKS]}


def _note(text: str) -> Message:
    return _message(text, [_section(text)])


def _modal(
    callback: ActionId, title: str, submit: str | None, blocks: list[dict[str, Any]], ref: LeadRef
) -> Modal:
    view = {
        "type": "modal",
        "callback_id": callback.value,
        "title": _plain(title, MODAL_TITLE),
        "close": _plain("Cancel", MODAL_TITLE),
        "private_metadata": ref.dumps(),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = _plain(submit, MODAL_TITLE)
    return view


def _md(text: str, limit: int = SECTION) -> dict[str, Any]:
    # verbatim: Slack must not turn plain text from a lead into links or mentions.
    return {"type": "mrkdwn", "text": t.cut(text, limit), "verbatim": True}


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": t.plain(text, limit)}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _md(text)}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": _plain(t.one_line(text), HEADER)}


def _context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_md(text, CONTEXT) for text in texts]}


def _field(label: str, value: str | None) -> dict[str, Any]:
    return _md(f"*{label}*\n{_one(value) if value else '—'}", FIELD)


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _plain(label, OPTION), "value": value}


def _button(label: str, action: ActionId, ref: LeadRef, style: str | None = None) -> dict[str, Any]:
    button = {"type": "button", "action_id": action.value, "text": _plain(label, BUTTON)}
    button["value"] = ref.dumps()
    if style:
        button["style"] = style
    return button


def _input(
    block: ActionId,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    block_dict = {"type": "input", "block_id": block.value, "label": _plain(label, FIELD)}
    block_dict["element"] = element
    if optional:
        block_dict["optional"] = True
    if hint:
        block_dict["hint"] = _plain(t.one_line(hint), FIELD)
    return block_dict


def _text_input(action: ActionId, placeholder: str) -> dict[str, Any]:
    return {
        "type": "plain_text_input",
        "action_id": action.value,
        "multiline": True,
        "max_length": COMMENT_MAX,
        "placeholder": _plain(placeholder, PLACEHOLDER),
    }


def _select(action: ActionId, options: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": action.value,
        "placeholder": _plain("Choose…", PLACEHOLDER),
        "options": options,
    }


def _decide_buttons(ref: LeadRef) -> dict[str, Any]:
    more = {
        "type": "overflow",
        "action_id": ActionId.MORE.value,
        "options": [_option("Send to another region…", choice_value(ActionId.REROUTE, ref))],
    }
    accept = _button("Accept…", ActionId.ACCEPT, ref, style="primary")
    return {"type": "actions", "elements": [accept, _button("Return…", ActionId.RETURN, ref), more]}


def _facts(view: LeadView) -> dict[str, Any]:
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
    return {"type": "section", "fields": fields}


def _why(view: LeadView) -> dict[str, Any]:
    lines = [f"Lead {_id(view)} · round {view.round} · {_one(view.region or TRIAGE)}"]
    if view.qualification_reason:
        lines.append(f"Why it qualified: {_one(view.qualification_reason, NOTE)}")
    if view.route_reason:
        lines.append(f"Routed: {_one(view.route_reason, NOTE)}")
    return _context(*lines)


def _activity_and_notes(view: LeadView) -> list[dict[str, Any]]:
    blocks = []
    if view.activity:
        lines = [_activity_line(item, view.timezone) for item in view.activity[:ACTIVITY_SHOWN]]
        blocks.append(_section("\n".join(["*Recent activity*", *lines])))
    if view.notes and view.notes.strip():
        blocks.append(_section(f"*Notes*\n{t.cut(t.escape(view.notes.strip()), SECTION - 20)}"))
    return blocks


def _activity_line(item: str | Activity, tz: str) -> str:
    if isinstance(item, str):
        return f"• {_one(item)}"
    when = _activity_date(item[1], tz)
    return f"• {when + ' — ' if when else ''}{_activity_what(item)}"


def _activity_what(item: Activity) -> str:
    kind, _, detail = item
    what = _one(kind.replace("_", " "), 100) if kind else "activity"
    return f"{what}: {_one(detail)}" if detail else what


def _activity_date(at: str | None, tz: str) -> str:
    if not at:
        return ""
    try:
        return t.date_for_people(datetime.fromisoformat(at), tz)
    except ValueError:
        return _one(at, 40)


def _decision(view: LeadView) -> str:
    if view.rerouted_to is not None:
        return _rerouted(view, subject="Sent")
    if view.status == LeadStatus.RETURNED:
        return _returned(view, subject="Returned")
    if view.rep_id:
        decided = _accepted(view, subject="Accepted")
        if view.status != LeadStatus.ACCEPTED:
            decided += f" · now {_one(view.status)}"
        return f"{decided}\n{_quote(view.comment)}" if view.comment else decided
    return f"Status: {_one(view.status)}"


def _accepted(view: LeadView, *, subject: str) -> str:
    parts = [f"✅ {subject} by {_who(view.decided_by)} for {_who(view.rep_id)}"]
    if view.method:
        parts.append(_one(_method(view.method)))
    if view.feedback_due_at:
        parts.append(f"feedback due {t.date_for_people(view.feedback_due_at, view.timezone)}")
    return " · ".join(parts)


def _returned(view: LeadView, *, subject: str) -> str:
    said = f"↩️ {subject} by {_who(view.decided_by)}: {_reason(view)}"
    return f"{said} — {_one(view.return_notes, NOTE)}" if view.return_notes else said


def _rerouted(view: LeadView, *, subject: str) -> str:
    where = _one(view.rerouted_to or TRIAGE)
    said = f"➡️ {subject} to {where} by {_who(view.decided_by)}"
    return f"{said}: {_one(view.reroute_note, NOTE)}" if view.reroute_note else said


def _reason(view: LeadView) -> str:
    if not view.return_reason:
        return "no reason given"
    try:
        return ReturnReason(view.return_reason).label
    except ValueError:
        return _one(view.return_reason)


def _method(method: str) -> str:
    try:
        return METHOD_LABELS[FollowUpMethod(method)]
    except ValueError:
        return method


def _summary(view: LeadView) -> dict[str, Any]:
    title = f" — {_one(view.title)}" if view.title else ""
    return _section(f"{_headline_md(view)}{title}")


def _headline(view: LeadView) -> str:
    """`L-7K3Q9: Jane Doe, Acme GmbH` as plain text."""
    who = ", ".join(t.one_line(part) for part in (_person(view), view.company) if part)
    return f"{view.short_id}: {who}"


def _headline_md(view: LeadView) -> str:
    who = ", ".join(_one(part) for part in (_person(view), view.company) if part)
    return f"{_id(view)}: {who}"


def _person(view: LeadView) -> str:
    return view.name if view.name and view.name.strip() else view.email


def _first_name(view: LeadView) -> str:
    return view.name.split()[0] if view.name and view.name.strip() else view.email


def _id(view: LeadView) -> str:
    return _one(view.short_id, 20)


def _who(user: str | None) -> str:
    """A mention for a user id; anything else (`system`, a typo) is shown, never parsed."""
    if t.is_user_id(user):
        return t.mention(user)
    return _one(user, 80) if user else "someone"


def _people(users: Sequence[str]) -> str:
    return ", ".join(_who(user) for user in users[:20])


def _quote(text: str) -> str:
    lines = t.cut(t.escape(text.strip()), NOTE).splitlines()
    return "\n".join(f">{line}" for line in lines) or ">—"


def _one(text: str | None, limit: int = VALUE) -> str:
    """A lead's value on one line: escaped, cut, and never empty."""
    return t.cut(t.escape(t.one_line(text or "")), limit) or "—"
