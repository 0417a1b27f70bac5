"""A whole Baton wired to the Slack stand-in and served on a real socket, for Slack tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from baton_devkit import simulate
from baton_devkit.local import standin_for
from baton_devkit.standin import SlackStandIn
from pydantic import SecretStr

from bot.app import Baton
from bot.clock import FixedClock
from bot.runtime import web_client
from bot.slack.delivery import Deliverer
from bot.slack_app import build_bolt
from bot.web import create_web_app
from storage.outbox import SqlOutbox
from tests.fakes.server import RunningServer

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


class SlackHarness:
    def __init__(self, baton: Baton, standin: SlackStandIn, url: str) -> None:
        self.baton, self.standin, self.url = baton, standin, url
        self.clock: FixedClock = baton.clock  # type: ignore[assignment]  # tests give a FixedClock
        self.deliverer = Deliverer(
            outbox=SqlOutbox(baton.database),
            client=web_client(baton),
            config=baton.config,
            clock=self.clock,
            report=baton.report_reader,
            settle=baton.settle_new_leads,
        )
        # Generous: on a loaded two-core machine one answer has taken over ten seconds; a
        # request that truly hangs is still caught by the suite's per-test limit.
        self.http = httpx.Client(base_url=url, timeout=30)

    def deliver_all(self, rounds: int = 60) -> None:
        """Run delivery passes, moving the clock on whenever work waits for its time."""
        for _ in range(rounds):
            if self.deliverer.run_once():
                continue
            if not self.backlog():
                return
            self.clock.advance(seconds=1)
        raise AssertionError(f"Slack work still undelivered: {self.backlog()}")

    def backlog(self) -> int:
        from bot.services.status import service_status

        return service_status(self.baton)["slack"]["undelivered"]

    def send(self, payload: dict[str, Any]) -> httpx.Response:
        body = simulate.interaction_body(payload)
        headers = simulate.signed_headers(body, SIGNING_SECRET)
        return self.http.post("/slack/events", content=body, headers=headers)

    def click(self, user: str, action_id: str, value: str, channel: str) -> httpx.Response:
        return self.send(simulate.button_click(user, action_id, value, channel=channel))

    def click_for_view(self, user: str, action_id: str, value: str, channel: str) -> dict[str, Any]:
        """Click a button that opens a modal; return the modal Baton opened."""
        before = len(self.standin.views_opened)
        assert self.click(user, action_id, value, channel).status_code == 200
        return self.opened_view(before)

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> httpx.Response:
        return self.send(simulate.view_submission(user, view, values))

    def command(
        self, user: str, text: str, *, channel: str, trigger_id: str | None = None
    ) -> httpx.Response:
        """Type `/lead TEXT` in a channel; the same trigger_id is Slack delivering it again."""
        body = simulate.slash_command(user, text, channel=channel, trigger_id=trigger_id)
        headers = simulate.signed_headers(body, SIGNING_SECRET)
        return self.http.post("/slack/events", content=body, headers=headers)

    def event(self, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = simulate.signed_headers(body, SIGNING_SECRET) | {
            "Content-Type": "application/json"
        }
        return self.http.post("/slack/events", content=body, headers=headers)

    def intake(self, body: Any) -> httpx.Response:
        from tests.conftest import INTAKE_TOKEN

        return self.http.post(
            "/intake/leads", json=body, headers={"Authorization": f"Bearer {INTAKE_TOKEN}"}
        )

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        event = threading.Event()
        waited = 0.0
        while not predicate():
            if waited >= timeout:
                raise AssertionError("condition not met in time")
            event.wait(0.02)
            waited += 0.02

    def opened_view(self, count_before: int) -> dict[str, Any]:
        # The modal opens on a service thread after the ack; a loaded machine can take seconds.
        opened = self.standin.wait_for(lambda: len(self.standin.views_opened) > count_before, 30)
        assert opened, "no modal was opened"
        return self.standin.views_opened[-1]


@contextmanager
def slack_harness(baton: Baton) -> Iterator[SlackHarness]:
    with standin_for(baton.config) as standin:
        baton.settings = baton.settings.model_copy(
            update={
                "slack_api_url": standin.url,
                "slack_bot_token": _secret(BOT_TOKEN),
                "slack_signing_secret": _secret(SIGNING_SECRET),
            }
        )
        app = create_web_app(baton, build_bolt(baton))
        with RunningServer(app) as server:
            harness = SlackHarness(baton, standin, server.url)
            yield harness
            harness.deliverer.stop()


def _secret(value: str) -> SecretStr:
    return SecretStr(value)


def button_value(message: dict[str, Any], starts_with: str) -> tuple[str, str]:
    """The action id and value of the message's button whose text starts with `starts_with`."""
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["text"]["text"].startswith(starts_with):
                return element["action_id"], element["value"]
    raise AssertionError(
        f"no button starting {starts_with!r} in {json.dumps(message['blocks'])[:500]}"
    )


def has_buttons(message: dict[str, Any]) -> bool:
    return any(b.get("type") == "actions" for b in message["blocks"])


__all__ = ["button_value", "has_buttons", "slack_harness", "timedelta"]
