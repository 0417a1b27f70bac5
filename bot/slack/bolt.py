"""The Bolt app: Slack's requests in, with signature checks and no call to Slack at start."""

from __future__ import annotations

import logging
from collections import OrderedDict

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Baton

log = logging.getLogger(__name__)
SLACK_API = "https://slack.com/api/"
SEEN_EVENTS = 10_000


def slack_api_url(baton: Baton) -> str:
    return baton.settings.slack_api_url or SLACK_API


def build_bolt(baton: Baton) -> AsyncApp:
    """Build the Bolt app and register every listener."""
    from handlers import slack_commands, slack_decisions, slack_home, slack_outcomes, slack_timers

    token = (
        baton.settings.slack_bot_token.get_secret_value() if baton.settings.slack_bot_token else ""
    )
    secret = baton.settings.slack_signing_secret
    bolt = AsyncApp(
        client=AsyncWebClient(base_url=slack_api_url(baton), timeout=10),
        signing_secret=secret.get_secret_value() if secret else "unused-in-socket-mode",
        authorize=_authorize(token),
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        request_verification_enabled=secret is not None,
    )
    bolt.middleware(_skip_retried_events())
    slack_decisions.register(bolt, baton)
    slack_outcomes.register(bolt, baton)
    slack_commands.register(bolt, baton)
    slack_home.register(bolt, baton)
    slack_timers.register(bolt, baton)
    return bolt


def _authorize(token: str):  # type: ignore[no-untyped-def]
    # A fixed answer instead of auth.test: Slack being down must never delay an ack.
    async def authorize(**_: object) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id=None, bot_token=token)

    return authorize


def _skip_retried_events():  # type: ignore[no-untyped-def]
    seen: OrderedDict[str, None] = OrderedDict()

    async def skip(req, resp, next):  # type: ignore[no-untyped-def]
        event_id = req.body.get("event_id") if isinstance(req.body, dict) else None
        if event_id and event_id in seen:
            log.info("Slack retried event %s; already handled", event_id)
            return BoltResponse(status=200, body="")
        if event_id:
            seen[event_id] = None
            if len(seen) > SEEN_EVENTS:
                seen.popitem(last=False)
        return await next()

    return skip
