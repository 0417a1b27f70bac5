"""New leads in the store: short ids drawn again when taken, twins refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.domain.lead import Lead, LeadStatus
from storage.db import Database
from storage.rows import LeadRow
from storage.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def new_lead(short_id: str, email: str) -> tuple[Lead, dict[str, Any], dict[str, str]]:
    lead = Lead(short_id=short_id, status=LeadStatus.NURTURE, region="emea")
    return lead, {"email": email, "company": "Acme GmbH"}, {"qualification": "score 10 < 50"}


def add(database: Database, *leads, redraw=None):  # type: ignore[no-untyped-def]
    with SqlUnitOfWork(database) as uow:
        extra = {"redraw": redraw} if redraw else {}
        stored = uow.leads.add_all(list(leads), now=NOW, **extra)
        uow.commit()
    return stored


def stored_short_ids(database: Database) -> dict[str, str]:
    with database.reading() as session:
        return dict(session.execute(select(LeadRow.email, LeadRow.short_id)).all())


def test_a_short_id_already_taken_is_drawn_again(database: Database) -> None:
    add(database, new_lead("L-AAAAA", "first@acme.example"))
    draws = iter(["L-AAAAA", "L-BBBBB", "L-CCCCC"])
    later = add(
        database,
        new_lead("L-AAAAA", "second@acme.example"),
        new_lead("L-DDDDD", "third@acme.example"),
        redraw=lambda: next(draws),
    )
    # The first draw is taken too, so the lead gets the second; the other keeps its own.
    assert [s.lead.short_id for s in later] == ["L-BBBBB", "L-DDDDD"]
    assert stored_short_ids(database) == {
        "first@acme.example": "L-AAAAA",
        "second@acme.example": "L-BBBBB",
        "third@acme.example": "L-DDDDD",
    }
    with database.reading() as session:
        ids = {s.id: s.email for s in later}
        rows = session.execute(select(LeadRow.id, LeadRow.email).where(LeadRow.id.in_(ids)))
        assert dict(rows.all()) == ids


def test_a_twin_email_is_refused_and_nothing_of_its_transaction_is_stored(
    database: Database,
) -> None:
    add(database, new_lead("L-AAAAA", "first@acme.example"))
    with pytest.raises(IntegrityError):
        add(
            database,
            new_lead("L-BBBBB", "other@acme.example"),
            new_lead("L-CCCCC", "first@acme.example"),
        )
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(LeadRow)) == 1
