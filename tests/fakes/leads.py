"""Leads put straight into the store in a given state, for the timer tests' tables."""

from __future__ import annotations

from datetime import datetime
from itertools import count
from typing import Any

from bot.domain.shortid import ALPHABET
from storage.db import Database
from storage.rows import HandoffRoundRow, LeadRow

_numbers = count(1)


def short_id_for(number: int) -> str:
    digits = ""
    for _ in range(5):
        number, digit = divmod(number, len(ALPHABET))
        digits = ALPHABET[digit] + digits
    return "L-" + digits


def add_lead(
    database: Database,
    *,
    status: str,
    region: str | None = "emea",
    created_at: datetime,
    round_started_at: datetime | None = None,
    decided_at: datetime | None = None,
    feedback_due_at: datetime | None = None,
    next_step_at: datetime | None = None,
    rep_id: str | None = None,
    decided_by: str | None = None,
    source: str | None = "webinar",
    handoff_round: int = 1,
    **facts: Any,
) -> tuple[int, str]:
    """Store a lead (and its handoff round) as it would stand; return its row id and short id."""
    number = next(_numbers)
    short_id = short_id_for(number)
    row = LeadRow(
        short_id=short_id,
        email=f"lead{number}@example.com",
        first_name=facts.pop("first_name", "Jane"),
        last_name=facts.pop("last_name", f"Doe{number}"),
        company=facts.pop("company", "Acme GmbH"),
        status=status,
        region=region,
        handoff_round=handoff_round,
        round_started_at=round_started_at or created_at,
        rep_id=rep_id,
        decided_by=decided_by,
        decided_at=decided_at,
        feedback_due_at=feedback_due_at,
        next_step_at=next_step_at,
        source=source,
        priority=0,
        created_at=created_at,
        updated_at=created_at,
        **facts,
    )
    with database.write_session() as session, session.begin():
        session.add(row)
        session.flush()
        session.add(
            HandoffRoundRow(
                lead_id=row.id,
                round_no=handoff_round,
                region=region,
                started_at=round_started_at or created_at,
            )
        )
        lead_id = row.id
    return lead_id, short_id


def set_lead(database: Database, lead_id: int, **values: Any) -> None:
    with database.write_session() as session, session.begin():
        row = session.get(LeadRow, lead_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
