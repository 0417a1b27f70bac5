"""`GET /report`: the report's JSON for BI tools, behind its own bearer token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.app import Baton
from bot.domain.report import GroupBy
from bot.domain.report_data import report_json
from bot.services.report import ReportQuery, closed_loop_report
from bot.web import create_web_app
from tests.bot.services.test_report import story  # noqa: F401  (a fixture)

TOKEN = "report-token-0123456789"


def client(baton: Baton, token: str | None = TOKEN) -> TestClient:
    secret = SecretStr(token) if token else None
    baton.settings = baton.settings.model_copy(update={"baton_report_token": secret})
    return TestClient(create_web_app(baton))


def get(baton: Baton, path: str, token: str | None = TOKEN, given: str | None = TOKEN):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {given}"} if given else {}
    return client(baton, token).get(path, headers=headers)


@pytest.mark.usefixtures("story")
def test_the_report_api_answers_the_same_json_as_the_report(baton: Baton) -> None:
    answer = get(baton, "/report?by=region&since=2026-11-20&until=2026-11-23")
    assert answer.status_code == 200
    document = answer.json()
    query = ReportQuery(
        by=GroupBy.REGION,
        since=document_time("2026-11-20"),
        until=document_time("2026-11-24"),
    )
    expected = report_json(
        closed_loop_report(
            query, reader=baton.report_reader, config=baton.config, clock=baton.clock
        )
    )
    assert document == expected
    assert document["total"]["leads"]["received"] == 3  # 20 to 23 November, UTC days


def test_the_report_api_is_off_without_its_token(baton: Baton) -> None:
    answer = get(baton, "/report", token=None)
    assert answer.status_code == 503
    assert "BATON_REPORT_TOKEN" in answer.json()["error"]


def test_the_report_api_wants_the_right_bearer_token(baton: Baton) -> None:
    assert get(baton, "/report", given=None).status_code == 401
    refused = get(baton, "/report?by=nonsense", given="wrong")
    assert refused.status_code == 401  # strangers learn nothing, not even what is malformed
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_the_report_api_says_what_is_wrong_with_a_query(baton: Baton) -> None:
    assert "one of campaign" in get(baton, "/report?by=country").json()["error"]
    answer = get(baton, "/report?since=yesterday")
    assert answer.status_code == 422
    assert "2026-03-01..2026-03-31" in answer.json()["error"]


def document_time(day: str):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromisoformat(day).replace(tzinfo=UTC)
