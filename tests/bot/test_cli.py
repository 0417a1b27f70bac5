"""The `baton` command as an admin runs it: environment in, text out, an exit status."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from baton_devkit.standin import SlackStandIn
from fastapi.testclient import TestClient

from bot.app import build_baton
from bot.cli import main
from bot.web import create_web_app
from config.model import BatonConfig
from config.settings import load_settings
from tests.conftest import EXAMPLE_CONFIG, INTAKE_TOKEN
from tests.fakes.slack import BOT_TOKEN, standin_for

EMEA = "C0EMEA0001"
BATON_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "DATABASE_URL",
    "BATON_CONFIG",
    "BATON_INTAKE_TOKEN",
    "BATON_REPORT_TOKEN",
    "PORT",
    "HOST",
    "LOG_LEVEL",
)


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment for `baton`: a SQLite file not yet created, the example config."""
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    for name in BATON_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "baton.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("BATON_CONFIG", str(EXAMPLE_CONFIG))
    monkeypatch.setenv("BATON_INTAKE_TOKEN", INTAKE_TOKEN)
    return path


def baton_says(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_json(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "lead.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


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


def stored_leads(*leads: dict[str, Any]) -> list[str]:
    """Take leads in through the intake API, as a running Baton would, and return their ids."""
    baton = build_baton(load_settings(env_file=None))
    try:
        client = TestClient(create_web_app(baton))
        answer = client.post(
            "/intake/leads",
            json={"leads": list(leads)},
            headers={"Authorization": f"Bearer {INTAKE_TOKEN}"},
        )
        assert answer.status_code == 202
        return [result["id"] for result in answer.json()["leads"]]
    finally:
        baton.database.dispose()


# baton route ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {},
            [
                "qualifies as pending (sales-ready)",
                "routes to emea",
                "posted to C0EMEA0001 mentioning manager U0EMEAMGR1",
            ],
        ),
        (
            {"country": "SG"},
            ["qualifies as pending (sales-ready)", "routes to apac", "DM to manager U0APACMGR1"],
        ),
        ({"score": 20}, ["qualifies as nurture (stays with marketing)", "score 20 is below 50"]),
    ],
    ids=["emea-channel", "apac-dm", "nurture"],
)
def test_route_explains_the_verdict_region_and_manager_and_stores_nothing(
    database_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fields: dict[str, Any],
    expected: list[str],
) -> None:
    code, out, _ = baton_says(capsys, "route", str(write_json(tmp_path, lead(**fields))))
    assert code == 0
    assert "jane@acme.example" in out
    for words in expected:
        assert words in out
    assert not database_file.exists() or database_file.stat().st_size == 0


