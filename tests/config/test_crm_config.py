"""The `crm:` section of baton.yaml and the CRM settings from the environment."""

from pathlib import Path
from typing import Any

import pytest

from bot.domain.crm import CrmProvider
from bot.domain.crm_rules import rules_for
from bot.domain.lead import Outcome
from config.model import load_config
from config.settings import Settings, SettingsError, load_settings
from tests.config.test_model import EXAMPLE, VALID, problems_of, write_config


def with_crm(tmp_path: Path, crm: Any) -> Path:
    return write_config(tmp_path / "baton.yaml", VALID | {"crm": crm})


def test_without_a_crm_section_there_is_no_crm(tmp_path: Path) -> None:
    assert load_config(write_config(tmp_path / "baton.yaml", VALID)).crm is None
    assert load_config(with_crm(tmp_path, None)).crm is None
    assert load_config(EXAMPLE).crm is None


@pytest.mark.parametrize("provider", list(CrmProvider))
def test_naming_the_provider_alone_is_a_working_setup(tmp_path: Path, provider) -> None:
    config = load_config(with_crm(tmp_path, {"provider": provider.value}))

    assert config.crm is not None
    assert config.crm.rules() == rules_for(provider)
    assert config.crm.sync_every_minutes == 5
    assert config.crm.marketing_owner is None


def test_hubspot_defaults_are_the_issues_mapping(tmp_path: Path) -> None:
    rules = load_config(with_crm(tmp_path, {"provider": "hubspot"})).crm.rules()

    assert dict(rules.fields) == {
        "email": "email",
        "first_name": "firstname",
        "last_name": "lastname",
        "company": "company",
        "title": "jobtitle",
        "phone": "phone",
        "country": "country",
        "state": "state",
        "postal_code": "zip",
        "score": "hubspotscore",
        "source": "hs_analytics_source",
    }
    assert (rules.sales_ready_field, rules.sales_ready_values) == (
        "lifecyclestage",
        frozenset({"salesqualifiedlead"}),
    )
    assert rules.stages["closedwon"] is Outcome.WON


def test_each_given_key_replaces_its_default_and_keeps_the_others(tmp_path: Path) -> None:
    crm = {
        "provider": "salesforce",
        "sales_ready": {"values": ["Marketing Qualified", "Hot"]},
        "fields": {"score": "Lead_Score__c", "phone": None},
        "statuses": {"accepted": "Working", "lost": None},
        "deal_stages": {"won": ["Closed Won", "Signed"]},
        "marketing_owner": "Marketing.Ops@Acme.example",
        "sync_every_minutes": 15,
    }

    config = load_config(with_crm(tmp_path, crm)).crm
    rules = config.rules()

    assert rules.sales_ready_field == "Status"
    assert rules.sales_ready_values == frozenset({"Marketing Qualified", "Hot"})
    assert rules.fields["score"] == "Lead_Score__c" and "phone" not in rules.fields
    assert rules.fields["email"] == "Email"
    assert [rules.status_for(d) for d in ("accepted", "returned", "won", "lost")] == [
        "Working",
        "Closed - Not Converted",
        None,
        None,
    ]
    assert rules.stages["Signed"] is Outcome.WON and rules.stages["Closed Lost"] is Outcome.LOST
    assert rules.marketing_owner == "marketing.ops@acme.example"
    assert config.sync_every_minutes == 15


BAD_CRM = [
    ("no provider", {}, "crm.provider: required key is missing"),
    (
        "a CRM Baton does not know",
        {"provider": "zoho"},
        "crm.provider: not a CRM Baton works with (hubspot or salesforce), got 'zoho'",
    ),
    ("unknown key", {"provider": "hubspot", "owner": "x"}, "crm.owner: unknown key"),
    (
        "unknown key in a section",
        {"provider": "hubspot", "statuses": {"closed": "X"}},
        "crm.statuses.closed: unknown key",
    ),
    (
        "not a lead field",
        {"provider": "hubspot", "fields": {"nickname": "nickname"}},
        "crm.fields.nickname: not a lead field",
    ),
    (
        "a field name that is not a name",
        {"provider": "salesforce", "fields": {"title": "Title FROM User"}},
        "crm.fields.title: not a CRM field name (letters, digits and _), got 'Title FROM User'",
    ),
    (
        "email left out",
        {"provider": "hubspot", "fields": {"email": None}},
        "crm.fields: email cannot be left out: every lead needs one",
    ),
    (
        "no sales-ready values",
        {"provider": "hubspot", "sales_ready": {"values": []}},
        "crm.sales_ready.values: needs at least one entry",
    ),
    (
        "no won stage",
        {"provider": "hubspot", "deal_stages": {"won": []}},
        "crm.deal_stages.won: needs at least one entry",
    ),
    (
        "a stage meaning two things",
        {"provider": "hubspot", "deal_stages": {"won": ["closedwon", "contractsent"]}},
        "crm: deal_stages: a stage means one thing, got contractsent (opportunity and won)",
    ),
    (
        "a marketing owner that is no email",
        {"provider": "hubspot", "marketing_owner": "Marketing"},
        "crm.marketing_owner: not an email address, got 'Marketing'",
    ),
    (
        "a sync that never runs",
        {"provider": "salesforce", "sync_every_minutes": 0},
        "crm.sync_every_minutes: input should be greater than or equal to 1",
    ),
    ("a list instead of a section", ["hubspot"], "crm: expected a mapping of keys"),
]


