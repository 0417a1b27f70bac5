"""Any JSON body gets a 2xx or 4xx answer, never a 5xx, and never a half-stored lead."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import Baton
from bot.web import create_web_app
from storage.rows import ActivityRow, EventRow, LeadRow, OutboxRow
from tests.conftest import INTAKE_TOKEN

FIELDS = [
    "email",
    "first_name",
    "company",
    "country",
    "score",
    "region",
    "activity",
    "external_id",
    "source",
]
scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
emails = st.sampled_from(["a@b.example", "bad", "", "x@y.example"])
leads = st.fixed_dictionaries(
    {}, optional={name: values for name in FIELDS}
) | st.fixed_dictionaries(
    {"email": emails}, optional={"score": values, "region": values, "activity": values}
)
bodies = leads | st.fixed_dictionaries({"leads": st.lists(leads, max_size=4)}) | values


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies)
def test_any_json_body_gets_a_clear_answer_and_nothing_half_stored(
    baton: Baton, body: object
) -> None:
    client = TestClient(create_web_app(baton), raise_server_exceptions=False)
    with baton.database.reading() as session:
        before = session.scalar(select(func.count()).select_from(LeadRow))
    answer = client.post(
        "/intake/leads",
        content=json.dumps(body),
        headers={"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"},
    )
    assert answer.status_code < 500, answer.text
    with baton.database.reading() as session:
        after = session.scalar(select(func.count()).select_from(LeadRow))
    if answer.status_code == 202:
        created = [r for r in answer.json()["leads"] if r["result"] == "created"]
        assert after - before == len({r["id"] for r in created})
    else:
        assert after == before


# Raw bodies and headers: anything a client can send, JSON or not, well-formed or not.
json_texts = bodies.map(lambda body: json.dumps(body).encode())
raw_bodies = st.one_of(
    st.binary(max_size=200),
    json_texts,
    json_texts.map(lambda text: text.decode().encode("utf-16")),
    st.integers(1, 5000).map(
        lambda n: b'{"email": "a@b.example", "x": ' + b"[" * n + b"]" * n + b"}"
    ),
    st.integers(4000, 6000).map(lambda n: b'{"email": "a@b.example", "score": ' + b"9" * n + b"}"),
    st.sampled_from(FIELDS).map(
        lambda name: json.dumps({"email": "a@b.example", name: "a\0b"}).encode()
    ),
    st.just(b'{"email": "a@b.example", "company": "\\ud800"}'),
    st.just(
        b'{"leads": [' + b'{"email": "same@b.example"},' * 3 + b'{"email": "SAME@b.example"}]}'
    ),
)
# What HTTP lets a header value hold: visible ASCII, spaces and bytes above 0x7F.
header_values = st.binary(max_size=40).map(
    lambda raw: bytes(b for b in raw if 0x20 <= b <= 0x7E or b >= 0x80).strip()
)
BEARER = f"Bearer {INTAKE_TOKEN}".encode()
# Mostly the right token and a JSON type, so that most bodies are read.
authorizations = st.one_of(
    st.just(BEARER),
    st.just(BEARER),
    st.just(f"bearer  {INTAKE_TOKEN} ".encode()),
    st.sampled_from([None, b"Bearer nope", b"Basic " + INTAKE_TOKEN.encode()]) | header_values,
)
media_types = st.one_of(
    st.just(b"application/json"),
    st.just(b"application/json"),
    st.sampled_from([b"application/json; charset=utf-8", b"application/vnd.api+json"]),
    st.sampled_from([None, b"text/plain", b"application/x-www-form-urlencoded"]) | header_values,
)


@pytest.fixture
def client(baton: Baton) -> TestClient:
    return TestClient(create_web_app(baton), raise_server_exceptions=False)


def stored_rows(baton: Baton) -> dict[str, int]:
    with baton.database.reading() as session:
        return {
            row.__tablename__: session.scalar(select(func.count()).select_from(row)) or 0
            for row in (LeadRow, EventRow, ActivityRow, OutboxRow)
        }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=raw_bodies, authorization=authorizations, media_type=media_types)
def test_any_bytes_with_any_headers_get_a_clear_answer_on_either_database(
    baton: Baton,
    client: TestClient,
    body: bytes,
    authorization: bytes | None,
    media_type: bytes | None,
) -> None:
    headers = [(b"Authorization", authorization)] if authorization is not None else []
    headers += [(b"Content-Type", media_type)] if media_type is not None else []
    before = stored_rows(baton)
    answer = client.post("/intake/leads", content=body, headers=headers)
    assert answer.status_code < 500, answer.text
    assert answer.status_code in (202, 400, 401, 415, 422), answer.text
    after = stored_rows(baton)
    if answer.status_code != 202:
        assert after == before
        assert answer.json()["error"]
        return
    results = answer.json()["leads"]
    created = {r["id"] for r in results if r["result"] == "created"}
    assert after["leads"] - before["leads"] == len(created)
    assert len(created) == len([r for r in results if r["result"] == "created"])
