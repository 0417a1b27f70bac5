"""The CRM stand-ins and the clients pointed at them, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from baton_devkit.hubspot_standin import TOKEN, HubSpotStandIn
from baton_devkit.salesforce_standin import CLIENT_ID, CLIENT_SECRET, SalesforceStandIn

from bot.clock import FixedClock
from bot.crm.hubspot import HubSpotClient
from bot.crm.salesforce import SalesforceClient
from bot.domain.crm import CrmProvider
from bot.domain.crm_rules import CrmRules, rules_for

# Long enough for a loaded machine to answer, short enough that a slow answer is quick to test.
TIMEOUT = 2.0


@pytest.fixture
def hubspot(clock: FixedClock) -> Iterator[HubSpotStandIn]:
    with HubSpotStandIn(now=clock.now) as standin:
        yield standin


@pytest.fixture
def salesforce(clock: FixedClock) -> Iterator[SalesforceStandIn]:
    with SalesforceStandIn(now=clock.now) as standin:
        yield standin


@pytest.fixture
def hubspot_rules() -> CrmRules:
    return rules_for(CrmProvider.HUBSPOT)


@pytest.fixture
def salesforce_rules() -> CrmRules:
    return rules_for(CrmProvider.SALESFORCE)


@pytest.fixture
def hubspot_client(
    hubspot: HubSpotStandIn, hubspot_rules: CrmRules, clock: FixedClock
) -> Iterator[HubSpotClient]:
    client = HubSpotClient(
        token=TOKEN, rules=hubspot_rules, clock=clock, api_url=hubspot.url, timeout=TIMEOUT
    )
    yield client
    client.close()


@pytest.fixture
def salesforce_client(
    salesforce: SalesforceStandIn, salesforce_rules: CrmRules, clock: FixedClock
) -> Iterator[SalesforceClient]:
    client = SalesforceClient(
        instance_url=salesforce.url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        rules=salesforce_rules,
        clock=clock,
        timeout=TIMEOUT,
    )
    yield client
    client.close()
