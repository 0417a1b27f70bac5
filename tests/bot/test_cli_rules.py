"""`baton rules` and the live lead definition: version 1 from the config file, proposals
from the command line, backtests, and every way in qualifying by the live version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import Baton
from bot.cli import main
from bot.domain.definitions import DEFINITION_VERSION
from bot.domain.proposals import Approve, ProposalStatus, Side
from bot.services.rules import decide_proposal
from bot.web import create_web_app
from storage.rows import EventRow, LeadRow
from tests.bot.test_cli import BATON_VARIABLES
from tests.conftest import EXAMPLE_CONFIG, INTAKE_TOKEN

AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}"}
MARKETER = "U0MKTG0002"  # marketing only
EMEA_MANAGER = "U0EMEAMGR1"
STRICTER = """\
# Raise the bar: the returns say too many weak leads got through.
lead_definition:
  min_score: 70
  required_fields: [email, company]
  source_rules:
    trade_show:
      min_score: null
      required_fields: [email, first_name, last_name, company]
"""


@pytest.fixture
def environment(
    baton: Baton, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> pytest.MonkeyPatch:
    """`baton` pointed at the test's database, with no stray .env file."""
    monkeypatch.chdir(tmp_path)
    for name in BATON_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", baton.database.url)
    monkeypatch.setenv("BATON_CONFIG", str(EXAMPLE_CONFIG))
    return monkeypatch


