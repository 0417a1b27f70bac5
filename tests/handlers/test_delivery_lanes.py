"""Delivery as `baton serve` runs it: new handoffs on one lane, Homes and the rest on another.

A manager's App Home lists every lead waiting for them, and Slack can take seconds to publish
a long one. A lead arriving meanwhile must reach the manager's channel at once, not after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import Baton
from bot.runtime import start_delivery
from bot.slack.delivery import HOME_SPACING
from tests.fakes.slack import SlackHarness, slack_harness
from tests.handlers.test_slack_handoff import EMEA, MANAGER, lead

SLOW_PUBLISH = 3.0  # seconds views.publish takes to answer
WAIT = 20.0  # for what the worker's threads do; generous for a loaded machine


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        worker = start_delivery(baton)  # its own threads and lanes, as when serving
        try:
            yield harness
        finally:
            worker.stop()


def handoff_of(slack: SlackHarness, short_id: str) -> dict[str, Any] | None:
    cards = [m for m in slack.standin.messages(EMEA) if not m.get("thread_ts")]
    return next((m for m in cards if short_id in m["text"]), None)


def arrived(slack: SlackHarness, email: str) -> str:
    answer = slack.intake(lead(email=email))
    assert answer.status_code == 202
    return str(answer.json()["leads"][0]["id"])


def waiting_count_on_home(view: dict[str, Any]) -> str:
    texts = " ".join(str(block.get("text", {}).get("text")) for block in view["blocks"])
    return texts.split("Waiting for your decision* (", 1)[1].split(")", 1)[0]


def test_a_new_handoff_is_posted_while_a_slow_home_publish_is_still_under_way(
    slack: SlackHarness,
) -> None:
    standin = slack.standin
    standin.set_latency(SLOW_PUBLISH, "views.publish")
    first = arrived(slack, "first@acme.example")
    assert standin.wait_for(lambda: handoff_of(slack, first) is not None, WAIT)
    # The Homes of the lead's deciders are refreshed after the handoff: published, slowly.
    assert standin.wait_for(lambda: standin.answering("views.publish") >= 1, WAIT)

    slack.clock.advance(seconds=1)  # the channel's next posting slot
    second = arrived(slack, "second@acme.example")
    seen: dict[str, int] = {}

    def second_posted() -> bool:
        if handoff_of(slack, second) is None:
            return False
        seen["homes"] = len(standin.views_published(MANAGER))
        return True

    assert standin.wait_for(second_posted, WAIT)
    # Posted before the slow publish that was under way when the lead arrived answered.
    assert seen["homes"] == 0

    assert standin.wait_for(lambda: len(standin.views_published(MANAGER)) == 1, WAIT)
    standin.set_latency(0.0, "views.publish")
    slack.clock.advance(seconds=HOME_SPACING.total_seconds())  # the Home's next slot
    assert standin.wait_for(lambda: len(standin.views_published(MANAGER)) == 2, WAIT)
    # Once more, with the new lead waiting too (the clock moves no further: no third).
    assert [waiting_count_on_home(v) for v in standin.views_published(MANAGER)] == ["1", "2"]
