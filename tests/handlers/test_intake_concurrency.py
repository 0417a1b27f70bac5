"""Intake under simultaneous requests: every lead stored once, whoever sends it and however."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.app import Baton, build_baton
from bot.web import create_web_app
from storage.db import open_database
from storage.rows import EventRow, HandoffRoundRow, LeadRow, LeadSummaryRow, OutboxRow
from tests.conftest import INTAKE_TOKEN
from tests.handlers.test_intake import AUTH, lead

# Many requests in flight at once, as from webhooks fired by a marketing tool.
IN_FLIGHT = 40


def send_all(baton: Baton, bodies: list[Any]) -> list[httpx.Response]:
    """Send every body at once to the app and return the answers in order."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_web_app(baton))
        async with httpx.AsyncClient(transport=transport, base_url="http://baton") as client:
            requests = [client.post("/intake/leads", json=body, headers=AUTH) for body in bodies]
            return list(await asyncio.gather(*requests))

    return asyncio.run(run())


def counts(baton: Baton) -> dict[str, int]:
    tables = {
        "leads": LeadRow,
        "events": EventRow,
        "summaries": LeadSummaryRow,
        "rounds": HandoffRoundRow,
        "outbox": OutboxRow,
    }
    with baton.database.reading() as session:
        return {
            name: session.scalar(select(func.count()).select_from(row)) or 0
            for name, row in tables.items()
        }


def test_simultaneous_single_lead_requests_are_each_stored_once(baton: Baton) -> None:
    bodies = [lead(email=f"person{i}@acme.example") for i in range(IN_FLIGHT)]
    answers = send_all(baton, bodies)
    assert [a.status_code for a in answers] == [202] * IN_FLIGHT
    results = [a.json()["leads"] for a in answers]
    assert all(len(r) == 1 and r[0]["result"] == "created" for r in results)
    assert len({r[0]["id"] for r in results}) == IN_FLIGHT
    assert counts(baton) == dict.fromkeys(
        ("leads", "events", "summaries", "rounds", "outbox"), IN_FLIGHT
    )
    with baton.database.reading() as session:
        shown = dict(session.execute(select(LeadRow.email, LeadRow.short_id)).all())
    assert shown == {body["email"]: r[0]["id"] for body, r in zip(bodies, results, strict=True)}


def test_simultaneous_requests_for_one_person_make_one_lead_and_one_handoff(
    baton: Baton,
) -> None:
    others = [lead(email=f"other{i}@acme.example") for i in range(10)]
    same = [lead(phone=f"+49 30 {i:07d}") for i in range(5)]
    answers = send_all(baton, others[:5] + same + others[5:])
    assert [a.status_code for a in answers] == [202] * 15
    results = [a.json()["leads"][0] for a in answers[5:10]]
    # Sent at once, they have no order: any one of them is the first.
    assert sorted(r["result"] for r in results) == ["created"] + ["merged"] * 4
    assert len({r["id"] for r in results}) == 1
    assert counts(baton)["leads"] == 11
    with baton.database.reading() as session:
        handoffs = session.scalars(select(OutboxRow.key).where(OutboxRow.kind == "handoff"))
        assert len(list(handoffs)) == 11


def test_two_servers_on_one_database_never_make_twins(baton: Baton) -> None:
    """Two processes' worth of engines, locks and queues, sending the same people at once."""
    database = open_database(baton.database.url)
    other = build_baton(baton.settings, clock=baton.clock, database=database, config=baton.config)
    bodies = [lead(email=f"shared{i}@acme.example") for i in range(10)]
    answers: dict[str, list[httpx.Response]] = {}

    def serve(name: str, server: Baton) -> None:
        answers[name] = send_all(server, bodies)

    try:
        threads = [
            threading.Thread(target=serve, args=(name, server))
            for name, server in (("one", baton), ("two", other))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        database.dispose()
    for i in range(10):
        pair = [answers[name][i].json()["leads"][0] for name in ("one", "two")]
        assert pair[0]["id"] == pair[1]["id"]
        assert sorted(r["result"] for r in pair) == ["created", "merged"]
    assert counts(baton)["leads"] == 10
    assert counts(baton)["rounds"] == 10


def test_a_token_is_still_required_of_every_simultaneous_request(baton: Baton) -> None:
    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=create_web_app(baton))
        async with httpx.AsyncClient(transport=transport, base_url="http://baton") as client:
            sends = [
                client.post(
                    "/intake/leads",
                    json=lead(email=f"p{i}@acme.example"),
                    headers=AUTH if i % 2 else {"Authorization": "Bearer wrong" + INTAKE_TOKEN},
                )
                for i in range(10)
            ]
            return [a.status_code for a in await asyncio.gather(*sends)]

    assert asyncio.run(run()) == [401, 202] * 5
    assert counts(baton)["leads"] == 5
