"""A serving process's garbage collector: what start built is frozen, and it runs rarely."""

from __future__ import annotations

import gc

from bot.runtime import SERVING_GC_THRESHOLD, settle_for_serving


def test_a_serving_process_never_walks_what_start_built_and_collects_rarely() -> None:
    before = gc.get_threshold()
    try:
        settle_for_serving()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (SERVING_GC_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
