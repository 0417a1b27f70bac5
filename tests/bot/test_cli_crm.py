"""`baton crm check` and `baton crm backfill` as an admin runs them, against the stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from baton_devkit.hubspot_standin import TOKEN, HubSpotStandIn
from baton_devkit.local import configured_users
from sqlalchemy import func, select

from bot.cli import main
from config.model import BatonConfig
from storage.db import open_database
from storage.rows import LeadRow
from tests.bot.test_cli import baton_says, database_file  # noqa: F401  (a fixture)
from tests.conftest import EXAMPLE_CONFIG
from tests.fakes.slack import BOT_TOKEN, standin_for

WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
JANE = {
    "email": "jane@acme.example",
    "firstname": "Jane",
    "lastname": "Doe",
    "company": "Acme GmbH",
    "country": "DE",
    "hubspotscore": "80",
    "lifecyclestage": "salesqualifiedlead",
}


def crm_config(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "baton.yaml"
    path.write_text(EXAMPLE_CONFIG.read_text() + "\n" + section)
    return path


@pytest.fixture
def hubspot(
    database_file: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[HubSpotStandIn]:
    with HubSpotStandIn(now=lambda: WHEN) as standin:
        section = "crm:\n  provider: hubspot\n  marketing_owner: mia@acme.example\n"
        monkeypatch.setenv("BATON_CONFIG", str(crm_config(tmp_path, section)))
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("HUBSPOT_API_URL", standin.url)
        monkeypatch.setenv("HUBSPOT_CLIENT_SECRET", "client-secret")
        assert main(["db", "upgrade"]) == 0
        yield standin


def with_slack(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", url)


def every_person_an_owner(hubspot: HubSpotStandIn, config: BatonConfig, *, but: str = "") -> None:
    for user in configured_users(config):
        if user != but:
            hubspot.add_owner(f"person.{user.lower()}@example.com", "Person", user)
    hubspot.add_owner("mia@acme.example", "Mia", "Marketing")


def test_crm_check_passes_when_the_crm_has_everything_baton_needs(
    hubspot: HubSpotStandIn,
    example_config: BatonConfig,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    every_person_an_owner(hubspot, example_config)
    with standin_for(example_config) as slack:
        with_slack(monkeypatch, slack.url)
        code, out, _ = baton_says(capsys, "crm", "check")
    assert code == 0, out
    assert "FAIL" not in out
    assert "ok    HubSpot credentials: accepted" in out
    assert "webhook secret: HUBSPOT_CLIENT_SECRET is set" in out
    assert "deal stages meaning won: closedwon: exist" in out
    assert out.strip().endswith("HubSpot: ready")


def test_crm_check_names_what_is_missing_and_what_to_do(
    hubspot: HubSpotStandIn,
    example_config: BatonConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    every_person_an_owner(hubspot, example_config, but="U0EMEAREP2")
    section = "crm:\n  provider: hubspot\n  deal_stages:\n    won: [signed]\n"
    monkeypatch.setenv("BATON_CONFIG", str(crm_config(tmp_path, section)))
    monkeypatch.delenv("HUBSPOT_CLIENT_SECRET")
    hubspot.remove_scope("crm.schemas.contacts.read")
    with standin_for(example_config) as slack:
        with_slack(monkeypatch, slack.url)
        code, out, _ = baton_says(capsys, "crm", "check")
    assert code == 1
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    text = "\n".join(fails)
    assert "set HUBSPOT_CLIENT_SECRET" in text
    assert "no HubSpot user has the email person.u0emearep2@example.com" in text
    assert "no such stage in HubSpot: signed" in text
    assert "crm.schemas.contacts.read" in text
    assert out.strip().endswith("to fix")


def test_crm_check_says_when_hubspot_refuses_the_token(
    hubspot: HubSpotStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    hubspot.refuse_token()
    code, out, _ = baton_says(capsys, "crm", "check")
    assert code == 1
    assert "FAIL  HubSpot credentials: HubSpot refused HUBSPOT_ACCESS_TOKEN" in out
    assert "set HUBSPOT_ACCESS_TOKEN" in out


def lead_count(database_file: Path) -> int:  # noqa: F811
    database = open_database(f"sqlite:///{database_file}")
    with database.reading() as session:
        count = session.scalar(select(func.count()).select_from(LeadRow))
    database.dispose()
    return int(count or 0)


def test_backfill_takes_in_existing_sales_ready_contacts_and_dry_runs_first(
    hubspot: HubSpotStandIn,
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    for n in range(3):
        hubspot.add_contact(**(JANE | {"email": f"jane{n}@acme.example"}))
    hubspot.add_contact(**(JANE | {"email": "sub@acme.example", "lifecyclestage": "subscriber"}))
    code, out, _ = baton_says(capsys, "crm", "backfill", "--since", "2026-11-01", "--dry-run")
    assert code == 0
    assert out.strip() == "Dry run, nothing stored: 3 leads taken in since 2026-11-01."
    assert lead_count(database_file) == 0
    code, out, _ = baton_says(capsys, "crm", "backfill", "--since", "2026-11-01")
    assert code == 0 and "3 leads taken in" in out
    assert lead_count(database_file) == 3
    code, out, _ = baton_says(capsys, "crm", "backfill", "--since", "2026-11-24")
    assert "nothing changed" in out


def test_backfill_needs_a_day_and_a_crm(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["db", "upgrade"]) == 0
    code, _, err = baton_says(capsys, "crm", "backfill", "--since", "2026-11-01")
    assert code == 1 and "no `crm:` section" in err
    with pytest.raises(SystemExit):
        main(["crm", "backfill", "--since", "yesterday"])
