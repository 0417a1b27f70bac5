"""`baton route FILE` over a list of leads: how many go where and why, storing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bot.test_cli import baton_says, database_file, lead  # noqa: F401  (a fixture)

LEADS = [
    *(lead(email=f"de{i}@acme.example") for i in range(3)),
    lead(email="fr@acme.example", country="France"),
    lead(email="sg@lim.example", country="SG"),
    lead(email="br@acme.example", country="BR"),
    lead(email="low@acme.example", score=20),
    *(lead(email=f"b{i}@acme.example", score=None, source="badge") for i in range(2)),
]


def test_a_json_array_is_counted_by_region_triage_and_nurture_with_why(
    database_file: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "leads.json"
    path.write_text(json.dumps(LEADS), encoding="utf-8")
    code, out, _ = baton_says(capsys, "route", str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "leads.json: 9 leads would be taken in. Nothing was stored."
    assert any(line.startswith("  emea           4  sales-ready") for line in lines)
    assert "country DE (3); country FR (1)" in out
    assert "  apac           1  sales-ready, sent as a DM to manager U0APACMGR1" in out
    assert "  triage         1  sales-ready, posted to the triage channel" in out
    assert "no region matched (1)" in out
    assert (
        "  nurture        3  stay with marketing: no score, and source “badge” has no rule (2); "
        "score below 50 (1)"
    ) in out
    assert not database_file.exists() or database_file.stat().st_size == 0


def test_a_csv_file_is_read_as_an_import_reads_it_and_its_bad_rows_are_named(
    database_file: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "show.csv"
    path.write_text(
        "E-mail,Given Name,Surname,Organisation,Country/Region,Lead Source\n"
        "jane@acme.example,Jane,Doe,Acme GmbH,Germany,Trade Show\n"
        "kai@lim.example,Kai,Lim,Lim Pte,Singapore,trade-show\n"
        "not-an-email,Sam,Lee,Globex,US,trade_show\n"
        "zed@acme.example,Zed,,Acme GmbH,DE,trade_show\n",
        encoding="utf-8",
    )
    code, out, _ = baton_says(capsys, "route", str(path))
    assert code == 1
    assert "show.csv: 3 leads would be taken in; 1 problem (below). Nothing was stored." in out
    assert "emea           1  sales-ready" in out and "apac           1  sales-ready" in out
    assert "nurture        1  stay with marketing: missing last_name (1)" in out
    assert "Not valid:\n  row 4: E-mail: is not an email address" in out
    assert not database_file.exists() or database_file.stat().st_size == 0


def test_a_csv_file_without_an_email_column_is_refused(
    database_file: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "show.csv"
    path.write_text("Name,Company\nJane,Acme\n", encoding="utf-8")
    code, _, err = baton_says(capsys, "route", str(path))
    assert code == 1
    assert "show.csv has no email column" in err


def test_a_badge_export_is_routed_with_the_source_given_as_for_an_import(
    database_file: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "badges.csv"
    path.write_text(
        "Email,First Name,Last Name,Company,Country\n"
        "jane@acme.example,Jane,Doe,Acme GmbH,DE\n"
        "sam@acme.example,Sam,Lee,Acme GmbH,DE\n",
        encoding="utf-8",
    )
    code, out, _ = baton_says(capsys, "route", str(path))
    assert "nurture        2  stay with marketing: no score, no source (2)" in out
    code, out, _ = baton_says(capsys, "route", str(path), "--source", "Trade Show")
    assert code == 0
    assert "emea           2  sales-ready" in out
    assert "country DE (2)" in out
