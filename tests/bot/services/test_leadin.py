"""Reading an intake body: how deep its JSON nests is told without parsing it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.leadin import MAX_DEPTH, NotJson, nests_deeper_than, read_json

# Text full of what a bracket counter could trip on: brackets, quotes and backslashes.
tricky_text = st.text(alphabet='[]{}"\\ab', max_size=8)
documents = st.recursive(
    st.none() | st.integers() | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=40,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(document=documents, limit=st.integers(0, 6))
def test_the_depth_is_told_exactly_and_text_in_strings_does_not_count(
    document: Any, limit: int
) -> None:
    text = json.dumps(document).encode()
    assert nests_deeper_than(text, limit) == (depth(document) > limit)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 70 + b'"' + b'\\"' * 300_000,  # a string never closed, of escaped quotes
        b"[" * 70 + b'"' + b'\\"' * 300_000 + b"\\",
        b"[" * 70 + b'"' * 600_000,
        b"[" * 70 + b'"' + b"\\" * 600_001,
    ],
    ids=["escaped-quotes", "trailing-backslash", "quotes", "backslashes"],
)
def test_a_body_crafted_against_the_count_is_read_in_linear_time(body: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(NotJson):
        read_json(body)
    # Quadratic time would take minutes on these bodies.
    assert time.perf_counter() - started < 5


def test_exactly_the_limit_is_allowed() -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert depth(read_json(at_limit.encode())) == MAX_DEPTH
    with pytest.raises(NotJson, match=f"nests deeper than {MAX_DEPTH} levels"):
        read_json(("[" + at_limit + "]").encode())
