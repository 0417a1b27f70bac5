"""The Slack calls outbox work turns into, and their arguments: a post, a reply in a thread,
an update; or a wait for the message a reply belongs under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.snapshots import Posted
from bot.slack.blockkit import Message

METADATA_TYPE = "baton_work"


@dataclass(frozen=True)
class SlackCall:
    method: str
    args: dict[str, Any]
    homes: tuple[str, ...] = ()  # whose App Home to refresh once this is delivered
    lead: str | None = None  # the short id of the lead a handoff is about, for the log


@dataclass(frozen=True)
class Wait:
    reason: str


Composed = SlackCall | Wait


def post(channel: str | None, message: Message, key: str) -> dict[str, Any]:
    """chat.postMessage's arguments; the metadata finds the post again if its answer is lost."""
    return {
        "channel": channel,
        **message,
        "metadata": {"event_type": METADATA_TYPE, "event_payload": {"key": key}},
        "unfurl_links": False,
        "unfurl_media": False,
    }


def post_in(thread: Posted, message: Message, key: str) -> dict[str, Any]:
    """chat.postMessage's arguments for a reply in the thread of `thread`."""
    return post(thread.channel, message, key) | {"thread_ts": thread.ts}


def update(posted: Posted, message: Message) -> dict[str, Any]:
    return {"channel": posted.channel, "ts": posted.ts, **message}