def baton_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def written(tmp_path: Path, text: str, name: str = "rules.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def intake(baton: Baton, *leads: dict[str, Any]) -> list[dict[str, str]]:
    answer = TestClient(create_web_app(baton)).post(
        "/intake/leads", json={"leads": list(leads)}, headers=AUTH
    )
    assert answer.status_code == 202, answer.text
    results: list[dict[str, str]] = answer.json()["leads"]
    return results


def versions_of(baton: Baton) -> dict[str, tuple[str, int | None]]:
    """Each lead's status and the version its row records, by email."""
    with baton.database.reading() as session:
        rows = session.execute(select(LeadRow.email, LeadRow.status, LeadRow.definition_version))
        return {email: (status, version) for email, status, version in rows}


def qualification_versions(baton: Baton, email: str) -> list[tuple[str, int | None]]:
    """The kind of each qualification event of a lead and the version its data names."""
    with baton.database.reading() as session:
        rows = session.execute(
            select(EventRow.kind, EventRow.data)
            .join(LeadRow, LeadRow.id == EventRow.lead_id)
            .where(LeadRow.email == email, EventRow.kind.in_(["received", "qualified"]))
            .order_by(EventRow.id)
        )
        return [(kind, (data or {}).get(DEFINITION_VERSION)) for kind, data in rows]


def approve_as_sales(baton: Baton) -> None:
    [proposal] = [p for p in baton.rules_reader.proposals() if p.is_open]
    assert proposal.id is not None
    decide_proposal(
        proposal.id,
        Approve(),
        actor=EMEA_MANAGER,
        config=baton.config,
        uow_factory=baton.uow_factory,
        clock=baton.clock,
    )


@pytest.mark.usefixtures("environment")
def test_history_makes_the_config_files_definition_version_1(
    baton: Baton, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = baton_cli(capsys, "rules", "history")
    assert code == 0
    assert out.startswith("Version 1 (live), in effect since ")
    assert "  a score of at least 50; requires email, company\n" in out
    assert "  proposed by the config file; approved for marketing by -, for sales by -" in out
    assert out.rstrip().endswith("No proposal is open.")
    live = baton.rules_reader.live()
    assert live is not None and live.number == 1 and live.rules.min_score == 50


@pytest.mark.usefixtures("environment")
def test_a_proposal_from_the_command_line_needs_both_sides_and_one_by_marketing_needs_sales(
    baton: Baton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = written(tmp_path, STRICTER)
    code, out, _ = baton_cli(capsys, "rules", "propose", rules, "--why", "Too many returns")
    assert code == 0
    assert out.startswith("Proposal 1 is stored, proposed by the command line.")
    assert "waiting for marketing and a sales manager" in out
    [proposal] = baton.rules_reader.proposals()
    assert proposal.approvals == () and proposal.waiting_for == (Side.MARKETING, Side.SALES)
    assert proposal.rules.min_score == 70 and proposal.why == "Too many returns"

    code, _, err = baton_cli(capsys, "rules", "propose", rules, "--why", "Again")
    assert code == 1
    assert err == (
        "baton: Proposal 1 by the command line is still open: approve or reject it first "
        "(one proposal at a time).\n"
    )
    assert len(baton.rules_reader.proposals()) == 1


@pytest.mark.usefixtures("environment")
def test_a_proposal_by_a_marketer_counts_as_marketings_approval(
    baton: Baton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = written(tmp_path, STRICTER)
    code, out, _ = baton_cli(
        capsys, "rules", "propose", rules, "--why", "Returns", "--by", MARKETER
    )
    assert code == 0
    assert "approved: marketing by U0MKTG0002; waiting for a sales manager" in out
    [proposal] = baton.rules_reader.proposals()
    assert proposal.status is ProposalStatus.MARKETING_APPROVED
    code, _, err = baton_cli(capsys, "rules", "propose", rules, "--why", "Again")
    assert (code, err) == (
        1,
        "baton: Proposal 1 by U0MKTG0002 is still open: approve or reject it first "
        "(one proposal at a time).\n",
    )


BAD_FILES = {
    "no lead_definition section": (
        "currency: USD\n",
        "no lead_definition section: write the rules under `lead_definition:`",
    ),
    "invalid YAML": ("lead_definition: [\n", "invalid YAML"),
    "a score out of range": (
        "lead_definition:\n  min_score: 150\n  required_fields: [email]\n",
        "lead_definition.min_score: input should be less than or equal to 100",
    ),
    "an unknown field": (
        "lead_definition:\n  min_score: 50\n  required_fields: [email, fax]\n",
        "lead_definition.required_fields[1]:",
    ),
    "an unknown key": (
        "lead_definition:\n  min_score: 50\n  required_fields: [email]\n  minimum: 3\n",
        "lead_definition.minimum: unknown key",
    ),
    "an empty file": ("", "the file is empty"),
}


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("action", ["propose", "backtest"])
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_rules_file_is_refused_in_one_line_and_nothing_is_written(
    baton: Baton, tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str, case: str
) -> None:
    text, expected = BAD_FILES[case]
    rules = written(tmp_path, text)
    extra = ["--why", "Because"] if action == "propose" else []
    code, out, err = baton_cli(capsys, "rules", action, rules, *extra)
    assert code == 2 and out == ""
    assert err.startswith(f"baton: {rules}: ") and expected in err
    assert err.count("\n") == 1
    assert baton.rules_reader.proposals() == []


BAD_ARGUMENTS = {
    "a missing file": (
        ["propose", "{tmp}/missing.yaml", "--why", "x"],
        "baton: {tmp}/missing.yaml: no such file",
    ),
    "an empty why": (
        ["propose", "{rules}", "--why", "  "],
        "baton: --why is empty: say why the definition should change; both teams read it",
    ),
    "a proposer on neither team": (
        ["propose", "{rules}", "--why", "x", "--by", "U0STRANGER"],
        "baton: --by U0STRANGER is neither a marketing user nor a sales manager",
    ),
    "the live rules again": (
        ["propose", "{same}", "--why", "x"],
        "baton: Those are the rules of version 1, the live one: change something first.",
    ),
    "a period that ends before it starts": (
        ["backtest", "{rules}", "--since", "2026-05-01", "--until", "2026-04-01"],
        "baton: The period ends (2026-04-01) before it starts (2026-05-01).",
    ),
}


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments_are_refused_in_one_line_and_nothing_is_written(
    baton: Baton, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    argv, expected = BAD_ARGUMENTS[case]
    same = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    names = {"tmp": str(tmp_path), "rules": written(tmp_path, STRICTER)}
    names["same"] = written(tmp_path, same, "same.yaml")
    code, out, err = baton_cli(capsys, "rules", *[arg.format(**names) for arg in argv])
    assert code == 2 and out == ""
    assert err.startswith(expected.format(**names)) and err.count("\n") == 1
    assert baton.rules_reader.proposals() == []


@pytest.mark.usefixtures("environment")
def test_every_way_in_qualifies_by_the_live_version_and_records_it(
    baton: Baton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scored_60 = {"company": "Acme", "score": 60}
    intake(baton, {"email": "early@acme.example", **scored_60})
    assert versions_of(baton)["early@acme.example"] == ("pending", 1)

    rules = written(tmp_path, STRICTER)
    assert baton_cli(capsys, "rules", "propose", rules, "--why", "x", "--by", MARKETER)[0] == 0
    approve_as_sales(baton)

    intake(baton, {"email": "late@acme.example", **scored_60})
    csv_file = tmp_path / "show.csv"
    csv_file.write_text("email,company,score\nlisted@acme.example,Acme,65\n", encoding="utf-8")
    code, _, _ = baton_cli(capsys, "import", str(csv_file))
    assert code == 0
    leads = versions_of(baton)
    assert leads["early@acme.example"] == ("pending", 1)  # it keeps the version that qualified it
    assert leads["late@acme.example"] == ("nurture", 2)
    assert leads["listed@acme.example"] == ("nurture", 2)

    # Re-qualified with a better score: the new qualification names the version it used.
    intake(baton, {"email": "late@acme.example", "company": "Acme", "score": 80})
    assert versions_of(baton)["late@acme.example"] == ("pending", 2)
    assert qualification_versions(baton, "late@acme.example") == [
        ("received", 2),
        ("qualified", 2),
    ]
    assert qualification_versions(baton, "early@acme.example") == [("received", 1)]


@pytest.mark.usefixtures("environment")
def test_config_check_says_which_version_is_live_and_how_the_file_differs(
    baton: Baton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = baton_cli(capsys, "config", "check")
    assert code == 0
    assert "Lead definition: no version yet; the file's becomes version 1 when Baton starts." in out
    baton_cli(capsys, "rules", "history")
    code, out, _ = baton_cli(capsys, "config", "check")
    assert "Lead definition: version 1 is live (since " in out
    assert "The config file's lead_definition is the same as the live version." in out

    baton_cli(
        capsys, "rules", "propose", written(tmp_path, STRICTER), "--why", "x", "--by", MARKETER
    )
    approve_as_sales(baton)
    code, out, _ = baton_cli(capsys, "config", "check")
    assert code == 0
    assert "Lead definition: version 2 is live (since " in out
    assert "The config file's lead_definition differs from version 2 (live → file)" in out
    assert "  minimum score: 70 → 50\n" in out


@pytest.mark.usefixtures("environment")
def test_backtest_reads_as_a_sentence_and_as_json_with_the_same_counts(
    baton: Baton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    intake(
        baton,
        {"email": "a@x.example", "company": "A", "score": 55, "source": "web"},
        {"email": "b@x.example", "company": "B", "score": 65, "source": "web"},
        {"email": "c@x.example", "company": "C", "score": 90, "source": "webinar"},
        {"email": "d@x.example", "score": 90, "source": "webinar"},  # no company: nurture
    )
    rules = written(tmp_path, STRICTER)
    code, out, _ = baton_cli(capsys, "rules", "backtest", rules)
    assert code == 0
    assert out.startswith(
        "Raising the minimum score to 70 would have held back 2 of 4 leads: none of them was "
        "returned, none of them was won.\n"
    )
    assert "against live version 1." in out
    assert "sales-ready              3           1" in out
    assert "nurture                  1           3" in out

    code, out, _ = baton_cli(capsys, "rules", "backtest", rules, "--json", "--since", "2020-01-01")
    assert code == 0
    data = json.loads(out)
    assert data["live_version"] == 1 and data["proposal"]["min_score"] == 70
    assert data["total"]["verdicts"] == {
        "both_sales_ready": 1,
        "both_nurture": 1,
        "held_back": 2,
        "let_through": 0,
    }
    by_source = {group["group"]: group["verdicts"]["held_back"] for group in data["by_source"]}
    assert by_source == {"web": 2, "webinar": 0}
    assert data["since"].startswith("2020-01-01T00:00:00")

    code, out, _ = baton_cli(capsys, "rules", "backtest", rules, "--until", "2020-01-01")
    assert out.startswith("No lead was received in the period")


@pytest.mark.usefixtures("environment")
def test_route_explains_by_the_live_version_and_stores_nothing(
    baton: Baton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text(
        json.dumps({"email": "jane@acme.example", "company": "Acme", "country": "DE", "score": 60})
    )
    code, out, _ = baton_cli(capsys, "route", str(lead))
    assert code == 0 and "qualifies as pending (sales-ready): score 60 ≥ 50" in out
    assert "Qualified by version" not in out  # no version stored yet: the config file's
    assert baton.rules_reader.live() is None

    baton_cli(
        capsys, "rules", "propose", written(tmp_path, STRICTER), "--why", "x", "--by", MARKETER
    )
    approve_as_sales(baton)
    code, out, _ = baton_cli(capsys, "route", str(lead))
    assert code == 0
    assert out.startswith("Qualified by version 2 of the lead definition, the live one.\n")
    assert "qualifies as nurture (stays with marketing): score 60 is below 70" in out
    assert versions_of(baton) == {}