def test_route_names_the_bad_field_of_an_invalid_lead(
    database_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = {"leads": [lead(), lead(email="not-an-email", score="high")]}
    code, out, _ = baton_says(capsys, "route", str(write_json(tmp_path, document)))
    assert code == 1
    assert "lead 2: email" in out
    assert "lead 2: score" in out
    assert not database_file.exists() or database_file.stat().st_size == 0


def test_route_refuses_a_file_nested_too_deep_or_not_json_saying_why(
    database_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"email": "a@b.example", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code, _, err = baton_says(capsys, "route", str(deep))
    assert (code, err) == (1, f"baton: {deep} nests deeper than 64 levels\n")
    broken = tmp_path / "broken.json"
    broken.write_text('{"email": ')
    code, _, err = baton_says(capsys, "route", str(broken))
    assert code == 1 and err.startswith(f"baton: {broken} is not valid JSON: Expecting value")


# baton db upgrade, lead show, leads list -----------------------------------------------------


def test_stored_leads_are_shown_by_id_and_listed_by_status(
    database_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = baton_says(capsys, "db", "upgrade")
    assert code == 0
    assert "empty" in out
    pending, nurture = stored_leads(lead(), lead(email="sam@globex.example", score=10))

    code, out, _ = baton_says(capsys, "lead", "show", pending.lower())
    assert code == 0
    assert out.startswith(f"{pending}  pending  round 1")
    assert "region: emea" in out
    assert "received" in out and "sales-ready" in out
    assert "handoff" in out and "pending" in out

    code, out, _ = baton_says(capsys, "leads", "list", "--status", "pending")
    assert code == 0
    assert pending in out and nurture not in out
    assert "1 waiting" in out

    code, out, _ = baton_says(capsys, "leads", "list")
    assert pending in out and nurture in out


def test_lead_show_refuses_an_unknown_or_malformed_id(
    database_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baton_says(capsys, "db", "upgrade")
    code, _, err = baton_says(capsys, "lead", "show", "L-ZZZZZ")
    assert code == 1
    assert "there is no lead L-ZZZZZ" in err
    code, _, err = baton_says(capsys, "lead", "show", "lead-42")
    assert code == 1
    assert "look like L-7K3Q9" in err


def test_a_database_that_was_never_upgraded_is_refused_with_what_to_run(
    database_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = baton_says(capsys, "leads", "list")
    assert code == 2
    assert "baton db upgrade" in err


# settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "argv", "named"),
    [
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, ["serve"], "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s3cret"}, ["serve"], "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, ["socket"], "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-a-user-token"}, ["leads", "list"], "SLACK_BOT_TOKEN"),
        ({"DATABASE_URL": "mysql://db.example/baton"}, ["leads", "list"], "DATABASE_URL"),
        ({"DATABASE_URL": "baton.db"}, ["db", "upgrade"], "DATABASE_URL"),
        ({"PORT": "eighty"}, ["serve"], "PORT"),
    ],
    ids=[
        "serve-no-secret",
        "serve-no-token",
        "socket-no-app-token",
        "user-token",
        "mysql-url",
        "bare-path",
        "port",
    ],
)
def test_a_missing_or_malformed_setting_stops_the_command_naming_it(
    database_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    argv: list[str],
    named: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    code, _, err = baton_says(capsys, *argv)
    assert code == 2
    assert named in err
    assert "Traceback" not in err


# baton import --------------------------------------------------------------------------------


def test_import_reports_a_bad_row_and_exits_1_storing_the_good_ones(
    database_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "show.csv"
    csv_file.write_text(
        "Email,First Name,Last Name,Company,Country\n"
        "jane@acme.example,Jane,Doe,Acme GmbH,DE\n"
        "not-an-email,Sam,Lee,Globex,US\n"
        "kai@lim.example,Kai,Lim,Lim Pte,SG\n",
        encoding="utf-8",
    )
    code, out, _ = baton_says(
        capsys,
        "import",
        str(csv_file),
        "--campaign",
        "tech-expo-berlin-2026",
        "--source",
        "trade_show",
    )
    assert code == 1
    assert "Rows not imported:" in out
    [reported] = [line.split(maxsplit=2) for line in out.splitlines() if line.split()[:1] == ["3"]]
    assert reported == ["3", "Email", "is not an email address"]
    code, out, _ = baton_says(capsys, "leads", "list")
    assert out.count("pending") == 2


# baton config check ------------------------------------------------------------------------


def check_against(
    standin: SlackStandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", standin.url)
    return baton_says(capsys, "config", "check")


def test_config_check_without_a_token_validates_the_file_only(
    database_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = baton_says(capsys, "config", "check")
    assert code == 0
    assert "OK (3 regions, 3 campaigns)" in out
    assert "SLACK_BOT_TOKEN" in out


def test_config_check_passes_when_every_user_and_channel_is_in_slack(
    database_file: Path,
    example_config: BatonConfig,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with standin_for(example_config) as standin:
        code, out, _ = check_against(standin, monkeypatch, capsys)
    assert code == 0
    assert "every configured user and channel exists" in out


def test_config_check_names_a_channel_baton_is_not_in_and_an_unknown_user(
    database_file: Path,
    example_config: BatonConfig,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    users = {"U0MKTG0001", "U0MKTG0002", "U0SALESVP1"}
    for region in example_config.regions:
        users |= {region.manager, *region.reps, *([region.backup] if region.backup else [])}
    channels = {"C0MKTG0001": "marketing", "C0TRIAGE01": "lead-triage", EMEA: "sales-emea"}
    channels["C0AMEAST01"] = "sales-americas-east"
    standin = SlackStandIn(
        users={u: f"Person {u}" for u in users - {"U0APACREP1"}},
        channels=channels,
        member_channels=set(channels) - {EMEA},
    )
    with standin:
        code, out, _ = check_against(standin, monkeypatch, capsys)
    assert code == 1
    assert "user U0APACREP1: user_not_found" in out
    assert f"channel {EMEA} (#sales-emea): Baton is not in it" in out
    assert "/invite @Baton" in out


def test_commands_print_no_migration_chatter(
    database_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["leads", "list"]) == 0
    out, err = capsys.readouterr()
    assert "alembic" not in out + err
    assert "Running upgrade" not in out + err


def test_baton_version_says_which_baton_this_is(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"baton {version('baton')}"
