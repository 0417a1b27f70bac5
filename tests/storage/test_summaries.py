"""The per-lead summary: kept up to date by every service that appends events, and always
equal to the summary rebuilt from the events."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.app import Baton
from bot.domain.lead import EventKind, FollowUpMethod, LeadEvent, LeadStatus, Outcome, ReturnReason
from bot.domain.lead_summary import Stage
from bot.services.handoff import accept_lead, reroute_lead, return_lead
from bot.services.intake import take_leads
from bot.services.leadin import check_leads
from bot.services.outcomes import OutcomeEntry, log_outcome, undo_outcome
from storage.summaries import read_summaries, rebuild_summaries
from storage.uow import SqlUnitOfWork

EMEA_MANAGER, EMEA_REP = "U0EMEAMGR1", "U0EMEAREP1"


def intake(baton: Baton, *leads: dict) -> list[str]:
    checked, errors = check_leads(list(leads), known_region=lambda n: True)
    assert not errors
    results = take_leads(
        checked, uow_factory=baton.uow_factory, clock=baton.clock, routing=baton.routing
    )
    return [result.id for result in results]


def lead(email: str, country: str = "DE", score: int = 80, **more: str) -> dict:
    return {"email": email, "company": "Acme", "country": country, "score": score} | more


def decide(baton: Baton, short_id: str, how: str, **more) -> None:  # type: ignore[no-untyped-def]
    common = {"uow_factory": baton.uow_factory, "config": baton.config, "clock": baton.clock}
    if how == "accept":
        accept_lead(
            short_id,
            actor=EMEA_MANAGER,
            rep_id=EMEA_REP,
            comment="a fit",
            method=FollowUpMethod.PHONE,
            due_date=date(2026, 11, 27),
            handoff_round=more.get("round", 1),
            **common,
        )
    elif how == "return":
        return_lead(
            short_id,
            actor=EMEA_MANAGER,
            reason=ReturnReason.NOT_READY,
            notes=None,
            handoff_round=None,
            **common,
        )
    else:
        reroute_lead(
            short_id, actor=EMEA_MANAGER, region=how, note="theirs", handoff_round=1, **common
        )


def outcome(baton: Baton, short_id: str, entry: OutcomeEntry) -> None:
    log_outcome(
        short_id,
        entry,
        actor=EMEA_REP,
        request_key=None,
        uow_factory=baton.unit_of_work,
        config=baton.config,
        clock=baton.clock,
    )


def summaries(baton: Baton) -> dict[int, dict]:
    with baton.database.engine.connect() as connection:
        return read_summaries(connection)


def test_every_service_keeps_the_summary_that_a_rebuild_from_the_events_would_give(
    baton: Baton,
) -> None:
    clock = baton.clock
    won, returned, moved, nurture = intake(
        baton,
        lead("won@acme.example", campaign="spring-webinar-2026"),
        lead("back@acme.example"),
        lead("moved@acme.example"),
        lead("nurture@acme.example", score=10),
    )
    clock.advance(hours=2)  # type: ignore[attr-defined]
    decide(baton, won, "accept")
    decide(baton, returned, "return")
    decide(baton, moved, "apac")
    clock.advance(hours=1)  # type: ignore[attr-defined]
    outcome(baton, won, OutcomeEntry(Outcome.CONNECTED))
    outcome(baton, won, OutcomeEntry(Outcome.OPPORTUNITY, amount=Decimal("5000")))
    outcome(baton, won, OutcomeEntry(Outcome.WON, amount=Decimal("7000.50")))
    undo_outcome(
        won,
        actor=EMEA_REP,
        request_key=None,
        uow_factory=baton.unit_of_work,
        config=baton.config,
        clock=baton.clock,
    )
    clock.advance(days=1)  # type: ignore[attr-defined]
    [again] = intake(baton, lead("back@acme.example", score=95))  # sales-ready again
    assert again == returned
    decide(baton, returned, "accept", round=2)

    kept = summaries(baton)
    assert len(kept) == 4
    stages = {row["lead_id"]: Stage(row["stages"]) for row in kept.values()}
    assert Stage.OPPORTUNITY in stages[1] and Stage.WON not in stages[1]
    assert stages[2] == Stage.SALES_READY | Stage.ACCEPTED | Stage.RETURNED
    assert kept[3]["region"] == "apac" and kept[4]["stages"] == 0
    # Berlin, 10:30 to 12:30 and then to 13:30: the lunch hour does not count.
    assert kept[1]["accept_minutes"] == 120 and kept[1]["contact_minutes"] == 120
    with baton.database.engine.begin() as connection:
        assert rebuild_summaries(connection, calendars=baton.calendars) == 4
    assert summaries(baton) == kept
    assert nurture


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_two_transactions_appending_to_one_lead_leave_a_summary_of_both(baton: Baton) -> None:
    [short_id] = intake(baton, lead("busy@acme.example"))
    now = baton.clock.now()

    def event(minutes: int) -> LeadEvent:
        return LeadEvent(
            kind=EventKind.ACTIVITY,
            actor="U0MKTG0001",
            at=now + timedelta(minutes=minutes),
            handoff_round=1,
            region="emea",
            campaign=None,
            source=None,
            status_before=LeadStatus.PENDING,
            status_after=LeadStatus.PENDING,
            data={},
        )

    first = SqlUnitOfWork(baton.database, calendars=baton.calendars).__enter__()
    first.events.append([(1, event(1))])
    second_done = threading.Event()

    def second() -> None:
        with SqlUnitOfWork(baton.database, calendars=baton.calendars) as uow:
            uow.events.append([(1, event(2))])
            uow.commit()
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not second_done.wait(0.5)  # it waits for the first to finish
    first.commit()
    first.__exit__(None, None, None)
    thread.join(10)
    assert second_done.is_set()
    [row] = summaries(baton).values()
    with baton.database.engine.connect() as connection:
        last_event = connection.exec_driver_sql("SELECT max(id) FROM lead_events").scalar()
    assert row["last_event_id"] == last_event
    assert short_id


def test_upgrading_a_store_with_leads_summarises_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from storage.db import open_database
    from tests.storage.test_migrations import migrations_config

    database = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        with database.engine.begin() as connection:
            config = migrations_config(database)
            config.attributes["connection"] = connection
            command.upgrade(config, "0003")
            connection.exec_driver_sql(
                "INSERT INTO leads (id, short_id, email, status, handoff_round, priority,"
                " created_at, updated_at) VALUES (1, 'L-OLD01', 'old@acme.example', 'accepted',"
                " 1, 0, '2026-11-02 09:00:00.000000', '2026-11-02 10:00:00.000000')"
            )
            for event_id, kind, before, after, at, data in (
                (1, "received", "received", "pending", "09:00", "{}"),
                (2, "accepted", "pending", "accepted", "10:00", '{"rep_id": "U0EMEAREP1"}'),
            ):
                connection.exec_driver_sql(
                    "INSERT INTO lead_events (id, lead_id, at, kind, actor, handoff_round, region,"
                    " status_before, status_after, data) VALUES"
                    f" ({event_id}, 1, '2026-11-02 {at}:00.000000', '{kind}', 'U0EMEAMGR1', 1,"
                    f" 'emea', '{before}', '{after}', '{data}')"
                )
        database.upgrade()
        with database.engine.connect() as connection:
            [row] = read_summaries(connection).values()
        assert Stage(row["stages"]) == Stage.SALES_READY | Stage.ACCEPTED
        assert row["rep_id"] == "U0EMEAREP1"
        # Measured in the region's calendar by the first report, not by the migration.
        assert (row["accept_minutes"], row["accept_stamp"]) == (None, "")
    finally:
        database.dispose()
