"""Acks that need nothing from a listener, sent before Bolt dispatches the request.

A button click, a slash command or an event is acked with an empty 200 whatever its
listener does next, so Baton answers Slack as soon as the signature checks out and lets
Bolt dispatch the request afterwards. Fifty clicks at once then wait only for each
other's signature checks, not for Bolt's matching of every listener to every request. Whatever
needs a listener's answer (a view submission, which may carry errors for the form; Slack's
URL verification) and any request that fails the check go through Bolt as usual, so a
forged or stale request still gets Bolt's 401.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

ACKED_FIRST_INTERACTIONS = frozenset({"block_actions"})


class EarlyAck:
    def __init__(self, signing_secret: str | None) -> None:
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def applies(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether this request may be acked now and dispatched after."""
        if self._verifier is None:
            return False
        if not self._verifier.is_valid_request(body, dict(headers)):
            return False
        return _empty_ack_is_the_answer(body, headers.get("content-type", ""))


def _empty_ack_is_the_answer(body: bytes, content_type: str) -> bool:
    try:
        if content_type.startswith("application/json"):
            return json.loads(body).get("type") == "event_callback"
        form = parse_qs(body.decode())
        if "command" in form:
            return True
        [payload] = form.get("payload", [""])
        return json.loads(payload).get("type") in ACKED_FIRST_INTERACTIONS
    except (ValueError, UnicodeDecodeError, AttributeError):
        return False  # Bolt decides what to make of it
