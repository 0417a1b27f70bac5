"""Signed requests Baton cannot read, and actions its store refuses or Slack fails: whoever
acted is told, a form is refused with a 400 (never a 500), and nothing changes."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from baton_devkit import simulate

from bot.app import Baton, build_baton
from bot.clock import FixedClock
from bot.slack.ids import ActionId, LeadRef, OutcomeRef, TimerRef
from config.model import BatonConfig
from config.settings import Settings
from storage.db import open_database
from tests.fakes.slack import SIGNING_SECRET, SlackHarness, button_value, slack_harness
from tests.handlers.test_slack_handoff import ACCEPT_VALUES, EMEA, MANAGER, REP, handed_off
from tests.handlers.test_slack_lead import accepted, say, unchanged
from tests.handlers.test_slack_properties import stored
from tests.handlers.test_storage_faults import SqliteLimits

LEAD = LeadRef(lead="L-7K3Q9", round=1).dumps()
REFS = {
    ActionId.ACCEPT_MODAL: LEAD,
    ActionId.RETURN_MODAL: LEAD,
    ActionId.REROUTE_MODAL: LEAD,
    ActionId.OUTCOME_MODAL: OutcomeRef(lead="L-7K3Q9", channel=EMEA).dumps(),
    ActionId.SNOOZE_MODAL: TimerRef(fire=1, lead="L-7K3Q9").dumps(),
    ActionId.TOUCH_MODAL: LEAD,
}


def select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


# Each modal's inputs as a person fills them in.
GOOD_VALUES = {
    ActionId.ACCEPT_MODAL: ACCEPT_VALUES,
    ActionId.RETURN_MODAL: {
        ActionId.REASON_BLOCK: {ActionId.REASON_INPUT: select("not_a_fit")},
        ActionId.NOTES_BLOCK: {ActionId.NOTES_INPUT: text("student")},
    },
    ActionId.REROUTE_MODAL: {
        ActionId.REGION_BLOCK: {ActionId.REGION_INPUT: select("apac")},
        ActionId.NOTE_BLOCK: {ActionId.NOTE_INPUT: text("APAC account")},
    },
    ActionId.OUTCOME_MODAL: {ActionId.OUTCOME_BLOCK: {ActionId.OUTCOME_INPUT: select("attempted")}},
    ActionId.SNOOZE_MODAL: {
        ActionId.SNOOZE_DAYS_BLOCK: {ActionId.SNOOZE_DAYS_INPUT: select("1")},
        ActionId.SNOOZE_REASON_BLOCK: {ActionId.SNOOZE_REASON_INPUT: text("on leave")},
    },
    ActionId.TOUCH_MODAL: {
        ActionId.TOUCH_BY_BLOCK: {ActionId.TOUCH_BY_INPUT: {"selected_user": MANAGER}},
        ActionId.TOUCH_REACHED_BLOCK: {ActionId.TOUCH_REACHED_INPUT: select("reached")},
        ActionId.TOUCH_NOTES_BLOCK: {ActionId.TOUCH_NOTES_INPUT: text("called back")},
    },
}
# The same with one input no Slack client could have sent: a choice the modal does not offer,
# a required input left out, a person who is not a user id.
NOT_THE_MODALS = {
    ActionId.ACCEPT_MODAL: {
        **ACCEPT_VALUES,
        ActionId.METHOD_BLOCK: {ActionId.METHOD_INPUT: select("carrier-pigeon")},
    },
    ActionId.RETURN_MODAL: {
        **GOOD_VALUES[ActionId.RETURN_MODAL],
        ActionId.REASON_BLOCK: {ActionId.REASON_INPUT: select("bored")},
    },
    ActionId.REROUTE_MODAL: {ActionId.NOTE_BLOCK: {ActionId.NOTE_INPUT: text("no region")}},
    ActionId.OUTCOME_MODAL: {ActionId.OUTCOME_BLOCK: {ActionId.OUTCOME_INPUT: select("maybe")}},
    ActionId.SNOOZE_MODAL: {
        **GOOD_VALUES[ActionId.SNOOZE_MODAL],
        ActionId.SNOOZE_DAYS_BLOCK: {ActionId.SNOOZE_DAYS_INPUT: select("forever")},
    },
    ActionId.TOUCH_MODAL: {
        **GOOD_VALUES[ActionId.TOUCH_MODAL],
        ActionId.TOUCH_BY_BLOCK: {ActionId.TOUCH_BY_INPUT: {"selected_user": 42}},
    },
}


def submission(
    callback: ActionId, values: dict[str, Any] | None = None, **view: Any
) -> dict[str, Any]:
    """A signed submission of `callback`'s modal: a real reference and good inputs unless given."""
    defaults = {"callback_id": callback, "private_metadata": REFS[callback]}
    payload = simulate.view_submission(MANAGER, defaults, values or GOOD_VALUES[callback])
    payload["view"].update(view)
    return payload


