"""`baton report`: a table for people, CSV for finance, JSON for tools, from the same numbers."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import Baton
from bot.cli import main
from bot.domain.report import GroupBy
from bot.domain.report_data import COLUMNS, report_json
from bot.services.report import ReportQuery, closed_loop_report
from bot.web import create_web_app
from tests.bot.services.histories import Histories
from tests.bot.services.test_report import story  # noqa: F401  (a fixture)
from tests.bot.test_cli import BATON_VARIABLES
from tests.conftest import EXAMPLE_CONFIG, INTAKE_TOKEN

AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}"}


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


def baton_report(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("story")
def test_csv_has_a_row_per_group_and_a_total_in_the_documented_columns(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = baton_report(capsys, "--by", "region", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == COLUMNS
    by_group = {row["group"]: row for row in rows}
    assert list(by_group) == ["americas-east", "apac", "emea", "triage", "(total)"]
    emea = by_group["emea"]
    assert (emea["received"], emea["accepted"], emea["won"]) == ("2", "2", "1")
    assert emea["won_revenue"] == "12000.00" and emea["returned_not_a_fit"] == "1"
    assert emea["time_to_accept_median_hours"] == "3.5"
    assert by_group["triage"]["roi"] == ""  # organic leads cost nothing: no ROI
    total = by_group["(total)"]
    assert total["received"] == "6" and total["cost"] == "57000.00"
    assert sum(int(r["received"]) for g, r in by_group.items() if g != "(total)") == 6


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.usefixtures("story")
def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote_and_numbers_stay_numbers(
    environment: pytest.MonkeyPatch, baton: Baton, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = [
        '=HYPERLINK("http://evil.example","x")',
        "+1+2",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "a\r=1+1",
    ]
    intake = TestClient(create_web_app(baton))
    leads = [{"email": f"p{i}@x.example", "campaign": c} for i, c in enumerate(sent)]
    answer = intake.post("/intake/leads", json={"leads": leads}, headers=AUTH)
    assert answer.status_code == 202
    # Text that intake would trim, stored as it is by another way in.
    Histories(baton).lead(datetime_utc("2026-11-24"), campaign="\r=1+1")
    code, out, _ = baton_report(capsys, "--by", "campaign", "--format", "csv")
    assert code == 0
    rows = {row["group"]: row for row in csv.DictReader(io.StringIO(out, newline=""))}
    # Intake lower-cases campaign names and trims the tab off "\t=1+1".
    expected = ['\'=hyperlink("http://evil.example","x")', "'+1+2", "'-2+3", "'@sum(a1)", "'=1+1"]
    assert set(expected) | {"'\r=1+1", "a\r=1+1"} <= set(rows)
    assert out.count("\r\n") == 1 + len(rows)  # a carriage return in a name is in its cell
    cells = [cell for row in rows.values() for cell in row.values()]
    risky = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert risky and all(_is_number(cell) for cell in risky)
    assert rows["tech-expo-berlin-2026"]["roi"] == "-1.0000"


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except InvalidOperation:
        return False
    return True


@pytest.mark.usefixtures("story")
def test_json_is_the_report_as_the_service_makes_it(
    environment: pytest.MonkeyPatch, baton: Baton, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = baton_report(
        capsys,
        "--by",
        "campaign",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
        "--format",
        "json",
    )
    assert code == 0
    document = json.loads(out)
    query = ReportQuery(
        by=GroupBy.CAMPAIGN,
        since=datetime_utc("2026-11-01"),
        until=datetime_utc("2026-12-01"),
    )
    expected = report_json(
        closed_loop_report(
            query, reader=baton.report_reader, config=baton.config, clock=baton.clock
        )
    )
    document.pop("made_at"), expected.pop("made_at")
    assert document == expected
    assert document["since"] == "2026-11-01T00:00:00+00:00"
    assert set(document["total"]) == {
        "group",
        "leads",
        "returns_by_reason",
        "rates",
        "revenue",
        "speed",
        "cost",
    }
    assert document["total"]["cost"]["spend"] == "57000.00"


@pytest.mark.usefixtures("story")
def test_the_table_is_readable_and_says_what_it_counts(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = baton_report(capsys, "--by", "rep", "--rebuild")
    assert code == 0
    assert "Closed-loop report by rep: leads received at any time" in out
    lines = out.splitlines()
    assert any(line.startswith("U0EMEAREP1") for line in lines)
    assert any(line.startswith("(total)") for line in lines)
    assert "Returned by reason: not_a_fit 1, duplicate 1." in out


def test_a_period_that_ends_before_it_starts_is_refused(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = baton_report(capsys, "--since", "2026-03-31", "--until", "2026-03-01")
    assert code == 1
    assert "ends (2026-03-01) before it starts (2026-03-31)" in err
    with pytest.raises(SystemExit) as usage:
        main(["report", "--since", "March"])
    assert usage.value.code == 2


def datetime_utc(day: str):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromisoformat(day).replace(tzinfo=UTC)
