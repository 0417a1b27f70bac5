"""A local stand-in for the Slack Web API: it keeps what the bot posts and fails on demand.

It speaks HTTP on 127.0.0.1 so the real slack_sdk clients talk to it unchanged; `baton demo`
and the tests point `base_url` at `SlackStandIn.url`.
"""

from __future__ import annotations

import base64
import bisect
import copy
import hashlib
import json
import logging
import mimetypes
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

logger = logging.getLogger(__name__)

ANY_METHOD = "*"
UPLOAD_METHOD = "upload"
UPLOAD_PATH = "/upload/v1/"
ACCEPTED_TOKEN_PREFIXES = ("xoxb-", "xoxp-")
JSON_FIELDS = frozenset({"blocks", "attachments", "metadata", "view", "files", "unfurls"})
MAX_TEXT_LENGTH = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
FIRST_TS_MICROS = 1_700_000_000_000_000
CREATED_AT = 1_700_000_000
TS_PATTERN = re.compile(r"^\d{1,10}\.\d{6}$")
STATUS_ERRORS = {429: "ratelimited", 404: "not_found"}


@dataclass
class Call:
    """One call as received: parsed args, request headers, answer status (0 when dropped)."""

    method: str
    args: dict[str, Any]
    at: float
    status: int
    headers: dict[str, str]
    token: str | None = None


class SlackError(Exception):
    """Answer a Web API call with `ok: false` and this error."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class _Reply:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, str]:
        """Return the body's bytes and content type."""
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None
    times: int

    def reply(self) -> _Reply:
        """Return the failed answer."""
        headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        return _Reply(self.status, {"ok": False, "error": self.error}, headers)


@dataclass
class _Channel:
    id: str
    name: str
    members: set[str]
    user: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_im(self) -> bool:
        return self.id.startswith("D")


def _flag(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _decode(name: str, value: Any) -> Any:
    if name not in JSON_FIELDS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _parse_args(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Merge the query string and the form or JSON body, decoding JSON-valued fields."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if body and "json" in content_type:
        try:
            loaded = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SlackError("invalid_json") from exc
        if not isinstance(loaded, dict):
            raise SlackError("json_not_object")
        args.update(loaded)
    elif body:
        args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return {name: _decode(name, value) for name, value in args.items()}


def _header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def _email_for(real_name: str) -> str:
    return ".".join(re.findall(r"[a-z0-9]+", real_name.lower())) + "@example.com"


def _valid_blocks(blocks: Any, limit: int) -> bool:
    return (
        isinstance(blocks, list)
        and len(blocks) <= limit
        and all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks)
    )


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(str(cursor)).decode().removeprefix("offset:"))
    except ValueError as exc:
        raise SlackError("invalid_cursor") from exc


def _page(items: list[Any], args: dict[str, Any], default_limit: int = 100) -> tuple[list, dict]:
    """Cut one page from items, returning it and the `response_metadata`."""
    start, limit = _offset(args.get("cursor")), int(args.get("limit") or default_limit)
    page = items[start : start + limit]
    more = start + limit < len(items)
    return page, {"next_cursor": _cursor(start + limit) if more else ""}


def _within(ts: str, args: dict[str, Any]) -> bool:
    """Tell whether ts lies between the call's `oldest` and `latest`."""
    inclusive, value = _flag(args.get("inclusive")), float(ts)
    oldest, latest = _ts_arg(args, "oldest", 0.0), _ts_arg(args, "latest", float("inf"))
    if inclusive:
        return oldest <= value <= latest
    return oldest < value < latest


def _ts_arg(args: dict[str, Any], name: str, default: float) -> float:
    try:
        return float(args.get(name) or default)
    except ValueError as exc:
        raise SlackError(f"invalid_ts_{name}") from exc


