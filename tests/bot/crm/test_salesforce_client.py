from datetime import timedelta
from decimal import Decimal

import pytest
from baton_devkit.salesforce_standin import CLIENT_ID, CLIENT_SECRET, SalesforceStandIn

from bot.crm.salesforce import SalesforceClient
from bot.domain.amounts import Money
from bot.domain.crm import (
    CrmCursor,
    CrmEntry,
    CrmNeedsPerson,
    CrmProblem,
    CrmProvider,
    CrmRetryLater,
    EntryKind,
)
from bot.domain.crm_rules import check_schema, rules_for
from bot.domain.lead import Outcome

JANE = {
    "FirstName": "Jane",
    "LastName": "Doe",
    "Email": "jane@acme.example",
    "Company": "Acme GmbH",
    "Title": "CTO",
    "Country": "DE",
    "LeadSource": "Web",
}


def client_for(salesforce: SalesforceStandIn, clock, **options) -> SalesforceClient:
    settings = {
        "instance_url": salesforce.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "rules": rules_for(CrmProvider.SALESFORCE),
        "clock": clock,
    }
    return SalesforceClient(**settings | options)


def failure_of(call) -> Exception:
    with pytest.raises((CrmRetryLater, CrmNeedsPerson)) as raised:
        call()
    return raised.value


def test_baton_signs_in_once_with_its_client_credentials(salesforce, salesforce_client):
    lead = salesforce.add("Lead", **JANE)

    salesforce_client.read_record(lead)
    salesforce_client.users()
    salesforce_client.deals_of(lead)

    [token] = salesforce.calls_to("token")
    assert token.body == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    read = salesforce.calls_to("Lead.read")[0]
    assert read.headers["Authorization"].startswith("Bearer 00DSTANDIN!")


def test_a_lead_is_read_with_the_fields_the_rules_name(salesforce, salesforce_client, clock):
    lead = salesforce.add("Lead", **JANE)

    record = salesforce_client.read_record(lead)

    assert record.id == lead
    assert record.properties["Email"] == "jane@acme.example"
    assert record.properties["Status"] == "Open - Not Contacted"
    assert record.changed_at == clock.now()
    assert salesforce_client.rules.is_sales_ready(record)
    [call] = salesforce.calls_to("Lead.read")
    assert call.path == f"/services/data/v62.0/sobjects/Lead/{lead}"


def test_changed_leads_in_the_statuses_come_oldest_first(salesforce, salesforce_client, clock):
    early = salesforce.add("Lead", **JANE)
    clock.advance(minutes=1)
    salesforce.add("Lead", **JANE | {"Status": "Working - Contacted"})
    later = salesforce.add("Lead", **JANE | {"Email": "later@acme.example"})

    page = salesforce_client.changed_records(since=None)

    assert [r.id for r in page.items] == [early, later]
    assert page.cursor == CrmCursor(clock.now(), later)
    assert (page.next_page, page.more) == (None, False)


def test_a_pass_from_a_cursor_sees_only_what_changed_since(salesforce, salesforce_client, clock):
    first = salesforce.add("Lead", **JANE)
    clock.advance(minutes=1)
    second = salesforce.add("Lead", **JANE)
    stored = salesforce_client.changed_records(since=None)
    clock.advance(minutes=1)
    salesforce.change("Lead", first, Title="CEO")

    again = salesforce_client.changed_records(since=stored.cursor)

    assert [r.id for r in again.items] == [first]
    assert [r.id for r in stored.items] == [first, second]
    query = salesforce.calls_to("query")[-1].query["q"]
    assert "SystemModstamp >= 2026-11-23T09:31:00Z" in query


def test_changed_leads_follow_next_records_url(salesforce, salesforce_client, clock):
    ids = []
    for i in range(250):
        ids.append(salesforce.add("Lead", **JANE | {"Email": f"l{i}@acme.example"}))
        clock.advance(seconds=1)

    first = salesforce_client.changed_records(since=None)
    second = salesforce_client.changed_records(since=None, page=first.next_page)

    assert first.next_page.startswith("/services/data/v62.0/query/")
    assert (len(first.items), first.more) == (200, True)
    assert [r.id for r in first.items + second.items] == ids
    assert (second.next_page, second.more) == (None, False)


