"""A serving process: the outbox worker, and memory settled before requests come."""

from __future__ import annotations

import gc

from slack_sdk import WebClient

from bot.app import Baton
from bot.slack.bolt import slack_api_url
from bot.slack.delivery import Deliverer
from bot.slack.measured import MeasuredWebClient
from storage.outbox import SqlOutbox


def web_client(baton: Baton) -> WebClient:
    """A Slack client whose calls are never retried behind the outbox's back."""
    token = baton.settings.slack_bot_token
    return MeasuredWebClient(
        token=token.get_secret_value() if token else None,
        base_url=slack_api_url(baton.settings),
        timeout=15,
        retry_handlers=[],
    )


def delivery_worker(baton: Baton, *, overlap: bool = False) -> Deliverer:
    """The outbox worker on Baton's store, Slack client, config and clock."""
    return Deliverer(
        outbox=SqlOutbox(baton.database),
        client=web_client(baton),
        config=baton.config,
        clock=baton.clock,
        state=baton.delivery,
        report=baton.report_reader,
        overlap=overlap,
        settle=baton.settle_new_leads,
    )


def start_delivery(baton: Baton) -> Deliverer:
    """Deliver in the background, woken whenever new Slack work is queued; new handoffs go
    while App Homes and scheduled work claimed before them are still being delivered."""
    worker = delivery_worker(baton, overlap=True)
    baton.outbox_listeners.append(worker.wake.set)
    worker.start()
    return worker


# Container objects made (net of those freed) between two collections of the youngest
# generation, while serving (Python's default: 700).
SERVING_GC_THRESHOLD = 10_000


def settle_for_serving() -> None:
    """Take everything built at start out of the garbage collector's way, and run the
    collector less often.

    A serving process builds its config, ORM, Bolt and web app once. Left as they are, every
    full collection walks all of it again and holds up the requests in flight for tens of
    milliseconds; frozen after one last collection, they are never walked again.

    A request of 500 leads makes tens of thousands of objects that live until it is stored:
    at Python's default pace the collector runs a dozen times for each such request, over
    them and over the older generations (measured served: about a tenth of the process's
    time). Reference counting frees almost all of them anyway; the rare cycles are freed
    when 10,000 objects more are alive, not 700.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(SERVING_GC_THRESHOLD, *gc.get_threshold()[1:])
