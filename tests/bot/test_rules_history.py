"""The lead definition's versions over a generated year of leads, through the product's doors:
`baton rules backtest` reconciles exactly with a recount made lead by lead from the truth the
history was generated with, and `baton report --by definition` and `GET /report` compare the
versions that qualified them."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from baton_devkit.histories import GeneratedLead, generate, store
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.app import Baton
from bot.cli import main
from bot.domain.definitions import DefinitionVersion, first_version, rules_data
from bot.web import create_web_app
from storage.db import Database
from storage.definitions import SqlRules
from tests.bot.test_cli_rules import environment  # noqa: F401  (a fixture)
from tests.recount import recount
from tests.storage.test_backtest_read import ERAS, LIVE, PROPOSAL, START, YEAR

REPORT_TOKEN = "report-token-for-tests"


@pytest.fixture(scope="module")
def history() -> list[GeneratedLead]:
    return list(generate(1_500, eras=ERAS, start=START, span=YEAR, seed=1207))


@pytest.fixture
def stored(database: Database, history: list[GeneratedLead]) -> Database:
    """The history, with the two versions that qualified it as the store keeps them."""
    with database.engine.begin() as connection:
        store(connection, history, chunk=400)
    first, second = ERAS
    with SqlRules(database).changing() as rules:
        rules.seed(first_version(first.rules, at=first.since))
        rules.add_version(
            DefinitionVersion(
                number=second.version,
                rules=second.rules,
                why="a higher bar",
                proposed_by="U0MKTG0001",
                marketing_approver="U0MKTG0001",
                sales_approver="U0EMEAMGR1",
                took_effect_at=second.since,
            )
        )
    return database


def proposal_file(tmp_path: Path) -> str:
    path = tmp_path / "proposal.yaml"
    path.write_text(yaml.safe_dump({"lead_definition": rules_data(PROPOSAL)}), encoding="utf-8")
    return str(path)


def backtest_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code = main(["rules", "backtest", *argv, "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    data: dict[str, Any] = json.loads(out)
    return data


def figures(data: dict[str, Any]) -> dict[str, Any]:
    """The JSON's figures in the recount's shape."""
    return {
        "total": _group(data["total"]),
        "by_source": {group["group"]: _group(group) for group in data["by_source"]},
        "by_campaign": {group["group"]: _group(group) for group in data["by_campaign"]},
    }


def _group(group: dict[str, Any]) -> dict[str, Any]:
    verdicts = group["verdicts"]
    return {
        "both_sales_ready": verdicts["both_sales_ready"],
        "both_nurture": verdicts["both_nurture"],
        "held_back": _fates(group["held_back"]),
        "let_through": _fates(group["let_through"]),
        "came_back": _fates(group["came_back"]),
    }


def _fates(fates: dict[str, Any]) -> dict[str, Any]:
    return {
        **fates,
        "returns_by_reason": Counter(fates["returns_by_reason"]),
        "won_revenue": Decimal(fates["won_revenue"]),
    }


@pytest.mark.usefixtures("environment")
def test_the_backtest_command_reconciles_exactly_with_a_recount_lead_by_lead(
    stored: Database,
    history: list[GeneratedLead],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rules = proposal_file(tmp_path)
    data = backtest_json(capsys, rules)
    assert data["live_version"] == 2
    assert figures(data) == recount(history, live=LIVE, proposal=PROPOSAL, currency="USD")
    assert data["total"]["verdicts"]["held_back"] and data["total"]["came_back"]["leads"]

    first_day, last_day = START + timedelta(days=90), START + timedelta(days=179)
    since, until = first_day.date().isoformat(), last_day.date().isoformat()
    period = backtest_json(capsys, rules, "--since", since, "--until", until)
    expected = recount(
        history,
        live=LIVE,
        proposal=PROPOSAL,
        currency="USD",
        since=first_day,
        until=last_day + timedelta(days=1),
    )
    assert figures(period) == expected
    assert 0 < sum(period["total"]["verdicts"].values()) < len(history)


@pytest.mark.usefixtures("environment")
def test_the_report_by_definition_compares_the_versions_in_every_door(
    stored: Database,
    history: list[GeneratedLead],
    baton: Baton,
    capsys: pytest.CaptureFixture[str],
) -> None:
    received = Counter(str(lead.truth.definition_version) for lead in history)
    assert main(["report", "--by", "definition", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {g["group"]: g["leads"]["received"] for g in data["groups"]} == dict(received)

    assert main(["report", "--by", "definition"]) == 0
    table = capsys.readouterr().out
    assert "Per version of the lead definition:" in table
    for number in ("1", "2"):
        [line] = [line for line in table.splitlines() if line.startswith(f"  version {number}:")]
        assert "sales-ready" in line and "win rate" in line and "time to accept" in line

    baton.settings = baton.settings.model_copy(
        update={"baton_report_token": SecretStr(REPORT_TOKEN)}
    )
    answer = TestClient(create_web_app(baton)).get(
        "/report", params={"by": "definition"}, headers={"Authorization": f"Bearer {REPORT_TOKEN}"}
    )
    assert answer.status_code == 200
    assert answer.json()["groups"] == data["groups"]
