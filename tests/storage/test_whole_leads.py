"""A few new leads written whole on PostgreSQL (one statement): read back exactly as the same
leads written table by table, a short id taken drawn again with all its rows, a twin refused
with nothing kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.domain.lead import LeadStatus
from bot.services.ports import DuplicateLead
from bot.services.records import StoredLead
from storage.db import Database
from storage.rows import EventRow, HandoffRoundRow, LeadRow, LeadSummaryRow, OutboxRow
from storage.uow import SqlUnitOfWork
from tests.storage.test_bulk_copy import NOW, first_events, new_lead, read_back

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database", ["postgres"], indirect=True),
]

WHOLE = 10  # PostgreSQL's whole_at_most


def write_whole(database: Database, prefix: str, numbers: range, draw=None) -> list[StoredLead]:  # type: ignore[no-untyped-def]
    with SqlUnitOfWork(database) as uow:
        new = [new_lead(prefix, n) for n in numbers]
        events = [first_events(lead, n) for (lead, _, _), n in zip(new, numbers, strict=True)]
        extra = {"draw": draw} if draw else {}
        stored = uow.leads.add_whole(new, events, now=NOW, **extra)
        uow.commit()
    return stored


def write_table_by_table(database: Database, prefix: str, n: int) -> None:
    with SqlUnitOfWork(database) as uow:
        [stored] = uow.leads.add_all([new_lead(prefix, n)], now=NOW)
        uow.events.append_first([(stored.id, e) for e in first_events(stored.lead, n)])
        if stored.lead.status is LeadStatus.PENDING:
            uow.rounds.start_of_leads([stored.id], now=NOW)
            uow.outbox.queue_handoffs([stored.id], now=NOW)
        uow.commit()


def handoffs_of(database: Database, prefix: str) -> dict[int, dict[str, Any]]:
    """Each lead's handoff round and queued handoff, by its number; keys checked, not kept."""
    found: dict[int, dict[str, Any]] = {}
    with database.reading() as session:
        leads = session.execute(
            select(LeadRow.id, LeadRow.email).where(LeadRow.email.like(f"{prefix}%"))
        ).all()
        for id, email in leads:
            rounds = session.scalars(select(HandoffRoundRow).where(HandoffRoundRow.lead_id == id))
            work = session.scalars(select(OutboxRow).where(OutboxRow.lead_id == id)).all()
            assert [item.key for item in work] == [f"handoff:{id}:{w.handoff_round}" for w in work]
            n = int(email.removeprefix(prefix).split("@")[0])
            found[n] = {
                "rounds": [(r.round_no, r.region, r.batch_id, r.started_at) for r in rounds],
                "work": [
                    (w.kind, w.payload, w.state, w.attempts, w.available_at, w.urgency)
                    for w in work
                ],
            }
    return found


def counts(database: Database) -> list[int]:
    tables = (LeadRow, EventRow, LeadSummaryRow, HandoffRoundRow, OutboxRow)
    with database.reading() as session:
        return [session.scalar(select(func.count()).select_from(t)) or 0 for t in tables]


def test_leads_written_whole_read_back_as_those_written_table_by_table(
    database: Database,
) -> None:
    numbers = range(WHOLE)
    stored = write_whole(database, "whole", numbers)
    for n in numbers:
        write_table_by_table(database, "apart", n)
    whole, apart = read_back(database, "whole"), read_back(database, "apart")
    assert set(whole) == set(numbers)
    assert whole == apart
    assert handoffs_of(database, "whole") == handoffs_of(database, "apart")
    # Pending leads have their round and handoff, the others none.
    pending = [n for n in numbers if new_lead("x", n)[0].status is LeadStatus.PENDING]
    assert [n for n, rows in handoffs_of(database, "whole").items() if rows["work"]] == pending
    # Ids in the order given; what went in comes out (JSON, amounts, the instant).
    assert [s.id for s in stored] == sorted(s.id for s in stored)
    assert whole[3]["events"][0]["data"]["list"] == [1, 2.5, "x\\y", True]
    assert whole[3]["events"][1]["amount"] is not None and whole[2]["lead"]["created_at"] == NOW


def test_a_short_id_taken_is_drawn_again_and_the_lead_written_with_all_its_rows(
    database: Database,
) -> None:
    write_whole(database, "first", range(1), draw=lambda: "L-AAAAA")
    draws = iter(["L-BBBBB", "L-AAAAA", "L-DDDDD", "L-CCCCC"])
    later = write_whole(database, "later", range(1, 4), draw=lambda: next(draws))
    # The second drew L-AAAAA, which is taken, and was skipped with its rows; drawn again,
    # it got L-CCCCC.
    assert [s.lead.short_id for s in later] == ["L-BBBBB", "L-CCCCC", "L-DDDDD"]
    with database.reading() as session:
        stored = dict(session.execute(select(LeadRow.id, LeadRow.short_id)).all())
    assert {s.id: s.lead.short_id for s in later}.items() <= stored.items()
    assert read_back(database, "later").keys() == {1, 2, 3}  # each with events and summary
    pending = sum(new_lead("x", n)[0].status is LeadStatus.PENDING for n in range(4))
    assert counts(database) == [4, 8, 4, pending, pending]


def test_a_twin_email_written_whole_is_refused_and_nothing_of_it_is_stored(
    database: Database,
) -> None:
    write_whole(database, "twin", range(7, 8))
    before = counts(database)
    with pytest.raises(DuplicateLead):
        write_whole(database, "twin", range(5, 9))
    assert counts(database) == before


def test_more_leads_than_are_written_whole_are_refused_before_anything_is_written(
    database: Database,
) -> None:
    with pytest.raises(ValueError, match="10 new leads at most are written whole"):
        write_whole(database, "many", range(WHOLE + 1))
    assert counts(database) == [0, 0, 0, 0, 0]


def test_leads_written_unless_stored_are_not_written_when_one_is_stored(
    database: Database,
) -> None:
    write_whole(database, "kept", range(2, 4))  # kept2 (with an external id) and kept3
    before = counts(database)
    by_email = [new_lead("kept", 3), new_lead("fresh", 10)]
    by_external_id = [new_lead("other", 11), new_lead("kept", 2)]
    by_external_id[1][1]["email"] = "changed@acme.example"  # the same external id, kept-ext-2
    for new in (by_email, by_external_id):
        with SqlUnitOfWork(database) as uow:
            events = [first_events(lead, 1) for lead, _, _ in new]
            assert uow.leads.add_whole(new, events, now=NOW, unless_stored=True) is None
            uow.commit()
        assert counts(database) == before  # nothing of either request was written
    with SqlUnitOfWork(database) as uow:
        fresh = [new_lead("fresh", 10), new_lead("fresh", 12)]
        events = [first_events(lead, n) for (lead, _, _), n in zip(fresh, (10, 12), strict=True)]
        stored = uow.leads.add_whole(fresh, events, now=NOW, unless_stored=True)
        uow.commit()
    assert stored is not None
    assert [s.email for s in stored] == ["fresh10@acme.example", "fresh12@acme.example"]
    assert read_back(database, "fresh").keys() == {10, 12}  # each with events and summary
