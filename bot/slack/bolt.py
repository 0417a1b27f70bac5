"""The Bolt app before any listener: signature checks, no call to Slack at start, one pooled
Web API session."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse

from bot.slack.measured import MeasuredAsyncWebClient
from config.settings import Settings

log = logging.getLogger(__name__)
SLACK_API = "https://slack.com/api/"
SEEN_EVENTS = 10_000


def slack_api_url(settings: Settings) -> str:
    return settings.slack_api_url or SLACK_API


def new_bolt(settings: Settings) -> AsyncApp:
    """A Bolt app with no listeners yet: Slack's signature checked, retried events skipped."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    secret = settings.slack_signing_secret
    bolt = AsyncApp(
        client=PooledWebClient(base_url=slack_api_url(settings), timeout=10),
        signing_secret=secret.get_secret_value() if secret else "unused-in-socket-mode",
        authorize=_authorize(token),
        # Bolt answers Slack when a listener returns; `answer_at_ack` returns at the ack.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        request_verification_enabled=secret is not None,
    )
    bolt.middleware(_skip_retried_events())
    return bolt


class PooledWebClient(MeasuredAsyncWebClient):
    """A Web API client whose calls share one aiohttp session and its keep-alive connections.

    Without a session, slack-sdk opens a session and a new connection for every call, which
    costs the event loop more than the acks it must keep answering. The session is made in
    the running loop on first use (and again should the loop change); Bolt hands it to the
    client it makes for each request.
    """

    # The loop a session was made in (None: given from outside), and the session.
    _pooled: tuple[asyncio.AbstractEventLoop | None, aiohttp.ClientSession] | None = None

    @property
    def session(self) -> aiohttp.ClientSession | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        pooled = self._pooled
        if pooled is not None and pooled[0] is None:
            return pooled[1]  # a session given from outside is used as it is
        if pooled is None or pooled[0] is not loop or pooled[1].closed:
            self._pooled = pooled = (loop, aiohttp.ClientSession())
        return pooled[1]

    @session.setter
    def session(self, value: aiohttp.ClientSession | None) -> None:
        self._pooled = (None, value) if value is not None else None

    async def close(self) -> None:
        """Close the shared session, for a clean shutdown."""
        if self._pooled is not None and self._pooled[0] is not None and not self._pooled[1].closed:
            await self._pooled[1].close()
        self._pooled = None


def _authorize(token: str) -> Callable[..., Awaitable[AuthorizeResult]]:
    # A fixed answer instead of auth.test: Slack being down must never delay an ack.
    async def authorize(**_: object) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id=None, bot_token=token)

    return authorize


Next = Callable[[], Awaitable[BoltResponse]]


def _skip_retried_events() -> Callable[..., Awaitable[BoltResponse]]:
    seen: OrderedDict[str, None] = OrderedDict()

    # Bolt hands a middleware its arguments by these names.
    async def skip(req: AsyncBoltRequest, resp: BoltResponse, next: Next) -> BoltResponse:
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
