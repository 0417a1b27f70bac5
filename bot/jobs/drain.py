"""`baton jobs run --deliver`: deliver the queued Slack work from this process, then stop."""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.app import Baton
from bot.runtime import delivery_worker
from bot.services.status import service_status

PAUSE_SECONDS = 0.5


def deliver_queued(
    baton: Baton,
    *,
    within: timedelta = timedelta(minutes=2),
    patience: timedelta = timedelta(seconds=5),
) -> int:
    """Deliver until nothing is undelivered, nothing moves for `patience`, or `within` is over.

    Return how much is left: work that waits on something this process cannot see through
    (a message it threads under that is not posted yet) stays for the serving process.
    """
    deliverer = delivery_worker(baton)
    started = baton.clock.now()
    left, moved = _undelivered(baton), started
    pause = threading.Event()
    try:
        while left:
            if deliverer.run_once():
                continue
            now, before = baton.clock.now(), left
            left = _undelivered(baton)
            if left < before:
                moved = now
            elif now - moved >= patience or now - started >= within:
                break
            # Work waits for its channel's pace or for the message it threads under.
            pause.wait(PAUSE_SECONDS)
    finally:
        deliverer.stop()
    return left


def _undelivered(baton: Baton) -> int:
    return int(service_status(baton)["slack"]["undelivered"])
