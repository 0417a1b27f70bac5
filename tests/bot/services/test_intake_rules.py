"""Intake's rules, on the in-memory store: new or merged, batches, and a twin stored meanwhile."""

from __future__ import annotations

from typing import Any

import pytest

from bot.services.intake import take_leads
from bot.services.leadin import LeadIn
from bot.services.ports import DuplicateLead
from bot.services.settling import settle_new_leads
from tests.fakes.services import Services
from tests.fakes.store import FakeUnitOfWork


@pytest.fixture
def services() -> Services:
    return Services()


def lead(email: str, **facts: Any) -> LeadIn:
    values = {"email": email, "company": "Acme GmbH", "country": "DE", "score": 80}
    return LeadIn.model_validate(values | facts)


def take(services: Services, *leads: LeadIn) -> list[tuple[str, str, str]]:
    results = take_leads(
        leads,
        uow_factory=services.store.unit_of_work,
        clock=services.clock,
        routing=services.routing,
    )
    return [(r.id, r.status, r.result) for r in results]


def test_a_sales_ready_lead_is_pending_in_its_region_and_a_poor_one_nurtured(
    services: Services,
) -> None:
    [(ready, status, result)] = take(services, lead("ann@acme.example"))
    assert (status, result) == ("pending", "created")
    assert services.store.lead(ready).lead.region == "emea"
    [(_, status, _)] = take(services, lead("bob@acme.example", score=10))
    assert status == "nurture"
    assert [w.kind for w in services.store.work()] == ["handoff"]


def test_the_same_person_again_is_merged_and_their_owner_told(services: Services) -> None:
    [(first, _, _)] = take(services, lead("ann@acme.example"))
    [(again, status, result)] = take(services, lead("ANN@acme.example", title="CTO"))
    assert (again, status, result) == (first, "pending", "merged")
    assert services.store.lead(first).facts["title"] == "CTO"
    assert services.store.event_kinds(first) == ["received", "details"]


def test_a_person_named_twice_in_one_request_is_one_lead(services: Services) -> None:
    results = take(services, lead("ann@acme.example"), lead("ann@acme.example"))
    assert [r[2] for r in results] == ["created", "merged"]
    assert results[0][0] == results[1][0]
    assert len(services.store.state.leads) == 1


def test_more_than_ten_handoffs_for_a_region_are_posted_as_one_batch(services: Services) -> None:
    take(services, *(lead(f"p{i}@acme.example") for i in range(11)))
    assert list(services.store.state.batches.values()) == [["emea", "Leads from intake", 11]]
    assert len(services.store.work("batch_summary")) == 1
    settle_new_leads(services.store.unit_of_work)
    assert {w.batch_id for w in services.store.work("handoff")} == set(services.store.state.batches)


def test_more_than_ten_new_leads_are_handed_off_once_settled_from_when_they_came(
    services: Services,
) -> None:
    taken_at = services.clock.now()
    take(services, *(lead(f"p{i}@acme.example") for i in range(11)), lead("x@b.example", score=1))
    assert not services.store.work("handoff")  # safe, and not settled yet
    services.clock.advance(seconds=30)
    assert settle_new_leads(services.store.unit_of_work) == 12
    assert len(services.store.work("handoff")) == 11  # the nurtured lead is handed to nobody
    assert {started for _, started in services.store.state.rounds} == {taken_at}
    assert settle_new_leads(services.store.unit_of_work) == 0
    assert len(services.store.work("handoff")) == 11


class TwinStoredMeanwhile(FakeUnitOfWork):
    """A transaction that finds, on writing, that another one stored the same person first."""

    def commit(self) -> None:
        raise DuplicateLead("stored meanwhile")


def test_a_twin_stored_meanwhile_is_tried_again_and_merged_into(services: Services) -> None:
    tries: list[int] = []

    def factory() -> FakeUnitOfWork:
        tries.append(1)
        if len(tries) == 1:
            services.take(email="ann@acme.example")  # the other request, first
            return TwinStoredMeanwhile(services.store)
        return services.store.unit_of_work()

    results = take_leads(
        [lead("ann@acme.example")],
        uow_factory=factory,
        clock=services.clock,
        routing=services.routing,
    )
    assert [r.result for r in results] == ["merged"]
    assert len(tries) == 2 and len(services.store.state.leads) == 1


def test_a_twin_that_keeps_appearing_is_an_error_after_three_tries(services: Services) -> None:
    with pytest.raises(DuplicateLead):
        take_leads(
            [lead("ann@acme.example")],
            uow_factory=lambda: TwinStoredMeanwhile(services.store),
            clock=services.clock,
            routing=services.routing,
        )
    assert services.store.state.leads == {}