def test_an_opportunity_names_the_leads_converted_into_it(salesforce, salesforce_client):
    lead = salesforce.add("Lead", **JANE)
    deal = salesforce.add(
        "Opportunity", Name="Acme", StageName="Closed Won", Amount=12500.5, CloseDate="2026-11-20"
    )
    salesforce.convert(lead, deal)

    found = salesforce_client.read_deal(deal)
    [through_lead] = salesforce_client.deals_of(lead)

    assert found == through_lead
    assert found.record_ids == (lead,)
    assert found.amount == Money(Decimal("12500.5"), None)
    assert found.closed_on.isoformat() == "2026-11-20"
    outcome = salesforce_client.rules.deal_outcome(found)
    assert outcome.outcome is Outcome.WON


def test_changed_opportunities_are_those_of_converted_leads(salesforce, salesforce_client, clock):
    lead = salesforce.add("Lead", **JANE)
    deal = salesforce.add("Opportunity", Name="Acme", StageName="Qualification", Amount=900)
    salesforce.convert(lead, deal)
    clock.advance(minutes=5)
    stranger = salesforce.add("Opportunity", Name="Other", StageName="Closed Won")

    page = salesforce_client.changed_deals(since=None)

    assert [(d.id, d.record_ids) for d in page.items] == [(deal, (lead,))]
    assert page.cursor == CrmCursor(clock.now(), stranger)
    assert salesforce_client.deals_of(salesforce.add("Lead", **JANE)) == ()


def test_owner_and_status_are_set_in_one_update(salesforce, salesforce_client):
    lead = salesforce.add("Lead", **JANE)
    rep = salesforce.add_user("rep@acme.example", "Rita Rep")

    salesforce_client.set_owner_and_status(lead, owner_id=rep, status="Working - Contacted")
    salesforce_client.set_owner_and_status(lead, owner_id=None, status=None)

    [call] = salesforce.calls_to("Lead.update")
    assert call.body == {"OwnerId": rep, "Status": "Working - Contacted"}
    assert call.status == 204
    assert salesforce.record("Lead", lead)["OwnerId"] == rep


@pytest.mark.parametrize(
    ("kind", "done", "status"),
    [
        (EntryKind.NOTE, False, "Not Started"),
        (EntryKind.TASK, False, "Not Started"),
        (EntryKind.TASK, True, "Completed"),
        (EntryKind.ACTIVITY, False, "Completed"),
    ],
)
def test_entries_are_tasks_on_the_lead(salesforce, salesforce_client, clock, kind, done, status):
    lead = salesforce.add("Lead", **JANE)
    rep = salesforce.add_user("rep@acme.example", "Rita Rep")
    due = clock.now() + timedelta(days=3)
    entry = CrmEntry(kind, "crm:k:1", "Follow up", "Call Jane.", due, owner_id=rep, done=done)

    task_id = salesforce_client.add_entry(lead, entry)

    [task] = salesforce.tasks(lead)
    assert task["Id"] == task_id
    assert (task["Subject"], task["Status"], task["OwnerId"]) == ("Follow up", status, rep)
    assert task["ActivityDate"] == "2026-11-26"
    assert task["Description"] == "Call Jane.\n\n[baton:crm:k:1]"
    assert salesforce_client.find_entry(lead, "crm:k:1") == task_id
    assert salesforce_client.find_entry(lead, "crm:k:2") is None


def test_a_task_whose_answer_was_lost_is_found_instead_of_written_twice(salesforce, clock):
    lead = salesforce.add("Lead", **JANE)
    impatient = client_for(salesforce, clock, timeout=0.2)
    impatient.read_record(lead)  # signed in
    salesforce.set_latency(0.6, "Task.create")
    entry = CrmEntry(EntryKind.ACTIVITY, "crm:outcome:7", "Meeting", "", clock.now())

    with pytest.raises(CrmRetryLater, match=r"did not answer within 0\.2 s"):
        impatient.add_entry(lead, entry)

    assert salesforce.wait_for(lambda: len(salesforce.tasks(lead)) == 1)
    assert impatient.find_entry(lead, "crm:outcome:7") == salesforce.tasks(lead)[0]["Id"]
    impatient.close()


