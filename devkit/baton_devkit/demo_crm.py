"""`baton demo --crm hubspot`: a HubSpot contact turned sales-ready, handed off in Slack, its
owner, note and outcome written back, and its closed-won deal in the report; against local
stand-ins of Slack and HubSpot."""

from __future__ import annotations

import html
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from baton_devkit.demo import CONFIG, INTAKE, MONDAY, SECRET, TOKEN, Story
from baton_devkit.hubspot_standin import TOKEN as HUBSPOT_TOKEN
from baton_devkit.hubspot_standin import HubSpotStandIn, sign_webhook
from baton_devkit.local import LocalServer, standin_for
from bot.app import build_baton
from bot.clock import FixedClock
from bot.crm_app import crm_worker
from bot.domain.report_data import report_json
from bot.services.report import ReportQuery, closed_loop_report
from bot.slack.ids import ActionId
from bot.slack_app import build_bolt
from bot.web import create_web_app
from config.crm import CrmConfig
from config.model import load_config
from config.settings import load_settings

CLIENT_SECRET = "demo-hubspot-client-secret"


def run_crm_demo(out: Callable[[str], None] = print) -> int:
    config = load_config(CONFIG)
    config = config.model_copy(update={"crm": CrmConfig.model_validate({"provider": "hubspot"})})
    with (
        tempfile.TemporaryDirectory() as folder,
        standin_for(config) as slack,
        HubSpotStandIn(now=lambda: MONDAY) as hubspot,
    ):
        settings = load_settings(
            env_file=None,
            database_url=f"sqlite:///{Path(folder) / 'demo.db'}",
            baton_config=CONFIG,
            baton_intake_token=INTAKE,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=slack.url,
            hubspot_access_token=HUBSPOT_TOKEN,
            hubspot_client_secret=CLIENT_SECRET,
            hubspot_api_url=hubspot.url,
        )
        baton = build_baton(settings, clock=FixedClock(MONDAY), config=config)
        baton.database.ensure_schema(create_embedded=True)
        with LocalServer(create_web_app(baton, build_bolt(baton))) as server:
            _CrmStory(baton, slack, server.url, out, hubspot).play()
        if baton.crm is not None:
            baton.crm.close()
        baton.database.dispose()
    return 0


class _CrmStory(Story):  # type: ignore[misc, valid-type]
    def __init__(self, baton: Any, slack: Any, url: str, out: Any, hubspot: Any) -> None:
        super().__init__(baton, slack, url, out)
        self.hubspot, self.url = hubspot, url
        self.worker = crm_worker(baton)

    def play(self) -> None:
        emea = self.baton.config.region("emea")
        rep = emea.reps[0]
        self.hubspot.add_owner(f"person.{rep.lower()}@example.com", "Rita", "Rep")
        self.say("1. In HubSpot, marketing automation makes Jane Doe a sales-qualified lead")
        contact = self.hubspot.add_contact(
            email="jane.doe@acme.example",
            firstname="Jane",
            lastname="Doe",
            company="Acme GmbH",
            jobtitle="CTO",
            country="DE",
            hubspotscore="82",
            hs_analytics_source="PAID_SEARCH",
            lifecyclestage="salesqualifiedlead",
        )
        self.webhook("contact.propertyChange", contact, "lifecyclestage", "salesqualifiedlead")
        self.crm_work()
        card = self.show_new(emea.channel, f"#sales-{emea.name}: the contact as a lead")
        self.say(f"2. <@{emea.manager}> accepts it for <@{rep}>")
        view = self.click(emea.manager, card, "Accept", emea.channel)
        comment = "Acme runs 40 plants; Jane owns the budget. Call her this week."
        self.submit(
            emea.manager,
            view,
            {
                ActionId.REP_BLOCK: {ActionId.REP_INPUT: {"selected_user": rep}},
                ActionId.COMMENT_BLOCK: {ActionId.COMMENT_INPUT: {"value": comment}},
                ActionId.METHOD_BLOCK: {
                    ActionId.METHOD_INPUT: {"selected_option": {"value": "phone"}}
                },
                ActionId.DUE_BLOCK: {ActionId.DUE_INPUT: {"selected_date": "2026-11-27"}},
            },
        )
        self.deliver()
        self.crm_work()
        properties = self.hubspot.properties_of("contacts", contact)
        owner = self.hubspot.owners[properties["hubspot_owner_id"]]
        self.out(
            f"   HubSpot contact {contact}: owner {owner['firstName']} {owner['lastName']}"
            f" ({owner['email']}), lead status {properties['hs_lead_status']}"
        )
        for note in self.hubspot.written("notes", contact):
            self.out(f"   HubSpot note: {_plain(note['hs_note_body'])}")
        self.say("3. The deal closes in HubSpot: closed won, 12,500")
        deal = self.hubspot.add_deal(
            contacts=[contact], dealname="Acme plants", dealstage="closedwon", amount="12500"
        )
        self.webhook("deal.creation", deal)
        self.crm_work()
        self.deliver()
        thread = self.standin.thread(emea.channel, card["ts"])
        self.show("   …its handoff thread is told", thread[-1])
        total = report_json(
            closed_loop_report(
                ReportQuery(),
                reader=self.baton.report_reader,
                config=self.baton.config,
                clock=self.clock,
            )
        )["total"]
        revenue = total["revenue"]
        self.say(
            f"Report: {total['leads']['won']} won for {revenue['won']}"
            f" ({revenue['won_from_crm']} from HubSpot's deal, {revenue['won_typed_by_reps']}"
            " typed by reps)."
        )

    def webhook(self, kind: str, object_id: str, name: str = "", value: str = "") -> None:
        event: dict[str, Any] = {
            "eventId": len(self.hubspot.calls) + 1,
            "subscriptionType": kind,
            "objectId": int(object_id),
            "occurredAt": int(self.clock.now().timestamp() * 1000),
            "attemptNumber": 0,
        }
        if name:
            event |= {"propertyName": name, "propertyValue": value}
        body = json.dumps([event])
        headers = sign_webhook(
            secret=CLIENT_SECRET,
            method="POST",
            uri=f"{self.url}/crm/hubspot/webhook",
            body=body,
            timestamp_ms=int(self.clock.now().timestamp() * 1000),
        )
        answer = self.http.post("/crm/hubspot/webhook", content=body, headers=headers)
        self.out(
            f"   HubSpot → POST /crm/hubspot/webhook ({kind}) → {answer.status_code} {answer.json()}"
        )

    def crm_work(self) -> None:
        for _ in range(20):
            if not self.worker.run_once():
                return


def _plain(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", body)).split("[baton:")[0].strip()
