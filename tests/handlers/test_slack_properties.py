"""Any request to /slack/events gets a 2xx or 4xx answer, never a 5xx: a request that is not
signed with the app's secret is refused (401) whatever it holds, and changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from baton_devkit import simulate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import Baton
from bot.slack.ids import ActionId
from storage.rows import EventRow, LeadRow, OutboxRow
from tests.fakes.slack import SIGNING_SECRET, SlackHarness, slack_harness
from tests.handlers.test_slack_handoff import EMEA, MANAGER

SLACK_TYPES = [
    "block_actions",
    "view_submission",
    "view_closed",
    "event_callback",
    "url_verification",
    "shortcut",
    "message_action",
    "block_suggestion",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
ids = st.sampled_from([a.value for a in ActionId]) | st.text(max_size=5)


def some_of(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """Objects with some of these fields, each of them sometimes any JSON value instead."""
    return st.fixed_dictionaries({}, optional={k: v | json_values for k, v in fields.items()})


# Slack's payloads with the fields Bolt and Baton read, holding right and wrong types.
slack_like = some_of(
    {
        "type": st.sampled_from(SLACK_TYPES),
        "event": some_of(
            {
                "type": st.sampled_from(["app_home_opened", "message", "app_mention"]),
                "user": st.text(max_size=5),
                "channel": st.text(max_size=5),
                "tab": st.sampled_from(["home", "messages"]),
                "channel_type": st.just("im"),
            }
        ),
        "actions": st.lists(
            some_of({"action_id": ids, "value": st.text(max_size=10), "block_id": ids}),
            max_size=2,
        ),
        "view": some_of({"callback_id": ids, "private_metadata": st.text(max_size=10)}),
        "user": some_of({"id": st.text(max_size=5)}),
        "team": some_of({"id": st.text(max_size=5)}),
        "authorizations": st.lists(some_of({"team_id": st.text(max_size=5)}), max_size=2),
        "trigger_id": st.text(max_size=5),
        "event_id": st.text(max_size=5),
        "challenge": st.text(max_size=5),
        "response_url": st.text(max_size=5),
        "container": json_values,
        "message": json_values,
    }
)
documents = slack_like | json_values
forms = st.dictionaries(
    st.sampled_from(["command", "text", "user_id", "channel_id", "trigger_id", "payload", "x"]),
    st.sampled_from(["/lead", "help", "mine"]) | st.text(max_size=30),
    max_size=5,
)
bodies = st.one_of(
    st.binary(max_size=300),
    documents.map(lambda d: json.dumps(d).encode()),
    documents.map(lambda d: urlencode({"payload": json.dumps(d)}).encode()),
    forms.map(lambda f: urlencode(f).encode()),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.just(b"payload=%7B"),
    st.just(b'{"type": "event_callback", "event": {"type": "app_home_opened"'),
    st.just(b"\xff\xfe{}"),
)
# What HTTP lets a header value hold: visible ASCII, spaces and bytes above 0x7F.
header_text = st.binary(max_size=20).map(
    lambda raw: bytes(b for b in raw if 0x20 <= b <= 0x7E or b >= 0x80).strip()
)
timestamps = st.one_of(
    header_text,
    st.integers(-(10**20), 10**20).map(lambda n: str(n).encode()),
    st.just(b"9" * 5000),
    st.just("١٧٠٠٠٠٠٠٠٠".encode()),
    st.just(b"1e9"),
    st.just(b"+1700000000"),
    st.just(b"1_700_000_000"),
)
content_types = (
    st.sampled_from(
        [
            None,
            b"application/json",
            b"application/x-www-form-urlencoded",
            b"text/plain",
            b"multipart/form-data; boundary=x",
            b"application/json; charset=utf-16",
        ]
    )
    | header_text
)
Headers = list[tuple[bytes, bytes]]


@st.composite
def forged_headers(draw: st.DrawFn) -> Headers:
    """Headers of any shape except a correct signature: none, garbage, stale, or repeated."""
    headers: Headers = []
    if draw(st.booleans()):
        headers.append((b"X-Slack-Request-Timestamp", draw(timestamps)))
    if draw(st.booleans()):
        headers.append((b"X-Slack-Signature", draw(header_text | st.just(b"v0=" + b"0" * 64))))
    content_type = draw(content_types)
    if content_type is not None:
        headers.append((b"Content-Type", content_type))
    return headers


def signed(body: bytes, content_type: bytes | None, *, secret: str = SIGNING_SECRET) -> Headers:
    stamped = simulate.signed_headers(body, secret)
    headers = [
        (b"X-Slack-Request-Timestamp", stamped["X-Slack-Request-Timestamp"].encode()),
        (b"X-Slack-Signature", stamped["X-Slack-Signature"].encode()),
    ]
    return headers + ([(b"Content-Type", content_type)] if content_type is not None else [])


@st.composite
def almost_signed(draw: st.DrawFn, body: bytes) -> Headers:
    """Signed with the wrong secret, too long ago, or signed and then given a second stamp."""
    content_type = draw(content_types)
    how = draw(st.sampled_from(["wrong secret", "stale", "second stamp"]))
    if how == "wrong secret":
        return signed(body, content_type, secret="wrong-secret")
    if how == "stale":
        stamp = str(int(time.time()) - 301).encode()
        good = signed(body, content_type)
        return [(b"X-Slack-Request-Timestamp", stamp), *good[1:]]
    # Of a repeated header the last one counts, for the check and for Bolt alike.
    return [*signed(body, content_type), (b"X-Slack-Request-Timestamp", draw(timestamps))]


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def stored(slack: SlackHarness) -> tuple[int, ...]:
    with slack.baton.database.reading() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(row)) or 0
            for row in (LeadRow, EventRow, OutboxRow)
        )


def post(slack: SlackHarness, body: bytes, headers: Headers) -> httpx.Response:
    return slack.http.post("/slack/events", content=body, headers=headers)


SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@SETTINGS
@given(body=bodies, data=st.data())
def test_a_request_that_fails_verification_is_refused_whatever_it_holds(
    slack: SlackHarness, body: bytes, data: st.DataObject
) -> None:
    headers = data.draw(forged_headers() | almost_signed(body))
    before, calls = stored(slack), len(slack.standin.calls)
    answer = post(slack, body, headers)
    assert answer.status_code == 401, (answer.status_code, answer.text)
    assert stored(slack) == before
    assert len(slack.standin.calls) == calls


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@SETTINGS
@given(body=bodies, content_type=content_types)
def test_a_signed_request_is_never_answered_with_a_server_error(
    slack: SlackHarness, body: bytes, content_type: bytes | None
) -> None:
    answer = post(slack, body, signed(body, content_type))
    assert answer.status_code < 500, (answer.status_code, answer.text)
    assert answer.status_code != 401


def test_an_unsigned_request_with_a_broken_stamp_or_body_is_refused_not_failed(
    slack: SlackHarness,
) -> None:
    for body, headers in [
        (b"payload=%7B", [(b"X-Slack-Request-Timestamp", b"soon")]),
        (b"{not json", [(b"Content-Type", b"application/json")]),
        (b"[" * 100_000, [(b"X-Slack-Request-Timestamp", b"9" * 5000)]),
        (b"\xff\xfe", [(b"X-Slack-Signature", "v0=é".encode())]),
    ]:
        answer = post(slack, body, headers)
        assert (answer.status_code, answer.json()) == (401, {"error": "invalid request"})


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", b"application/json"),
        (b"payload=%7B", b"application/x-www-form-urlencoded"),
        (b"payload=%5B1%2C2%5D", b"application/x-www-form-urlencoded"),
        (b"[1, 2]", b"application/json"),
        (b"[" * 100_000 + b"]" * 100_000, b"application/json"),
        (b"\xff\xfe{}", b"application/json"),
        (b'{"team": 5}', b"application/json"),
        # Bolt reads a submitted view's type, and the step of a workflow step being edited.
        (b'{"type": "view_submission", "view": {"callback_id": "x"}}', b"application/json"),
        (b'{"type": "workflow_step_edit", "callback_id": "x"}', b"application/json"),
    ],
)
def test_a_signed_body_that_cannot_be_parsed_is_a_bad_request(
    slack: SlackHarness, body: bytes, content_type: bytes
) -> None:
    answer = post(slack, body, signed(body, content_type))
    assert (answer.status_code, answer.json()) == (400, {"error": "the body cannot be parsed"})
    assert slack.standin.calls == []


def test_slack_s_url_verification_is_answered_with_its_challenge(slack: SlackHarness) -> None:
    body = json.dumps({"type": "url_verification", "token": "t", "challenge": "c-123"}).encode()
    answer = post(slack, body, signed(body, b"application/json"))
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "c-123"}


def test_a_signed_command_is_still_acked_at_once_and_answered(slack: SlackHarness) -> None:
    answer = slack.command(MANAGER, "help", channel=EMEA)
    assert (answer.status_code, answer.text) == (200, "")
    assert slack.standin.wait_for(lambda: slack.standin.calls_to("chat.postEphemeral") != [])
