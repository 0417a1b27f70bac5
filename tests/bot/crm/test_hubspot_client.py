from datetime import timedelta
from decimal import Decimal

import pytest
from baton_devkit.hubspot_standin import TOKEN, HubSpotStandIn

from bot.clock import FixedClock
from bot.crm.hubspot import HubSpotClient
from bot.domain.amounts import Money
from bot.domain.crm import (
    CrmCursor,
    CrmEntry,
    CrmNeedsPerson,
    CrmProblem,
    CrmRetryLater,
    EntryKind,
)
from bot.domain.crm_rules import check_schema
from bot.domain.lead import Outcome

JANE = {
    "email": "jane@acme.example",
    "firstname": "Jane",
    "lastname": "Doe",
    "company": "Acme GmbH",
    "jobtitle": "CTO",
    "country": "DE",
    "hubspotscore": "72",
    "hs_analytics_source": "ORGANIC_SEARCH",
    "lifecyclestage": "salesqualifiedlead",
}


def sales_ready(hubspot: HubSpotStandIn, n: int, clock: FixedClock) -> list[str]:
    ids = []
    for i in range(n):
        ids.append(hubspot.add_contact(**JANE | {"email": f"lead{i}@acme.example"}))
        clock.advance(seconds=1)
    return ids


def test_a_contact_is_read_with_the_fields_the_rules_name(hubspot, hubspot_client, clock):
    contact = hubspot.add_contact(**JANE)

    record = hubspot_client.read_record(contact)

    assert record.id == contact
    assert record.properties["email"] == "jane@acme.example"
    assert record.properties["hubspotscore"] == "72"
    assert record.changed_at == clock.now()
    [call] = hubspot.calls_to("contacts.read")
    assert set(call.query["properties"].split(",")) == set(hubspot_client.rules.read_fields())
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"


def test_changed_records_are_the_sales_ready_ones_oldest_first(hubspot, hubspot_client, clock):
    early = hubspot.add_contact(**JANE)
    clock.advance(minutes=1)
    hubspot.add_contact(**JANE | {"email": "mql@acme.example", "lifecyclestage": "lead"})
    later = hubspot.add_contact(**JANE | {"email": "later@acme.example"})

    page = hubspot_client.changed_records(since=None)

    assert [r.id for r in page.items] == [early, later]
    assert page.cursor == CrmCursor(clock.now(), later)
    assert (page.next_page, page.more) == (None, False)


def test_a_pass_from_a_cursor_starts_after_the_change_it_stored(hubspot, hubspot_client, clock):
    first, second, third = sales_ready(hubspot, 3, clock)
    stored = hubspot_client.changed_records(since=None)

    hubspot.change("contacts", first, jobtitle="CEO")
    again = hubspot_client.changed_records(since=stored.cursor)

    assert [r.id for r in again.items] == [first]
    search = hubspot.calls_to("contacts.search")[-1].body
    cutoff = {"propertyName": "lastmodifieddate", "operator": "GTE"}
    assert (
        cutoff | {"value": str(int(stored.cursor.changed_at.timestamp() * 1000))}
        in (search["filterGroups"][0]["filters"])
    )
    assert [second, third] == [r.id for r in stored.items[1:]]


def test_changed_records_come_a_page_at_a_time(hubspot, hubspot_client, clock):
    ids = sales_ready(hubspot, 130, clock)

    first = hubspot_client.changed_records(since=None)
    second = hubspot_client.changed_records(since=None, page=first.next_page)

    assert [r.id for r in first.items + second.items] == ids
    assert (first.next_page, first.more) == ("100", True)
    assert (second.next_page, second.more) == (None, False)
    assert second.cursor == CrmCursor(clock.now() - timedelta(seconds=1), ids[-1])


def test_past_ten_thousand_results_a_pass_starts_again_from_its_cursor(hubspot, hubspot_client):
    for i in range(10_050):
        hubspot.add_contact(email=f"l{i}@acme.example", lifecyclestage="salesqualifiedlead")

    page = hubspot_client.changed_records(since=None, page="9900")

    assert len(page.items) == 100
    assert (page.next_page, page.more) == (None, True)


