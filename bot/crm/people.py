"""Who a Slack user is in the CRM: their Slack email matched to a CRM user's.

The CRM's users are read at most every few minutes; a user added since is found by reading
them again once before a person is asked to fix anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.clock import Clock
from bot.crm.provider import CrmClient
from bot.domain.crm import CrmNeedsPerson, CrmProblem, CrmRetryLater, CrmUser
from bot.domain.crm_rules import owner_for

USERS_KEPT = timedelta(minutes=5)


def slack_emails(client: WebClient) -> Callable[[str], str | None]:
    """Read a Slack user's email (users.info, with users:read.email); errors as CRM errors."""

    def email_of(user_id: str) -> str | None:
        try:
            answer = client.users_info(user=user_id)
        except SlackApiError as error:
            code = str(error.response.get("error") or error.response.status_code)
            if code in {"user_not_found", "missing_scope"}:
                fix = (
                    "add the users:read.email scope from manifest.yml and reinstall the app"
                    if code == "missing_scope"
                    else "check the user ID in the config"
                )
                raise CrmNeedsPerson(
                    CrmProblem.NO_USER, f"Slack cannot say who {user_id} is ({code})", fix=fix
                ) from None
            raise CrmRetryLater(f"Slack could not say who {user_id} is ({code})") from None
        except (SlackClientError, OSError) as error:
            raise CrmRetryLater(f"Slack could not be reached: {error}") from None
        profile = (answer.get("user") or {}).get("profile") or {}
        return profile.get("email") or None

    return email_of


class People:
    """Slack users as CRM users, safe to share between the CRM worker's threads."""

    def __init__(
        self, *, crm: CrmClient, email_of: Callable[[str], str | None], clock: Clock
    ) -> None:
        self.crm, self.email_of, self.clock = crm, email_of, clock
        self._lock = threading.Lock()
        self._users: tuple[CrmUser, ...] = ()
        self._read_at: datetime | None = None
        self._emails: dict[str, str] = {}

    def of_slack_user(self, user_id: str) -> CrmUser:
        """The CRM user with the Slack user's email, or CrmNeedsPerson saying what to do."""
        email = self._emails.get(user_id)
        if email is None:
            email = self.email_of(user_id)
            if email:
                self._emails[user_id] = email
        return self.by_email(email)

    def by_email(self, email: str | None) -> CrmUser:
        try:
            return owner_for(email, self._current(), rules=self.crm.rules)
        except CrmNeedsPerson:
            if not email:
                raise
            # Someone may have been added to the CRM since the users were read.
            return owner_for(email, self._current(fresh=True), rules=self.crm.rules)

    def _current(self, *, fresh: bool = False) -> tuple[CrmUser, ...]:
        with self._lock:
            now = self.clock.now()
            stale = self._read_at is None or now - self._read_at > USERS_KEPT
            if stale or (fresh and now - (self._read_at or now) > timedelta(seconds=10)):
                self._users, self._read_at = self.crm.users(), now
            return self._users
