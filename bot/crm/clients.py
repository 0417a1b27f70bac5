"""Open the configured CRM's client from the settings."""

from __future__ import annotations

from bot.clock import Clock
from bot.crm.hubspot import HubSpotClient
from bot.crm.provider import CrmClient
from bot.crm.salesforce import SalesforceClient
from bot.domain.crm import CrmProvider
from bot.domain.crm_rules import CrmRules
from config.settings import Settings, SettingsError

NEEDS = {
    CrmProvider.HUBSPOT: ("HUBSPOT_ACCESS_TOKEN",),
    CrmProvider.SALESFORCE: (
        "SALESFORCE_INSTANCE_URL",
        "SALESFORCE_CLIENT_ID",
        "SALESFORCE_CLIENT_SECRET",
    ),
}


def open_crm(
    settings: Settings, rules: CrmRules, *, clock: Clock, timeout: float = 10.0
) -> CrmClient:
    """Return a client for `rules.provider`; SettingsError names every variable missing."""
    missing = [name for name in NEEDS[rules.provider] if getattr(settings, name.lower()) is None]
    if missing:
        provider = rules.provider.value
        raise SettingsError(
            "\n".join(f"{name} is required with crm.provider {provider}" for name in missing)
        )
    if rules.provider is CrmProvider.HUBSPOT:
        token = settings.hubspot_access_token
        assert token is not None  # checked above
        return HubSpotClient(
            token=token.get_secret_value(),
            rules=rules,
            clock=clock,
            api_url=settings.hubspot_api_url,
            timeout=timeout,
        )
    instance, client_id = settings.salesforce_instance_url, settings.salesforce_client_id
    secret = settings.salesforce_client_secret
    assert instance is not None and client_id is not None and secret is not None  # checked above
    return SalesforceClient(
        instance_url=instance,
        client_id=client_id,
        client_secret=secret.get_secret_value(),
        rules=rules,
        clock=clock,
        api_version=settings.salesforce_api_version,
        timeout=timeout,
    )
