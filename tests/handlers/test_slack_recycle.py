"""A returned lead keeps its story: marketing chooses from the notice (send back, keep nurturing,
ask why), a round-2 card says what happened before, and marketing hears when a lead it had
back is with sales again. End to end through Slack's protocol."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import Baton
from bot.slack.ids import ActionId
from tests.fakes.slack import SlackHarness, button_value, has_buttons, slack_harness
from tests.handlers.test_slack_actions import last_ephemeral
from tests.handlers.test_slack_handoff import EMEA, MANAGER, MARKETING, REP, status_of
from tests.handlers.test_slack_timers import card_link, events_of, notes_in_thread, sections

MARKETER = "U0MKTG0001"


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def cards(slack: SlackHarness) -> list[dict[str, Any]]:
    return [m for m in slack.standin.messages(EMEA) if not m.get("thread_ts")]


def notice_of(slack: SlackHarness, short_id: str) -> dict[str, Any]:
    [notice] = [m for m in slack.standin.messages(MARKETING) if m["text"].startswith("↩️ <")]
    assert short_id in notice["text"]
    return notice


def current(slack: SlackHarness, message: dict[str, Any], channel: str = MARKETING) -> dict:
    [now] = [m for m in slack.standin.messages(channel) if m["ts"] == message["ts"]]
    return now


def told_in_dm(slack: SlackHarness, user: str, count_before: int) -> str:
    """What Baton told `user` in their DM (the answer to a form)."""
    channel = slack.standin.dm_channel(user)
    assert slack.standin.wait_for(lambda: len(slack.standin.messages(channel)) > count_before)
    return str(slack.standin.messages(channel)[-1]["text"])


def returned_lead(slack: SlackHarness) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A lead handed off Monday 23 November and returned by the manager: not a fit."""
    slack.intake(
        {
            "email": "jane@acme.example",
            "first_name": "Jane",
            "last_name": "Doe",
            "company": "Acme GmbH",
            "country": "DE",
            "score": 80,
            "campaign": "spring-webinar-2026",
        }
    )
    slack.deliver_all()
    card = cards(slack)[-1]
    short_id = card["text"].split("New lead ")[1].split(":")[0]
    action, value = button_value(card, "Return")
    modal = slack.click_for_view(MANAGER, action, value, EMEA)
    values = {
        ActionId.REASON_BLOCK: {
            ActionId.REASON_INPUT: {
                "type": "static_select",
                "selected_option": {"value": "not_a_fit"},
            }
        },
        ActionId.NOTES_BLOCK: {
            ActionId.NOTES_INPUT: {"type": "plain_text_input", "value": "Student <!here>"}
        },
    }
    slack.submit(MANAGER, modal, values)
    slack.wait_until(lambda: status_of(slack, short_id) == "returned")
    slack.deliver_all()
    return short_id, card, notice_of(slack, short_id)


def test_the_returned_notice_links_to_the_card_and_offers_marketings_three_choices(
    slack: SlackHarness,
) -> None:
    short_id, card, notice = returned_lead(slack)
    assert notice["text"] == (
        f"↩️ <{card_link(slack, card)}|{short_id}> Jane Doe, Acme GmbH was returned by "
        f"<@{MANAGER}>: Not a fit"
    )
    labels = [e["text"]["text"] for e in notice["blocks"][-1]["elements"]]
    assert labels == ["Send back to sales…", "Keep nurturing", "Ask why…"]


def test_ask_why_posts_the_question_in_the_leads_thread_to_whoever_returned_it(
    slack: SlackHarness,
) -> None:
    short_id, card, notice = returned_lead(slack)
    action, value = button_value(notice, "Ask why…")
    seen = len(slack.standin.ephemerals(REP))
    slack.click(REP, action, value, MARKETING)
    assert last_ephemeral(slack, REP, seen).startswith("Only marketing (")

    modal = slack.click_for_view(MARKETER, action, value, MARKETING)
    assert sections(modal)[0].endswith(
        f"Returned by <@{MANAGER}>: your question goes to them in the lead's thread."
    )
    empty = {ActionId.QUESTION_BLOCK: {ActionId.QUESTION_INPUT: {"type": "plain_text_input"}}}
    assert slack.submit(MARKETER, modal, empty).json()["errors"] == {
        "question_block": "Ask something: it goes to whoever returned the lead."
    }
    asked = {
        ActionId.QUESTION_BLOCK: {
            ActionId.QUESTION_INPUT: {"type": "plain_text_input", "value": "Is <@U0X> a student?"}
        }
    }
    seen = len(slack.standin.messages(slack.standin.dm_channel(MARKETER)))
    slack.submit(MARKETER, modal, asked)
    assert told_in_dm(slack, MARKETER, seen) == (
        f"❓ Asked <@{MANAGER}> in the thread of {short_id}."
    )
    slack.deliver_all()
    assert notes_in_thread(slack, card)[-1] == (
        f"❓ <@{MANAGER}>, <@{MARKETER}> asks why {short_id} was returned: "
        "Is &lt;@U0X&gt; a student?"
    )
    [event] = events_of(slack, short_id, "asked_why")
    assert (event.actor, event.data) == (MARKETER, {"to": MANAGER})
    assert has_buttons(current(slack, notice))  # asking is not a choice: the buttons stay