def without(payload: dict[str, Any], *names: str) -> dict[str, Any]:
    """The payload without these fields of its view (`trigger_id`: of the payload itself)."""
    trimmed = copy.deepcopy(payload)
    for name in names:
        (trimmed if name == "trigger_id" else trimmed["view"]).pop(name)
    return trimmed


BROKEN_FORMS = {
    "no state": lambda cb: without(submission(cb), "state"),
    "no metadata": lambda cb: without(submission(cb), "private_metadata"),
    "no id": lambda cb: without(submission(cb), "id", "trigger_id"),
    "metadata not Baton's": lambda cb: submission(cb, private_metadata='{"lead": 7}'),
    "metadata not JSON": lambda cb: submission(cb, private_metadata="garbage"),
    "values not an object": lambda cb: submission(cb, state={"values": 5}),
    "an input not an object": lambda cb: submission(cb, state={"values": {"b": {"a": "x"}}}),
    "an input no Slack client sends": lambda cb: submission(cb, NOT_THE_MODALS[cb]),
    "no user": lambda cb: {**submission(cb), "user": {"name": "who"}},
}


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("broken", BROKEN_FORMS)
@pytest.mark.parametrize("callback", list(REFS))
def test_a_signed_form_with_missing_or_malformed_fields_is_refused_with_400(
    slack: SlackHarness, callback: ActionId, broken: str
) -> None:
    before = stored(slack)
    answer = slack.send(BROKEN_FORMS[broken](callback))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("Baton could not read that: the form")
    assert stored(slack) == before
    assert slack.standin.calls == []


def test_a_form_from_a_real_modal_with_a_malformed_date_changes_nothing(
    slack: SlackHarness,
) -> None:
    short_id, message = handed_off(slack)
    action, value = button_value(message, "Accept")
    view = slack.click_for_view(MANAGER, action, value, EMEA)
    before, calls = unchanged(slack, short_id), len(slack.standin.calls)
    due = {ActionId.DUE_BLOCK: {ActionId.DUE_INPUT: {"selected_date": "next week"}}}
    answer = slack.submit(MANAGER, view, ACCEPT_VALUES | due)
    assert answer.status_code == 400
    assert unchanged(slack, short_id) == before == ("pending", 1)
    assert len(slack.standin.calls) == calls


@pytest.mark.parametrize(
    ("action", "value"),
    [
        (ActionId.ACCEPT, "garbage"),
        (ActionId.RETURN, '{"lead": "L-7K3Q9", "round": -1}'),
        (ActionId.LOG_OUTCOME, ""),
        (ActionId.SNOOZE, LEAD),
        (ActionId.TOUCH, "{}"),
    ],
)
def test_a_button_whose_value_baton_did_not_give_it_tells_the_clicker_and_changes_nothing(
    slack: SlackHarness, action: ActionId, value: str
) -> None:
    before = stored(slack)
    assert slack.click(MANAGER, action, value, EMEA).status_code == 200
    assert slack.standin.wait_for(lambda: bool(slack.standin.ephemerals(MANAGER)))
    [told] = slack.standin.ephemerals(MANAGER)
    assert told["text"] == (
        "Baton could not read that: the button does not carry a reference Baton gave it. "
        "Nothing was changed."
    )
    assert not slack.standin.views_opened
    assert stored(slack) == before


