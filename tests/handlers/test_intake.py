"""The intake API over HTTP against the ASGI app and a real database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app import Baton
from bot.web import create_web_app
from storage.rows import ActivityRow, EventRow, HandoffRoundRow, LeadRow, OutboxRow
from tests.conftest import INTAKE_TOKEN

AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}"}


@pytest.fixture
def client(baton: Baton) -> TestClient:
    return TestClient(create_web_app(baton))


def post(client: TestClient, body: Any, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post("/intake/leads", json=body, headers={**AUTH, **(headers or {})})


def lead(**fields: Any) -> dict[str, Any]:
    return {
        "email": "jane@acme.example",
        "first_name": "Jane",
        "last_name": "Doe",
        "company": "Acme GmbH",
        "country": "DE",
        "score": 80,
        "campaign": "spring-webinar-2026",
        "source": "webinar",
        **fields,
    }


def count(baton: Baton, row: type) -> int:
    with baton.database.reading() as session:
        return session.scalar(select(func.count()).select_from(row)) or 0


def stored(baton: Baton, email: str) -> LeadRow:
    with baton.database.reading() as session:
        row = session.scalars(select(LeadRow).where(LeadRow.email == email)).one()
        return row


def test_a_sales_ready_lead_is_stored_pending_with_its_handoff_queued(
    client: TestClient, baton: Baton
) -> None:
    answer = post(client, lead())
    assert answer.status_code == 202
    [result] = answer.json()["leads"]
    assert result["status"] == "pending"
    assert result["result"] == "created"
    assert result["id"].startswith("L-") and len(result["id"]) == 7
    row = stored(baton, "jane@acme.example")
    assert row.region == "emea"
    assert row.handoff_round == 1
    with baton.database.reading() as session:
        work = session.scalars(select(OutboxRow)).all()
        kinds = [event.kind for event in session.scalars(select(EventRow).order_by(EventRow.id))]
        rounds = session.scalars(select(HandoffRoundRow)).all()
    assert [(w.kind, w.lead_id, w.handoff_round) for w in work] == [("handoff", row.id, 1)]
    assert kinds == ["received"]
    assert [(r.round_no, r.region) for r in rounds] == [(1, "emea")]


def test_a_lead_below_the_minimum_score_stays_with_marketing_as_nurture(
    client: TestClient, baton: Baton
) -> None:
    answer = post(client, lead(score=20))
    assert answer.json()["leads"][0]["status"] == "nurture"
    row = stored(baton, "jane@acme.example")
    assert row.qualification_reason == "score 20 is below 50"
    assert count(baton, OutboxRow) == 0


@pytest.mark.parametrize(
    ("fields", "region"),
    [
        ({"country": "DE"}, "emea"),
        ({"country": "us", "state": "NY"}, "americas-east"),
        ({"country": "US", "state": "CA"}, None),
        ({"country": "SG"}, "apac"),
        ({"country": "BR"}, None),
        ({"country": "BR", "region": "APAC"}, "apac"),
    ],
)
def test_routing_follows_the_named_region_then_the_first_match_then_triage(
    client: TestClient, baton: Baton, fields: dict[str, str], region: str | None
) -> None:
    assert post(client, lead(**fields)).status_code == 202
    assert stored(baton, "jane@acme.example").region == region


def test_a_batch_returns_each_lead_in_order(client: TestClient) -> None:
    body = {"leads": [lead(email=f"p{i}@acme.example", score=90 - 30 * i) for i in range(3)]}
    results = post(client, body).json()["leads"]
    assert [r["status"] for r in results] == ["pending", "pending", "nurture"]
    assert len({r["id"] for r in results}) == 3


def test_without_the_right_token_nothing_is_taken(client: TestClient, baton: Baton) -> None:
    assert client.post("/intake/leads", json=lead()).status_code == 401
    wrong = post(client, lead(), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert count(baton, LeadRow) == 0


def test_a_body_over_one_mebibyte_is_refused(client: TestClient, baton: Baton) -> None:
    big = {"leads": [lead(email=f"p{i}@x.example", notes="n" * 9000) for i in range(120)]}
    answer = post(client, big)
    assert answer.status_code == 413
    assert count(baton, LeadRow) == 0


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    answer = client.post(
        "/intake/leads", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["error"]


def test_a_body_that_is_not_declared_json_is_refused(client: TestClient) -> None:
    answer = client.post(
        "/intake/leads", content=b"email=a@b.c", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert answer.status_code == 415


def post_raw(client: TestClient, body: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        "/intake/leads", content=body, headers={**AUTH, "Content-Type": "application/json"}
    )


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def stored_rows(baton: Baton) -> tuple[int, ...]:
    return tuple(count(baton, row) for row in (LeadRow, EventRow, ActivityRow, OutboxRow))


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "jane@acme.example", "tags": ' + nested(100_000) + "}",
        '{"email": "jane@acme.example", "tags": ' + nested(65) + "}",
        nested(100_000),
        '{"leads": [' + "{" * 10_000,
    ],
    ids=["100000-deep", "65-deep", "a-bare-array", "never-closed"],
)
def test_a_body_nested_too_deep_is_refused_before_it_is_parsed(
    client: TestClient, baton: Baton, body: str
) -> None:
    answer = post_raw(client, body.encode())
    assert answer.status_code == 400
    assert answer.json() == {"error": "the body nests deeper than 64 levels"}
    assert stored_rows(baton) == (0, 0, 0, 0)


def test_brackets_inside_text_do_not_count_as_nesting(client: TestClient, baton: Baton) -> None:
    answer = post(client, lead(notes="[" * 5000 + "{" * 5000, tags=[[["a]]]"]]]))
    assert answer.status_code == 202
    assert stored(baton, "jane@acme.example").notes.startswith("[[[")


def test_deep_but_allowed_nesting_is_ignored_or_refused_by_field(client: TestClient) -> None:
    deep = json.loads(nested(60))
    assert post(client, lead(tags=deep)).status_code == 202
    answer = post(client, lead(email="x@acme.example", notes=deep, activity=deep))
    assert answer.status_code == 422
    assert {(e["field"], e["error"]) for e in answer.json()["errors"]} == {
        ("notes", "must be text"),
        ("activity[0]", "Input should be a valid dictionary or instance of ActivityIn"),
    }


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("score", "9" * 5000, "Input should be less than or equal to 100"),
        ("score", "-" + "9" * 5000, "Input should be greater than or equal to 0"),
        ("phone", "9" * 5000, "String should have at most 100 characters"),
    ],
)
def test_a_number_with_thousands_of_digits_is_a_bad_field(
    client: TestClient, baton: Baton, field: str, value: str, error: str
) -> None:
    answer = post_raw(client, f'{{"email": "jane@acme.example", "{field}": {value}}}'.encode())
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"index": 0, "field": field, "error": error}]
    assert stored_rows(baton) == (0, 0, 0, 0)


def test_a_timestamp_with_thousands_of_digits_is_a_bad_field(client: TestClient) -> None:
    activity = '[{"type": "visit", "at": ' + "9" * 5000 + "}]"
    answer = post_raw(client, f'{{"email": "a@b.example", "activity": {activity}}}'.encode())
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["activity[0].at"]


TEXT_FIELDS = [
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "phone",
    "country",
    "state",
    "postal_code",
    "region",
    "campaign",
    "source",
    "notes",
    "external_id",
]


@pytest.mark.parametrize("field", [*TEXT_FIELDS, "activity[0].type", "activity[0].detail"])
def test_a_nul_character_in_any_text_field_is_refused_naming_the_lead_and_field(
    client: TestClient, baton: Baton, field: str
) -> None:
    bad = lead(email="bad@acme.example", activity=[{"type": "visit", "detail": "pricing"}])
    if field.startswith("activity"):
        bad["activity"][0][field.rsplit(".", 1)[1]] = "page\x00view"
    else:
        bad[field] = "bad\x00@acme.example" if field == "email" else "Acme\x00 GmbH"
    answer = post(client, {"leads": [lead(), bad]})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"index": 1, "field": field, "error": "must not contain a NUL character (\\u0000)"}
    ]
    assert stored_rows(baton) == (0, 0, 0, 0)


def test_the_same_person_three_times_in_a_batch_is_created_once_then_merged(
    client: TestClient, baton: Baton
) -> None:
    visits = [[{"type": "visit", "detail": f"page {i}"}] for i in range(3)]
    body = {
        "leads": [
            lead(email="jane@acme.example", activity=visits[0]),
            lead(email="JANE@acme.example", activity=visits[1]),
            lead(email="Jane@ACME.example", activity=visits[2]),
        ]
    }
    results = post(client, body).json()["leads"]
    assert [r["result"] for r in results] == ["created", "merged", "merged"]
    assert len({r["id"] for r in results}) == 1
    assert (count(baton, LeadRow), count(baton, ActivityRow), count(baton, OutboxRow)) == (1, 3, 1)


def test_a_stored_lead_named_twice_in_a_batch_is_merged_once(
    client: TestClient, baton: Baton
) -> None:
    first = post(client, lead(score=10)).json()["leads"][0]
    body = {
        "leads": [
            lead(score=90, activity=[{"type": "visit", "detail": "pricing"}]),
            lead(
                email="JANE@acme.example", score=90, activity=[{"type": "visit", "detail": "demo"}]
            ),
        ]
    }
    results = post(client, body).json()["leads"]
    assert results == [{"id": first["id"], "status": "pending", "result": "merged"}] * 2
    with baton.database.reading() as session:
        kinds = [e.kind for e in session.scalars(select(EventRow).order_by(EventRow.id))]
        work = [w.kind for w in session.scalars(select(OutboxRow))]
    assert kinds == ["received", "qualified", "handoff_started"]
    assert work == ["handoff"]
    assert count(baton, ActivityRow) == 2


def test_every_bad_field_of_every_bad_lead_is_named_and_nothing_is_stored(
    client: TestClient, baton: Baton
) -> None:
    body = {
        "leads": [
            lead(email="good@acme.example"),
            lead(email="not-an-email", score="high"),
            {"first_name": "No email"},
            lead(email="x@acme.example", region="mars", activity=[{"detail": "no type"}]),
        ]
    }
    answer = post(client, body)
    assert answer.status_code == 422
    errors = {(e["index"], e["field"]) for e in answer.json()["errors"]}
    assert errors == {
        (1, "email"),
        (1, "score"),
        (2, "email"),
        (3, "activity[0].type"),
        (3, "region"),
    }
    assert count(baton, LeadRow) == 0


def test_a_lead_naming_an_unknown_region_is_refused(client: TestClient, baton: Baton) -> None:
    answer = post(client, lead(region="mars"))
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"index": 0, "field": "region", "error": "no region named “mars”"}
    ]


def test_a_batch_over_a_thousand_leads_is_refused(client: TestClient, baton: Baton) -> None:
    body = {"leads": [{"email": f"p{i}@x.example"} for i in range(1001)]}
    answer = post(client, body)
    assert answer.status_code == 422
    assert "at most 1000" in answer.json()["error"]


def test_sending_the_same_lead_again_merges_without_a_second_handoff(
    client: TestClient, baton: Baton
) -> None:
    first = post(client, lead(external_id="crm-1")).json()["leads"][0]
    again = post(client, lead(external_id="crm-1")).json()["leads"][0]
    assert again == {"id": first["id"], "status": "pending", "result": "merged"}
    assert count(baton, LeadRow) == 1
    assert count(baton, OutboxRow) == 1
    assert count(baton, EventRow) == 1


def test_new_activity_for_an_open_lead_is_recorded_and_its_owner_told(
    client: TestClient, baton: Baton
) -> None:
    post(client, lead())
    activity = [{"type": "page_view", "at": "2026-11-23T10:00:00Z", "detail": "visited pricing"}]
    answer = post(client, lead(email="JANE@acme.example", activity=activity))
    assert answer.json()["leads"][0]["result"] == "merged"
    assert count(baton, ActivityRow) == 1
    with baton.database.reading() as session:
        kinds = sorted(w.kind for w in session.scalars(select(OutboxRow)))
        last = session.scalars(select(EventRow).order_by(EventRow.id.desc())).first()
    assert kinds == ["handoff", "owner_dm", "thread_note"]
    assert last.kind == "activity"
    assert stored(baton, "jane@acme.example").priority == 1


def test_a_nurtured_lead_that_comes_back_sales_ready_starts_a_handoff_round(
    client: TestClient, baton: Baton
) -> None:
    post(client, lead(score=10))
    again = post(client, lead(score=75)).json()["leads"][0]
    assert again["status"] == "pending"
    assert again["result"] == "merged"
    row = stored(baton, "jane@acme.example")
    assert (row.handoff_round, row.score) == (1, 75)


def test_the_same_email_twice_in_one_batch_is_one_lead(client: TestClient, baton: Baton) -> None:
    body = {"leads": [lead(), lead(email="Jane@Acme.example")]}
    results = post(client, body).json()["leads"]
    assert results[0]["id"] == results[1]["id"]
    assert count(baton, LeadRow) == 1


def test_more_than_ten_leads_for_one_region_become_a_batch(
    client: TestClient, baton: Baton
) -> None:
    body = {"leads": [lead(email=f"p{i}@acme.example") for i in range(11)]}
    post(client, body)
    assert baton.settle_new_leads() == 11  # what the delivery worker does first
    with baton.database.reading() as session:
        kinds = [w.kind for w in session.scalars(select(OutboxRow).order_by(OutboxRow.id))]
    assert kinds == ["batch_summary"] + ["handoff"] * 11


def test_intake_without_a_token_configured_answers_503(baton: Baton) -> None:
    baton.settings = baton.settings.model_copy(update={"baton_intake_token": None})
    answer = post(TestClient(create_web_app(baton)), lead())
    assert answer.status_code == 503
    assert answer.json()["error"].startswith("intake is not configured")


def test_health_reports_the_database_and_the_slack_backlog(client: TestClient) -> None:
    post(client, lead())
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    assert health.json()["slack"]["backlog"] == {"pending": 1}


def test_metrics_are_prometheus_text_without_personal_data(client: TestClient) -> None:
    post(client, lead())
    metrics = client.get("/metrics").text
    assert 'baton_leads{status="pending"} 1.0' in metrics
    assert "jane" not in metrics.lower()


def test_the_openapi_description_documents_intake(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/intake/leads" in spec["paths"]
    assert "LeadIn" in spec["components"]["schemas"]
