"""Requests as Slack sends them, signed: for the demo and the tests that play a person's clicks."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from itertools import count
from typing import Any
from urllib.parse import urlencode

_triggers = count(1)


def signed_headers(body: bytes, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """Sign a body the way Slack does (v0 HMAC-SHA256 over version, timestamp and body)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def interaction_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def button_click(
    user: str, action_id: str, value: str, *, channel: str, message_ts: str = ""
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T0BATON"},
        "api_app_id": "A0BATON",
        "user": {"id": user},
        "trigger_id": f"trigger-{next(_triggers)}",
        "channel": {"id": channel},
        "container": {"type": "message", "channel_id": channel, "message_ts": message_ts},
        "message": {"ts": message_ts},
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "actions", "value": value}
        ],
    }


def overflow_choice(user: str, action_id: str, value: str, *, channel: str) -> dict[str, Any]:
    click = button_click(user, action_id, "", channel=channel)
    click["actions"] = [
        {
            "type": "overflow",
            "action_id": action_id,
            "block_id": "actions",
            "selected_option": {"value": value},
        }
    ]
    return click


def view_submission(user: str, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Submit a modal that Baton opened, with the values a person entered."""
    return {
        "type": "view_submission",
        "team": {"id": "T0BATON"},
        "api_app_id": "A0BATON",
        "user": {"id": user},
        "trigger_id": f"trigger-{next(_triggers)}",
        "view": {
            "id": view.get("id", "V0DEMO"),
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "state": {"values": values},
        },
    }


def slash_command(
    user: str, text: str, *, channel: str, trigger_id: str | None = None, command: str = "/lead"
) -> bytes:
    """A slash command's form body as Slack posts it; the same trigger_id means the same command."""
    fields = {
        "token": "unused-verification-token",
        "team_id": "T0BATON",
        "team_domain": "baton-demo",
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "channel",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0BATON",
        "response_url": "https://hooks.slack.com/commands/T0BATON/1/unused",
        "trigger_id": trigger_id or f"trigger-{next(_triggers)}",
    }
    return urlencode(fields).encode()


_events = count(1)


def app_home_opened(user: str, *, tab: str = "home") -> dict[str, Any]:
    """The event Slack sends when a person opens Baton's Home (or Messages) tab."""
    return {
        "token": "unused-verification-token",
        "team_id": "T0BATON",
        "api_app_id": "A0BATON",
        "type": "event_callback",
        "event_id": f"Ev{next(_events):08d}",
        "event_time": int(time.time()),
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": f"D{user[1:]}",
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        },
    }