def test_users_are_everyone_who_can_own_a_lead(salesforce, salesforce_client):
    salesforce.add_user("rep@acme.example", "Rita Rep")
    salesforce.add_user("old@acme.example", "Old Timer", active=False)

    users = {u.email: u for u in salesforce_client.users()}

    assert users["rep@acme.example"].active and users["rep@acme.example"].name == "Rita Rep"
    assert not users["old@acme.example"].active


def test_the_default_rules_match_a_standard_org(salesforce_client):
    schema = salesforce_client.schema()

    assert [r for r in check_schema(schema, salesforce_client.rules) if not r.ok] == []
    assert schema.record_fields["Status"].options >= {"Working - Contacted"}
    assert "Closed Won" in schema.deal_stages
    assert schema.can_write_entries is True


def test_a_run_as_user_without_edit_rights_shows_in_the_check(salesforce, salesforce_client):
    salesforce.deny("Lead", "edit")
    salesforce.deny("Task", "create")

    schema = salesforce_client.schema()
    failed = {r.what: r.detail for r in check_schema(schema, salesforce_client.rules) if not r.ok}

    assert "Salesforce lead field Status" in failed
    assert "Salesforce lead field OwnerId" in failed
    assert failed["writing notes and tasks in Salesforce"].startswith("not allowed")


# Failures: each call makes one attempt and says what to do next.


def test_an_expired_session_is_retried_at_once_with_a_new_token(salesforce, salesforce_client):
    lead = salesforce.add("Lead", **JANE)
    salesforce_client.read_record(lead)
    salesforce.expire_sessions()

    error = failure_of(lambda: salesforce_client.read_record(lead))

    assert isinstance(error, CrmRetryLater)
    assert error.wait == timedelta(0)
    assert str(error) == "the Salesforce session expired"
    assert salesforce_client.read_record(lead).id == lead
    assert len(salesforce.calls_to("token")) == 2
    assert len(salesforce.calls_to("Lead.read")) == 3


def test_a_token_refused_as_soon_as_issued_needs_a_person(salesforce, salesforce_client):
    lead = salesforce.add("Lead", **JANE)
    salesforce.fail("Lead.read", status=401)

    error = failure_of(lambda: salesforce_client.read_record(lead))

    assert isinstance(error, CrmNeedsPerson)
    assert error.problem is CrmProblem.TOKEN_REFUSED
    assert "API Enabled" in error.fix


def test_refused_client_credentials_say_which_settings_to_check(salesforce, clock):
    client = client_for(salesforce, clock, client_secret="wrong")

    error = failure_of(lambda: client.users())

    assert isinstance(error, CrmNeedsPerson)
    assert error.problem is CrmProblem.TOKEN_REFUSED
    assert "invalid_client" in str(error)
    assert "SALESFORCE_CLIENT_SECRET" in error.fix
    assert salesforce.calls_to("query") == []
    client.close()


@pytest.mark.parametrize(
    ("route", "status", "retry_after", "error_code", "wait"),
    [
        ("Lead.update", 429, 12, None, timedelta(seconds=12)),
        ("Lead.update", 500, None, None, None),
        ("Lead.update", 503, 20, None, timedelta(seconds=20)),
        ("Lead.update", 403, None, "REQUEST_LIMIT_EXCEEDED", timedelta(minutes=30)),
        ("token", 503, None, None, None),
    ],
)
def test_a_busy_salesforce_means_retry_later_after_its_wait(
    salesforce, salesforce_client, route, status, retry_after, error_code, wait
):
    lead = salesforce.add("Lead", **JANE)
    salesforce.fail(route, status=status, retry_after=retry_after, error=error_code)

    error = failure_of(
        lambda: salesforce_client.set_owner_and_status(
            lead, owner_id=None, status="Working - Contacted"
        )
    )

    assert isinstance(error, CrmRetryLater)
    assert error.wait == wait
    assert len(salesforce.calls_to(route)) == 1  # no hidden retry
    salesforce_client.set_owner_and_status(lead, owner_id=None, status="Working - Contacted")
    assert salesforce.record("Lead", lead)["Status"] == "Working - Contacted"