def test_keep_nurturing_records_the_choice_and_the_notice_shows_it(slack: SlackHarness) -> None:
    short_id, _, notice = returned_lead(slack)
    action, value = button_value(notice, "Keep nurturing")
    seen = len(slack.standin.ephemerals(MARKETER))
    slack.click(MARKETER, action, value, MARKETING)
    assert last_ephemeral(slack, MARKETER, seen) == f"🌱 {short_id} stays in nurture."
    slack.deliver_all()
    assert status_of(slack, short_id) == "nurture"
    [event] = events_of(slack, short_id, "kept_nurturing")
    assert event.actor == MARKETER
    updated = current(slack, notice)
    assert not has_buttons(updated)
    assert updated["blocks"][-1]["text"]["text"] == (
        f"🌱 <@{MARKETER}> kept it in nurture on Mon 23 Nov"
    )
    slack.click(MARKETER, action, value, MARKETING)  # a stale button is refused, not repeated
    assert "nurture" in last_ephemeral(slack, MARKETER, seen + 1)
    assert len(events_of(slack, short_id, "kept_nurturing")) == 1


def test_send_back_to_sales_starts_round_two_whose_card_tells_the_story(
    slack: SlackHarness,
) -> None:
    short_id, _, notice = returned_lead(slack)
    action, value = button_value(notice, "Send back to sales…")
    modal = slack.click_for_view(MARKETER, action, value, MARKETING)
    region = modal["blocks"][1]["element"]
    assert region["initial_option"]["value"] == "emea"
    no_note = {
        ActionId.REGION_BLOCK: {
            ActionId.REGION_INPUT: {"type": "static_select", "selected_option": {"value": "emea"}}
        },
        ActionId.NOTE_BLOCK: {ActionId.NOTE_INPUT: {"type": "plain_text_input"}},
    }
    assert slack.submit(MARKETER, modal, no_note).json()["errors"] == {
        "note_block": "Say why it deserves another look: the note goes to sales."
    }
    values = {
        **no_note,
        ActionId.NOTE_BLOCK: {
            ActionId.NOTE_INPUT: {"type": "plain_text_input", "value": "She got funding"}
        },
    }
    seen = len(slack.standin.messages(slack.standin.dm_channel(MARKETER)))
    slack.submit(MARKETER, modal, values)
    assert told_in_dm(slack, MARKETER, seen) == f"🔁 {short_id} is back with sales (emea)."
    slack.wait_until(lambda: status_of(slack, short_id) == "pending")
    slack.deliver_all()
    round_two = cards(slack)[-1]
    assert "round 2" in str(round_two["blocks"])
    assert (
        "*Before this round*\n"
        f"↩️ Returned by <@{MANAGER}> on Mon 23 Nov: Not a fit — Student &lt;!here&gt;\n"
        f"🔁 Back on Mon 23 Nov: <@{MARKETER}> sent it back to sales — She got funding"
    ) in sections(round_two)
    button_value(round_two, "Accept")
    updated = current(slack, notice)
    assert updated["blocks"][-1]["text"]["text"] == (
        f"🔁 <@{MARKETER}> sent it back to sales (emea) on Mon 23 Nov — She got funding"
    )
    # Marketing chose this itself: no second notice that it is back.
    assert not [m for m in slack.standin.messages(MARKETING) if "is back with sales" in m["text"]]


def test_a_returned_lead_that_qualifies_again_tells_marketing_and_its_card_says_why(
    slack: SlackHarness,
) -> None:
    short_id, _, notice = returned_lead(slack)
    slack.clock.advance(seconds=86_400)
    slack.intake({"email": "jane@acme.example", "country": "DE", "score": 95})
    slack.deliver_all()
    assert status_of(slack, short_id) == "pending"
    round_two = cards(slack)[-1]
    [told] = [m for m in slack.standin.messages(MARKETING) if "is back with sales" in m["text"]]
    link = card_link(slack, round_two)
    assert told["text"] == f"🔁 <{link}|{short_id}>: Jane Doe, Acme GmbH is back with sales (emea)"
    story = sections(told)[1]
    assert story.startswith(
        "*Before this round*\n"
        f"↩️ Returned by <@{MANAGER}> on Mon 23 Nov: Not a fit — Student &lt;!here&gt;\n"
        "🔁 Back on Tue 24 Nov: it came back and qualified again"
    )
    assert story in sections(round_two)
    updated = current(slack, notice)
    assert not has_buttons(updated)
    assert updated["blocks"][-1]["text"]["text"].startswith(
        "🔁 It came back and qualified again on Tue 24 Nov; it is with sales"
    )
