"""New leads in the store: short ids drawn again when taken, twins refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.domain.lead import Lead, LeadStatus
from bot.services.ports import DuplicateLead
from storage.db import Database
from storage.rows import LeadRow
from storage.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def new_lead(email: str) -> tuple[Lead, dict[str, Any], dict[str, str]]:
    lead = Lead(short_id="", status=LeadStatus.NURTURE, region="emea")
    return lead, {"email": email, "company": "Acme GmbH"}, {"qualification": "score 10 < 50"}


def add(database: Database, *leads, draw=None):  # type: ignore[no-untyped-def]
    with SqlUnitOfWork(database) as uow:
        extra = {"draw": draw} if draw else {}
        stored = uow.leads.add_all(list(leads), now=NOW, **extra)
        uow.commit()
    return stored


def stored_short_ids(database: Database) -> dict[str, str]:
    with database.reading() as session:
        return dict(session.execute(select(LeadRow.email, LeadRow.short_id)).all())


def test_a_short_id_already_taken_is_drawn_again(database: Database) -> None:
    add(database, new_lead("first@acme.example"), draw=lambda: "L-AAAAA")
    draws = iter(["L-AAAAA", "L-DDDDD", "L-AAAAA", "L-BBBBB"])
    later = add(
        database,
        new_lead("second@acme.example"),
        new_lead("third@acme.example"),
        draw=lambda: next(draws),
    )
    # L-AAAAA is taken: the first new lead draws again, after the second drew L-DDDDD.
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
    add(database, new_lead("first@acme.example"))
    with pytest.raises(DuplicateLead):
        add(database, new_lead("other@acme.example"), new_lead("first@acme.example"))
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(LeadRow)) == 1


@pytest.mark.postgres
def test_a_look_up_of_many_keys_leaves_the_rest_of_its_transaction_planned_as_usual(
    migrated_postgres: Database,
) -> None:
    # Custom plans are for the look-up alone: the inserts after it (and their foreign-key
    # checks) keep the plans PostgreSQL keeps for them.
    emails = [f"person{n}@acme.example" for n in range(100)]
    with SqlUnitOfWork(migrated_postgres) as uow:
        usual = uow.session.connection().exec_driver_sql("SHOW plan_cache_mode").scalar()
        assert uow.leads.matching(external_ids=[], emails=emails) == []
        after = uow.session.connection().exec_driver_sql("SHOW plan_cache_mode").scalar()
    assert after == usual == "auto"
