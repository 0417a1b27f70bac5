"""The intake queue: small requests stored together, each still all or nothing."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from bot.services.intake import IntakeResult
from bot.services.intake_queue import MAX_GROUP_LEADS, IntakeQueue
from bot.services.leadin import LeadIn


def lead_in(email: str) -> LeadIn:
    return LeadIn.model_validate({"email": email, "score": 80})


class Store:
    """Stores requests the way the queue is told to, and records how it was asked."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.calls: list[list[int]] = []
        self.busy = threading.Event()
        self.hold = threading.Event()

    def one(self, leads: Sequence[LeadIn]) -> list[IntakeResult]:
        self.busy.set()
        self.hold.wait(5)
        self.calls.append([len(leads)])
        return self._results(leads)

    def first_then(self, queue: IntakeQueue) -> None:
        """Send a first request and return once it is being stored, the writer held there."""
        self.first = queue.submit([lead_in("first@acme.example")])
        assert self.busy.wait(5)

    def small(self, requests: Sequence[Sequence[LeadIn]]) -> list[list[IntakeResult]]:
        self.calls.append([len(leads) for leads in requests])
        return [self._results(leads) for leads in requests]

    def _results(self, leads: Sequence[LeadIn]) -> list[IntakeResult]:
        if any(lead.email == self.refuse for lead in leads):
            raise ValueError(f"cannot store {self.refuse}")
        return [IntakeResult(lead.email, "pending", "created") for lead in leads]


def test_requests_waiting_behind_one_are_stored_together_in_order() -> None:
    store = Store()
    queue = IntakeQueue(store.one, store.small)
    store.first_then(queue)
    waiting = [queue.submit([lead_in(f"p{i}@acme.example")]) for i in range(5)]
    store.hold.set()
    assert store.first.result(5)[0].id == "first@acme.example"
    assert [f.result(5)[0].id for f in waiting] == [f"p{i}@acme.example" for i in range(5)]
    assert store.calls == [[1], [1, 1, 1, 1, 1]]


def test_a_request_that_fails_in_a_group_fails_alone() -> None:
    store = Store(refuse="bad@acme.example")
    queue = IntakeQueue(store.one, store.small)
    store.first_then(queue)
    emails = ["a@acme.example", "bad@acme.example", "b@acme.example"]
    waiting = [queue.submit([lead_in(email)]) for email in emails]
    store.hold.set()
    store.first.result(5)
    assert waiting[0].result(5)[0].id == "a@acme.example"
    with pytest.raises(ValueError, match=r"cannot store bad@acme\.example"):
        waiting[1].result(5)
    assert waiting[2].result(5)[0].id == "b@acme.example"
    # The group was tried once, then each of its requests on its own.
    assert store.calls == [[1], [1, 1, 1], [1], [1], [1]]


def test_a_group_stops_at_a_request_for_someone_already_in_it() -> None:
    store = Store()
    queue = IntakeQueue(store.one, store.small)
    store.first_then(queue)
    emails = ["a@acme.example", "b@acme.example", "a@acme.example", "c@acme.example"]
    waiting = [queue.submit([lead_in(email)]) for email in emails]
    store.hold.set()
    store.first.result(5)
    for future in waiting:
        future.result(5)
    assert store.calls == [[1], [1, 1], [1, 1]]


def test_big_requests_are_stored_alone_and_groups_stay_within_their_size() -> None:
    store = Store()
    queue = IntakeQueue(store.one, store.small)
    store.first_then(queue)
    big = queue.submit([lead_in(f"big{i}@acme.example") for i in range(11)])
    small = [
        queue.submit([lead_in(f"s{i}.{j}@acme.example") for j in range(10)])
        for i in range(MAX_GROUP_LEADS // 10 + 1)
    ]
    store.hold.set()
    for future in [store.first, big, *small]:
        future.result(5)
    groups = MAX_GROUP_LEADS // 10
    assert store.calls == [[1], [11], [10] * groups, [10]]
