from datetime import UTC, datetime

import pytest

from bot.clock import FixedClock
from bot.crm.clients import open_crm
from bot.crm.hubspot import HubSpotClient
from bot.crm.leads import lead_from_record
from bot.crm.salesforce import SalesforceClient
from bot.domain.crm import CrmNeedsPerson, CrmProblem, CrmProvider, CrmRecord
from bot.domain.crm_rules import rules_for
from config.settings import SettingsError, load_settings

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
HUBSPOT = rules_for(CrmProvider.HUBSPOT)
SALESFORCE = rules_for(CrmProvider.SALESFORCE)
JANE = {
    "email": "Jane@Acme.example",
    "firstname": "Jane",
    "lastname": "Doe",
    "company": "Acme GmbH",
    "jobtitle": "CTO",
    "country": "DE",
    "zip": "10115",
    "hubspotscore": "72",
    "hs_analytics_source": "ORGANIC_SEARCH",
    "lifecyclestage": "salesqualifiedlead",
}


def test_a_sales_ready_contact_becomes_an_intake_lead() -> None:
    lead = lead_from_record(CrmRecord("512", JANE, AT), HUBSPOT)

    assert lead.email == "jane@acme.example"
    assert (lead.first_name, lead.last_name, lead.company, lead.title) == (
        "Jane",
        "Doe",
        "Acme GmbH",
        "CTO",
    )
    assert (lead.country, lead.postal_code, lead.score, lead.source) == (
        "DE",
        "10115",
        72.0,
        "organic_search",
    )
    assert lead.external_id == "512"
    [why] = lead.activity
    assert (why.type, why.at) == ("hubspot", AT)
    assert why.detail == "sales-ready in HubSpot: lifecyclestage is salesqualifiedlead"


def test_a_salesforce_lead_becomes_an_intake_lead() -> None:
    record = CrmRecord(
        "00Q000000000001AAA",
        {
            "Email": "jo@x.example",
            "LastName": "Jo",
            "Company": "X Inc",
            "State": "CA",
            "LeadSource": "Web",
            "Status": "Open - Not Contacted",
        },
        AT,
    )

    lead = lead_from_record(record, SALESFORCE)

    assert (lead.external_id, lead.state, lead.source) == ("00Q000000000001AAA", "CA", "web")
    assert lead.activity[0].detail == "sales-ready in Salesforce: Status is Open - Not Contacted"


def test_a_field_intake_would_refuse_is_left_out_and_noted() -> None:
    record = CrmRecord("512", JANE | {"phone": "9" * 150, "hubspotscore": "lots"}, AT)

    lead = lead_from_record(record, HUBSPOT)

    assert (lead.phone, lead.score, lead.company) == (None, None, "Acme GmbH")
    note = lead.activity[-1].detail
    assert note.startswith("HubSpot fields left out: ")
    assert "phone (String should have at most 100 characters)" in note
    assert "score (must be a number)" in note


@pytest.mark.parametrize("email", [None, "", "not-an-email", "a@b"])
def test_a_record_without_a_usable_email_needs_a_person(email) -> None:
    with pytest.raises(CrmNeedsPerson) as raised:
        lead_from_record(CrmRecord("512", JANE | {"email": email}, AT), HUBSPOT)

    assert raised.value.problem is CrmProblem.RECORD_INVALID
    assert str(raised.value).startswith("HubSpot contact 512 cannot be a lead: email ")
    assert raised.value.fix == "give the contact a valid email address in HubSpot"


CRM_VARIABLES = (
    "HUBSPOT_ACCESS_TOKEN",
    "HUBSPOT_API_URL",
    "SALESFORCE_INSTANCE_URL",
    "SALESFORCE_CLIENT_ID",
    "SALESFORCE_CLIENT_SECRET",
    "SALESFORCE_API_VERSION",
)


@pytest.fixture(autouse=True)
def no_crm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CRM_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_the_configured_crm_opens_with_its_settings() -> None:
    clock = FixedClock(AT)
    settings = load_settings(
        env_file=None,
        hubspot_access_token="pat-na1-secret",
        salesforce_instance_url="https://acme.my.salesforce.com",
        salesforce_client_id="3MVG9",
        salesforce_client_secret="s3cret",
    )

    hubspot = open_crm(settings, HUBSPOT, clock=clock)
    salesforce = open_crm(settings, SALESFORCE, clock=clock)

    assert isinstance(hubspot, HubSpotClient) and isinstance(salesforce, SalesforceClient)
    hubspot.close()
    salesforce.close()


def test_a_crm_without_its_settings_names_every_one_missing() -> None:
    settings = load_settings(env_file=None, salesforce_client_id="3MVG9")

    with pytest.raises(SettingsError) as hubspot:
        open_crm(settings, HUBSPOT, clock=FixedClock(AT))
    with pytest.raises(SettingsError) as salesforce:
        open_crm(settings, SALESFORCE, clock=FixedClock(AT))

    assert str(hubspot.value) == "HUBSPOT_ACCESS_TOKEN is required with crm.provider hubspot"
    assert str(salesforce.value).splitlines() == [
        "SALESFORCE_INSTANCE_URL is required with crm.provider salesforce",
        "SALESFORCE_CLIENT_SECRET is required with crm.provider salesforce",
    ]
