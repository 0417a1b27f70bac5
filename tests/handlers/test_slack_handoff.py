"""The human handoff in Slack, end to end: intake → handoff message → modal → decision → notices."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Baton
from bot.slack.ids import ActionId
from storage.rows import LeadRow
from tests.fakes.slack import SlackHarness, button_value, has_buttons, slack_harness

EMEA = "C0EMEA0001"
MANAGER, BACKUP, REP = "U0EMEAMGR1", "U0EMEABK01", "U0EMEAREP2"
MARKETING = "C0MKTG0001"
TRIAGE = "C0TRIAGE01"


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def lead(**fields: Any) -> dict[str, Any]:
    return {
        "email": "jane@acme.example",
        "first_name": "Jane",
        "last_name": "Doe",
        "company": "Acme GmbH",
        "title": "CTO",
        "country": "DE",
        "score": 80,
        "campaign": "spring-webinar-2026",
        "source": "webinar",
        **fields,
    }


def status_of(slack: SlackHarness, short_id: str) -> str:
    with slack.baton.database.reading() as session:
        return session.scalars(select(LeadRow.status).where(LeadRow.short_id == short_id)).one()


def handed_off(slack: SlackHarness, **fields: Any) -> tuple[str, dict[str, Any]]:
    short_id = slack.intake(lead(**fields)).json()["leads"][0]["id"]
    slack.deliver_all()
    top_level = [m for m in slack.standin.messages(EMEA) if not m.get("thread_ts")]
    return short_id, top_level[-1]


ACCEPT_VALUES = {
    ActionId.REP_BLOCK: {ActionId.REP_INPUT: {"type": "users_select", "selected_user": REP}},
    ActionId.COMMENT_BLOCK: {
        ActionId.COMMENT_INPUT: {"type": "plain_text_input", "value": "Big account; call Jane"}
    },
    ActionId.METHOD_BLOCK: {
        ActionId.METHOD_INPUT: {"type": "static_select", "selected_option": {"value": "phone"}}
    },
    ActionId.DUE_BLOCK: {ActionId.DUE_INPUT: {"type": "datepicker", "selected_date": "2026-11-27"}},
}


def accept(slack: SlackHarness, message: dict[str, Any], user: str = MANAGER) -> None:
    action, value = button_value(message, "Accept")
    view = slack.click_for_view(user, action, value, EMEA)
    assert slack.submit(user, view, ACCEPT_VALUES).status_code == 200


def test_a_sales_ready_lead_reaches_its_manager_with_accept_and_return_buttons(
    slack: SlackHarness,
) -> None:
    short_id, message = handed_off(slack)
    assert f"<@{MANAGER}>" in message["text"]
    assert short_id in message["text"]
    assert has_buttons(message)
    button_value(message, "Accept")
    button_value(message, "Return")


def test_accepting_updates_the_message_tells_the_rep_and_notes_the_thread(
    slack: SlackHarness,
) -> None:
    short_id, message = handed_off(slack)
    accept(slack, message)
    slack.wait_until(lambda: status_of(slack, short_id) == "accepted")
    slack.deliver_all()
    [updated] = [m for m in slack.standin.messages(EMEA) if m["ts"] == message["ts"]]
    assert not has_buttons(updated)
    assert "Accepted" in str(updated["blocks"])
    rep_dm = slack.standin.messages(REP)[-1]
    assert short_id in rep_dm["text"]
    assert "Big account; call Jane" in str(rep_dm["blocks"])
    thread = slack.standin.thread(EMEA, message["ts"])
    assert any(short_id in m["text"] for m in thread[1:])


def test_returning_tells_marketing_the_reason_and_who_returned_it(slack: SlackHarness) -> None:
    short_id, message = handed_off(slack)
    action, value = button_value(message, "Return")
    view = slack.click_for_view(MANAGER, action, value, EMEA)
    values = {
        ActionId.REASON_BLOCK: {
            ActionId.REASON_INPUT: {
                "type": "static_select",
                "selected_option": {"value": "not_a_fit"},
            }
        },
        ActionId.NOTES_BLOCK: {
            ActionId.NOTES_INPUT: {"type": "plain_text_input", "value": "student, no budget"}
        },
    }
    slack.submit(MANAGER, view, values)
    slack.wait_until(lambda: status_of(slack, short_id) == "returned")
    slack.deliver_all()
    notice = slack.standin.messages(MARKETING)[-1]
    assert short_id in notice["text"]
    assert f"<@{MANAGER}>" in str(notice)
    assert "student, no budget" in str(notice["blocks"])


def test_a_stranger_cannot_decide_and_is_told_who_can(slack: SlackHarness) -> None:
    short_id, message = handed_off(slack)
    action, value = button_value(message, "Accept")
    slack.click("U0AMEREP01", action, value, EMEA)
    assert slack.standin.wait_for(lambda: slack.standin.calls_to("chat.postEphemeral"))
    told = slack.standin.calls_to("chat.postEphemeral")[-1].args
    assert told["user"] == "U0AMEREP01"
    assert f"<@{MANAGER}>" in told["text"] and f"<@{BACKUP}>" in told["text"]
    assert not slack.standin.views_opened
    assert status_of(slack, short_id) == "pending"


def test_two_deciders_racing_record_one_decision_and_the_other_is_told(slack: SlackHarness) -> None:
    _short_id, message = handed_off(slack)
    action, value = button_value(message, "Accept")
    views = []
    for user in (MANAGER, BACKUP):
        views.append(slack.click_for_view(user, action, value, EMEA))
    slack.submit(MANAGER, views[0], ACCEPT_VALUES)
    slack.submit(BACKUP, views[1], ACCEPT_VALUES)

    def told() -> list[dict[str, Any]]:
        return [
            c.args
            for c in slack.standin.calls_to("chat.postMessage")
            if c.args.get("channel") in (MANAGER, BACKUP)
        ]

    # Both submitted within moments of each other: either may be the one recorded.
    slack.wait_until(lambda: bool(told()))
    [notice] = told()
    winner = BACKUP if notice["channel"] == MANAGER else MANAGER
    assert "already decided" in notice["text"] and f"<@{winner}>" in notice["text"]
    slack.deliver_all()
    assert len(slack.standin.messages(REP)) == 1


def test_a_region_without_a_channel_gets_its_handoffs_as_a_dm(slack: SlackHarness) -> None:
    slack.intake(lead(country="SG"))
    slack.deliver_all()
    [dm] = slack.standin.messages("U0APACMGR1")
    assert has_buttons(dm)


def test_a_lead_that_matches_no_region_goes_to_triage(slack: SlackHarness) -> None:
    slack.intake(lead(country="BR"))
    slack.deliver_all()
    [card] = slack.standin.messages(TRIAGE)
    assert has_buttons(card)


def test_slack_failing_for_a_while_still_delivers_each_message_exactly_once(
    slack: SlackHarness,
) -> None:
    slack.standin.fail("chat.postMessage", retry_after=2, times=2)
    slack.standin.fail("chat.postMessage", status=500, times=2)
    slack.intake(lead())
    slack.deliver_all()
    assert len(slack.standin.messages(EMEA)) == 1


def test_a_post_whose_answer_was_lost_is_recognised_not_sent_again(slack: SlackHarness) -> None:
    slack.standin.drop_response("chat.postMessage")
    slack.intake(lead())
    slack.deliver_all()
    assert len(slack.standin.messages(EMEA)) == 1


def test_the_bot_not_in_the_channel_keeps_the_lead_queued_and_tells_triage_once(
    slack: SlackHarness,
) -> None:
    slack.standin.fail("chat.postMessage", error="not_in_channel", times=1)
    slack.intake(lead())
    slack.deliverer.run_once()
    stuck = slack.http.get("/healthz").json()["slack"]
    assert stuck["undelivered"] == 2
    slack.deliverer.run_once()  # the notice goes at once, while the lead is still refused
    assert any("not_in_channel" in (s["error"] or "") for s in stuck["stuck"])
    slack.clock.advance(minutes=6)
    slack.deliver_all()
    [notice] = slack.standin.messages(TRIAGE)
    assert "not_in_channel" in notice["text"]
    assert "/invite" in str(notice["blocks"])
    assert len(slack.standin.messages(EMEA)) == 1


def test_a_forged_signature_is_refused(slack: SlackHarness) -> None:
    from baton_devkit import simulate

    body = simulate.interaction_body(
        simulate.button_click(MANAGER, "lead_accept", "{}", channel=EMEA)
    )
    headers = simulate.signed_headers(body, "wrong-secret")
    assert slack.http.post("/slack/events", content=body, headers=headers).status_code == 401
    stale = simulate.signed_headers(body, "test-signing-secret", timestamp=1_600_000_000)
    assert slack.http.post("/slack/events", content=body, headers=stale).status_code == 401
