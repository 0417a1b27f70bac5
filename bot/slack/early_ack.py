"""Slack's HTTP requests before Bolt dispatches them: signature, body, and the early ack.

Bolt parses a request's body before it checks the signature, so a forged request with a
body it cannot parse, or a timestamp that is not a number, would make it fail instead of
refusing. Here the signature is checked first, on the raw bytes, and only a request that
passes is parsed, once, into the request Bolt dispatches.

A button click, a slash command or an event is acked with an empty 200 whatever its
listener does next, so Baton answers Slack as soon as the request is verified and parsed
and lets Bolt dispatch it afterwards. Fifty clicks at once then wait only for each other's
signature checks, not for Bolt's matching of every listener to every request. Whatever
needs a listener's answer (a view submission, which may carry errors for the form; Slack's
URL verification) goes through Bolt as usual.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.async_app import AsyncBoltRequest

from bot.clock import Clock, SystemClock

# Requests whose whole answer is an empty 200 (with slash commands, which have no type).
ACKED_FIRST_TYPES = frozenset({"block_actions", "event_callback"})
# As Slack advises (and Bolt does): a request stamped over five minutes away may be a replay.
MAX_AGE_SECONDS = 5 * 60
# Seconds since 1970 have ten digits until the year 2286.
TIMESTAMP_DIGITS = 12
# Fields Bolt reads before any listener runs, with the types Slack gives them: a body
# shaped otherwise would make Bolt fail (500) instead of being refused.
OBJECT_FIELDS = ("event", "view", "message", "container", "workflow_step")
TEXT_FIELDS = ("type", "event_id", "callback_id", "challenge", "command")
VIEW_TEXT = ("type", "callback_id")


class SlackSignature:
    """Checks Slack's v0 signature: an HMAC-SHA256 of the timestamp and the raw body."""

    def __init__(self, signing_secret: str, clock: Clock | None = None) -> None:
        self._secret = signing_secret.encode()
        # Slack stamps each request with the real time, whatever time Baton is told it is.
        self._clock = clock or SystemClock()

    def verifies(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether the request is Slack's and recent; headers are keyed in lower case."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_DIGITS):
            return False
        if abs(self._clock.now().timestamp() - int(timestamp)) > MAX_AGE_SECONDS:
            return False
        signed = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, signed, hashlib.sha256).hexdigest()
        return signature.isascii() and hmac.compare_digest(expected.encode(), signature.encode())


def lower_case_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers keyed in lower case; of a repeated header the last one counts, as for Bolt."""
    return {name.lower(): value for name, value in pairs}


def bolt_request(body: bytes, *, query: str, headers: Mapping[str, str]) -> AsyncBoltRequest | None:
    """The request as Bolt dispatches it, or None when its body cannot be parsed."""
    try:
        text = body.decode("utf-8")
        request = AsyncBoltRequest(body=text, query=query, headers=dict(headers))
        if not request.body and "payload" in text:
            request = _slash_command_naming_payload(text, query, headers) or request
    except (ValueError, TypeError, AttributeError, LookupError, RecursionError):
        # Bolt's parsing of the body and of the ids it reads from it raises these for
        # anything that is not the form or JSON object Slack sends (UnicodeDecodeError and
        # JSONDecodeError are ValueErrors).
        return None
    return request if shaped_as_slack_sends(request.body) else None


def _slash_command_naming_payload(
    text: str, query: str, headers: Mapping[str, str]
) -> AsyncBoltRequest | None:
    """A slash command whose text says "payload" (`/lead find payload`), which Bolt's parser
    takes for an interaction and reads as nothing."""
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "command" not in form or "payload" in form:
        return None
    # Given a dict, Bolt keeps it as the body; the raw text is what its signature check reads.
    request = AsyncBoltRequest(body=form, query=query, headers=dict(headers), mode="socket_mode")
    request.raw_body, request.mode = text, "http"
    return request


def shaped_as_slack_sends(payload: Mapping[str, Any]) -> bool:
    """Whether the fields Bolt relies on have the types Slack gives them."""
    if any(not isinstance(payload.get(name, {}), dict) for name in OBJECT_FIELDS):
        return False
    if any(not isinstance(payload.get(name, ""), str) for name in TEXT_FIELDS):
        return False
    actions = payload.get("actions", [])
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        return False
    match payload.get("type"):
        case "block_actions":
            return bool(actions) and all(isinstance(a.get("action_id"), str) for a in actions)
        case "view_submission" | "view_closed":
            view = payload.get("view", {})
            # Bolt reads the view's type, and for a workflow step's view the step it saves.
            step_given = view.get("type") != "workflow_step" or "workflow_step" in payload
            return all(isinstance(view.get(name), str) for name in VIEW_TEXT) and step_given
        case "workflow_step_edit":
            return "workflow_step" in payload
        case "url_verification":
            return "challenge" in payload
        case _:
            return True


def acked_first(request: AsyncBoltRequest) -> bool:
    """Whether an empty 200 is the whole answer, so the request may be acked before dispatch."""
    payload = request.body
    return "command" in payload or payload.get("type") in ACKED_FIRST_TYPES
