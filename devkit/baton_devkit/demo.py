"""`baton demo`: a whole handoff story against the local Slack stand-in, printed as people see it."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx

from baton_devkit import simulate
from baton_devkit.local import LocalServer, standin_for
from baton_devkit.standin import SlackStandIn
from bot.app import Baton, build_baton
from bot.clock import FixedClock
from bot.runtime import web_client
from bot.slack.delivery import Deliverer
from bot.slack.ids import ActionId
from bot.slack_app import build_bolt
from bot.web import create_web_app
from config.model import load_config
from config.settings import load_settings
from storage.outbox import SqlOutbox

# The example config shipped with the product package.
CONFIG = Path(str(files("config") / "baton.yaml"))
SECRET, TOKEN, INTAKE = "demo-signing-secret", "xoxb-demo", "demo-intake-token"
MONDAY = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)


def run_demo(out: Callable[[str], None] = print) -> int:
    config = load_config(CONFIG)
    with tempfile.TemporaryDirectory() as folder, standin_for(config) as standin:
        settings = load_settings(
            env_file=None,
            database_url=f"sqlite:///{Path(folder) / 'demo.db'}",
            baton_config=CONFIG,
            baton_intake_token=INTAKE,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=standin.url,
        )
        baton = build_baton(settings, clock=FixedClock(MONDAY), config=config)
        baton.database.ensure_schema(create_embedded=True)
        with LocalServer(create_web_app(baton, build_bolt(baton))) as server:
            _Story(baton, standin, server.url, out).play()
        baton.database.dispose()
    return 0


class _Story:
    def __init__(
        self, baton: Baton, standin: SlackStandIn, url: str, out: Callable[[str], None]
    ) -> None:
        self.baton, self.standin, self.out = baton, standin, out
        self.http = httpx.Client(base_url=url, timeout=10)
        self.clock: FixedClock = baton.clock  # type: ignore[assignment]
        self.deliverer = Deliverer(
            outbox=SqlOutbox(baton.database),
            client=web_client(baton),
            config=baton.config,
            clock=self.clock,
            settle=baton.settle_new_leads,
        )

    def play(self) -> None:
        emea = self.baton.config.region("emea")
        apac = self.baton.config.region("apac")
        assert emea and apac and emea.channel
        self.say("1. Marketing's form sends a sales-ready lead to the intake API")
        lead = self.intake(
            {
                "email": "jane.doe@acme.example",
                "first_name": "Jane",
                "last_name": "Doe",
                "title": "CTO",
                "company": "Acme GmbH",
                "country": "DE",
                "score": 82,
                "campaign": "spring-webinar-2026",
                "source": "webinar",
                "activity": [{"type": "webinar", "detail": "attended the spring webinar"}],
            }
        )
        card = self.show_new(
            emea.channel, f"#sales-{emea.name} (manager <@{emea.manager}> is mentioned)"
        )
        self.say(f"2. <@{emea.manager}> clicks Accept… and fills in the modal")
        view = self.click(emea.manager, card, "Accept", emea.channel)
        self.submit(
            emea.manager,
            view,
            {
                ActionId.REP_BLOCK: {ActionId.REP_INPUT: {"selected_user": emea.reps[0]}},
                ActionId.COMMENT_BLOCK: {
                    ActionId.COMMENT_INPUT: {
                        "value": "Acme runs 40 plants; Jane owns the budget. Call her this week, then book a demo."
                    }
                },
                ActionId.METHOD_BLOCK: {
                    ActionId.METHOD_INPUT: {"selected_option": {"value": "phone"}}
                },
                ActionId.DUE_BLOCK: {ActionId.DUE_INPUT: {"selected_date": "2026-11-27"}},
            },
        )
        self.deliver()
        self.show(
            f"#sales-{emea.name}, the handoff message updated in place",
            self.message(emea.channel, card["ts"]),
        )
        for reply in self.standin.thread(emea.channel, card["ts"])[1:]:
            self.show("   …and in its thread", reply)
        self.show(f"DM to the rep <@{emea.reps[0]}>", self.standin.messages(emea.reps[0])[-1])
        self.say(f"3. A lead for APAC, which has no channel: <@{apac.manager}> gets it as a DM")
        self.intake(
            {
                "email": "ken@student.example",
                "first_name": "Ken",
                "company": "Uni Lab",
                "country": "SG",
                "score": 64,
                "source": "web",
                "campaign": "website-organic-2026",
            }
        )
        dm = self.show_new(apac.manager, f"DM to <@{apac.manager}>")
        self.say(f"4. <@{apac.manager}> returns it to marketing with a reason")
        view = self.click(apac.manager, dm, "Return", self.standin.dm_channel(apac.manager))
        self.submit(
            apac.manager,
            view,
            {
                ActionId.REASON_BLOCK: {
                    ActionId.REASON_INPUT: {"selected_option": {"value": "not_a_fit"}}
                },
                ActionId.NOTES_BLOCK: {
                    ActionId.NOTES_INPUT: {"value": "A student project, no budget."}
                },
            },
        )
        self.deliver()
        marketing = self.baton.config.marketing.channel
        self.show("#marketing is told, with its choices", self.standin.messages(marketing)[-1])
        ken = self.recycle(apac.manager, marketing)
        self.reassign(lead, emea.manager, emea.reps[0], emea.reps[1], emea.channel)
        self.say(
            f"Done: {lead} is with <@{emea.reps[1]}> now; the APAC lead {ken} is with sales "
            "again, its story on its card."
        )

    def recycle(self, manager: str, marketing: str) -> str:
        """The returned lead comes back a week later and qualifies again: its new card tells
        its story, and marketing hears that a lead it had back is with sales again."""
        self.say("5. A week later the returned lead is back on the pricing page, with a grant")
        self.clock.advance(days=7)
        ken = self.intake(
            {
                "email": "ken@student.example",
                "country": "SG",
                "score": 88,
                "activity": [{"type": "page_view", "detail": "pricing; lab got a research grant"}],
            }
        )
        self.show_new(manager, f"DM to <@{manager}>: round 2 of {ken}, with what happened before")
        self.show("#marketing is told it is with sales again", self.standin.messages(marketing)[-1])
        return ken

    def reassign(self, lead: str, manager: str, rep: str, other: str, channel: str) -> None:
        """The manager gives an accepted lead to another rep with `/lead reassign`."""
        self.say(f"6. <@{rep}> is out for two weeks: <@{manager}> reassigns {lead}")
        text = f"reassign {lead} <@{other}> Jane prefers German; Max covers Munich now"
        self.out(f"   /lead {text}")
        told = len(self.standin.ephemerals(manager))
        body = simulate.slash_command(manager, text, channel=channel)
        self.http.post("/slack/events", content=body, headers=simulate.signed_headers(body, SECRET))
        self.wait(lambda: len(self.standin.ephemerals(manager)) > told)
        self.out(f"   → {self.standin.ephemerals(manager)[-1]['text']}")
        self.deliver()
        self.show(f"DM to the new rep <@{other}>", self.standin.messages(other)[-1])
        self.show(f"DM to <@{rep}>", self.standin.messages(rep)[-1])

    def intake(self, lead: dict[str, Any]) -> str:
        answer = self.http.post(
            "/intake/leads", json=lead, headers={"Authorization": f"Bearer {INTAKE}"}
        )
        result = answer.json()["leads"][0]
        self.out(f"   POST /intake/leads → {answer.status_code} {result}")
        return result["id"]

    def click(self, user: str, message: dict[str, Any], label: str, channel: str) -> dict[str, Any]:
        action, value = _button(message, label)
        before = len(self.standin.views_opened)
        self.send(
            simulate.button_click(user, action, value, channel=channel, message_ts=message["ts"])
        )
        self.standin.wait_for(lambda: len(self.standin.views_opened) > before)
        view = self.standin.views_opened[-1]
        self.out(f"   modal “{view['title']['text']}” opens: " + ", ".join(_labels(view)))
        return view

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> None:
        calls = len(self.standin.calls)
        self.send(simulate.view_submission(user, view, values))
        self.wait(lambda: self.backlog() > 0 or len(self.standin.calls) > calls)

    def send(self, payload: dict[str, Any]) -> None:
        body = simulate.interaction_body(payload)
        self.http.post("/slack/events", content=body, headers=simulate.signed_headers(body, SECRET))

    def deliver(self) -> None:
        for _ in range(120):
            if self.deliverer.run_once():
                continue
            if not self.backlog():
                return
            self.clock.advance(seconds=1)

    def backlog(self) -> int:
        from bot.services.status import service_status

        return service_status(self.baton)["slack"]["undelivered"]

    def wait(self, condition: Callable[[], bool]) -> None:
        pause = threading.Event()
        for _ in range(250):
            if condition():
                return
            pause.wait(0.02)

    def show_new(self, channel: str, where: str) -> dict[str, Any]:
        self.deliver()
        message = [m for m in self.standin.messages(channel) if not m.get("thread_ts")][-1]
        self.show(where, message)
        return message

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        return next(m for m in self.standin.messages(channel) if m["ts"] == ts)

    def say(self, text: str) -> None:
        self.out("")
        self.out(text)

    def show(self, where: str, message: dict[str, Any]) -> None:
        self.out(f"   ┌─ {where}")
        for line in _as_text(message):
            self.out(f"   │ {line}")
        self.out("   └─")


def _as_text(message: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for block in message.get("blocks") or []:
        if block.get("text"):
            lines += block["text"]["text"].splitlines()
        for field in block.get("fields") or []:
            lines.append(field["text"].replace("*", "").replace("\n", ": ", 1))
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                lines.append(f"[ {element['text']['text']} ]")
            elif element.get("text"):
                lines += element["text"].splitlines()
    return lines or [message.get("text", "")]


def _labels(view: dict[str, Any]) -> list[str]:
    return [b["label"]["text"] for b in view.get("blocks", []) if b.get("type") == "input"]


def _button(message: dict[str, Any], label: str) -> tuple[str, str]:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["text"]["text"].startswith(label):
                return element["action_id"], element["value"]
    raise LookupError(f"no {label} button")


# The story's steps, for the CRM scene (demo_crm) to tell its own with them.
Story = _Story
