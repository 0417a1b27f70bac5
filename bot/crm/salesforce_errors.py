"""What Salesforce's error answers mean for Baton: try again later, or what a person must fix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from bot.crm.http import CrmHttp, retry_after
from bot.domain.crm import CrmError, CrmNeedsPerson, CrmProblem, CrmRetryLater

# The org's daily API allowance is used up; it frees up over a rolling 24 hours.
DAILY_LIMIT_WAIT = timedelta(minutes=30)
NO_ACCESS = frozenset(
    {
        "INSUFFICIENT_ACCESS",
        "INSUFFICIENT_ACCESS_OR_READONLY",
        "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
        "API_DISABLED_FOR_ORG",
        "API_CURRENTLY_DISABLED",
        "FUNCTIONALITY_NOT_ENABLED",
    }
)
GONE = frozenset({"ENTITY_IS_DELETED", "NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY"})
BAD_SETUP = frozenset(
    {"INVALID_FIELD", "INVALID_TYPE", "MALFORMED_QUERY", "INVALID_FIELD_FOR_INSERT_UPDATE"}
)
NO_OWNER = frozenset({"INACTIVE_OWNER_OR_USER"})


def failure(response: httpx.Response, *, what: str | None, http: CrmHttp) -> CrmError:
    """Say what a failed answer means; `what` names the record the call was about, if any."""
    errors = _json_list(response)
    code = str(errors[0].get("errorCode") or "") if errors else ""
    message = "; ".join(str(e.get("message") or "") for e in errors) or response.reason_phrase
    if code == "REQUEST_LIMIT_EXCEEDED":
        wait = retry_after(response, now=http.clock.now()) or DAILY_LIMIT_WAIT
        return CrmRetryLater("Salesforce's API request limit for the org is used up", wait=wait)
    transient = http.transient(response)
    if transient is not None:
        return transient
    refused = f"Salesforce refused {what or 'the call'}: {code} {message}"
    if code in NO_ACCESS or response.status_code == 403:
        fix = "give Baton's run-as user (the connected app's) access to leads, tasks and opportunities"
        return CrmNeedsPerson(CrmProblem.MISSING_PERMISSION, refused, fix=fix)
    if code in GONE and what:
        return CrmNeedsPerson(
            CrmProblem.RECORD_DELETED,
            f"Salesforce {what} no longer exists ({code})",
            fix="restore it from the recycle bin if it was deleted by mistake; Baton keeps the lead",
        )
    if code in NO_OWNER:
        fix = "reactivate the rep's Salesforce user, or assign the lead to someone else"
        return CrmNeedsPerson(
            CrmProblem.NO_USER, f"Salesforce refused the owner: {message}", fix=fix
        )
    if code in BAD_SETUP or response.status_code == 404:
        fix = "check crm.fields, SALESFORCE_INSTANCE_URL and SALESFORCE_API_VERSION (`baton crm check`)"
        return CrmNeedsPerson(CrmProblem.SETUP, refused, fix=fix)
    return CrmNeedsPerson(
        CrmProblem.REFUSED,
        f"Salesforce refused the change ({code or response.status_code}): {message}",
        fix="compare crm: in the config with Salesforce (`baton crm check`)",
    )


def credentials_refused(answer: dict[str, Any], status: int) -> CrmNeedsPerson:
    error = answer.get("error") or status
    detail = answer.get("error_description") or "no reason given"
    return CrmNeedsPerson(
        CrmProblem.TOKEN_REFUSED,
        f"Salesforce refused Baton's client credentials: {error} ({detail})",
        fix=(
            "check SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET, and that the connected app "
            "enables the client credentials flow with a run-as user"
        ),
    )


def _json_list(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        found = response.json()
    except ValueError:
        return []
    if isinstance(found, dict):
        found = [found]
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []
