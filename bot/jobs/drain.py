"""`baton jobs run --deliver`: deliver the queued Slack work from this process, then stop."""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.app import Baton
from bot.runtime import web_client
from bot.services.status import service_status
from bot.slack.delivery import Deliverer
from storage.outbox import SqlOutbox

PAUSE_SECONDS = 0.5


def deliver_queued(baton: Baton, *, within: timedelta = timedelta(minutes=2)) -> int:
    """Deliver until nothing is undelivered or `within` has passed; return what is left."""
    deliverer = Deliverer(
        outbox=SqlOutbox(baton.database),
        client=web_client(baton),
        config=baton.config,
        clock=baton.clock,
    )
    deadline = baton.clock.now() + within
    pause = threading.Event()
    try:
        while True:
            if deliverer.run_once():
                continue
            left = service_status(baton)["slack"]["undelivered"]
            if not left or baton.clock.now() >= deadline:
                return left
            # Work waits for its channel's pace or for the message it threads under.
            pause.wait(PAUSE_SECONDS)
    finally:
        deliverer.stop()
