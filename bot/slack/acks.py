"""When a listener's ack reaches Slack, and where the rest of its work runs.

Every listener is wrapped by `answer_at_ack`: Slack is answered the moment the listener acks,
the listener carries on in a task of its own, and its services run on two threads of their
own (`run_service`). A failure before the ack reaches Bolt, which hands it to Baton's one
error handler with Slack's answer still to give; a failure after it goes to the same error
handler here, which tells the person who acted.

Whatever follows an ack waits its turn behind the acks still to give (`ACK_TURNS`): every
piece of Python that runs in the serving process, on the event loop or on a thread, holds
the interpreter the acks need, so fifty clicks at once are all answered before the first of
their modals is built.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.answers import answer_error
from bot.slack.payloads import SlackBody

log = logging.getLogger(__name__)
T = TypeVar("T")
Listener = Callable[..., Awaitable[None]]
BoltListener = Callable[[AsyncAck, SlackBody, AsyncWebClient], Awaitable[None]]


def answer_at_ack(listener: Listener) -> BoltListener:
    """Let Bolt answer Slack as soon as `listener` acks; the rest of it carries on in a task.

    Bolt's own way (`process_before_response=False`) checks every 10 ms whether a listener
    has acked, so each ack waits for the next check, and fifty requests at once make five
    thousand checks a second. Here the ack itself wakes the request. A listener that takes
    no `ack` (events, which Bolt acks) is left to run on its own at once.

    `listener` takes `body` and `client`, and `ack` unless it is for events.
    """
    takes_ack = "ack" in inspect.signature(listener).parameters
    name = listener.__name__

    # Bolt gives a listener the arguments its signature names; this one names what the error
    # handler needs whatever `listener` takes (no functools.wraps: Bolt would read the
    # wrapped listener's signature instead).
    async def run(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        acked = asyncio.Event()
        if takes_ack:
            work = listener(ack=_signalling(ack, acked), body=body, client=client)
        else:
            acked.set()
            work = listener(body=body, client=client)
        task = carry_on(_answering_failures(work, acked, body, client), name, acked)
        if not acked.is_set():
            waiter = asyncio.ensure_future(acked.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        if task.done() and not acked.is_set():
            task.result()  # raises what the listener raised before it could ack

    run.__name__, run.__qualname__ = name, listener.__qualname__
    run.__module__, run.__doc__ = listener.__module__, listener.__doc__
    return run


async def _answering_failures(
    work: Awaitable[None], acked: asyncio.Event, body: SlackBody, client: AsyncWebClient
) -> None:
    try:
        await work
    except Exception as error:
        if not acked.is_set():
            raise  # Bolt hands it to the error handler, with Slack's answer still to give
        await answer_error(error=error, body=body, client=client, response=None)


def _signalling(ack: AsyncAck, acked: asyncio.Event) -> Callable[..., Awaitable[Any]]:
    async def ack_and_signal(*args: Any, **kwargs: Any) -> Any:
        try:
            answer = await ack(*args, **kwargs)
        finally:
            acked.set()
        await ACK_TURNS.after_acks()
        return answer

    return ack_and_signal


# Fifty clicks at once reach the server over 10 to 60 ms, one after another: work after an
# ack waits until no request has come for this long, so that it starts once the whole burst
# has been answered. Longer would only end the burst's work later (a modal opens that much
# later), and its Slack calls' answers would then come back while a later burst waits.
QUIET_SECONDS = 0.005
# Never longer than this, far inside the 3 s a click's trigger_id lasts for its modal.
LONGEST_WAIT_SECONDS = 0.5


class AckTurns:
    """Slack's requests still waiting for their ack, and the turn of the work after acks."""

    def __init__(self, *, quiet: float, longest: float) -> None:
        self.quiet, self.longest = quiet, longest
        self.waiting = 0
        self.last_seen = -math.inf  # none seen yet

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count one of Slack's requests as waiting until its answer is given."""
        self.waiting += 1
        self.last_seen = time.monotonic()
        try:
            yield
        finally:
            self.waiting -= 1
            self.last_seen = time.monotonic()

    async def after_acks(self) -> None:
        """Return once no request waits for its ack and none came for a moment."""
        now = time.monotonic()
        deadline = now + self.longest
        while now < deadline:
            calm = now - self.last_seen
            if self.waiting == 0 and calm >= self.quiet:
                return
            await asyncio.sleep(min(max(self.quiet - calm, self.quiet / 5), deadline - now))
            now = time.monotonic()


ACK_TURNS = AckTurns(quiet=QUIET_SECONDS, longest=LONGEST_WAIT_SECONDS)


# Listeners run Baton's services on a few threads of their own. Every thread running Python
# takes the interpreter lock from the event loop that answers Slack, so more of them would
# slow the acks without finishing the work sooner (SQLite writes one at a time anyway).
SERVICE_THREADS = 2
_SERVICES = ThreadPoolExecutor(max_workers=SERVICE_THREADS, thread_name_prefix="slack-service")


# Each loop's turns on those threads: a call is handed to a thread only when one is free and
# the acks have been given, so no queue of calls runs on while a new burst waits for its acks.
_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


async def run_service(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service call for a listener, off the event loop, once the acks are given."""
    call = functools.partial(work, *args, **kwargs)
    loop = asyncio.get_running_loop()
    turns = _TURNS.get(loop)
    if turns is None:
        turns = _TURNS[loop] = asyncio.Semaphore(SERVICE_THREADS)
    async with turns:
        await ACK_TURNS.after_acks()
        return await loop.run_in_executor(_SERVICES, call)


_carrying_on: set[asyncio.Future[Any]] = set()


def carry_on(
    work: Awaitable[Any], name: str, acked: asyncio.Event | None = None
) -> asyncio.Future[Any]:
    """Run `work` on its own, logging a failure (one after `acked`, when that is given)."""
    task = asyncio.ensure_future(work)
    # The loop keeps only weak references to tasks: hold each one until it is done.
    _carrying_on.add(task)

    def done(finished: asyncio.Future[Any]) -> None:
        _carrying_on.discard(finished)
        # A failure before the ack is raised to Bolt instead (see answer_at_ack).
        reportable = acked is None or acked.is_set()
        if reportable and not finished.cancelled() and finished.exception() is not None:
            log.error("%s failed", name, exc_info=finished.exception())

    task.add_done_callback(done)
    return task
