"""`/lead show` over signed HTTP for a lead that has been through more than one handoff round."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import Baton
from tests.fakes.slack import SlackHarness, slack_harness
from tests.handlers.test_slack_handoff import MANAGER
from tests.handlers.test_slack_handoff_more import rerouted_to_apac
from tests.handlers.test_slack_lead import say


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def test_show_on_a_lead_in_its_second_round_says_where_each_round_went(
    slack: SlackHarness,
) -> None:
    short_id, _ = rerouted_to_apac(slack)
    answer = say(slack, MANAGER, f"show {short_id}")
    history = str(answer["blocks"])
    assert f"{short_id}* Jane Doe, Acme GmbH — pending" in history
    assert f"<@{MANAGER}> sent it to apac — Singapore office buys for them" in history
    assert "handed off to apac (round 2)" in history
