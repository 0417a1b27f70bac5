"""A refusal a person must fix: logged at ERROR once per cause and once when it clears, and
a notice about it to triage not posted once the cause has cleared."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.app import Baton
from tests.fakes.slack import SlackHarness, button_value, slack_harness
from tests.handlers.test_slack_handoff import EMEA, MANAGER, TRIAGE, lead

DELIVERY = "bot.slack.delivery"


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        harness.deliverer.batch_size = 1  # one item a pass: the order below is the order sent
        yield harness


def delivery_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == DELIVERY]


def test_a_refusal_is_logged_once_however_often_retried_and_once_when_it_clears(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=DELIVERY)
    # The handoff, the notice about it to triage, and the handoff's first retry are refused.
    slack.standin.fail("chat.postMessage", error="not_in_channel", times=3)
    short_id = slack.intake(lead()).json()["leads"][0]["id"]
    slack.deliverer.run_once()  # the handoff: refused
    slack.deliverer.run_once()  # the notice to triage: refused too
    slack.clock.advance(minutes=6)
    slack.deliverer.run_once()  # the handoff again: refused again, nothing new logged
    refused = [(level, m) for level, m in delivery_lines(caplog) if "refused" in m]
    fix = "invite Baton to the channel (/invite @Baton); Baton keeps the work and retries"
    assert refused == [
        (logging.ERROR, f"Slack refused chat.postMessage to {EMEA}: not_in_channel — {fix}"),
        (logging.ERROR, f"Slack refused chat.postMessage to {TRIAGE}: not_in_channel — {fix}"),
    ]

    slack.clock.advance(minutes=6)  # Baton was invited meanwhile
    slack.deliver_all()
    lines = delivery_lines(caplog)
    cleared = [line for line in lines if line[1].startswith("cleared")]
    assert cleared == [
        (
            logging.ERROR,
            f"cleared: Slack accepts chat.postMessage to {TRIAGE} again (it had refused: "
            "not_in_channel)",
        ),
        (
            logging.ERROR,
            f"cleared: Slack accepts chat.postMessage to {EMEA} again (it had refused: "
            "not_in_channel)",
        ),
    ]
    ts = slack.standin.messages(EMEA)[0]["ts"]
    assert (logging.INFO, f"handoff posted: {short_id} in {EMEA}, ts {ts}") in lines
    # Still refused when its turn came: the notice was posted.
    assert "not_in_channel" in slack.standin.messages(TRIAGE)[0]["text"]


def test_a_notice_whose_cause_cleared_before_its_turn_is_not_posted(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=DELIVERY)
    slack.standin.fail("chat.postMessage", error="not_in_channel", times=2)
    slack.intake(lead())
    slack.deliverer.run_once()  # the handoff: refused
    slack.deliverer.run_once()  # the notice to triage: refused (triage is down too)
    slack.clock.advance(minutes=6)
    slack.deliverer.run_once()  # the handoff: posted; its cause has cleared
    slack.deliverer.run_once()  # the notice: about a cause that has cleared, so not posted

    slack.deliver_all()  # what is left (the App Homes to refresh) does not bring it back
    assert len(slack.standin.messages(EMEA)) == 1
    assert slack.standin.messages(TRIAGE) == []
    assert (
        logging.INFO,
        f"notice not posted: its cause has cleared (chat.postMessage to {EMEA} refused: "
        "not_in_channel)",
    ) in delivery_lines(caplog)


def test_a_click_while_slack_hangs_up_is_one_warning_with_no_traceback(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack.intake(lead())
    slack.deliver_all()
    [card] = slack.standin.messages(EMEA)
    action, value = button_value(card, "Accept")
    slack.standin.drop_response("views.open", times=2)  # nor did the retry get an answer

    assert slack.click(MANAGER, action, value, EMEA).status_code == 200
    slack.wait_until(lambda: bool(unreachable(caplog)))
    [line] = unreachable(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert not [r for r in caplog.records if r.exc_info]
    # The manager is told something went wrong, where they clicked.
    assert slack.standin.wait_for(lambda: bool(slack.standin.ephemerals(MANAGER)))


def unreachable(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "Slack unreachable" in r.getMessage()]