def test_a_deal_is_read_with_its_contacts_amount_and_stage(hubspot, hubspot_client):
    contact = hubspot.add_contact(**JANE)
    deal = hubspot.add_deal(
        contacts=[contact],
        dealname="Acme platform",
        dealstage="closedwon",
        amount="12500.50",
        deal_currency_code="EUR",
        closedate="2026-11-20T00:00:00.000Z",
    )

    found = hubspot_client.read_deal(deal)

    assert found.record_ids == (contact,)
    assert found.amount == Money(Decimal("12500.50"), "EUR")
    assert found.closed_on.isoformat() == "2026-11-20"
    outcome = hubspot_client.rules.deal_outcome(found)
    assert (outcome.outcome, outcome.amount.amount) == (Outcome.WON, Decimal("12500.50"))


def test_a_contacts_deals_are_read(hubspot, hubspot_client):
    contact = hubspot.add_contact(**JANE)
    deal = hubspot.add_deal(contacts=[contact], dealstage="contractsent", amount="900")
    hubspot.add_deal(contacts=[], dealstage="closedwon")

    [found] = hubspot_client.deals_of(contact)

    assert (found.id, found.stage, found.amount) == (
        deal,
        "contractsent",
        Money(Decimal(900), None),
    )
    assert hubspot_client.deals_of(hubspot.add_contact(**JANE)) == ()


def test_changed_deals_name_their_contacts(hubspot, hubspot_client, clock):
    contact = hubspot.add_contact(**JANE)
    deal = hubspot.add_deal(contacts=[contact], dealstage="closedlost")
    clock.advance(minutes=5)
    lonely = hubspot.add_deal(dealstage="closedwon")

    page = hubspot_client.changed_deals(since=None)

    assert [(d.id, d.record_ids) for d in page.items] == [(deal, (contact,)), (lonely, ())]
    assert page.cursor == CrmCursor(clock.now(), lonely)


def test_owner_and_status_are_set_in_one_update(hubspot, hubspot_client):
    contact = hubspot.add_contact(**JANE)
    owner = hubspot.add_owner("rep@acme.example", "Rita", "Rep")

    hubspot_client.set_owner_and_status(contact, owner_id=owner, status="IN_PROGRESS")
    hubspot_client.set_owner_and_status(contact, owner_id=None, status=None)

    [call] = hubspot.calls_to("contacts.update")
    assert call.body == {"properties": {"hubspot_owner_id": owner, "hs_lead_status": "IN_PROGRESS"}}
    assert hubspot.properties_of("contacts", contact)["hs_lead_status"] == "IN_PROGRESS"


def test_a_note_lands_on_the_contact_with_its_marker(hubspot, hubspot_client, clock):
    contact = hubspot.add_contact(**JANE)
    owner = hubspot.add_owner("rep@acme.example", "Rita", "Rep")
    note = CrmEntry(
        EntryKind.NOTE,
        "crm:accept:L-7K3Q9:1",
        "Accepted for Rita Rep",
        "Call her <today>.\nShe asked for pricing.",
        clock.now(),
        owner_id=owner,
    )

    note_id = hubspot_client.add_entry(contact, note)

    [call] = hubspot.calls_to("notes.create")
    assert call.body["associations"] == [
        {
            "to": {"id": contact},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}],
        }
    ]
    [written] = hubspot.written("notes", contact)
    assert written["hs_object_id"] == note_id
    assert written["hubspot_owner_id"] == owner
    assert written["hs_timestamp"] == "2026-11-23T09:30:00.000Z"
    assert "<strong>Accepted for Rita Rep</strong>" in written["hs_note_body"]
    assert "Call her &lt;today&gt;.<br>She asked for pricing." in written["hs_note_body"]
    assert hubspot_client.find_entry(contact, "crm:accept:L-7K3Q9:1") == note_id
    assert hubspot_client.find_entry(contact, "crm:accept:L-7K3Q9:2") is None


