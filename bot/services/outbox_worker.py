"""What the two outbox workers (Slack's delivery, the CRM's) share: how they sleep and stop.

Each claims its own kinds of work from the one durable outbox; between passes it sleeps until
its earliest work is due, or until it is woken for new work or told to stop.
"""

from __future__ import annotations

import logging
import random
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from datetime import timedelta

from bot.clock import Clock
from bot.services.ports import Outbox, StorageUnavailable
from bot.services.records import WorkKind

MAX_BACKOFF = timedelta(minutes=10)
# A pass settles new leads (see settling.py) in at most this many transactions, then goes on
# to deliver; the next pass follows at once and settles more.
SETTLING_TRANSACTIONS_A_PASS = 10
STORE_BACKOFF_SECONDS = 30.0


class OutboxWorker(ABC):
    """A worker thread over some kinds of the outbox's work, woken by `wake`."""

    outbox: Outbox
    clock: Clock
    # Settles new leads a transaction at a time (see settling.py); how many it settled.
    settle: Callable[[], int] | None = None

    def __init__(self, *, kinds: Collection[WorkKind], thread_name: str, log: logging.Logger):
        self.kinds = kinds
        self.thread_name = thread_name
        self.log = log
        self.wake = threading.Event()
        self._stopping = threading.Event()

    @abstractmethod
    def run_forever(self, idle_seconds: float = 0.5) -> None:
        """Deliver until stopped, sleeping between passes."""

    def settle_new_leads(self) -> None:
        """Settle the new leads waiting, so that the pass delivers their handoffs."""
        if self.settle is None:
            return
        for _ in range(SETTLING_TRANSACTIONS_A_PASS):
            if not self.settle():
                return
        self.wake.set()  # more may wait: no sleep before the next pass

    def pause_for_store(self, outage: int, error: StorageUnavailable, what: str) -> None:
        """Wait out the `outage`-th pass in a row the store refused, longer each time."""
        pause = min(2.0 ** (outage - 1), STORE_BACKOFF_SECONDS)
        self.log.warning("%s paused: %s; trying again in %.0f s", what, error, pause)
        # New work woken up for means a write just worked: the store may be back.
        self.wake.wait(pause)
        self.wake.clear()

    def sleep_until_due(self, longest: float) -> None:
        """Sleep until the earliest work is due (a paced post, a retry), at most `longest`."""
        self.wake.wait(self._idle_wait(longest))
        self.wake.clear()

    def _idle_wait(self, longest: float) -> float:
        try:
            due = self.outbox.next_due_at(self.kinds)
        except Exception:
            return longest
        if due is None:
            return longest
        return min(max((due - self.clock.now()).total_seconds(), 0.005), longest)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name=self.thread_name, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()


def backoff(attempts: int) -> timedelta:
    """How long a failed item waits before its next try: doubling, jittered, capped."""
    seconds = min(2 ** max(attempts - 1, 0), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))
