"""Text for Slack: escaping untrusted strings for mrkdwn, cutting to limits, mentions, dates.

`escape` is what keeps lead data from ever mentioning anyone or forging a link:
- `&`, `<` and `>` become `&amp;`, `&lt;` and `&gt;`, so `<!channel>`, `<@U…>` and
  `<https://x|y>` show as typed and are never parsed;
- a word joiner (U+2060) goes after the `@` of `@channel`, `@here` and `@everyone`, in case a
  message is ever sent with `link_names`;
- mrkdwn has no escape for formatting, so `*`, `_` and `~` at the edge of a word (where Slack
  reads them as bold, italic or strike) become look-alikes (`∗`, `ˍ`, `∼`), and every backtick
  becomes `ˋ`. Inside a word (`jane_doe@acme.com`) they stay as they are, since Slack does
  not format there. So a name made of `*` or backticks cannot open markup that swallows ours.

Builders also send mrkdwn with `verbatim: true`, so Slack does not turn plain text into links.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

ELLIPSIS = "…"
WORD_JOINER = "\u2060"
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "`": "ˋ"})
_LOOKALIKES = {"*": "∗", "_": "ˍ", "~": "∼"}
# A formatting mark is left alone only with a letter or digit on both sides.
_EDGE_MARK = re.compile(r"(?<![^\W_])[*_~]|[*_~](?![^\W_])")
_BROADCAST = re.compile(r"(?<!\w)@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
# What may be left of an entity when a cut lands inside it.
_ENTITY_STUBS = ("&amp", "&am", "&a", "&lt", "&l", "&gt", "&g", "&")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_LINK = re.compile(r"^https://[^\s<>|`]{1,490}$")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def escape(text: str) -> str:
    """Make untrusted text safe to place in mrkdwn: no mentions, links or stray markup."""
    text = _EDGE_MARK.sub(lambda mark: _LOOKALIKES[mark.group()], text)
    text = _BROADCAST.sub("@" + WORD_JOINER, text)
    return text.translate(_ENTITIES)


def cut(text: str, limit: int) -> str:
    """Shorten to at most `limit` characters, ending with "…" when something was left out.

    A cut never leaves half an entity such as `&am` behind.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    kept = text[: limit - len(ELLIPSIS)]
    for stub in _ENTITY_STUBS:
        if kept.endswith(stub):
            kept = kept[: -len(stub)]
            break
    return kept.rstrip() + ELLIPSIS


def one_line(text: str) -> str:
    """Collapse line breaks and runs of spaces, so a value cannot fake a line of its own."""
    return " ".join(text.split())


def plain(text: str, limit: int) -> str:
    """Text for a plain_text field: nothing is parsed there, so it is only cut."""
    return cut(text, limit)


def mention(user_id: str) -> str:
    """`<@U…>` for a Slack user id; raises ValueError for anything not shaped like one."""
    if not _USER_ID.match(user_id):
        raise ValueError(f"not a Slack user id: {user_id!r}")
    return f"<@{user_id}>"


def is_link(url: str | None) -> bool:
    """Whether `url` is an https address mrkdwn can carry as a link without breaking out of it."""
    return url is not None and _LINK.match(url) is not None


def is_user_id(text: str | None) -> bool:
    return text is not None and _USER_ID.match(text) is not None


def date_for_people(moment: datetime | date, tz: str | tzinfo) -> str:
    """ "Fri 27 Nov": the day in the given zone (a naive datetime is taken as UTC)."""
    day = _local(moment, tz) if isinstance(moment, datetime) else moment
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def when(moment: datetime, tz: str | tzinfo) -> str:
    """ "Fri 27 Nov, 17:00 CET": day, time and zone abbreviation in the given zone."""
    local = _local(moment, tz)
    return f"{date_for_people(local, tz)}, {local:%H:%M} {local.tzname()}"


def _local(moment: datetime, tz: str | tzinfo) -> datetime:
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(zone)
