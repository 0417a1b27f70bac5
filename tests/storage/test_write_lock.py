"""The lock a process's SQLite writers queue on: taken in the order they came."""

from __future__ import annotations

import threading
import time

from storage.db import FairLock


def in_line(lock: FairLock, count: int) -> None:
    """Return once `count` threads wait for the lock (or fail after 10 s)."""
    pause, deadline = threading.Event(), time.monotonic() + 10
    while lock.waiting < count:
        assert time.monotonic() < deadline, f"{lock.waiting} of {count} writers in line"
        pause.wait(0.001)


def test_writers_take_the_lock_in_the_order_they_came_and_one_asking_again_goes_last() -> None:
    lock = FairLock()
    assert lock.acquire(timeout=1)
    order: list[object] = []

    def writer(n: int) -> None:
        assert lock.acquire(timeout=10)
        order.append(n)
        lock.release()

    threads = []
    for n in range(4):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        threads.append(thread)
        in_line(lock, n + 1)  # each is waiting before the next comes
    lock.release()
    assert lock.acquire(timeout=10)  # asking again at once, as a pass writing page after page
    order.append("again")
    lock.release()
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2, 3, "again"]


def test_a_writer_that_waits_too_long_gives_up_and_leaves_the_line() -> None:
    lock = FairLock()
    assert lock.acquire(timeout=1)
    assert not lock.acquire(timeout=0.05)
    lock.release()
    assert lock.acquire(timeout=0.05)
    lock.release()