class _Workspace:
    """Hold one workspace's channels, messages, views and files, and answer its methods."""

    def __init__(self, *, bot_user_id: str, team_id: str) -> None:
        self.bot_user_id, self.team_id = bot_user_id, team_id
        self.bot_id, self.app_id = "B0BATONBOT", "A0BATONAPP"
        self.team_name, self.domain = "Baton Demo", "baton-demo"
        self.channels: dict[str, _Channel] = {}
        self.users: dict[str, dict[str, str]] = {}
        self.revoked_tokens: set[str] = set()
        self.expired_triggers: set[str] = set()
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.views_opened: list[dict[str, Any]] = []
        self.views_published: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.upload_root = ""
        self._ts_micros = FIRST_TS_MICROS
        self._serial = 0
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self.auth_test,
            "bots.info": self.bots_info,
            "team.info": self.team_info,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
            "conversations.open": self.conversations_open,
            "conversations.info": self.conversations_info,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "conversations.members": self.conversations_members,
            "conversations.join": self.conversations_join,
            "users.info": self.users_info,
            "users.lookupByEmail": self.users_lookup_by_email,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "reactions.add": self.reactions_add,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
        }

    # ids, people and places

    def next_ts(self) -> str:
        """Return a message timestamp later than every earlier one."""
        self._ts_micros += 100
        return f"{self._ts_micros // 1_000_000}.{self._ts_micros % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        """Return a fresh Slack-style id with this prefix."""
        self._serial += 1
        return f"{prefix}0{self._serial:08X}"

    def check_token(self, token: str | None) -> None:
        """Refuse a missing, malformed or revoked token."""
        if not token:
            raise SlackError("not_authed")
        if token in self.revoked_tokens:
            raise SlackError("token_revoked")
        if not token.startswith(ACCEPTED_TOKEN_PREFIXES):
            raise SlackError("invalid_auth")

    def add_channel(self, channel_id: str, name: str, *, members: set[str]) -> None:
        """Create or rename a channel with these members."""
        channel = self.channels.setdefault(channel_id, _Channel(channel_id, name, set()))
        channel.name = name
        channel.members |= members

    def add_user(self, user_id: str, real_name: str, email: str | None = None) -> None:
        """Register a person in the workspace."""
        self.users[user_id] = {"real_name": real_name, "email": email or _email_for(real_name)}

    def dm_id(self, user_id: str) -> str:
        """Return the id of the bot's direct-message channel with a user."""
        return f"D{user_id[1:]}"

    def dm(self, user_id: str) -> _Channel:
        """Return the bot's DM channel with a known user, opening it if needed."""
        if user_id not in self.users:
            raise SlackError("user_not_found")
        channel_id = self.dm_id(user_id)
        members = {self.bot_user_id, user_id}
        return self.channels.setdefault(channel_id, _Channel(channel_id, "", members, user_id))

    def channel(self, ref: Any, *, member: bool = False) -> _Channel:
        """Find a channel by id, name or user id; with member, require the bot in it."""
        ref = str(ref or "").removeprefix("#")
        if ref[:1] in ("U", "W"):
            return self._dm_or_not_found(ref)
        if ref.startswith("D") and ref not in self.channels:
            user = next((u for u in self.users if self.dm_id(u) == ref), None)
            return self._dm_or_not_found(user or "")
        found = self.channels.get(ref) or next(
            (c for c in self.channels.values() if c.name and c.name == ref), None
        )
        if found is None:
            raise SlackError("channel_not_found")
        if member and self.bot_user_id not in found.members:
            raise SlackError("not_in_channel")
        return found

    def _dm_or_not_found(self, user_id: str) -> _Channel:
        if user_id not in self.users:
            raise SlackError("channel_not_found")
        return self.dm(user_id)

    def find_message(self, channel: _Channel, ts: Any) -> dict[str, Any]:
        """Return the stored message with this ts or fail with message_not_found."""
        found = next((m for m in channel.messages if m["ts"] == ts), None)
        if found is None:
            raise SlackError("message_not_found")
        return found

    # messages

    def compose(self, args: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
        """Validate a message's text, blocks and metadata and return the given ones."""
        content = {k: args[k] for k in ("text", "blocks", "attachments", "metadata") if k in args}
        text, blocks = content.get("text") or "", content.get("blocks")
        if required and not text and not blocks and not content.get("attachments"):
            raise SlackError("no_text")
        if len(str(text)) > MAX_TEXT_LENGTH:
            raise SlackError("msg_too_long")
        if isinstance(blocks, str) and blocks:
            raise SlackError("invalid_blocks_format")
        if blocks and not _valid_blocks(blocks, MAX_MESSAGE_BLOCKS):
            raise SlackError("invalid_blocks")
        if "metadata" in content and not self._valid_metadata(content["metadata"]):
            raise SlackError("invalid_metadata_format")
        return content

    @staticmethod
    def _valid_metadata(metadata: Any) -> bool:
        return (
            isinstance(metadata, dict)
            and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload", {}), dict)
        )

    def thread_root(self, channel: _Channel, thread_ts: Any) -> str | None:
        """Return the ts of the thread a reply joins, or None for a top-level message."""
        if not thread_ts:
            return None
        if not TS_PATTERN.match(str(thread_ts)):
            raise SlackError("invalid_thread_ts")
        parent = next((m for m in channel.messages if m["ts"] == thread_ts), None)
        if parent is None:
            raise SlackError("thread_not_found")
        return parent["thread_ts"] or parent["ts"]

    def store(self, channel: _Channel, content: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """Store a new message in a channel and return it."""
        message = {
            "type": "message",
            "channel": channel.id,
            "ts": self.next_ts(),
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": content.get("text") or "",
            "blocks": content.get("blocks") or [],
            "attachments": content.get("attachments") or [],
            "thread_ts": None,
            "metadata": content.get("metadata"),
            "edited": None,
            "files": [],
            "reactions": [],
            "reply_broadcast": False,
            "unfurl_links": None,
            "unfurl_media": None,
        }
        message.update(extra)
        channel.messages.append(message)
        return message

    def public(self, channel: _Channel, message: dict[str, Any], *, metadata: bool) -> dict:
        """Shape a stored message the way Slack's API returns it."""
        shown = {k: message[k] for k in ("type", "ts", "user", "text")}
        if message["user"] == self.bot_user_id:
            shown.update(bot_id=self.bot_id, app_id=self.app_id)
        for key in ("blocks", "attachments", "files", "reactions", "edited", "thread_ts"):
            if message[key]:
                shown[key] = message[key]
        if metadata and message["metadata"] is not None:
            shown["metadata"] = message["metadata"]
        replies = [m for m in channel.messages if m["thread_ts"] == message["ts"]]
        if replies:
            users = sorted({m["user"] for m in replies})
            shown.update(thread_ts=message["ts"], reply_count=len(replies), reply_users=users)
            shown.update(reply_users_count=len(users), latest_reply=replies[-1]["ts"])
        return copy.deepcopy(shown)

    def thread(self, channel: _Channel, ts: str) -> list[dict[str, Any]]:
        """Return a thread's root message followed by its replies, oldest first."""
        root = next((m for m in channel.messages if m["ts"] == ts), None)
        if root is None:
            return []
        root_ts = root["thread_ts"] or root["ts"]
        return [m for m in channel.messages if root_ts in (m["ts"], m["thread_ts"])]

    # the methods

    def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.domain}.slack.com/",
            "team": self.team_name,
            "user": "baton",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def bots_info(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("bot") not in (None, "", self.bot_id):
            raise SlackError("bot_not_found")
        bot = {"id": self.bot_id, "name": "baton", "user_id": self.bot_user_id}
        return {"bot": bot | {"app_id": self.app_id, "deleted": False, "updated": CREATED_AT}}

    def team_info(self, args: dict[str, Any]) -> dict[str, Any]:
        team = {"id": self.team_id, "name": self.team_name, "domain": self.domain}
        return {"team": team | {"email_domain": "example.com", "icon": {}}}

    def chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(args.get("channel"), member=True)
        content = self.compose(args)
        message = self.store(
            channel,
            content,
            thread_ts=self.thread_root(channel, args.get("thread_ts")),
            reply_broadcast=_flag(args.get("reply_broadcast")),
            unfurl_links=_flag(args["unfurl_links"]) if "unfurl_links" in args else None,
            unfurl_media=_flag(args["unfurl_media"]) if "unfurl_media" in args else None,
        )
        shown = self.public(channel, message, metadata=True)
        return {"channel": channel.id, "ts": message["ts"], "message": shown}

    def chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(args.get("channel"), member=True)
        message = self.find_message(channel, args.get("ts"))
        if message["user"] != self.bot_user_id:
            raise SlackError("cant_update_message")
        content = self.compose(args, required=False)
        if not content.get("text") and not content.get("blocks") and not message["text"]:
            raise SlackError("no_text")
        message.update(content, edited={"user": self.bot_user_id, "ts": self.next_ts()})
        shown = self.public(channel, message, metadata=True)
        return {
            "channel": channel.id,
            "ts": message["ts"],
            "text": message["text"],
            "message": shown,
        }

    def chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(args.get("channel"), member=True)
        if args.get("user") not in self.users:
            raise SlackError("user_not_in_channel")
        content, ts = self.compose(args), self.next_ts()
        ephemeral = {"channel": channel.id, "user": args["user"], "ts": ts, "text": ""}
        ephemeral.update(blocks=[], thread_ts=args.get("thread_ts") or None)
        self.ephemerals.append(ephemeral | content)
        return {"message_ts": ts}

    def chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(args.get("channel"), member=True)
        message = self.find_message(channel, args.get("ts"))
        if message["user"] != self.bot_user_id:
            raise SlackError("cant_delete_message")
        channel.messages.remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(args.get("channel"))
        message = self.find_message(channel, args.get("message_ts"))
        digits = message["ts"].replace(".", "")
        link = f"https://{self.domain}.slack.com/archives/{channel.id}/p{digits}"
        if message["thread_ts"]:
            link += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    def conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            channel = self.channel(args["channel"])
        else:
            users = [u for u in str(args.get("users") or "").split(",") if u]
            if not users:
                raise SlackError("users_list_not_supplied")
            if len(users) > 1:
                raise SlackError("invalid_user_combination")
            channel = self.dm(users[0])
        shown = self.info(channel) if _flag(args.get("return_im")) else {"id": channel.id}
        return {"channel": shown}

    def info(self, channel: _Channel) -> dict[str, Any]:
        """Describe a channel the way conversations.info does."""
        if channel.is_im:
            return {"id": channel.id, "is_im": True, "user": channel.user, "created": CREATED_AT}
        return {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": not channel.id.startswith("G"),
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": channel.id.startswith("G"),
            "is_archived": False,
            "is_member": self.bot_user_id in channel.members,
            "num_members": len(channel.members),
            "created": CREATED_AT,
        }

    def conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self.info(self.channel(args.get("channel")))}

    def conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(args.get("channel"), member=True)
        with_metadata = _flag(args.get("include_all_metadata"))
        listed = [
            m
            for m in reversed(channel.messages)
            if (not m["thread_ts"] or m["reply_broadcast"]) and _within(m["ts"], args)
        ]
        page, cursor = _page(listed, args)
        messages = [self.public(channel, m, metadata=with_metadata) for m in page]
        return {"messages": messages, "has_more": bool(cursor["next_cursor"]), "pin_count": 0} | {
            "response_metadata": cursor
        }

    def conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(args.get("channel"), member=True)
        thread = self.thread(channel, str(args.get("ts") or ""))
        if not thread:
            raise SlackError("thread_not_found")
        with_metadata = _flag(args.get("include_all_metadata"))
        listed = thread[:1] + [m for m in thread[1:] if _within(m["ts"], args)]
        page, cursor = _page(listed, args, default_limit=1000)
        messages = [self.public(channel, m, metadata=with_metadata) for m in page]
        return {"messages": messages, "has_more": bool(cursor["next_cursor"])} | {
            "response_metadata": cursor
        }

    def conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(args.get("channel"))
        page, cursor = _page(sorted(channel.members), args)
        return {"members": page, "response_metadata": cursor}

    def conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel(args.get("channel"))
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        already = self.bot_user_id in channel.members
        channel.members.add(self.bot_user_id)
        answer: dict[str, Any] = {"channel": self.info(channel)}
        if already:
            answer |= {"warning": "already_in_channel"}
            answer |= {"response_metadata": {"warnings": ["already_in_channel"]}}
        return answer

    def user(self, user_id: str) -> dict[str, Any]:
        """Describe a user the way users.info does."""
        if user_id == self.bot_user_id:
            person, is_bot = {"real_name": "Baton", "email": ""}, True
        elif user_id in self.users:
            person, is_bot = self.users[user_id], False
        else:
            raise SlackError("user_not_found")
        profile = {"real_name": person["real_name"], "display_name": person["real_name"]}
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": person["real_name"].lower().replace(" ", "."),
            "real_name": person["real_name"],
            "deleted": False,
            "is_bot": is_bot,
            "tz": "UTC",
            "tz_offset": 0,
            "profile": profile | {"email": person["email"]},
        }

    def users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"user": self.user(str(args.get("user") or ""))}

    def users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email") or "").lower()
        found = next((u for u, p in self.users.items() if p["email"].lower() == email), None)
        if found is None:
            raise SlackError("users_not_found")
        return {"user": self.user(found)}

    def new_view(self, view: Any, *, kind: str, view_id: str | None = None) -> dict[str, Any]:
        """Validate a view and store it with Slack's added fields."""
        if not isinstance(view, dict) or view.get("type") != kind:
            raise SlackError("invalid_arguments")
        if not _valid_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS):
            raise SlackError("invalid_arguments")
        view_id = view_id or self.next_id("V")
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "root_view_id": view_id,
            "previous_view_id": None,
            "state": {"values": {}},
        }
        stored |= copy.deepcopy(view)
        stored["hash"] = f"{CREATED_AT}.{hashlib.sha1(json.dumps(stored).encode()).hexdigest()[:8]}"
        self.views[view_id] = stored
        return copy.deepcopy(stored)

    def check_trigger(self, args: dict[str, Any]) -> None:
        """Refuse a missing or expired trigger_id."""
        trigger_id = args.get("trigger_id")
        if not trigger_id:
            raise SlackError("invalid_arguments")
        if trigger_id in self.expired_triggers:
            raise SlackError("expired_trigger_id")

    def views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        self.check_trigger(args)
        view = self.new_view(args.get("view"), kind="modal")
        self.views_opened.append(view)
        return {"view": view}

    def views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.views_open(args)

    def views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or next(
            (v["id"] for v in self.views.values() if v["external_id"] == args.get("external_id")),
            None,
        )
        if view_id not in self.views:
            raise SlackError("not_found")
        current = self.views[view_id]
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self.new_view(args.get("view"), kind=current["type"], view_id=view_id)}

    def views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user_id") or "")
        self.user(user_id)
        history = self.views_published.setdefault(user_id, [])
        if history and args.get("hash") and args["hash"] != history[-1]["hash"]:
            raise SlackError("hash_conflict")
        home_id = history[-1]["id"] if history else None
        view = self.new_view(args.get("view"), kind="home", view_id=home_id)
        history.append(view)
        return {"view": view}

    def reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("timestamp"):
            raise SlackError("no_item_specified")
        if not args.get("name"):
            raise SlackError("invalid_name")
        channel = self.channel(args.get("channel"), member=True)
        message = self.find_message(channel, args["timestamp"])
        reaction = next((r for r in message["reactions"] if r["name"] == args["name"]), None)
        if reaction is None:
            reaction = {"name": args["name"], "users": [], "count": 0}
            message["reactions"].append(reaction)
        if self.bot_user_id in reaction["users"]:
            raise SlackError("already_reacted")
        reaction["users"].append(self.bot_user_id)
        reaction["count"] += 1
        return {}

    def files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length") or "").isdigit():
            raise SlackError("invalid_arguments")
        file_id = self.next_id("F")
        name = str(args["filename"])
        self.files[file_id] = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "length": int(args["length"]),
            "content": None,
            "channels": [],
            "thread_ts": None,
            "initial_comment": None,
            "completed": False,
        }
        return {"upload_url": f"{self.upload_root}{file_id}", "file_id": file_id}

    def upload(self, file_id: str, content: bytes) -> _Reply:
        """Keep the bytes posted to an upload URL."""
        if file_id not in self.files:
            return _Reply(404, "Not Found")
        self.files[file_id]["content"] = content
        return _Reply(200, f"OK - {len(content)}")

    def files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        wanted = args.get("files")
        if not isinstance(wanted, list) or not wanted:
            raise SlackError("invalid_arguments")
        files = [self._uploaded(item) for item in wanted]
        refs = [args["channel_id"]] if args.get("channel_id") else []
        refs += [c for c in str(args.get("channels") or "").split(",") if c]
        for channel in [self.channel(ref, member=True) for ref in refs]:
            self._share(channel, files, args)
        for f, item in zip(files, wanted, strict=True):
            f.update(completed=True, title=item.get("title") or f["title"])
        return {"files": [self._public_file(f) for f in files]}

    def _uploaded(self, item: Any) -> dict[str, Any]:
        found = self.files.get(item.get("id")) if isinstance(item, dict) else None
        if found is None or found["content"] is None:
            raise SlackError("file_not_found")
        return found

    def _share(self, channel: _Channel, files: list[dict], args: dict[str, Any]) -> None:
        thread_ts = self.thread_root(channel, args.get("thread_ts"))
        comment = args.get("initial_comment") or ""
        shown = [self._public_file(f) for f in files]
        self.store(channel, {"text": comment}, thread_ts=thread_ts, files=shown)
        for f in files:
            f.update(initial_comment=comment or None, thread_ts=thread_ts)
            f["channels"].append(channel.id)

    def _public_file(self, stored: dict[str, Any]) -> dict[str, Any]:
        shown = {k: stored[k] for k in ("id", "name", "title", "mimetype")}
        shown["size"] = len(stored["content"] or b"")
        shown["user"] = self.bot_user_id
        return shown | {"permalink": f"https://{self.domain}.slack.com/files/{stored['id']}"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Slack takes many connections at once; the default backlog of 5 refuses a burst of them.
    request_queue_size = 128
    standin: SlackStandIn
    stopped = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hung up first (timeouts); report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("a client of the Slack stand-in hung up before its answer")
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Keep-alive, as Slack's API: clients that pool connections reuse them.
    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle kept-alive connection is closed after this

    def do_POST(self) -> None:
        """Answer one request, or hang up when the stand-in drops this answer."""
        if self.server.stopped:
            # A connection kept alive from before stop(): Slack is gone for it too.
            self.close_connection = True
            return
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = self.server.standin.answer(url.path, url.query, body, dict(self.headers.items()))
        if reply is None:
            self.close_connection = True
            return
        payload, content_type = reply.encode()
        self.send_response(reply.status)
        for name, value in {"Content-Type": content_type, **reply.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)


class SlackStandIn:
    """Serve a fake Slack Web API on localhost that records calls and fails on demand."""

    def __init__(
        self,
        *,
        bot_user_id: str = "UBATONBOT",
        team_id: str = "T0BATON",
        channels: dict[str, str] | None = None,
        users: dict[str, str] | None = None,
        member_channels: set[str] | None = None,
        latency: float = 0.0,
    ) -> None:
        self.bot_user_id = bot_user_id
        self._workspace = _Workspace(bot_user_id=bot_user_id, team_id=team_id)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure]] = {}
        self._drops: dict[str, int] = {}
        self._latency: dict[str, float] = {ANY_METHOD: latency}
        self._answering: dict[str, int] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        channels = channels or {}
        members = set(channels) if member_channels is None else member_channels
        for channel_id, name in channels.items():
            self.add_channel(channel_id, name, bot_is_member=channel_id in members)
        for user_id, real_name in (users or {}).items():
            self.add_user(user_id, real_name)

    # lifecycle

    def start(self) -> SlackStandIn:
        """Listen on a free local port in a daemon thread."""
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self._workspace.upload_root = f"{self.root}{UPLOAD_PATH}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="slack-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and wake any slow answer still sleeping."""
        self._stopping.set()
        if self._server is not None:
            self._server.stopped = True
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def root(self) -> str:
        """Return the server's origin, such as http://127.0.0.1:54321."""
        if self._server is None:
            raise RuntimeError("the Slack stand-in is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """Return the Web API base URL that slack_sdk clients take as base_url."""
        return f"{self.root}/api/"

    # the workspace

    def add_channel(self, channel_id: str, name: str, *, bot_is_member: bool = True) -> None:
        """Create a channel, with the bot in it unless told otherwise."""
        members = {self.bot_user_id} if bot_is_member else set()
        with self._lock:
            self._workspace.add_channel(channel_id, name, members=members)

    def add_user(self, user_id: str, real_name: str, *, email: str | None = None) -> None:
        """Register a person; the email defaults to first.last@example.com."""
        with self._lock:
            self._workspace.add_user(user_id, real_name, email)

    def add_message(
        self, channel: str, text: str, *, user: str, thread_ts: str | None = None
    ) -> str:
        """Post a message as a person, as if typed in Slack, and return its ts."""
        with self._changed:
            found = self._workspace.channel(channel)
            root = self._workspace.thread_root(found, thread_ts)
            content = {"text": text}
            stored = self._workspace.store(found, content, user=user, bot_id=None, thread_ts=root)
            self._changed.notify_all()
            return stored["ts"]

    def dm_channel(self, user_id: str) -> str:
        """Return the id of the bot's DM channel with a user."""
        return self._workspace.dm_id(user_id)

    def revoke_token(self, token: str) -> None:
        """Answer token_revoked to every later call made with this token."""
        with self._lock:
            self._workspace.revoked_tokens.add(token)

    def restore_token(self, token: str) -> None:
        """Accept a revoked token again, as after the app is installed again."""
        with self._lock:
            self._workspace.revoked_tokens.discard(token)

    def expire_trigger(self, trigger_id: str) -> None:
        """Answer expired_trigger_id to views.open or views.push with this trigger."""
        with self._lock:
            self._workspace.expired_triggers.add(trigger_id)

    # recording

    @property
    def calls(self) -> list[Call]:
        """Return every call so far, in the order they arrived."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Return the calls made to one method."""
        return [c for c in self.calls if c.method == method]

    def reset_calls(self) -> None:
        """Forget the recorded calls, keeping the workspace's state."""
        with self._lock:
            self._calls.clear()

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Return the messages now stored, oldest first, in one channel (or user's DM) or all."""
        with self._lock:
            if channel is None:
                found = [m for c in self._workspace.channels.values() for m in c.messages]
                return copy.deepcopy(sorted(found, key=lambda m: float(m["ts"])))
            return copy.deepcopy(self._stored_channel(channel).messages)

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Return a thread's root message and its replies, oldest first."""
        with self._lock:
            return copy.deepcopy(self._workspace.thread(self._stored_channel(channel), ts))

    def _stored_channel(self, ref: str) -> _Channel:
        channel_id = self._workspace.dm_id(ref) if ref[:1] in ("U", "W") else ref
        return self._workspace.channels.get(channel_id) or _Channel(channel_id, "", set())

    def ephemerals(self, user: str | None = None) -> list[dict[str, Any]]:
        """Return the ephemeral messages shown, to one user or to all."""
        with self._lock:
            shown = self._workspace.ephemerals
            return copy.deepcopy([e for e in shown if user in (None, e["user"])])

    @property
    def views_opened(self) -> list[dict[str, Any]]:
        """Return the modals opened or pushed, in order, as first shown."""
        with self._lock:
            return copy.deepcopy(self._workspace.views_opened)

    def views_published(self, user_id: str) -> list[dict[str, Any]]:
        """Return every App Home view published for a user, latest last."""
        with self._lock:
            return copy.deepcopy(self._workspace.views_published.get(user_id, []))

    def view(self, view_id: str) -> dict[str, Any] | None:
        """Return a view's current content, after any views.update."""
        with self._lock:
            return copy.deepcopy(self._workspace.views.get(view_id))

    def files(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Return the completed file uploads, with their bytes, shared to a channel or all."""
        with self._lock:
            done = [f for f in self._workspace.files.values() if f["completed"]]
            return copy.deepcopy([f for f in done if channel in (None, *f["channels"])])

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until predicate holds, checking again after every call; tell whether it did."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    # failure injection

    def fail(
        self,
        method: str,
        *,
        status: int | None = None,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
    ) -> None:
        """Make the next calls to a method ("*" for any) fail with an HTTP status or an error."""
        if status is None:
            status = 429 if retry_after is not None else 200 if error else 500
        error = error or STATUS_ERRORS.get(status, "fatal_error")
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            queue.append(_Failure(status, error, retry_after, times))

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        """Answer calls to a method (or every method) only after this many seconds."""
        with self._lock:
            self._latency[method or ANY_METHOD] = seconds

    def answering(self, method: str) -> int:
        """Return how many calls to a method have arrived and are not answered yet (slow ones)."""
        with self._lock:
            return self._answering.get(method, 0)

    def drop_response(self, method: str, times: int = 1) -> None:
        """Perform the next calls to a method but hang up instead of answering."""
        with self._lock:
            self._drops[method] = self._drops.get(method, 0) + times

    # serving

    def answer(self, path: str, query: str, body: bytes, headers: dict[str, str]) -> _Reply | None:
        """Perform one HTTP request and return the reply, or None to hang up."""
        at = time.monotonic()
        if not path.startswith(("/api/", UPLOAD_PATH)):
            return _Reply(404, {"ok": False, "error": "not_found"})
        method = path.removeprefix("/api/") if path.startswith("/api/") else UPLOAD_METHOD
        with self._changed:
            self._answering[method] = self._answering.get(method, 0) + 1
            self._changed.notify_all()
        stopped = self._stopping.wait(self._delay(method))
        with self._changed:
            # Counted out with the call performed: it is under way or done, never neither.
            self._answering[method] -= 1
            if stopped:
                return None
            try:
                args = self._args(method, path, query, body, headers)
            except SlackError as exc:
                args, reply = {}, _Reply(200, {"ok": False, "error": exc.error})
            else:
                reply = self._take_failure(method) or self._perform(method, args, body)
            dropped = self._take_drop(method)
            status = 0 if dropped else reply.status
            call = Call(method, args, at, status, headers, args.pop("token", None))
            bisect.insort(self._calls, call, key=lambda c: c.at)
            self._changed.notify_all()
        return None if dropped else reply

    @staticmethod
    def _args(
        method: str, path: str, query: str, body: bytes, headers: dict[str, str]
    ) -> dict[str, Any]:
        if method == UPLOAD_METHOD:
            return {"file_id": path.removeprefix(UPLOAD_PATH)}
        args = _parse_args(query, body, _header(headers, "Content-Type"))
        bearer = _header(headers, "Authorization").removeprefix("Bearer ").strip()
        return args | {"token": bearer} if bearer else args

    def _perform(self, method: str, args: dict[str, Any], body: bytes) -> _Reply:
        if method == UPLOAD_METHOD:
            return self._workspace.upload(args["file_id"], body)
        handler = self._workspace.handlers.get(method)
        try:
            if handler is None:
                raise SlackError("unknown_method")
            self._workspace.check_token(args.get("token"))
            return _Reply(200, {"ok": True, **handler(args)})
        except SlackError as exc:
            return _Reply(200, {"ok": False, "error": exc.error})
        except Exception:
            logger.exception("the Slack stand-in failed to answer %s", method)
            return _Reply(500, {"ok": False, "error": "fatal_error"})

    def _delay(self, method: str) -> float:
        with self._lock:
            return self._latency.get(method, self._latency[ANY_METHOD])

    def _take_failure(self, method: str) -> _Reply | None:
        for key in (method, ANY_METHOD):
            queue = self._failures.get(key)
            if queue:
                failure = queue[0]
                failure.times -= 1
                if failure.times <= 0:
                    queue.popleft()
                return failure.reply()
        return None

    def _take_drop(self, method: str) -> bool:
        for key in (method, ANY_METHOD):
            if self._drops.get(key, 0) > 0:
                self._drops[key] -= 1
                return True
        return False
