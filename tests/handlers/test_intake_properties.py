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
from storage.rows import LeadRow
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
