"""`baton crm check`: what the bridge needs from the CRM, asked of it, one line each.

The credentials (a read of the CRM's users), the permissions and the config's fields,
statuses and deal stages (the CRM's schema), the webhook secret, and every configured person
matched to a CRM user by their Slack email.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.crm.provider import CrmClient
from bot.domain.crm import CrmError, CrmNeedsPerson, CrmProvider, CrmUser
from bot.domain.crm_rules import CheckResult, check_people, check_schema


def check_crm(
    crm: CrmClient,
    *,
    webhook_secret_set: bool,
    people: Iterable[str],
    email_of: Callable[[str], str | None] | None,
) -> list[CheckResult]:
    """Every check's result; `email_of` reads a Slack user's email (None: Slack not set up)."""
    rules = crm.rules
    results: list[CheckResult] = []
    if rules.provider is CrmProvider.HUBSPOT:
        results.append(
            CheckResult(True, "webhook secret", "HUBSPOT_CLIENT_SECRET is set")
            if webhook_secret_set
            else CheckResult(
                False,
                "webhook secret",
                "set HUBSPOT_CLIENT_SECRET to the app's client secret: webhooks answer 503",
            )
        )
    try:
        users = crm.users()
    except CrmError as error:
        detail = error.explain() if isinstance(error, CrmNeedsPerson) else str(error)
        return [*results, CheckResult(False, f"{rules.label} credentials", detail)]
    results.append(
        CheckResult(True, f"{rules.label} credentials", f"accepted ({len(users)} users)")
    )
    results.extend(check_schema(crm.schema(), rules))
    results.extend(_people(people, users, email_of, crm))
    return results


def _people(
    people: Iterable[str],
    users: tuple[CrmUser, ...],
    email_of: Callable[[str], str | None] | None,
    crm: CrmClient,
) -> list[CheckResult]:
    rules = crm.rules
    results: list[CheckResult] = []
    if rules.marketing_owner:
        owner = {"marketing_owner": rules.marketing_owner}
        results.extend(check_people(owner, users, rules=rules))
    if email_of is None:
        results.append(
            CheckResult(False, "people", "set SLACK_BOT_TOKEN to match each person by email")
        )
        return results
    emails: dict[str, str | None] = {}
    for person in sorted(set(people)):
        try:
            emails[person] = email_of(person)
        except CrmError as error:
            results.append(CheckResult(False, person, str(error)))
    results.extend(check_people(emails, users, rules=rules))
    return results
