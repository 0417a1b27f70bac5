"""The Bolt app: Slack's requests in, with signature checks and no call to Slack at start."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Baton

log = logging.getLogger(__name__)
SLACK_API = "https://slack.com/api/"
SEEN_EVENTS = 10_000
Listener = Callable[..., Awaitable[None]]
T = TypeVar("T")


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
        client=PooledWebClient(base_url=slack_api_url(baton), timeout=10),
        signing_secret=secret.get_secret_value() if secret else "unused-in-socket-mode",
        authorize=_authorize(token),
        # Bolt answers Slack when a listener returns; `answer_at_ack` returns at the ack.
        process_before_response=True,
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


def answer_at_ack(listener: Listener) -> Listener:
    """Let Bolt answer Slack as soon as the listener acks; the rest of it carries on in a task.

    Bolt's own way (`process_before_response=False`) checks every 10 ms whether a listener
    has acked, so each ack waits for the next check, and fifty requests at once make five
    thousand checks a second. Here the ack itself wakes the request. A listener that takes
    no `ack` (events, which Bolt acks) is left to run on its own at once. A failure before
    the ack reaches Bolt, which answers 500; one after it is logged.
    """

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        acked = asyncio.Event()
        if "ack" in kwargs:
            kwargs["ack"] = _signalling(kwargs["ack"], acked)
        else:
            acked.set()
        task = carry_on(listener(**kwargs), getattr(listener, "__name__", "listener"), acked)
        if not acked.is_set():
            waiter = asyncio.ensure_future(acked.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        if task.done() and not acked.is_set():
            task.result()  # raises what the listener raised before it could ack

    return run


def _signalling(ack: Any, acked: asyncio.Event) -> Any:
    async def ack_and_signal(*args: Any, **kwargs: Any) -> Any:
        try:
            return await ack(*args, **kwargs)
        finally:
            acked.set()

    return ack_and_signal


# Listeners run Baton's services on a few threads of their own. Every thread running Python
# takes the interpreter lock from the event loop that answers Slack, so more of them would
# slow the acks without finishing the work sooner (SQLite writes one at a time anyway).
SERVICE_THREADS = 2
_SERVICES = ThreadPoolExecutor(max_workers=SERVICE_THREADS, thread_name_prefix="slack-service")


async def run_service(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service call for a listener, off the event loop."""
    call = functools.partial(work, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_SERVICES, call)


_CARRYING_ON: set[asyncio.Future[Any]] = set()


def carry_on(
    work: Awaitable[Any], name: str, acked: asyncio.Event | None = None
) -> asyncio.Future[Any]:
    """Run `work` on its own, logging a failure (one after `acked`, when that is given)."""
    task = asyncio.ensure_future(work)
    # The loop keeps only weak references to tasks: hold each one until it is done.
    _CARRYING_ON.add(task)

    def done(finished: asyncio.Future[Any]) -> None:
        _CARRYING_ON.discard(finished)
        # A failure before the ack is raised to Bolt instead (see answer_at_ack).
        reportable = acked is None or acked.is_set()
        if reportable and not finished.cancelled() and finished.exception() is not None:
            log.error("%s failed", name, exc_info=finished.exception())

    task.add_done_callback(done)
    return task


class PooledWebClient(AsyncWebClient):
    """A Web API client whose calls share one aiohttp session and its keep-alive connections.

    Without a session, slack-sdk opens a session and a new connection for every call, which
    costs the event loop more than the acks it must keep answering. The session is made in
    the running loop on first use (and again should the loop change); Bolt hands it to the
    client it makes for each request.
    """

    @property  # type: ignore[override]
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
