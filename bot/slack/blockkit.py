"""Block Kit's vocabulary: the blocks, elements and texts every Baton message and modal is made of.

The builders give these Baton's own mrkdwn. Text that came from a lead or a person goes through
`one` or `quote` first, which escape it (see `bot.slack.text`); every mrkdwn text is sent
`verbatim`, so Slack never turns plain text into a link or a mention.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack import text as t
from bot.slack.ids import ActionId

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
COMMENT_MAX = 2000
PEOPLE_SHOWN = 20

Block = dict[str, Any]
Message = dict[str, Any]
Modal = dict[str, Any]


# Texts ------------------------------------------------------------------------------------


def mrkdwn(text: str, limit: int = SECTION) -> dict[str, Any]:
    # verbatim: Slack must not turn plain text from a lead into links or mentions.
    return {"type": "mrkdwn", "text": t.cut(text, limit), "verbatim": True}


def plain_text(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": t.plain(text, limit)}


def one(text: str | None, limit: int = VALUE) -> str:
    """A lead's value on one line: escaped, cut, and never empty."""
    return t.cut(t.escape(t.one_line(text or "")), limit) or "—"


def quote(text: str) -> str:
    """Untrusted text, escaped and cut, as a mrkdwn block quote."""
    lines = t.cut(t.escape(text.strip()), NOTE).splitlines()
    return "\n".join(f">{line}" for line in lines) or ">—"


def who(user: str | None) -> str:
    """A mention for a user id; anything else (`system`, a typo) is shown, never parsed."""
    if user is not None and t.is_user_id(user):
        return t.mention(user)
    return one(user, 80) if user else "someone"


def lead_link(short_id: str, url: str | None) -> str:
    """A lead's id, linked to its handoff card when its permalink is known (and safe)."""
    label = one(short_id, 20)
    if url is None or not t.is_link(url):
        return label
    return f"<{url.replace('&', '&amp;')}|{label}>"


def people(users: Sequence[str]) -> str:
    return ", ".join(who(user) for user in users[:PEOPLE_SHOWN])


# Blocks -----------------------------------------------------------------------------------


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def fields(*items: dict[str, Any]) -> Block:
    """A section of side-by-side fields (each from `field`)."""
    return {"type": "section", "fields": list(items)}


def field(label: str, text: str) -> dict[str, Any]:
    """A labelled field of a `fields` section; `text` is mrkdwn, escaped by the caller."""
    return mrkdwn(f"*{label}*\n{text}", FIELD)


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(t.one_line(text), HEADER)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text, CONTEXT) for text in texts]}


def divider() -> Block:
    return {"type": "divider"}


def actions(*elements: dict[str, Any]) -> Block:
    return {"type": "actions", "elements": list(elements)}


def input_block(
    block: ActionId,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    built: dict[str, Any] = {
        "type": "input",
        "block_id": block.value,
        "label": plain_text(label, FIELD),
    }
    built["element"] = element
    if optional:
        built["optional"] = True
    if hint:
        built["hint"] = plain_text(t.one_line(hint), FIELD)
    return built


# Elements ---------------------------------------------------------------------------------


def button(label: str, action: ActionId, value: str, *, style: str | None = None) -> dict[str, Any]:
    """A button whose `value` (a ref's JSON) comes back to the listener when it is clicked."""
    built: dict[str, Any] = {
        "type": "button",
        "action_id": action.value,
        "text": plain_text(label, BUTTON),
    }
    built["value"] = value
    if style:
        built["style"] = style
    return built


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain_text(label, OPTION), "value": value}


def select(action: ActionId, options: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": action.value,
        "placeholder": plain_text("Choose…", PLACEHOLDER),
        "options": options,
    }


def text_input(action: ActionId, placeholder: str) -> dict[str, Any]:
    """A multi-line text box for a comment or notes."""
    return {
        "type": "plain_text_input",
        "action_id": action.value,
        "multiline": True,
        "max_length": COMMENT_MAX,
        "placeholder": plain_text(placeholder, PLACEHOLDER),
    }


# Surfaces ---------------------------------------------------------------------------------


def message(fallback: str, blocks: list[Block]) -> Message:
    """A message: its blocks, and the `text` that notifications and screen readers show."""
    return {"text": t.cut(fallback, FALLBACK), "blocks": blocks[:MAX_BLOCKS]}


def note(text: str) -> Message:
    """A message of one section that says it all, such as a note in a lead's thread."""
    return message(text, [section(text)])


def modal(
    callback: ActionId, title: str, blocks: list[Block], *, submit: str | None, metadata: str
) -> Modal:
    """A modal; `metadata` (a ref's JSON) comes back with its submission."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback.value,
        "title": plain_text(title, MODAL_TITLE),
        "close": plain_text("Cancel", MODAL_TITLE),
        "private_metadata": metadata,
        "blocks": blocks,
    }
    if submit:
        view["submit"] = plain_text(submit, MODAL_TITLE)
    return view
