"""The rule of chunks stored side by side: which may be, and that every chunk's outcome is
taken in the file's order, whatever finished first."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from bot.services.csv_writers import ChunkNotStored, ChunkWriters

WAIT = 10  # seconds a test waits for a writer that should come: far more than it takes


class Recorder:
    """Stores named chunks: alongside each waits for its `gate` (when given), and says who
    stored what, in which thread, in what order."""

    def __init__(self) -> None:
        self.gates: dict[str, threading.Event] = {}
        self.stored: list[tuple[str, str]] = []  # (how, chunk) in the order they finished
        self.recorded: list[tuple[str, str]] = []
        self.together = threading.Barrier(2, timeout=WAIT)
        self.meet: set[str] = set()  # chunks that must be stored at the same time as another
        self.merge: set[str] = set()  # chunks whose store alongside finds a lead stored
        self.fail: set[str] = set()
        self.lock = threading.Lock()

    def alone(self, chunk: str) -> str:
        with self.lock:
            self.stored.append(("alone", chunk))
        return f"{chunk} stored alone"

    def alongside(self, chunk: str) -> str | None:
        if chunk in self.meet:
            self.together.wait()
        gate = self.gates.get(chunk)
        if gate is not None:
            assert gate.wait(WAIT)
        if chunk in self.fail:
            raise RuntimeError(f"{chunk}: the database went away")
        if chunk in self.merge:
            return None
        with self.lock:
            self.stored.append(("alongside", chunk))
        return f"{chunk} stored alongside"

    def merging(self, chunk: str) -> str:
        with self.lock:
            self.stored.append(("merging", chunk))
        return f"{chunk} stored merging"

    def record(self, chunk: str, stored: str) -> None:
        self.recorded.append((chunk, stored))

    def writers(self, count: int = 2) -> ChunkWriters[str, str]:
        return ChunkWriters(
            count,
            store_alone=self.alone,
            store_alongside=self.alongside,
            store_merging=self.merging,
            record=self.record,
        )


def keys(*names: str) -> frozenset[str]:
    return frozenset(f"email:{name}@x.example" for name in names)


def take_all(writers: ChunkWriters[str, str], *chunks: tuple[str, bool, frozenset[str]]) -> None:
    try:
        for chunk, alongside, its_keys in chunks:
            writers.take(chunk, alongside=alongside, keys=its_keys)
        writers.finish()
    finally:
        writers.close()


def test_two_chunks_of_new_leads_are_stored_at_the_same_time_and_recorded_in_order() -> None:
    recorder = Recorder()
    recorder.meet = {"b", "c"}  # each waits for the other: stored one after the other, neither is
    recorder.gates["b"] = threading.Event()
    writers = recorder.writers()
    writers.take("a", alongside=False, keys=frozenset())  # opens the file's batches: alone
    writers.take("b", alongside=True, keys=keys("b1", "b2"))
    writers.take("c", alongside=True, keys=keys("c1", "c2"))
    recorder.gates["b"].set()  # c may well be done first; b is still recorded first
    writers.finish()
    writers.close()
    assert recorder.recorded == [
        ("a", "a stored alone"),
        ("b", "b stored alongside"),
        ("c", "c stored alongside"),
    ]


def test_no_more_chunks_are_in_flight_than_there_are_writers() -> None:
    recorder = Recorder()
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def counting(chunk: str) -> str | None:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        stored = recorder.alongside(chunk)
        with lock:
            in_flight[0] -= 1
        return stored

    writers = ChunkWriters(
        2,
        store_alone=recorder.alone,
        store_alongside=counting,
        store_merging=recorder.merging,
        record=recorder.record,
    )
    take_all(writers, *((f"c{n}", True, keys(f"p{n}")) for n in range(20)))
    assert most[0] <= 2
    assert [chunk for chunk, _ in recorder.recorded] == [f"c{n}" for n in range(20)]


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(("b", True, keys("a2", "b1")), id="a lead of a chunk in flight"),
        pytest.param(("b", False, keys("b1")), id="not storable alongside"),
    ],
)
def test_a_chunk_that_may_meet_one_in_flight_waits_for_it_and_is_stored_alone(
    second: tuple[str, bool, frozenset[str]],
) -> None:
    recorder = Recorder()
    recorder.gates["a"] = threading.Event()
    writers = recorder.writers()
    writers.take("a", alongside=True, keys=keys("a1", "a2"))
    released = threading.Timer(0.05, recorder.gates["a"].set)
    released.start()  # a takes a moment: b must not start before it ends
    take_all(writers, second)
    released.join()
    assert recorder.stored == [("alongside", "a"), ("alone", "b")]
    assert [chunk for chunk, _ in recorder.recorded] == ["a", "b"]


def test_a_chunk_that_finds_a_lead_stored_is_stored_alone_once_the_others_are_done() -> None:
    recorder = Recorder()
    recorder.merge = {"a"}
    recorder.gates["b"] = threading.Event()
    writers = recorder.writers()
    writers.take("a", alongside=True, keys=keys("a1"))
    writers.take("b", alongside=True, keys=keys("b1"))
    released = threading.Timer(0.05, recorder.gates["b"].set)
    released.start()
    take_all(writers)
    released.join()
    # a's merging store never runs beside b's: it waits for b, then is recorded first.
    assert recorder.stored == [("alongside", "b"), ("merging", "a")]
    assert recorder.recorded == [("a", "a stored merging"), ("b", "b stored alongside")]


def test_a_chunk_that_fails_names_the_chunks_stored_meanwhile_and_records_them() -> None:
    recorder = Recorder()
    recorder.fail = {"b"}
    writers = recorder.writers()
    with pytest.raises(ChunkNotStored) as stopped:
        take_all(
            writers,
            ("a", False, frozenset()),
            ("b", True, keys("b1")),
            ("c", True, keys("c1")),
        )
    assert stopped.value.chunk == "b" and stopped.value.later == ["c"]
    assert str(stopped.value.__cause__) == "b: the database went away"
    assert [chunk for chunk, _ in recorder.recorded] == ["a", "c"]


def test_with_one_writer_every_chunk_is_stored_alone_in_this_thread() -> None:
    recorder = Recorder()
    threads: list[str] = []

    def alone(chunk: str) -> str:
        threads.append(threading.current_thread().name)
        return recorder.alone(chunk)

    writers = ChunkWriters(
        1, store_alone=alone, store_alongside=_never, store_merging=alone, record=recorder.record
    )
    take_all(writers, ("a", True, keys("a1")), ("b", True, keys("b1")))
    assert threads == [threading.current_thread().name] * 2
    assert [chunk for chunk, _ in recorder.recorded] == ["a", "b"]


_never: Callable[[str], str | None] = lambda chunk: pytest.fail("stored alongside")  # noqa: E731
