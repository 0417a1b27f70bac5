"""An import's rows read ahead in a second process, and the collector run less often meanwhile.

On a big file, reading, checking and planning the rows runs in a forked process a few chunks
ahead of the one storing them, so both cores work.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from bot.services.csv_import import CsvImportError

READ_AHEAD_CHUNKS = 4  # how far ahead it may get, in chunks: what it holds in memory
# Objects made between two collections of the youngest generation (Python's default: 700).
BULK_GC_THRESHOLD = 20_000

_T = TypeVar("_T")


@contextmanager
def collecting_rarely() -> Iterator[None]:
    """Run the cycle collector less often while chunks of new objects are built and stored.

    Each chunk makes tens of thousands of objects that live until it is stored, so at
    Python's default pace the collector runs dozens of times per chunk, over them and over
    everything older: a third of an import's time. Plain reference counting still frees
    almost all of them; the rare cycles wait a little longer.
    """
    before = gc.get_threshold()
    gc.set_threshold(BULK_GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def read_ahead(chunks: Callable[[], Iterator[_T]]) -> Iterator[Iterator[_T]]:
    """The chunks, made by a forked process while this one stores the ones before them."""
    context = multiprocessing.get_context("fork")
    ahead = context.Queue(maxsize=READ_AHEAD_CHUNKS)
    process = context.Process(target=_feed, args=(chunks, ahead), daemon=True)
    process.start()
    try:
        yield _received(ahead, process)
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        ahead.close()


def _feed(chunks: Callable[[], Iterator[_T]], ahead: Any) -> None:
    """In the reading process: send each chunk, then None, or the error that stopped it."""
    try:
        for chunk in chunks():
            ahead.put(chunk)
        ahead.put(None)
    except BaseException as error:  # raised again in the storing process
        ahead.put(error)
    ahead.close()
    ahead.join_thread()


def _received(ahead: Any, process: Any) -> Iterator[Any]:
    while True:
        try:
            item = ahead.get(timeout=1)
        except queue.Empty:
            if not process.is_alive():
                raise CsvImportError(
                    f"reading the file stopped: its process ended (exit code {process.exitcode})"
                ) from None
            continue
        if item is None:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()
