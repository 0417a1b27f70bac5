"""Many rows at once: on PostgreSQL they are copied (COPY), and read back exactly as the rows
of a few at a time, which are inserted row by row; conflicts are skipped just the same."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.domain.lead import Lead, LeadStatus
from bot.domain.states import EventKind, LeadEvent
from bot.services.ports import DuplicateLead, StorageUnavailable
from bot.services.records import Work, WorkKind
from storage.bulk import COPY_FROM
from storage.db import Database
from storage.rows import EventRow, LeadRow, LeadSummaryRow, OutboxRow
from storage.uow import SqlUnitOfWork

MANY = COPY_FROM + 10  # copied on PostgreSQL
# A time away from UTC: stored as the same instant whichever way it goes in.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
# Text that COPY's own format has to escape, and text beyond ASCII.
AWKWARD = ["tab\there", "line\nbreak", "back\\slash", "\\N", "", "Zoë's “Café” 北京", 'quote "x"']


def new_lead(prefix: str, n: int) -> tuple[Lead, dict[str, Any], dict[str, str]]:
    status = LeadStatus.PENDING if n % 3 else LeadStatus.NURTURE
    lead = Lead(
        short_id="",
        status=status,
        region=None if n % 4 == 0 else "emea",
        handoff_round=1 if status is LeadStatus.PENDING else 0,
        campaign="expo",
        source="trade_show",
    )
    facts = {
        "email": f"{prefix}{n}@acme.example",
        "external_id": None if n % 2 else f"{prefix}-ext-{n}",
        "first_name": AWKWARD[n % len(AWKWARD)],
        "last_name": None if n % 5 == 0 else f"Surname {n}",
        "company": "Acme GmbH",
        "title": AWKWARD[(n + 3) % len(AWKWARD)],
        "country": "DE",
        "postal_code": "10115",
        "campaign": "expo",
        "source": "trade_show",
        "score": n if n % 2 else None,
        "notes": AWKWARD[(n + 1) % len(AWKWARD)],
    }
    return lead, facts, {"qualification": f"score {n} < 50", "route": "country DE"}


def first_events(lead: Lead, n: int) -> list[LeadEvent]:
    data: dict[str, Any] = {
        "fields": {"note": AWKWARD[n % len(AWKWARD)], "n": n, "none": None},
        "list": [1, 2.5, "x\\y", True],
    }
    received = LeadEvent(
        kind=EventKind.RECEIVED,
        actor="system",
        at=NOW,
        handoff_round=0,
        region=lead.region,
        campaign=lead.campaign,
        source=lead.source,
        status_before=None,
        status_after=LeadStatus.RECEIVED,
        notes=AWKWARD[(n + 2) % len(AWKWARD)],
        data=data if n % 2 else {},
    )
    qualified = LeadEvent(
        kind=EventKind.QUALIFIED,
        actor="system",
        at=NOW + timedelta(microseconds=n),
        handoff_round=lead.handoff_round,
        region=lead.region,
        campaign=lead.campaign,
        source=lead.source,
        status_before=LeadStatus.RECEIVED,
        status_after=lead.status,
        reason_code="score",
        amount=Decimal("1234.50") if n % 3 == 0 else None,
    )
    return [received, qualified]


def store(database: Database, prefix: str, numbers: range) -> None:
    """Store new leads with their first events as intake does, all in one transaction."""
    with SqlUnitOfWork(database) as uow:
        new = [new_lead(prefix, n) for n in numbers]
        stored = uow.leads.add_all(new, now=NOW)
        events = [
            (s.id, event)
            for s, n in zip(stored, numbers, strict=True)
            for event in first_events(s.lead, n)
        ]
        uow.events.append_first(events)
        uow.commit()


def read_back(database: Database, prefix: str) -> dict[int, dict[str, Any]]:
    """Each lead of `prefix` by its number, with its events and summary: everything stored
    but the ids, short ids and keys that differ between two stores of the same leads."""
    found: dict[int, dict[str, Any]] = {}
    with database.reading() as session:
        leads = session.scalars(select(LeadRow).where(LeadRow.email.like(f"{prefix}%"))).all()
        for row in leads:
            n = int(row.email.removeprefix(prefix).split("@")[0])
            lead = _columns(row, skip=("id", "short_id", "email", "external_id"))
            lead["external_id"] = row.external_id and row.external_id.removeprefix(prefix)
            events = session.scalars(
                select(EventRow).where(EventRow.lead_id == row.id).order_by(EventRow.id)
            ).all()
            summary = session.get(LeadSummaryRow, row.id)
            assert summary is not None
            assert summary.last_event_id == events[-1].id
            found[n] = {
                "lead": lead,
                "events": [_columns(event, skip=("id", "lead_id")) for event in events],
                "summary": _columns(summary, skip=("lead_id", "last_event_id")),
            }
    return found


def _columns(row: Any, *, skip: tuple[str, ...]) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


def test_leads_stored_many_at_once_read_back_as_those_stored_one_at_a_time(
    database: Database,
) -> None:
    numbers = range(MANY)
    store(database, "many", numbers)
    for n in numbers:
        store(database, "one", range(n, n + 1))
    many, one = read_back(database, "many"), read_back(database, "one")
    assert set(many) == set(numbers)
    assert many == one
    # What went in comes out: awkward text, JSON documents, amounts and the instant stored.
    assert many[1]["lead"]["first_name"] == AWKWARD[1]
    assert many[1]["events"][0]["data"]["fields"]["note"] == AWKWARD[1]
    assert many[3]["events"][0]["data"]["list"] == [1, 2.5, "x\\y", True]
    assert many[3]["events"][1]["amount"] == Decimal("1234.50")
    assert many[2]["lead"]["created_at"] == NOW and many[2]["lead"]["score"] is None


def test_leads_copied_take_their_ids_in_the_order_given(database: Database) -> None:
    with SqlUnitOfWork(database) as uow:
        stored = uow.leads.add_all([new_lead("order", n) for n in range(MANY)], now=NOW)
        uow.commit()
    ids = [s.id for s in stored]
    assert ids == sorted(ids) and len(set(ids)) == MANY
    with database.reading() as session:
        rows = session.execute(select(LeadRow.id, LeadRow.email, LeadRow.short_id)).all()
    assert {id: (email, short_id) for id, email, short_id in rows} == {
        s.id: (s.email, s.lead.short_id) for s in stored
    }


def test_a_short_id_taken_among_many_is_drawn_again(database: Database) -> None:
    with SqlUnitOfWork(database) as uow:
        uow.leads.add_all([new_lead("first", 0)], now=NOW, draw=lambda: "L-AAAAA")
        uow.commit()
    draws = iter(["L-AAAAA", *(f"L-B{n:04d}" for n in range(MANY - 1)), "L-CCCCC"])
    with SqlUnitOfWork(database) as uow:
        later = uow.leads.add_all(
            [new_lead("later", n) for n in range(MANY)], now=NOW, draw=lambda: next(draws)
        )
        uow.commit()
    # The first drew L-AAAAA, which is taken, and was skipped; drawn again, it got L-CCCCC.
    assert later[0].lead.short_id == "L-CCCCC"
    assert [s.lead.short_id for s in later[1:]] == [f"L-B{n:04d}" for n in range(MANY - 1)]
    with database.reading() as session:
        stored = dict(session.execute(select(LeadRow.id, LeadRow.short_id)).all())
    assert {s.id: s.lead.short_id for s in later}.items() <= stored.items()
    assert len(stored) == MANY + 1


def test_a_twin_email_among_many_is_refused_and_nothing_of_them_is_stored(
    database: Database,
) -> None:
    with SqlUnitOfWork(database) as uow:
        uow.leads.add_all([new_lead("twin", 7)], now=NOW)
        uow.commit()
    with pytest.raises(DuplicateLead), SqlUnitOfWork(database) as uow:
        uow.leads.add_all([new_lead("twin", n) for n in range(MANY)], now=NOW)
        uow.commit()
    with database.reading() as session:
        assert session.scalars(select(LeadRow.email)).all() == ["twin7@acme.example"]


def test_work_queued_many_at_once_skips_keys_already_queued_and_keeps_its_order(
    database: Database,
) -> None:
    def work(n: int, note: str) -> Work:
        return Work(WorkKind.HANDOFF, f"handoff:{n}", data={"note": note, "n": n})

    with SqlUnitOfWork(database) as uow:
        uow.outbox.queue([work(n, "first") for n in (3, 40)], now=NOW)
        uow.commit()
    later = NOW + timedelta(minutes=5)
    with SqlUnitOfWork(database) as uow:
        uow.outbox.queue([work(n, AWKWARD[n % len(AWKWARD)]) for n in range(MANY)], now=later)
        uow.commit()
    with database.reading() as session:
        rows = session.execute(
            select(OutboxRow.key, OutboxRow.payload, OutboxRow.created_at).order_by(OutboxRow.id)
        ).all()
    keys = [key for key, _, _ in rows]
    expected = [3, 40, *(n for n in range(MANY) if n not in (3, 40))]
    assert keys == [f"handoff:{n}" for n in expected]
    payloads = {key: (payload, created) for key, payload, created in rows}
    # Work already queued is left as it was.
    assert payloads["handoff:3"] == ({"note": "first", "n": 3}, NOW)
    assert payloads["handoff:5"] == ({"note": AWKWARD[5], "n": 5}, later)


def test_work_queued_in_two_copies_of_one_transaction_is_all_stored(database: Database) -> None:
    with SqlUnitOfWork(database) as uow:
        for part in range(2):
            uow.outbox.queue(
                [Work(WorkKind.HANDOFF, f"part{part}:{n}") for n in range(MANY)], now=NOW
            )
        uow.commit()
    with database.reading() as session:
        assert len(session.scalars(select(OutboxRow.key)).all()) == 2 * MANY


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_a_copy_the_database_refuses_is_a_storage_fault_and_nothing_is_kept(
    database: Database,
) -> None:
    with (
        pytest.raises(StorageUnavailable, match="refused the write: the database is read-only"),
        SqlUnitOfWork(database) as uow,
    ):
        uow.session.execute(text("SET TRANSACTION READ ONLY"))
        uow.leads.add_all([new_lead("refused", n) for n in range(MANY)], now=NOW)
        uow.commit()
    with SqlUnitOfWork(database) as uow:  # the pool's connections still work
        uow.leads.add_all([new_lead("after", n) for n in range(MANY)], now=NOW)
        uow.commit()
    with database.reading() as session:
        emails = session.scalars(select(LeadRow.email)).all()
    assert len(emails) == MANY and all(email.startswith("after") for email in emails)


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_many_rows_on_postgres_are_copied(database: Database) -> None:
    """The copy is what stores them: new leads straight into their table, and work through
    its staging table, which exists in the session afterwards, empty."""
    with SqlUnitOfWork(database) as uow:
        uow.leads.add_all([new_lead("copied", n) for n in range(MANY)], now=NOW)
        uow.outbox.queue([Work(WorkKind.HANDOFF, f"handoff:{n}") for n in range(MANY)], now=NOW)
        staged = uow.session.execute(
            text(
                # This session's own: other sessions on the database keep theirs.
                "SELECT relname FROM pg_class WHERE relname IN ('staged_leads', 'staged_outbox')"
                " AND relnamespace = pg_my_temp_schema()"
            )
        ).scalars()
        staged_tables = set(staged)
        left = uow.session.execute(text("SELECT count(*) FROM pg_temp.staged_outbox")).scalar()
        uow.commit()
    assert staged_tables == {"staged_outbox"} and left == 0
    with database.reading() as session:
        assert len(session.scalars(select(LeadRow.id)).all()) == MANY


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_a_short_id_taken_meanwhile_among_many_is_drawn_again(database: Database) -> None:
    with SqlUnitOfWork(database) as uow:
        uow.leads.add_all([new_lead("first", 0)], now=NOW, draw=lambda: "L-AAAAA")
        uow.commit()

    def take_one_meanwhile() -> None:
        # Another session stores a lead under a short id of the many, checked free already.
        with SqlUnitOfWork(database) as other:
            other.leads.add_all([new_lead("other", 0)], now=NOW, draw=lambda: "L-B0001")
            other.commit()

    draws = iter(["L-AAAAA", *(f"L-B{n:04d}" for n in range(MANY - 1)), "L-CCCCC", "L-DDDDD"])

    def draw() -> str:
        short_id = next(draws)
        if short_id == "L-CCCCC":  # drawn again for the first, whose L-AAAAA is taken
            take_one_meanwhile()
        return short_id

    with SqlUnitOfWork(database) as uow:
        later = uow.leads.add_all([new_lead("later", n) for n in range(MANY)], now=NOW, draw=draw)
        uow.commit()
    assert later[0].lead.short_id == "L-CCCCC"
    assert later[2].lead.short_id == "L-DDDDD"  # L-B0001 was taken meanwhile
    assert [s.lead.short_id for s in later[3:]] == [f"L-B{n:04d}" for n in range(2, MANY - 1)]
    with database.reading() as session:
        stored = dict(session.execute(select(LeadRow.id, LeadRow.short_id)).all())
    assert {s.id: s.lead.short_id for s in later}.items() <= stored.items()
    assert len(stored) == MANY + 2
