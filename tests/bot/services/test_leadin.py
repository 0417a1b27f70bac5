"""Reading an intake body: how deep its JSON nests, told on its bytes or on the document."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.leadin import (
    MAX_DEPTH,
    LeadIn,
    NotJson,
    check_lead,
    check_leads,
    document_deeper_than,
    nests_deeper_than,
    read_json,
)

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


def read_json_counting_first(body: bytes) -> Any:
    """What read_json answered when it counted the depth on the bytes before parsing."""
    if nests_deeper_than(body, MAX_DEPTH):
        raise NotJson(f"nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(body, parse_int=read_json_parse_int)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotJson(f"is not valid JSON: {error}") from None
    except RecursionError:
        raise NotJson(f"nests deeper than {MAX_DEPTH} levels") from None


def read_json_parse_int(digits: str) -> int | Decimal:
    try:
        return int(digits)
    except ValueError:
        return Decimal(digits)


def answer(read: Callable[[bytes], Any], body: bytes) -> tuple[str, str]:
    try:
        return "document", repr(read(body))  # repr: NaN is not equal to itself
    except NotJson as error:
        return "refused", str(error)


deep_documents = st.recursive(
    st.none() | st.integers() | st.floats() | tricky_text,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(tricky_text, inner, max_size=2),
    max_leaves=200,
)
# Bytes a body is made of, broken or not: JSON's own, and what UTF-8 and UTF-16 add.
body_bytes = st.lists(
    st.sampled_from(
        [b"[", b"]", b"{", b"}", b'"', b"\\", b":", b",", b"1", b"a", b"\x00", b"\xc3"]
    ),
    max_size=160,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(
    document=deep_documents,
    nesting=st.integers(0, 2 * MAX_DEPTH),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32"]),
    cut=st.integers(0, 3),
)
def test_a_document_is_read_or_refused_as_when_the_depth_was_counted_first(
    document: Any, nesting: int, encoding: str, cut: int
) -> None:
    text = "[" * nesting + json.dumps(document) + "]" * nesting
    body = text.encode(encoding)
    body = body[: len(body) - cut]  # cut short, some bodies are broken
    assert answer(read_json, body) == answer(read_json_counting_first, body)


@settings(max_examples=500, deadline=None)
@given(body=body_bytes, nesting=st.integers(0, 2 * MAX_DEPTH))
def test_any_bytes_are_read_or_refused_as_when_the_depth_was_counted_first(
    body: bytes, nesting: int
) -> None:
    for candidate in (body, b"[" * nesting + body, b"[" * nesting + body + b"]" * nesting):
        assert answer(read_json, candidate) == answer(read_json_counting_first, candidate)


@settings(max_examples=300, deadline=None)
@given(document=documents, limit=st.integers(0, 6))
def test_a_parsed_documents_depth_is_told_exactly(document: Any, limit: int) -> None:
    assert document_deeper_than(document, limit) == (depth(document) > limit)


@pytest.mark.parametrize(
    "lead",
    [
        {"email": " A@B.co ", "score": 50, "first_name": 5, "source": "Trade Show"},
        {"email": "a@b.co", "score": "60.5", "country": "germany", "activity": [{"type": "x"}]},
        {"email": "a@b.co", "score": Decimal("70.25"), "company": " ", "unknown": [1]},
        {"email": "a@b.co", "campaign": "Spring", "region": "EMEA", "notes": "n", "phone": 1.5},
    ],
)
def test_a_leads_facts_are_its_dump_without_the_activity(lead: dict[str, Any]) -> None:
    checked = LeadIn.model_validate(lead)
    facts = checked.facts()
    assert facts == checked.model_dump(exclude={"activity"})
    assert list(facts) == list(checked.model_dump(exclude={"activity"}))
    assert [type(v) for v in facts.values()] == [
        type(v) for v in checked.model_dump(exclude={"activity"}).values()
    ]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32"])
def test_a_body_in_utf16_or_utf32_is_counted_on_its_bytes_as_before(encoding: str) -> None:
    # Encoded so, "\u2200" holds a quote byte that closes the string, and "\u5b5b" two
    # opening brackets: the byte-wise count, not the document, tells this body's depth.
    body = json.dumps(["\u2200" + "\u5b5b" * 40], ensure_ascii=False).encode(encoding)
    assert answer(read_json, body) == ("refused", f"nests deeper than {MAX_DEPTH} levels")


# Leads good and bad: each field holds a good value, a bad one (too long, not text, no
# email, a NUL, an unknown region), or nothing; now and then a lead that is not an object.
field_values = {
    "email": st.sampled_from(["a@b.co", " B@C.io ", "not an email", "", None, 5, "x\x00@b.co"]),
    "first_name": st.sampled_from(["Ann", "  ", 7, True, "n" * 201, None]),
    "country": st.sampled_from(["DE", "germany", "Atlantis", None, []]),
    "region": st.sampled_from(["emea", " EMEA ", "nowhere", "", None, 3]),
    "score": st.sampled_from([50, "60.5", "", "many", -1, 101, True, float("nan"), None]),
    "activity": st.sampled_from([[{"type": "visit"}], [{"at": "2026-01-01"}], "x", None]),
}
leads_good_and_bad = st.lists(
    st.fixed_dictionaries({}, optional=field_values) | st.sampled_from([[], "lead", 1]),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(raw=leads_good_and_bad)
def test_a_list_of_leads_is_checked_as_each_lead_alone(raw: list[Any]) -> None:
    def known_region(name: str) -> bool:
        return name == "emea"

    alone = [check_lead(item, i, known_region=known_region) for i, item in enumerate(raw)]
    leads, errors = check_leads(raw, known_region=known_region)
    assert leads == [lead for lead, _ in alone if lead is not None]
    assert errors == [error for _, problems in alone for error in problems]
