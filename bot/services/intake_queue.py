"""Intake requests stored in turn by writer threads, small ones several to a transaction.

On SQLite writers take turns, and a commit costs as much as the rest of a one-lead request.
So requests that arrive while a transaction is being written wait for the next one and go
in together ("group commit"): one look-up, one insert per table and one commit for all of
them. Each request still gets all or nothing, and the same results as if it had been stored
alone, one after the other:

- a group is only small requests (none could open a batch of its own) that share no email
  or external id, taken in the order they arrived, up to the first that does not fit;
- when a group's transaction fails, its requests are stored again one by one, so that only
  the request at fault gets the error.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property

from bot.services.intake import BATCH_THRESHOLD, IntakeResult
from bot.services.leadin import LeadIn

MAX_GROUP_LEADS = 500
IDLE_SECONDS = 5.0

StoreOne = Callable[[Sequence[LeadIn]], list[IntakeResult]]
StoreSmall = Callable[[Sequence[Sequence[LeadIn]]], list[list[IntakeResult]]]


@dataclass
class _Request:
    leads: Sequence[LeadIn]
    done: Future[list[IntakeResult]] = field(default_factory=Future)

    @property
    def is_small(self) -> bool:
        return len(self.leads) <= BATCH_THRESHOLD

    @cached_property
    def keys(self) -> frozenset[tuple[str, str]]:
        keys = {("email", lead.email) for lead in self.leads}
        keys |= {("external_id", lead.external_id) for lead in self.leads if lead.external_id}
        return frozenset(keys)


class IntakeQueue:
    """Takes intake requests from any thread or the event loop and stores them in turn.

    Writer threads start when there is work and stop after IDLE_SECONDS without any.
    """

    def __init__(self, store_one: StoreOne, store_small: StoreSmall, *, writers: int = 1) -> None:
        self._store_one = store_one
        self._store_small = store_small
        self._writers = writers
        self._waiting: deque[_Request] = deque()
        self._changed = threading.Condition()
        self._running = 0
        self._idle = 0

    async def store(self, leads: Sequence[LeadIn]) -> list[IntakeResult]:
        """Store one request's leads; its results, or the error that refused them."""
        return await asyncio.wrap_future(self.submit(leads))

    def submit(self, leads: Sequence[LeadIn]) -> Future[list[IntakeResult]]:
        request = _Request(leads)
        with self._changed:
            self._waiting.append(request)
            if self._idle:
                self._changed.notify()
            elif self._running < self._writers:
                self._running += 1
                threading.Thread(target=self._write, name="intake-writer", daemon=True).start()
        return request.done

    def _write(self) -> None:
        while True:
            group = self._next_group()
            if group is None:
                return
            self._store(group)

    def _next_group(self) -> list[_Request] | None:
        with self._changed:
            while not self._waiting:
                self._idle += 1
                self._changed.wait(IDLE_SECONDS)
                self._idle -= 1
                if not self._waiting:
                    self._running -= 1
                    return None
            return self._take_group()

    def _take_group(self) -> list[_Request]:
        first = self._waiting.popleft()
        group, keys, size = [first], first.keys, len(first.leads)
        if not first.is_small:
            return group
        while self._waiting:
            candidate = self._waiting[0]
            fits = size + len(candidate.leads) <= MAX_GROUP_LEADS
            if not (candidate.is_small and fits and keys.isdisjoint(candidate.keys)):
                break
            group.append(self._waiting.popleft())
            keys |= candidate.keys
            size += len(candidate.leads)
        return group

    def _store(self, group: list[_Request]) -> None:
        if len(group) > 1:
            try:
                results = self._store_small([request.leads for request in group])
            except Exception:
                pass  # stored again one by one below, so the error reaches only its request
            else:
                for request, result in zip(group, results, strict=True):
                    request.done.set_result(result)
                return
        for request in group:
            try:
                request.done.set_result(self._store_one(request.leads))
            except Exception as error:
                request.done.set_exception(error)
