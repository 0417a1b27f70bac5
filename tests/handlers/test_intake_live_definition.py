"""Intake places leads by the version of the lead definition live at each request, even one
approved by another Baton (another process) on the same database since the last request."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import Baton, build_baton
from bot.clock import FixedClock
from bot.domain.definitions import rules_of
from bot.domain.proposals import Approve
from bot.services.rules import decide_proposal, propose_rules
from bot.web import create_web_app
from config.model import BatonConfig
from config.settings import Settings
from storage.db import Database, open_database
from storage.rows import LeadRow
from tests.conftest import INTAKE_TOKEN

AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}"}
MARKETER, MANAGER = "U0MKTG0001", "U0EMEAMGR1"


def post(client: TestClient, *emails: str) -> list[str]:
    leads = [{"email": e, "company": "Acme GmbH", "country": "DE", "score": 60} for e in emails]
    answer = client.post("/intake/leads", json={"leads": leads}, headers=AUTH)
    assert answer.status_code == 202, answer.text
    return [lead["status"] for lead in answer.json()["leads"]]


def versions(database: Database) -> dict[str, tuple[str, int | None]]:
    with database.reading() as session:
        rows = session.execute(select(LeadRow.email, LeadRow.status, LeadRow.definition_version))
        return {email: (status, version) for email, status, version in rows}


def raise_min_score(other: Baton, min_score: int) -> None:
    """Another Baton proposes and approves a stricter definition: the next version goes live."""
    rules = replace(rules_of(other.config.lead_definition), min_score=min_score)
    proposal = propose_rules(
        rules,
        why="too many weak leads",
        by=MARKETER,
        config=other.config,
        uow_factory=other.uow_factory,
        clock=other.clock,
    )
    assert proposal is not None and proposal.id is not None
    decide_proposal(
        proposal.id,
        Approve(),
        actor=MANAGER,
        config=other.config,
        uow_factory=other.uow_factory,
        clock=other.clock,
    )


def test_a_version_approved_by_another_baton_places_the_next_request(
    baton: Baton,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    example_config: BatonConfig,
) -> None:
    client = TestClient(create_web_app(baton))
    assert post(client, "early@acme.example", "early2@acme.example") == ["pending", "pending"]

    # Its own engine, as another process's: nothing is shared with the serving Baton.
    elsewhere = open_database(database.url)
    try:
        other = build_baton(settings, clock=clock, database=elsewhere, config=example_config)
        raise_min_score(other, 70)
        assert post(client, "late@acme.example") == ["nurture"]
        assert post(client, "later@acme.example", "early@acme.example") == ["nurture", "pending"]
        raise_min_score(other, 55)
        assert post(client, "last@acme.example") == ["pending"]
    finally:
        elsewhere.dispose()

    found = versions(database)
    assert found["early@acme.example"] == ("pending", 1)  # kept: the version that qualified it
    assert found["late@acme.example"] == ("nurture", 2)
    assert found["later@acme.example"] == ("nurture", 2)
    assert found["last@acme.example"] == ("pending", 3)