@pytest.mark.parametrize(("crm", "problem"), [c[1:] for c in BAD_CRM], ids=[c[0] for c in BAD_CRM])
def test_a_bad_crm_section_is_refused_naming_the_field(tmp_path: Path, crm, problem) -> None:
    path = with_crm(tmp_path, crm)

    problems = problems_of(path)

    assert problems[0].startswith(f"{path}: {problem}")


# Settings


CRM_VARIABLES = [
    "BATON_PUBLIC_URL",
    "HUBSPOT_ACCESS_TOKEN",
    "HUBSPOT_CLIENT_SECRET",
    "HUBSPOT_API_URL",
    "SALESFORCE_INSTANCE_URL",
    "SALESFORCE_CLIENT_ID",
    "SALESFORCE_CLIENT_SECRET",
    "SALESFORCE_API_VERSION",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [name.upper() for name in Settings.model_fields]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_every_crm_variable_is_a_described_setting() -> None:
    assert all(Settings.model_fields[name.lower()].description for name in CRM_VARIABLES)


def test_without_crm_variables_the_defaults_are_hubspots_and_nothing_is_set() -> None:
    settings = load_settings(env_file=None)

    assert settings.hubspot_api_url == "https://api.hubapi.com"
    assert settings.salesforce_api_version == "62.0"
    assert settings.hubspot_access_token is None and settings.hubspot_client_secret is None
    assert settings.salesforce_instance_url is None and settings.salesforce_client_id is None
    assert settings.salesforce_client_secret is None and settings.baton_public_url is None


def test_the_crm_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-secret-token")
    monkeypatch.setenv("HUBSPOT_CLIENT_SECRET", "hubspot-client-secret")
    monkeypatch.setenv("HUBSPOT_API_URL", "http://127.0.0.1:8080/")
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", "https://acme.my.salesforce.com/")
    monkeypatch.setenv("SALESFORCE_CLIENT_ID", "3MVG9abc")
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", "salesforce-secret")
    monkeypatch.setenv("SALESFORCE_API_VERSION", "v64.0")
    monkeypatch.setenv("BATON_PUBLIC_URL", "https://baton.example.com/")

    settings = load_settings(env_file=None)

    assert settings.hubspot_access_token.get_secret_value() == "pat-na1-secret-token"
    assert settings.hubspot_client_secret.get_secret_value() == "hubspot-client-secret"
    assert settings.hubspot_api_url == "http://127.0.0.1:8080"
    assert settings.salesforce_instance_url == "https://acme.my.salesforce.com"
    assert settings.salesforce_client_id == "3MVG9abc"
    assert settings.salesforce_api_version == "64.0"
    assert settings.baton_public_url == "https://baton.example.com"
    shown = repr(settings)
    assert "pat-na1" not in shown and "hubspot-client-secret" not in shown
    assert "salesforce-secret" not in shown


def test_blank_crm_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CRM_VARIABLES:
        monkeypatch.setenv(name, "  ")

    settings = load_settings(env_file=None)

    assert settings.hubspot_access_token is None and settings.baton_public_url is None
    assert (settings.hubspot_api_url, settings.salesforce_api_version) == (
        "https://api.hubapi.com",
        "62.0",
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "SALESFORCE_INSTANCE_URL",
            "acme.my.salesforce.com",
            "SALESFORCE_INSTANCE_URL is malformed: expected an http(s) URL",
        ),
        ("HUBSPOT_API_URL", "ftp://hubapi.com", "HUBSPOT_API_URL is malformed"),
        ("BATON_PUBLIC_URL", "https://b.example.com/?x=1", "BATON_PUBLIC_URL is malformed"),
        (
            "SALESFORCE_API_VERSION",
            "latest",
            "SALESFORCE_API_VERSION is malformed: expected a version such as 62.0",
        ),
        ("SALESFORCE_API_VERSION", "62", "SALESFORCE_API_VERSION is malformed"),
    ],
)
def test_a_malformed_crm_variable_is_named(monkeypatch, name, value, message) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert str(raised.value).startswith(message)