def test_an_overflow_choice_baton_does_not_offer_is_refused_the_same_way(
    slack: SlackHarness,
) -> None:
    click = simulate.overflow_choice(MANAGER, ActionId.MORE, f"launch {LEAD}", channel=EMEA)
    assert slack.send(click).status_code == 200
    assert slack.standin.wait_for(lambda: bool(slack.standin.ephemerals(MANAGER)))
    assert "could not read that" in slack.standin.ephemerals(MANAGER)[0]["text"]
    assert not slack.standin.views_opened


def test_a_click_that_does_not_say_who_clicked_is_dropped_without_an_answer(
    slack: SlackHarness,
) -> None:
    click = simulate.button_click(MANAGER, ActionId.ACCEPT, LEAD, channel=EMEA)
    click["user"] = {"id": 5}
    before = stored(slack)
    assert slack.send(click).status_code == 200
    assert not slack.standin.wait_for(lambda: bool(slack.standin.calls), timeout=0.5)
    assert stored(slack) == before


def test_a_command_without_its_trigger_is_refused_to_whoever_typed_it(
    slack: SlackHarness,
) -> None:
    body = urlencode(
        {"command": "/lead", "text": "mine", "user_id": MANAGER, "channel_id": EMEA}
    ).encode()
    headers = simulate.signed_headers(body, SIGNING_SECRET)
    assert slack.http.post("/slack/events", content=body, headers=headers).status_code == 200
    assert slack.standin.wait_for(lambda: bool(slack.standin.ephemerals(MANAGER)))
    assert slack.standin.ephemerals(MANAGER)[0]["text"].startswith(
        "Baton could not read that: the command"
    )


def test_a_modal_slack_will_not_open_tells_the_clicker_something_went_wrong(
    slack: SlackHarness,
) -> None:
    _, message = handed_off(slack)
    action, value = button_value(message, "Accept")
    click = simulate.button_click(MANAGER, action, value, channel=EMEA)
    slack.standin.expire_trigger(click["trigger_id"])
    assert slack.send(click).status_code == 200
    assert slack.standin.wait_for(lambda: bool(slack.standin.ephemerals(MANAGER)))
    [told] = slack.standin.ephemerals(MANAGER)
    assert told["text"] == (
        "Baton hit a problem with that and has logged it; please try again in a minute."
    )
    assert not slack.standin.views_opened


@pytest.fixture
def sqlite_baton(
    tmp_path: Path, settings: Settings, clock: FixedClock, example_config: BatonConfig
) -> Iterator[Baton]:
    database = open_database(f"sqlite:///{tmp_path / 'refusals.db'}")
    database.upgrade()
    yield build_baton(settings, clock=clock, database=database, config=example_config)
    database.dispose()


def test_a_command_the_store_refuses_tells_whoever_typed_it_that_nothing_changed(
    sqlite_baton: Baton,
) -> None:
    limits = SqliteLimits(sqlite_baton.database)
    with slack_harness(sqlite_baton) as slack:
        short_id, _ = accepted(slack)
        before = unchanged(slack, short_id)
        limits.read_only()
        told = say(slack, REP, f"log {short_id} meeting")
        assert told["text"].startswith("Baton could not save that (")
        assert "the database is read-only" in told["text"]
        assert told["text"].endswith("). Nothing was changed; please try again in a minute.")
        limits.clear()
        assert unchanged(slack, short_id) == before
        told = say(slack, REP, f"log {short_id} meeting")
        assert "Logged *meeting*" in told["text"]
