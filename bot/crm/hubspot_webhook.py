"""HubSpot's webhook requests: their v3 signature, and the events a batch carries.

HubSpot signs `method + URI + body + timestamp` with HMAC-SHA256 under the app's client
secret and sends it base64-encoded in X-HubSpot-Signature-v3, with the timestamp (ms since
the epoch) in X-HubSpot-Request-Timestamp. The URI is the one HubSpot called: behind a proxy
that is Baton's public URL, not the one Baton sees. The older signature versions (v1, v2)
sign no timestamp, so a captured request could be replayed for ever; they are not accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from bot.services.leadin import NotJson, read_json

MAX_AGE = timedelta(minutes=5)
MAX_EVENTS = 1000  # HubSpot sends at most 100 a request; anything far bigger is not HubSpot
# HubSpot's docs list these encoded characters as decoded in the URI it signs; any other
# percent-escape (%20, %26, …) stays as it is.
DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_ESCAPE = re.compile("|".join(DECODED), re.IGNORECASE)


class WebhookRefused(Exception):
    """A request that is not a genuine, recent HubSpot webhook; the message says why."""


@dataclass(frozen=True)
class HubSpotEvent:
    """One change HubSpot reports: a contact or deal created or a property changed."""

    event_id: int
    subscription_type: str  # contact.creation, contact.propertyChange, deal.creation, …
    object_id: str
    occurred_at: datetime
    property_name: str | None = None
    property_value: str | None = None
    attempt: int = 0

    @property
    def object_type(self) -> str:
        return self.subscription_type.partition(".")[0]

    @property
    def key(self) -> str:
        """A key that is the same when HubSpot sends this event again, and for no other."""
        # HubSpot does not promise eventId is unique on its own, so the event's content joins it.
        millis = int(self.occurred_at.timestamp() * 1000)
        parts = (self.subscription_type, self.object_id, self.property_name or "", millis)
        return "hubspot:" + ":".join(map(str, (*parts, self.event_id)))


def called_url(request_url: str, public_url: str | None) -> str:
    """Return the URL HubSpot called: the request's path and query on the public base URL."""
    if not public_url:
        return request_url
    parts = urlsplit(request_url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{public_url.rstrip('/')}{parts.path}{query}"


def signed_uri(url: str) -> str:
    """Decode the escapes HubSpot decodes before signing."""
    return _ESCAPE.sub(lambda found: DECODED[found[0].upper()], url)


def verify_signature_v3(
    *,
    secret: str,
    method: str,
    url: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: datetime,
) -> None:
    """Raise WebhookRefused unless HubSpot signed this request within the last five minutes."""
    if not signature:
        raise WebhookRefused("no X-HubSpot-Signature-v3 header")
    if not timestamp or not timestamp.strip().isdigit():
        raise WebhookRefused("no valid X-HubSpot-Request-Timestamp header")
    try:
        sent = datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC)
    except (OverflowError, ValueError, OSError):
        raise WebhookRefused("no valid X-HubSpot-Request-Timestamp header") from None
    # Only age is checked, as HubSpot's docs say: a timestamp ahead of Baton's clock is still
    # one HubSpot signed, and refusing it would refuse every webhook while the clocks differ.
    if now - sent > MAX_AGE:
        raise WebhookRefused("the request is older than five minutes")
    try:
        text = body.decode("utf-8")
        given = base64.b64decode(signature.strip(), validate=True)
    except (UnicodeDecodeError, binascii.Error):
        raise WebhookRefused("the signature does not match") from None
    source = f"{method.upper()}{signed_uri(url)}{text}{timestamp.strip()}".encode()
    expected = hmac.new(secret.encode(), source, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, given):
        raise WebhookRefused("the signature does not match")


def parse_events(body: bytes) -> list[HubSpotEvent]:
    """Read a webhook batch; raise ValueError naming the first thing that is not an event."""
    try:
        found = read_json(body)
    except NotJson as error:
        raise ValueError(f"the body {error}") from None
    if not isinstance(found, list):
        raise ValueError("the body is not a list of events")
    if len(found) > MAX_EVENTS:
        raise ValueError(f"more than {MAX_EVENTS} events")
    return [_event(position, item) for position, item in enumerate(found)]


def _event(position: int, item: Any) -> HubSpotEvent:
    if not isinstance(item, dict):
        raise ValueError(f"event [{position}] is not an object")
    try:
        event_id, object_id = int(item["eventId"]), item["objectId"]
        kind, occurred = item["subscriptionType"], int(item["occurredAt"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"event [{position}] lacks a valid {error}") from None
    if (
        not isinstance(kind, str)
        or not isinstance(object_id, int | str)
        or isinstance(object_id, bool)
    ):
        raise ValueError(f"event [{position}] has a bad subscriptionType or objectId")
    try:
        occurred_at = datetime.fromtimestamp(occurred / 1000, tz=UTC)
    except (OverflowError, ValueError, OSError):
        raise ValueError(f"event [{position}] has a bad occurredAt") from None
    value = item.get("propertyValue")
    return HubSpotEvent(
        event_id=event_id,
        subscription_type=kind,
        object_id=str(object_id),
        occurred_at=occurred_at,
        property_name=_text(item.get("propertyName")),
        property_value=None if value is None else str(value),
        attempt=int(item.get("attemptNumber") or 0),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
