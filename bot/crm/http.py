"""One attempt at a CRM call over HTTP: no retries, no sleeping, every failure typed.

The clients are thin layers over httpx rather than hubspot-api-client or simple-salesforce.
Baton's outbox owns retrying: a delivery makes exactly one attempt and, when it fails, needs
to know whether to try again and when (the CRM's Retry-After or rate-limit window), or what
a person must fix. hubspot-api-client retries inside its urllib3 pool and raises a generated
ApiException per endpoint; simple-salesforce raises exceptions that keep the status and body
but not the response headers, so Retry-After is lost, and it brings requests and zeep with
it. Both would have to be wrapped call by call to undo that, for the dozen endpoints Baton
uses. httpx makes one request per call (no retries unless a transport is told to), gives
every header, and is already how the tests and the demo speak HTTP.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.clock import Clock
from bot.domain.crm import CrmRetryLater

# Statuses that say "not now" rather than "not this": locked records, timeouts, overload.
TRANSIENT = frozenset({408, 423, 425, 429})


class CrmHttp:
    """An HTTP connection pool to one CRM that makes one request per call."""

    def __init__(
        self,
        *,
        label: str,
        base_url: str,
        clock: Clock,
        timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.label = label
        self.clock = clock
        self.timeout = timeout
        self.client = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            follow_redirects=False,
            headers={"Accept": "application/json", **(headers or {})},
        )

    def send(self, method: str, url: str, **options: Any) -> httpx.Response:
        """Make the request once; a lost or late answer raises CrmRetryLater."""
        try:
            return self.client.request(method, url, **options)
        except httpx.TimeoutException:
            raise CrmRetryLater(f"{self.label} did not answer within {self.timeout:g} s") from None
        except httpx.TransportError as error:
            raise CrmRetryLater(f"{self.label} could not be reached: {error}") from None

    def transient(self, response: httpx.Response) -> CrmRetryLater | None:
        """Return the retry a rate limit or server error calls for, or None for other answers."""
        status = response.status_code
        if status not in TRANSIENT and status < 500:
            return None
        wait = retry_after(response, now=self.clock.now())
        if status == 429:
            return CrmRetryLater(f"{self.label} is rate-limiting Baton (429)", wait=wait)
        return CrmRetryLater(f"{self.label} answered {status}: try again later", wait=wait)

    def json(self, response: httpx.Response) -> Any:
        """Return the answer's JSON; an answer that is not JSON is retried like a server error."""
        try:
            return response.json()
        except ValueError:
            status = response.status_code
            raise CrmRetryLater(
                f"{self.label} answered {status} with a body that is not JSON"
            ) from None

    def close(self) -> None:
        self.client.close()


def retry_after(response: httpx.Response, *, now: datetime) -> timedelta | None:
    """Read Retry-After: seconds, or an HTTP date counted from the answer's own Date."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    at = _http_date(value)
    if at is None:
        return None
    sent = _http_date(response.headers.get("Date", "")) or now
    return max(at - sent, timedelta(0))


def _http_date(text: str) -> datetime | None:
    try:
        at = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
