"""Baton bridged to the HubSpot or Salesforce stand-in, served with Slack's, for CRM tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
from baton_devkit import salesforce_standin
from baton_devkit.hubspot_standin import TOKEN, HubSpotStandIn, sign_webhook
from baton_devkit.salesforce_standin import SalesforceStandIn
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import Baton
from bot.crm.worker import CrmWorker
from bot.crm_app import crm_worker
from bot.services.records import CRM_WORK
from config.crm import CrmConfig
from storage.rows import OutboxRow
from tests.fakes.slack import SlackHarness, slack_harness

CLIENT_SECRET = "hubspot-client-secret-for-tests"
WEBHOOK = "/crm/hubspot/webhook"


class HubSpotHarness:
    """Baton on the Slack and HubSpot stand-ins; HubSpot's webhooks signed as HubSpot signs."""

    def __init__(self, slack: SlackHarness, hubspot: HubSpotStandIn, worker: CrmWorker) -> None:
        self.slack, self.hubspot, self.worker = slack, hubspot, worker
        self.baton = slack.baton
        self.clock = slack.clock

    def post_events(
        self,
        events: list[dict[str, Any]],
        *,
        signed_at: datetime | None = None,
        uri: str | None = None,
        secret: str = CLIENT_SECRET,
    ) -> httpx.Response:
        """POST events to the webhook, signed over `uri` (the URL called) at `signed_at`."""
        body = json.dumps(events)
        at = signed_at or self.clock.now()
        headers = sign_webhook(
            secret=secret,
            method="POST",
            uri=uri or f"{self.slack.url}{WEBHOOK}",
            body=body,
            timestamp_ms=int(at.timestamp() * 1000),
        )
        return self.slack.http.post(WEBHOOK, content=body, headers=headers)

    def work(self, rounds: int = 20) -> None:
        """Run the CRM worker until it finds nothing due now."""
        for _ in range(rounds):
            if not self.worker.run_once():
                return
        raise AssertionError("CRM work keeps coming")

    def settle(self) -> None:
        """Take in what the CRM sent, then deliver every Slack message it led to."""
        self.work()
        self.slack.deliver_all()

    def crm_rows(self, state: str | None = None) -> list[OutboxRow]:
        with self.baton.database.reading() as session:
            query = select(OutboxRow).where(OutboxRow.kind.in_([k.value for k in CRM_WORK]))
            if state:
                query = query.where(OutboxRow.state == state)
            return list(session.scalars(query.order_by(OutboxRow.id)))

    def count(self, row: type, *where: Any) -> int:
        with self.baton.database.reading() as session:
            return int(session.scalar(select(func.count()).select_from(row).where(*where)) or 0)


def contact_event(
    event_id: int,
    contact_id: str,
    *,
    at: datetime,
    kind: str = "contact.propertyChange",
    name: str | None = "lifecyclestage",
    value: str | None = "salesqualifiedlead",
) -> dict[str, Any]:
    """One event as HubSpot sends it (its webhooks' documented fields)."""
    event: dict[str, Any] = {
        "eventId": event_id,
        "subscriptionId": 4242,
        "portalId": 62515,
        "appId": 1160452,
        "occurredAt": int(at.timestamp() * 1000),
        "subscriptionType": kind,
        "attemptNumber": 0,
        "objectId": int(contact_id),
        "changeSource": "CRM",
    }
    if kind.endswith("propertyChange"):
        event |= {"propertyName": name, "propertyValue": value}
    return event


def with_hubspot(baton: Baton, hubspot: HubSpotStandIn, **crm: Any) -> None:
    """Point Baton at the HubSpot stand-in, with `crm: {provider: hubspot, ...}`."""
    baton.config = baton.config.model_copy(
        update={"crm": CrmConfig.model_validate({"provider": "hubspot", **crm})}
    )
    baton.settings = baton.settings.model_copy(
        update={
            "hubspot_access_token": SecretStr(TOKEN),
            "hubspot_client_secret": SecretStr(CLIENT_SECRET),
            "hubspot_api_url": hubspot.url,
        }
    )


@contextmanager
def hubspot_harness(baton: Baton, **crm: Any) -> Iterator[HubSpotHarness]:
    with HubSpotStandIn(now=baton.clock.now) as hubspot:
        with_hubspot(baton, hubspot, **crm)
        baton.crm_timeout = 1.0  # a lost answer is quick to test
        with slack_harness(baton) as slack:
            worker = crm_worker(baton)
            assert worker is not None
            yield HubSpotHarness(slack, hubspot, worker)
            worker.stop()
            if baton.crm is not None:
                baton.crm.close()


class SalesforceHarness:
    """Baton on the Slack and Salesforce stand-ins; `crm-sync` passes run as of a time."""

    def __init__(
        self, slack: SlackHarness, salesforce: SalesforceStandIn, worker: CrmWorker
    ) -> None:
        self.slack, self.salesforce, self.worker = slack, salesforce, worker
        self.baton = slack.baton
        self.clock = slack.clock

    def sync(self, as_of: datetime | None = None) -> Any:
        from bot.jobs.passes import run_job

        return run_job(self.baton, "crm-sync", now=as_of or self.clock.now())

    def settle(self) -> None:
        for _ in range(20):
            if not self.worker.run_once():
                break
        self.slack.deliver_all()


@contextmanager
def salesforce_harness(baton: Baton, **crm: Any) -> Iterator[SalesforceHarness]:
    with SalesforceStandIn(now=baton.clock.now) as salesforce:
        baton.config = baton.config.model_copy(
            update={"crm": CrmConfig.model_validate({"provider": "salesforce", **crm})}
        )
        baton.settings = baton.settings.model_copy(
            update={
                "salesforce_instance_url": salesforce.url,
                "salesforce_client_id": salesforce_standin.CLIENT_ID,
                "salesforce_client_secret": SecretStr(salesforce_standin.CLIENT_SECRET),
            }
        )
        baton.crm_timeout = 1.0
        with slack_harness(baton) as slack:
            worker = crm_worker(baton)
            assert worker is not None
            yield SalesforceHarness(slack, salesforce, worker)
            worker.stop()
            if baton.crm is not None:
                baton.crm.close()