def test_a_task_is_due_open_and_findable(hubspot, hubspot_client, clock):
    contact = hubspot.add_contact(**JANE)
    due = clock.now() + timedelta(days=2)
    task = CrmEntry(EntryKind.TASK, "crm:leak:L-7K3Q9:1", "Customer-service touch", "", due)

    task_id = hubspot_client.add_entry(contact, task)

    [written] = hubspot.written("tasks", contact)
    assert written["hs_task_subject"] == "Customer-service touch"
    assert (written["hs_task_status"], written["hs_task_type"]) == ("NOT_STARTED", "TODO")
    assert written["hs_timestamp"] == "2026-11-25T09:30:00.000Z"
    [call] = hubspot.calls_to("tasks.create")
    assert call.body["associations"][0]["types"][0]["associationTypeId"] == 204
    assert hubspot_client.find_entry(contact, "crm:leak:L-7K3Q9:1") == task_id


def test_a_note_whose_answer_was_lost_is_found_instead_of_written_twice(
    hubspot, hubspot_rules, clock
):
    contact = hubspot.add_contact(**JANE)
    impatient = HubSpotClient(
        token=TOKEN, rules=hubspot_rules, clock=clock, api_url=hubspot.url, timeout=0.2
    )
    hubspot.set_latency(0.6, "notes.create")
    note = CrmEntry(EntryKind.ACTIVITY, "crm:outcome:42", "Connected", "Spoke to Jane", clock.now())

    with pytest.raises(CrmRetryLater, match=r"did not answer within 0\.2 s"):
        impatient.add_entry(contact, note)

    assert hubspot.wait_for(lambda: len(hubspot.written("notes", contact)) == 1)
    assert impatient.find_entry(contact, "crm:outcome:42") is not None
    impatient.close()


def test_owners_are_read_page_by_page_without_the_archived(hubspot, hubspot_client):
    for i in range(130):
        hubspot.add_owner(f"rep{i}@acme.example", "Rep", str(i))
    hubspot.add_owner("gone@acme.example", "Gone", "Away", archived=True)

    users = hubspot_client.users()

    assert len(users) == 130
    assert users[0].email == "rep0@acme.example" and users[0].name == "Rep 0"
    assert "gone@acme.example" not in {u.email for u in users}
    assert len(hubspot.calls_to("owners.list")) == 2


def test_the_default_rules_match_a_standard_portal(hubspot_client):
    schema = hubspot_client.schema()

    results = check_schema(schema, hubspot_client.rules)

    assert [r for r in results if not r.ok] == []
    assert schema.record_fields["hs_lead_status"].options >= {"IN_PROGRESS", "UNQUALIFIED"}
    assert schema.record_fields["hubspot_owner_id"].options is None
    assert schema.record_fields["hubspotscore"].writable is False
    assert {"closedwon", "closedlost"} <= schema.deal_stages


def test_a_missing_schema_scope_is_reported_not_raised(hubspot, hubspot_client):
    hubspot.remove_scope("crm.schemas.contacts.read")

    schema = hubspot_client.schema()

    [missing] = schema.missing
    assert "crm.schemas.contacts.read" in missing
    failed = [r for r in check_schema(schema, hubspot_client.rules) if not r.ok]
    assert failed[0].what == "reading the CRM"


# Failures: each call makes one attempt and says what to do next.


def failure_of(call) -> Exception:
    with pytest.raises((CrmRetryLater, CrmNeedsPerson)) as raised:
        call()
    return raised.value


@pytest.mark.parametrize(
    ("status", "retry_after", "policy", "wait"),
    [
        (429, 7, None, timedelta(seconds=7)),
        (429, None, "TEN_SECONDLY_ROLLING", timedelta(seconds=10)),
        (429, None, "DAILY", timedelta(hours=1)),
        (500, None, None, None),
        (502, None, None, None),
        (503, 30, None, timedelta(seconds=30)),
        (423, None, None, None),
    ],
)
def test_a_busy_hubspot_means_retry_later_after_its_wait(
    hubspot, hubspot_client, status, retry_after, policy, wait
):
    contact = hubspot.add_contact(**JANE)
    hubspot.fail("contacts.update", status=status, retry_after=retry_after, error=policy)

    error = failure_of(
        lambda: hubspot_client.set_owner_and_status(contact, owner_id=None, status="OPEN")
    )

    assert isinstance(error, CrmRetryLater)
    assert error.wait == wait
    assert len(hubspot.calls_to("contacts.update")) == 1  # no hidden retry
    hubspot_client.set_owner_and_status(contact, owner_id=None, status="OPEN")
    assert hubspot.properties_of("contacts", contact)["hs_lead_status"] == "OPEN"


