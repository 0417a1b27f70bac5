"""What HubSpot's error answers mean for Baton: try again later, or what a person must fix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from bot.crm.http import CrmHttp, retry_after
from bot.domain.crm import CrmError, CrmNeedsPerson, CrmProblem, CrmRetryLater

# The daily limit resets at midnight in the account's time zone, which Baton does not know.
DAILY_LIMIT_WAIT = timedelta(hours=1)
INTERVAL_WAIT = timedelta(seconds=10)


def failure(response: httpx.Response, *, what: str | None, http: CrmHttp) -> CrmError:
    """Say what a failed answer means; `what` names the record the call was about, if any."""
    status = response.status_code
    body = _body(response)
    if status == 429:
        return _rate_limited(response, body, http)
    transient = http.transient(response)
    if transient is not None:
        return transient
    category, message = str(body.get("category") or ""), str(body.get("message") or "")
    if status == 401:
        return CrmNeedsPerson(
            CrmProblem.TOKEN_REFUSED,
            f"HubSpot refused HUBSPOT_ACCESS_TOKEN ({category or status})",
            fix="create a new access token for Baton's HubSpot app and set HUBSPOT_ACCESS_TOKEN",
        )
    if status == 403:
        scopes = _scopes(body) or "the scope it needs"
        return CrmNeedsPerson(
            CrmProblem.MISSING_PERMISSION,
            f"HubSpot refused {response.request.method} {response.request.url.path}: {message}",
            fix=f"give Baton's HubSpot app {scopes}, then update HUBSPOT_ACCESS_TOKEN",
        )
    if status == 404 and category == "OBJECT_NOT_FOUND" and what:
        return CrmNeedsPerson(
            CrmProblem.RECORD_DELETED,
            f"HubSpot {what} no longer exists (deleted or merged)",
            fix="restore it in HubSpot if it was deleted by mistake; Baton keeps the lead",
        )
    if status == 404:
        return CrmNeedsPerson(
            CrmProblem.SETUP,
            f"HubSpot has no {response.request.url.path}",
            fix="check HUBSPOT_API_URL",
        )
    return CrmNeedsPerson(
        CrmProblem.REFUSED,
        f"HubSpot refused the change ({status} {category}): {message}",
        fix="compare crm: in the config with HubSpot (`baton crm check`)",
    )


def _rate_limited(response: httpx.Response, body: dict[str, Any], http: CrmHttp) -> CrmRetryLater:
    policy = str(body.get("policyName") or "")
    wait = retry_after(response, now=http.clock.now())
    if wait is None and policy == "DAILY":
        wait = DAILY_LIMIT_WAIT
    if wait is None:
        interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds", "")
        wait = timedelta(milliseconds=int(interval)) if interval.isdigit() else INTERVAL_WAIT
    limit = f"{policy.lower().replace('_', ' ')} limit" if policy else "rate limit"
    return CrmRetryLater(f"HubSpot's {limit} is reached (429)", wait=wait)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _scopes(body: dict[str, Any]) -> str:
    scopes = [
        scope
        for error in body.get("errors") or []
        for key in ("requiredGranularScopes", "requiredScopes")
        for scope in ((error.get("context") or {}).get(key) or [])
    ]
    return ", ".join(dict.fromkeys(scopes))
