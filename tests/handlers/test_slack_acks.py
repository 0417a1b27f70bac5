"""Slack's requests are acked at once, whatever Slack's own API is doing; forgeries are not."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from baton_devkit import simulate

from bot.app import Baton
from bot.slack.ids import ActionId
from tests.fakes.slack import SIGNING_SECRET, SlackHarness, button_value, slack_harness
from tests.handlers.test_slack_handoff import ACCEPT_VALUES, EMEA, MANAGER, handed_off

HANGING = 30.0  # seconds: longer than any test; stopping the stand-in wakes it


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def test_a_click_is_acked_before_the_modal_it_opens_reaches_slack(slack: SlackHarness) -> None:
    _, message = handed_off(slack)
    slack.standin.set_latency(HANGING, "views.open")
    action, value = button_value(message, "Accept")
    answer = slack.click(MANAGER, action, value, EMEA)
    assert (answer.status_code, answer.text) == (200, "")
    # Slack is still holding the modal's views.open when the ack has long been answered.
    assert slack.standin.calls_to("views.open") == []


def test_a_slash_command_is_acked_before_its_answer_reaches_slack(slack: SlackHarness) -> None:
    slack.standin.set_latency(HANGING, "chat.postEphemeral")
    answer = slack.command(MANAGER, "help", channel=EMEA)
    assert (answer.status_code, answer.text) == (200, "")
    assert slack.standin.calls_to("chat.postEphemeral") == []


def test_forged_or_stale_commands_and_events_are_refused_and_do_nothing(
    slack: SlackHarness,
) -> None:
    command = simulate.slash_command(MANAGER, "help", channel=EMEA)
    event = json.dumps(simulate.app_home_opened(MANAGER)).encode()
    json_type = {"Content-Type": "application/json"}
    for body, extra in ((command, {}), (event, json_type)):
        forged = simulate.signed_headers(body, "wrong-secret") | extra
        stale = simulate.signed_headers(body, SIGNING_SECRET, timestamp=1_600_000_000) | extra
        for headers in (forged, stale, extra):
            answer = slack.http.post("/slack/events", content=body, headers=headers)
            assert answer.status_code == 401
    assert slack.standin.calls == []


def test_a_view_submission_still_gets_its_listener_s_answer(slack: SlackHarness) -> None:
    _, message = handed_off(slack)
    action, value = button_value(message, "Accept")
    view = slack.click_for_view(MANAGER, action, value, EMEA)
    no_comment = {ActionId.COMMENT_INPUT: {"type": "plain_text_input", "value": None}}
    answer = slack.submit(MANAGER, view, ACCEPT_VALUES | {ActionId.COMMENT_BLOCK: no_comment})
    # No comment for the rep: the form says so, from the listener's own ack.
    assert answer.status_code == 200
    assert answer.json()["errors"] == {ActionId.COMMENT_BLOCK: "Add a comment for the rep."}
