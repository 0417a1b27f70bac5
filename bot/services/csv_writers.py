"""An import's chunks stored side by side, where the database takes several writers at once.

On PostgreSQL a chunk's transaction is mostly the server's work: the storing process waits
on it nine tenths of the time, so with one writer the server uses one core at most while the
file is read on another. Two chunks stored at once, each on a connection of its own, keep
the server busy on both. SQLite takes one writer at a time: there, chunks are stored one
after another.

Only chunks that cannot meet are stored side by side: chunks of new leads (nothing to merge)
whose emails and external ids differ from those of the chunks in flight, and whose regions
have their batch of the file already. Any other chunk waits until those in flight are done,
and is then stored alone. What became of each chunk is taken in the file's order, so the
import reports exactly what it would report storing one chunk at a time. The handoffs of
two chunks stored side by side may be queued interleaved (each chunk's in its order).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

_Chunk = TypeVar("_Chunk")
_Result = TypeVar("_Result")


class ChunkNotStored(Exception):
    """A chunk stored side by side failed: `chunk` is the one, `__cause__` why; `later` are
    the chunks after it that were stored meanwhile."""

    def __init__(self, chunk: Any, later: list[Any]) -> None:
        super().__init__("a chunk was not stored")
        self.chunk = chunk
        self.later = later


@dataclass
class _InFlight(Generic[_Chunk, _Result]):
    chunk: _Chunk
    keys: frozenset[str]
    stored: Future[_Result | None]


class ChunkWriters(Generic[_Chunk, _Result]):
    """Stores chunks, up to `writers` at once, and hands what became of each to `record` in
    the order they were given.

    `store_alone(chunk)` stores a chunk while nothing else is stored; `store_alongside(chunk)`
    stores one that may be stored while others are, or returns None when a lead of it was
    stored already: `store_merging(chunk)` then stores it alone, merging.
    """

    def __init__(
        self,
        writers: int,
        *,
        store_alone: Callable[[_Chunk], _Result],
        store_alongside: Callable[[_Chunk], _Result | None],
        store_merging: Callable[[_Chunk], _Result],
        record: Callable[[_Chunk, _Result], None],
    ) -> None:
        self.writers = writers
        self.store_alone = store_alone
        self.store_alongside = store_alongside
        self.store_merging = store_merging
        self.record = record
        self.in_flight: deque[_InFlight[_Chunk, _Result]] = deque()
        self.pool = ThreadPoolExecutor(writers, "import-writer") if writers > 1 else None

    def close(self) -> None:
        """Let the chunks in flight end as they would (the file stopped reading early)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)

    def take(self, chunk: _Chunk, *, alongside: bool, keys: frozenset[str]) -> None:
        """Store `chunk`: beside the chunks in flight when `alongside` and none of them has
        any of its `keys`, else alone once they are done."""
        if self.pool is None or not alongside or self._meets(keys):
            self.finish()
            self.record(chunk, self.store_alone(chunk))
            return
        while len(self.in_flight) >= self.writers:
            self._record_oldest()
        stored = self.pool.submit(self.store_alongside, chunk)
        self.in_flight.append(_InFlight(chunk, keys, stored))

    def finish(self) -> None:
        """Wait for the chunks in flight and record them."""
        while self.in_flight:
            self._record_oldest()

    def _meets(self, keys: frozenset[str]) -> bool:
        return any(not keys.isdisjoint(other.keys) for other in self.in_flight)

    def _record_oldest(self) -> None:
        oldest = self.in_flight.popleft()
        try:
            stored = oldest.stored.result()
            if stored is None:  # stored alone, once nothing else is being stored
                wait([other.stored for other in self.in_flight])
                stored = self.store_merging(oldest.chunk)
        except Exception as error:
            raise ChunkNotStored(oldest.chunk, self._record_the_rest()) from error
        self.record(oldest.chunk, stored)

    def _record_the_rest(self) -> list[Any]:
        """After a chunk failed: wait for the others, record those stored; those chunks."""
        stored_meanwhile: list[Any] = []
        while self.in_flight:
            other = self.in_flight.popleft()
            try:
                stored = other.stored.result()
            except Exception:  # the first failure is the one told
                continue
            if stored is not None:
                self.record(other.chunk, stored)
                stored_meanwhile.append(other.chunk)
        return stored_meanwhile
