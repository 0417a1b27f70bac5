from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.domain.amounts import Money
from bot.domain.crm import (
    CrmCursor,
    CrmDeal,
    CrmField,
    CrmNeedsPerson,
    CrmProblem,
    CrmProvider,
    CrmRecord,
    CrmSchema,
    CrmUser,
    page_after,
)
from bot.domain.crm_rules import (
    check_people,
    check_schema,
    lead_payload,
    owner_for,
    rules_for,
)
from bot.domain.lead import Outcome

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
HUBSPOT = rules_for(CrmProvider.HUBSPOT)
SALESFORCE = rules_for(CrmProvider.SALESFORCE)
CONTACT = CrmRecord(
    "512",
    {
        "email": "jane@acme.example",
        "firstname": "Jane",
        "lastname": "Doe",
        "company": "Acme GmbH",
        "jobtitle": "CTO",
        "phone": "+49 30 1234",
        "country": "DE",
        "state": "Berlin",
        "zip": "10115",
        "hubspotscore": "72",
        "hs_analytics_source": "ORGANIC_SEARCH",
        "lifecyclestage": "salesqualifiedlead",
        "notes_last_updated": "ignored",
    },
    AT,
)


def deal(stage: str | None, amount: str | None = "1000") -> CrmDeal:
    money = Money(Decimal(amount), "EUR") if amount else None
    return CrmDeal("9", "Acme", stage, money, None, AT, ("512",))


def test_a_hubspot_contact_maps_to_every_lead_field_by_default() -> None:
    payload = lead_payload(CONTACT, HUBSPOT)

    assert payload == {
        "email": "jane@acme.example",
        "first_name": "Jane",
        "last_name": "Doe",
        "company": "Acme GmbH",
        "title": "CTO",
        "phone": "+49 30 1234",
        "country": "DE",
        "state": "Berlin",
        "postal_code": "10115",
        "score": "72",
        "source": "ORGANIC_SEARCH",
        "external_id": "512",
        "activity": [
            {
                "type": "hubspot",
                "at": AT,
                "detail": "sales-ready in HubSpot: lifecyclestage is salesqualifiedlead",
            }
        ],
    }


def test_a_salesforce_lead_maps_its_standard_fields() -> None:
    lead = CrmRecord(
        "00Q1",
        {"Email": "jo@x.example", "Company": "X", "PostalCode": "94105", "LeadSource": "Web"},
        AT,
    )

    payload = lead_payload(lead, SALESFORCE)

    assert (payload["email"], payload["postal_code"], payload["source"]) == (
        "jo@x.example",
        "94105",
        "Web",
    )
    assert "score" not in payload  # Salesforce has no standard score field


def test_given_fields_replace_the_defaults_and_null_leaves_one_out() -> None:
    rules = rules_for(CrmProvider.HUBSPOT, fields={"score": "lead_score", "phone": None})

    payload = lead_payload(CrmRecord("1", {"email": "a@b.example", "lead_score": "90"}), rules)

    assert payload["score"] == "90"
    assert "phone" not in payload
    assert "lead_score" in rules.read_fields() and "phone" not in rules.read_fields()


@pytest.mark.parametrize(
    ("rules", "field", "value", "ready"),
    [
        (HUBSPOT, "lifecyclestage", "salesqualifiedlead", True),
        (HUBSPOT, "lifecyclestage", "SalesQualifiedLead", True),
        (HUBSPOT, "lifecyclestage", "marketingqualifiedlead", False),
        (HUBSPOT, "lifecyclestage", None, False),
        (HUBSPOT, "hs_lead_status", "salesqualifiedlead", False),
        (SALESFORCE, "Status", "Open - Not Contacted", True),
        (SALESFORCE, "Status", "Working - Contacted", False),
    ],
)
def test_which_changes_make_a_record_sales_ready(rules, field, value, ready) -> None:
    assert rules.becomes_sales_ready(field, value) is ready


def test_the_sales_ready_values_can_be_a_list() -> None:
    rules = rules_for(CrmProvider.SALESFORCE, sales_ready_values=["MQL", "Hot"])

    assert rules.is_sales_ready(CrmRecord("1", {"Status": "Hot"}))
    assert not rules.is_sales_ready(CrmRecord("1", {"Status": "Open - Not Contacted"}))


@pytest.mark.parametrize(
    ("stage", "outcome"),
    [
        ("appointmentscheduled", Outcome.OPPORTUNITY),
        ("contractsent", Outcome.OPPORTUNITY),
        ("closedwon", Outcome.WON),
        ("closedlost", Outcome.LOST),
        ("somecustomstage", None),
        (None, None),
    ],
)
def test_a_deal_stage_means_an_outcome_with_the_deals_amount(stage, outcome) -> None:
    found = HUBSPOT.deal_outcome(deal(stage))

    if outcome is None:
        assert found is None
    else:
        assert (found.outcome, found.amount, found.deal_id) == (
            outcome,
            Money(Decimal(1000), "EUR"),
            "9",
        )


def test_configured_stages_replace_the_defaults_for_their_outcome() -> None:
    rules = rules_for(CrmProvider.HUBSPOT, stages={Outcome.WON: ["signed"]})

    assert rules.deal_outcome(deal("signed")).outcome is Outcome.WON
    assert rules.deal_outcome(deal("closedwon")) is None
    assert rules.deal_outcome(deal("closedlost")).outcome is Outcome.LOST