def test_a_slow_salesforce_means_retry_later(salesforce, clock):
    lead = salesforce.add("Lead", **JANE)
    salesforce.set_latency(1.0, "Lead.read")
    impatient = client_for(salesforce, clock, timeout=0.3)

    error = failure_of(lambda: impatient.read_record(lead))

    assert isinstance(error, CrmRetryLater)
    assert str(error) == "Salesforce did not answer within 0.3 s"
    impatient.close()


def test_a_deleted_lead_is_a_problem_for_a_person_whatever_the_call(
    salesforce, salesforce_client, clock
):
    lead = salesforce.add("Lead", **JANE)
    salesforce.delete("Lead", lead)
    entry = CrmEntry(EntryKind.NOTE, "k", "Accepted", "", clock.now())

    for call in (
        lambda: salesforce_client.read_record(lead),
        lambda: salesforce_client.set_owner_and_status(
            lead, owner_id=None, status="Working - Contacted"
        ),
        lambda: salesforce_client.add_entry(lead, entry),
    ):
        error = failure_of(call)
        assert isinstance(error, CrmNeedsPerson)
        assert error.problem is CrmProblem.RECORD_DELETED
        assert str(error) == f"Salesforce lead {lead} no longer exists (ENTITY_IS_DELETED)"
    assert salesforce.tasks(lead) == []


def test_a_missing_permission_is_a_problem_for_a_person(salesforce, salesforce_client):
    lead = salesforce.add("Lead", **JANE)
    salesforce.deny("Lead", "edit")

    error = failure_of(
        lambda: salesforce_client.set_owner_and_status(
            lead, owner_id=None, status="Working - Contacted"
        )
    )

    assert isinstance(error, CrmNeedsPerson)
    assert error.problem is CrmProblem.MISSING_PERMISSION
    assert "INSUFFICIENT_ACCESS_OR_READONLY" in str(error)
    assert "run-as user" in error.fix


def test_a_status_not_in_the_picklist_is_refused_for_a_person(salesforce, salesforce_client):
    lead = salesforce.add("Lead", **JANE)

    error = failure_of(
        lambda: salesforce_client.set_owner_and_status(lead, owner_id=None, status="Hot")
    )

    assert isinstance(error, CrmNeedsPerson)
    assert error.problem is CrmProblem.REFUSED
    assert "bad value for restricted picklist field: Hot" in str(error)


def test_a_deactivated_rep_cannot_own_a_lead(salesforce, salesforce_client):
    lead = salesforce.add("Lead", **JANE)
    gone = salesforce.add_user("gone@acme.example", "Gone Rep", active=False)

    error = failure_of(
        lambda: salesforce_client.set_owner_and_status(lead, owner_id=gone, status=None)
    )

    assert isinstance(error, CrmNeedsPerson)
    assert error.problem is CrmProblem.NO_USER


def test_a_mapped_field_salesforce_does_not_have_is_a_setup_problem(salesforce, clock):
    lead = salesforce.add("Lead", **JANE)
    rules = rules_for(CrmProvider.SALESFORCE, fields={"score": "Score__c"})
    client = client_for(salesforce, clock, rules=rules)

    error = failure_of(lambda: client.read_record(lead))

    assert isinstance(error, CrmNeedsPerson)
    assert error.problem is CrmProblem.SETUP
    assert "No such column 'Score__c'" in str(error)
    client.close()


def test_an_api_version_salesforce_does_not_serve_shows_in_the_check(salesforce, clock):
    client = client_for(salesforce, clock, api_version="99.0")

    schema = client.schema()

    assert len(schema.missing) == 3
    assert "SALESFORCE_API_VERSION" in schema.missing[0]
    client.close()
