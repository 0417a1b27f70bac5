"""Logging an outcome in a form: from `/lead log ID`, the rep's DM and the Home tab."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from baton_devkit import simulate

from bot.app import Baton
from bot.slack.ids import ActionId, OutcomeRef
from tests.fakes.slack import SlackHarness, button_value, slack_harness
from tests.handlers.test_slack_handoff import BACKUP, EMEA, MANAGER, REP, handed_off, status_of
from tests.handlers.test_slack_lead import (
    OTHER_REP,
    accepted,
    events_of,
    lead_row,
    say,
    thread_texts,
    unchanged,
)


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def form_values(
    outcome: str,
    *,
    amount: str | None = None,
    notes: str | None = None,
    next_step: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """What a person entered in the outcome modal (Slack sends every input, empty or not)."""

    def select(value: str | None) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": {"value": value} if value else None}

    return {
        ActionId.OUTCOME_BLOCK: {ActionId.OUTCOME_INPUT: select(outcome)},
        ActionId.AMOUNT_BLOCK: {
            ActionId.AMOUNT_INPUT: {"type": "plain_text_input", "value": amount}
        },
        ActionId.NOTES_BLOCK: {ActionId.NOTES_INPUT: {"type": "plain_text_input", "value": notes}},
        ActionId.NEXT_STEP_BLOCK: {
            ActionId.NEXT_STEP_INPUT: {"type": "datepicker", "selected_date": next_step}
        },
        ActionId.REASON_BLOCK: {ActionId.REASON_INPUT: select(reason)},
    }


def form_from_command(slack: SlackHarness, user: str, short_id: str) -> dict[str, Any]:
    before = len(slack.standin.views_opened)
    trigger_id = "trigger-for-the-form"
    assert (
        slack.command(user, f"log {short_id}", channel=EMEA, trigger_id=trigger_id).status_code
        == 200
    )
    view = slack.opened_view(before)
    assert slack.standin.calls_to("views.open")[-1].args["trigger_id"] == trigger_id
    return view


def submitted(slack: SlackHarness, user: str, view: dict[str, Any], values: dict[str, Any]) -> Any:
    answer = slack.submit(user, view, values)
    assert answer.status_code == 200
    return answer.json() if answer.content else None


def test_log_with_only_an_id_opens_the_form_and_its_outcome_is_logged_like_the_command(
    slack: SlackHarness,
) -> None:
    short_id, message = accepted(slack)
    view = form_from_command(slack, REP, short_id)
    assert view["callback_id"] == ActionId.OUTCOME_MODAL
    assert short_id in str(view["blocks"])
    assert OutcomeRef.loads(view["private_metadata"]).channel == EMEA
    before = len(slack.standin.ephemerals(REP))
    values = form_values(
        "won", amount="$12,500", notes="Signed\nthree years", next_step="2026-12-07"
    )
    assert submitted(slack, REP, view, values) is None
    slack.wait_until(lambda: status_of(slack, short_id) == "won")
    event = events_of(slack, short_id)[-1]
    assert (event.reason_code, event.amount, event.notes) == (
        "won",
        Decimal("12500"),
        "Signed\nthree years",
    )
    assert lead_row(slack, short_id).next_step_at == datetime(2026, 12, 7, 8, tzinfo=UTC)
    assert slack.standin.wait_for(lambda: len(slack.standin.ephemerals(REP)) > before)
    told = slack.standin.ephemerals(REP)[-1]
    assert told["channel"] == EMEA and f"Logged *won* on {short_id}" in told["text"]
    slack.deliver_all()
    [note] = [t for t in thread_texts(slack, message) if "logged *won*" in t]
    assert "USD 12,500" in note


def test_the_rep_dm_log_outcome_button_opens_the_same_form(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    dm = slack.standin.messages(REP)[-1]
    action_id, value = button_value(dm, "Log outcome")
    before = len(slack.standin.views_opened)
    slack.send(simulate.button_click(REP, action_id, value, channel=slack.standin.dm_channel(REP)))
    view = slack.opened_view(before)
    assert view["callback_id"] == ActionId.OUTCOME_MODAL
    submitted(slack, REP, view, form_values("meeting", notes="demo on Thursday"))
    slack.wait_until(lambda: status_of(slack, short_id) == "meeting")
    assert slack.standin.wait_for(lambda: bool(slack.standin.ephemerals(REP)))
    assert slack.standin.ephemerals(REP)[-1]["channel"] == slack.standin.dm_channel(REP)


@pytest.mark.parametrize(
    ("values", "block", "said"),
    [
        (form_values("won", amount="twelve grand"), ActionId.AMOUNT_BLOCK, "is not an amount"),
        (form_values("return"), ActionId.REASON_BLOCK, "Pick why"),
        (form_values("return", reason="other"), ActionId.NOTES_BLOCK, "notes are required"),
        (form_values("meeting", next_step="2026-11-20"), ActionId.NEXT_STEP_BLOCK, "has passed"),
    ],
    ids=["bad-amount", "return-without-reason", "other-without-notes", "past-next-step"],
)
def test_a_mistake_in_the_form_is_shown_under_its_input_and_nothing_changes(
    slack: SlackHarness, values: dict[str, Any], block: str, said: str
) -> None:
    short_id, _ = accepted(slack)
    before = unchanged(slack, short_id)
    view = form_from_command(slack, REP, short_id)
    answer = submitted(slack, REP, view, values)
    assert answer["response_action"] == "errors"
    assert said in answer["errors"][block]
    assert unchanged(slack, short_id) == before


def test_returning_in_the_form_tells_marketing(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    view = form_from_command(slack, BACKUP, short_id)
    submitted(slack, BACKUP, view, form_values("return", reason="duplicate", notes="see L-ABCDE"))
    slack.wait_until(lambda: status_of(slack, short_id) == "returned")
    slack.deliver_all()
    notice = slack.standin.messages("C0MKTG0001")[-1]
    assert f"returned by <@{BACKUP}>: Duplicate" in notice["text"]


def test_a_form_submitted_twice_logs_once(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    view = form_from_command(slack, REP, short_id)
    submitted(slack, REP, view, form_values("connected"))
    submitted(slack, REP, view, form_values("connected"))
    slack.wait_until(lambda: status_of(slack, short_id) == "connected")
    assert slack.standin.wait_for(lambda: bool(slack.standin.ephemerals(REP)))
    assert not slack.standin.wait_for(lambda: len(slack.standin.ephemerals(REP)) > 1, timeout=1.0)
    assert [e.kind for e in events_of(slack, short_id)].count("outcome") == 1


@pytest.mark.parametrize(
    ("who", "said"),
    [
        (OTHER_REP, f"<@{REP}>, <@{MANAGER}> or <@{BACKUP}> can log outcomes"),
        (REP, "closed (lost)"),
    ],
    ids=["stranger", "closed"],
)
def test_no_form_opens_for_someone_who_may_not_log_or_a_closed_lead(
    slack: SlackHarness, who: str, said: str
) -> None:
    short_id, _ = accepted(slack)
    if who == REP:
        say(slack, REP, f"log {short_id} lost")
    opened = len(slack.standin.views_opened)
    assert said in say(slack, who, f"log {short_id}")["text"]
    assert len(slack.standin.views_opened) == opened


def test_a_pending_lead_opens_no_form(slack: SlackHarness) -> None:
    short_id, _ = handed_off(slack)
    assert "awaits a manager's decision" in say(slack, MANAGER, f"log {short_id}")["text"]
    assert not slack.standin.views_opened


def test_the_home_tabs_log_outcome_button_answers_by_dm(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    slack.event(simulate.app_home_opened(REP))
    assert slack.standin.wait_for(lambda: bool(slack.standin.views_published(REP)))
    home = slack.standin.views_published(REP)[-1]
    [button] = [b["accessory"] for b in home["blocks"] if short_id in str(b) and "accessory" in b]
    click = simulate.button_click(REP, button["action_id"], button["value"], channel="")
    click.pop("channel")
    click["container"] = {"type": "view", "view_id": home["id"]}
    before = len(slack.standin.views_opened)
    slack.send(click)
    view = slack.opened_view(before)
    dms = len(slack.standin.messages(REP))
    submitted(slack, REP, view, form_values("attempted"))
    assert slack.standin.wait_for(lambda: len(slack.standin.messages(REP)) > dms)
    assert f"Logged *attempted* on {short_id}" in slack.standin.messages(REP)[-1]["text"]