def test_the_status_written_on_each_decision() -> None:
    rules = rules_for(CrmProvider.HUBSPOT, statuses={"returned": None, "lost": "BAD_TIMING"})

    assert [rules.status_for(d) for d in ("accepted", "returned", "won", "lost")] == [
        "IN_PROGRESS",
        None,
        None,
        "BAD_TIMING",
    ]
    with pytest.raises(ValueError, match="not a decision"):
        rules.status_for("snoozed")


USERS = (
    CrmUser("1", "Rita.Rep@acme.example", "Rita Rep"),
    CrmUser("2", "old@acme.example", "Old Timer", active=False),
)


def test_a_rep_is_matched_to_a_crm_user_by_email_in_any_case() -> None:
    assert owner_for("rita.rep@ACME.example", USERS, rules=HUBSPOT).id == "1"


@pytest.mark.parametrize(
    ("email", "message", "fix"),
    [
        (None, "the person has no email address in Slack", "in their Slack profile"),
        ("old@acme.example", "is deactivated", "reactivate old@acme.example in HubSpot"),
        ("new@acme.example", "no HubSpot user has the email new@acme.example", "add new@"),
    ],
)
def test_a_rep_without_a_crm_user_is_a_problem_for_a_person(email, message, fix) -> None:
    with pytest.raises(CrmNeedsPerson) as raised:
        owner_for(email, USERS, rules=HUBSPOT)

    assert raised.value.problem is CrmProblem.NO_USER
    assert message in str(raised.value) and fix in raised.value.fix


def test_the_check_names_each_person_and_their_crm_user() -> None:
    people = {"Rita (U0REP1)": "rita.rep@acme.example", "Nobody (U0NOBODY)": "no@acme.example"}

    rita, nobody = check_people(people, USERS, rules=SALESFORCE)

    assert (rita.ok, rita.detail) == (True, "Salesforce user 1 (rita.rep@acme.example)")
    assert not nobody.ok and "no Salesforce user has the email no@acme.example" in nobody.detail


def full_schema() -> CrmSchema:
    fields = {name: CrmField(name, None, True) for name in HUBSPOT.read_fields()}
    fields["lifecyclestage"] = CrmField("lifecyclestage", frozenset({"lead", "salesqualifiedlead"}))
    fields["hs_lead_status"] = CrmField(
        "hs_lead_status", frozenset({"IN_PROGRESS", "UNQUALIFIED"}), True
    )
    return CrmSchema(fields, frozenset(HUBSPOT.stages), None)


def test_a_crm_that_has_everything_the_config_names_passes_the_check() -> None:
    results = check_schema(full_schema(), HUBSPOT)

    assert all(r.ok for r in results)
    assert {r.what for r in results} >= {"HubSpot contact field jobtitle (title)"}


def failures(schema: CrmSchema) -> dict[str, str]:
    return {r.what: r.detail for r in check_schema(schema, HUBSPOT) if not r.ok}


def test_the_check_names_what_the_crm_lacks() -> None:
    fields = {name: CrmField(name, None, True) for name in HUBSPOT.read_fields()}
    del fields["jobtitle"]
    fields["hs_lead_status"] = CrmField("hs_lead_status", frozenset({"OPEN"}), False)
    fields["lifecyclestage"] = CrmField("lifecyclestage", frozenset({"lead"}))
    schema = CrmSchema(fields, frozenset({"closedwon"}), False, ("deal pipelines: refused",))

    found = failures(schema)

    assert found["reading the CRM"] == "deal pipelines: refused"
    assert found["HubSpot contact field jobtitle (title)"].startswith("does not exist")
    assert found["HubSpot contact field lifecyclestage values salesqualifiedlead"] == (
        "no such value: salesqualifiedlead (has: lead)"
    )
    assert found["HubSpot contact field hs_lead_status values IN_PROGRESS, UNQUALIFIED"] == (
        "no such value: IN_PROGRESS, UNQUALIFIED (has: OPEN)"
    )
    assert found["HubSpot contact field hs_lead_status"].startswith("Baton may not change it")
    assert found["deal stages meaning lost: closedlost"] == "no such stage in HubSpot: closedlost"
    assert "deal stages meaning won: closedwon" not in found
    assert found["writing notes and tasks in HubSpot"].startswith("not allowed")


def test_a_cursor_survives_being_stored_as_text() -> None:
    cursor = CrmCursor(AT, "00Q000000000001AAA")

    assert CrmCursor.decode(cursor.encode()) == cursor
    for text in ("", "2026-11-23T09:30:00", "2026-11-23T09:30:00+00:00|", "yesterday|1"):
        with pytest.raises(ValueError):
            CrmCursor.decode(text)


def test_a_page_read_from_a_cursor_leaves_out_the_change_already_stored() -> None:
    stored = CrmRecord("1", {}, AT)
    same_time = CrmRecord("2", {}, AT)
    undated = CrmRecord("3", {}, None)

    page = page_after(
        [stored, same_time, undated], since=CrmCursor(AT, "1"), next_page=None, more=False
    )

    assert [r.id for r in page.items] == ["2", "3"]
    assert page.cursor == CrmCursor(AT, "2")
    empty = page_after([], since=CrmCursor(AT, "1"), next_page=None, more=False)
    assert empty.cursor == CrmCursor(AT, "1")
