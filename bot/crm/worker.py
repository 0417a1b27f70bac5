"""The CRM worker: delivers the outbox's CRM work once each, one attempt per delivery.

Events the CRM sent are taken in, and Baton's decisions written back, by the same durable
outbox as Slack's work: claimed with a lease, retried after the wait the CRM asked for (its
Retry-After or rate-limit window), and put aside with what to do when a person must act —
told once in triage, as Slack's errors are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.crm import CrmNeedsPerson, CrmRetryLater
from bot.services.outbox_worker import OutboxWorker, backoff
from bot.services.ports import Outbox, StorageUnavailable
from bot.services.records import CRM_WORK, Delivered, OutboxItem, WorkKind

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
BLOCKED_RETRY = timedelta(minutes=5)

# Each kind of CRM work, carried out: returns what happened, or raises a CrmError.
Handler = Callable[[OutboxItem], str]


class CrmWorker(OutboxWorker):
    """Deliver CRM work; safe to run in several processes at once."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        handlers: dict[WorkKind, Handler],
        clock: Clock,
        label: str,
        changed: Callable[[], None] = lambda: None,
        batch_size: int = 16,
        threads: int = 16,
    ) -> None:
        super().__init__(kinds=CRM_WORK, thread_name="baton-crm", log=log)
        self.outbox, self.handlers, self.clock, self.label = outbox, handlers, clock, label
        self.changed = changed  # told when work of this worker's queued more (Slack's) work
        self.batch_size = batch_size
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="baton-crm")

    def run_once(self) -> int:
        """Deliver what is due now; return how many items were tried.

        A pass claims no more than its threads deliver at once, so that work claimed never
        waits for a second wave of slow calls before the next pass claims more.
        """
        now = self.clock.now()
        items = self.outbox.claim_due(now=now, limit=self.batch_size, lease=LEASE, kinds=CRM_WORK)
        list(self.pool.map(self._deliver_logged, items))
        return len(items)

    def run_forever(self, idle_seconds: float = 0.5) -> None:
        outage = 0
        while not self._stopping.is_set():
            try:
                busy = self.run_once()
            except StorageUnavailable as error:
                outage += 1
                self.pause_for_store(outage, error, "CRM work")
                continue
            except Exception:
                log.exception("CRM pass failed; trying again shortly")
                busy = 0
            outage = 0
            if not busy:
                self.sleep_until_due(idle_seconds)

    def _deliver_logged(self, item: OutboxItem) -> None:
        try:
            self.deliver(item)
        except StorageUnavailable:
            raise
        except Exception:
            log.exception("CRM work %s failed", item.key)
            self.outbox.retry_later(
                item, at=self.clock.now() + backoff(item.attempts), error="internal error"
            )

    def deliver(self, item: OutboxItem) -> None:
        now = self.clock.now()
        try:
            done = self.handlers[item.kind](item)
        except CrmRetryLater as error:
            wait = error.wait if error.wait is not None else backoff(item.attempts)
            self.outbox.retry_later(item, at=self.clock.now() + wait, error=str(error))
            return
        except CrmNeedsPerson as problem:
            self._needs_person(item, problem, now)
            return
        log.info("%s: %s", item.key, done)
        self.outbox.complete_all([Delivered(item, None, None)], now=self.clock.now())
        self.changed()

    def _needs_person(self, item: OutboxItem, problem: CrmNeedsPerson, now: datetime) -> None:
        message = problem.explain()
        self.outbox.retry_later(item, at=now + BLOCKED_RETRY, error=message, blocked=True)
        # One notice per kind of problem and what it is about, however much work it holds up.
        key = f"fix:crm:{problem.problem.value}:{_subject(problem)}"[:200]
        if self.outbox.first_time(key, now=now):
            notice = {
                "problem": f"{self.label} refused Baton's work: {problem}. Baton keeps it queued.",
                "fix": problem.fix,
            }
            self.outbox.add(WorkKind.SETUP_NOTICE, key, notice, now=now)
            self.changed()


def _subject(problem: CrmNeedsPerson) -> str:
    return str(problem)[:120]