def test_a_slow_hubspot_means_retry_later(hubspot, hubspot_rules, clock):
    contact = hubspot.add_contact(**JANE)
    hubspot.set_latency(1.0, "contacts.read")
    impatient = HubSpotClient(
        token=TOKEN, rules=hubspot_rules, clock=clock, api_url=hubspot.url, timeout=0.3
    )

    error = failure_of(lambda: impatient.read_record(contact))

    assert isinstance(error, CrmRetryLater)
    assert str(error) == "HubSpot did not answer within 0.3 s"
    assert error.wait is None
    impatient.close()


def test_an_unreachable_hubspot_means_retry_later(clock, hubspot_rules):
    with HubSpotStandIn() as gone:
        url = gone.url
    client = HubSpotClient(token=TOKEN, rules=hubspot_rules, clock=clock, api_url=url)

    error = failure_of(lambda: client.read_record("1001"))

    assert isinstance(error, CrmRetryLater)
    assert str(error).startswith("HubSpot could not be reached")
    client.close()


@pytest.mark.parametrize("expired", [True, False])
def test_a_refused_token_needs_a_new_one(hubspot, hubspot_client, expired):
    hubspot.refuse_token(expired=expired)

    error = failure_of(lambda: hubspot_client.users())

    assert isinstance(error, CrmNeedsPerson)
    assert error.problem is CrmProblem.TOKEN_REFUSED
    assert "HUBSPOT_ACCESS_TOKEN" in error.fix


def test_a_deleted_contact_is_a_problem_for_a_person_whatever_the_call(
    hubspot, hubspot_client, clock
):
    contact = hubspot.add_contact(**JANE)
    hubspot.delete("contacts", contact)
    note = CrmEntry(EntryKind.NOTE, "k", "Accepted", "", clock.now())

    for call in (
        lambda: hubspot_client.read_record(contact),
        lambda: hubspot_client.set_owner_and_status(contact, owner_id=None, status="OPEN"),
        lambda: hubspot_client.add_entry(contact, note),
        lambda: hubspot_client.deals_of(contact),
    ):
        error = failure_of(call)
        assert isinstance(error, CrmNeedsPerson)
        assert error.problem is CrmProblem.RECORD_DELETED
        assert str(error) == f"HubSpot contact {contact} no longer exists (deleted or merged)"
    assert hubspot.written("notes", contact) == []


def test_a_missing_scope_names_the_scope_to_add(hubspot, hubspot_client):
    contact = hubspot.add_contact(**JANE)
    hubspot.remove_scope("crm.objects.contacts.write")

    error = failure_of(
        lambda: hubspot_client.set_owner_and_status(contact, owner_id=None, status="OPEN")
    )

    assert isinstance(error, CrmNeedsPerson)
    assert error.problem is CrmProblem.MISSING_PERMISSION
    assert "crm.objects.contacts.write" in error.fix


def test_a_status_hubspot_does_not_know_is_refused_for_a_person(hubspot, hubspot_client):
    contact = hubspot.add_contact(**JANE)

    error = failure_of(
        lambda: hubspot_client.set_owner_and_status(contact, owner_id=None, status="WORKING")
    )

    assert isinstance(error, CrmNeedsPerson)
    assert error.problem is CrmProblem.REFUSED
    assert "WORKING was not one of the allowed options" in str(error)
    assert "baton crm check" in error.fix


def test_a_wrong_api_url_is_a_setup_problem(hubspot, hubspot_rules, clock):
    client = HubSpotClient(
        token=TOKEN, rules=hubspot_rules, clock=clock, api_url=hubspot.url + "/wrong"
    )

    error = failure_of(lambda: client.read_record("1001"))

    assert isinstance(error, CrmNeedsPerson)
    assert (error.problem, error.fix) == (CrmProblem.SETUP, "check HUBSPOT_API_URL")
    client.close()
