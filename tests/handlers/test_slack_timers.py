"""The timers in Slack, end to end: reminders, snoozes, escalation, feedback chasing, leakage and touch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Baton
from bot.domain.lead import Outcome
from bot.domain.timers import SnoozeRefused
from bot.jobs.passes import run_job
from bot.runtime import web_client
from bot.services import outcomes, snooze
from bot.slack.delivery import Deliverer
from bot.slack.ids import ActionId
from storage.outbox import SqlOutbox
from storage.rows import EventRow, LeadRow, TimerFireRow
from tests.fakes.slack import SlackHarness, button_value, slack_harness
from tests.handlers.test_slack_handoff import (
    ACCEPT_VALUES,
    BACKUP,
    EMEA,
    MANAGER,
    MARKETING,
    REP,
    accept,
    handed_off,
    lead,
    status_of,
)

MARKETER, OTHER_MARKETER = "U0MKTG0001", "U0MKTG0002"
TRIAGE, DECIDERS = "C0TRIAGE01", ("U0MKTG0001", "U0SALESVP1")


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def pass_at(slack: SlackHarness, job: str, when: str) -> str:
    slack.clock.set(at(when))
    result = run_job(slack.baton, job)
    slack.deliver_all()
    return result.summary()


def dms(slack: SlackHarness, user: str) -> list[dict[str, Any]]:
    return slack.standin.messages(user)


def top_level(slack: SlackHarness, channel: str) -> list[dict[str, Any]]:
    return [m for m in slack.standin.messages(channel) if not m.get("thread_ts")]


def accessory(message: dict[str, Any], text: str) -> tuple[str, str]:
    for block in message["blocks"]:
        button = block.get("accessory") or {}
        if button.get("type") == "button" and button["text"]["text"].startswith(text):
            return button["action_id"], button["value"]
    raise AssertionError(f"no {text!r} button in {message['blocks']}")


def card_link(slack: SlackHarness, card: dict[str, Any], channel: str = EMEA) -> str:
    """The handoff card's permalink, as Slack gives it."""
    return web_client(slack.baton).chat_getPermalink(channel=channel, message_ts=card["ts"])[
        "permalink"
    ]


def sections(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if "text" in b and b["type"] == "section"]


def notes_in_thread(slack: SlackHarness, message: dict[str, Any]) -> list[str]:
    return [m["text"] for m in slack.standin.thread(EMEA, message["ts"])[1:]]


def events_of(slack: SlackHarness, short_id: str, kind: str) -> list[EventRow]:
    with slack.baton.database.reading() as session:
        lead_id = session.scalars(select(LeadRow.id).where(LeadRow.short_id == short_id)).one()
        return list(
            session.scalars(
                select(EventRow).where(EventRow.lead_id == lead_id, EventRow.kind == kind)
            )
        )


# The lead arrives Monday 23 November at 10:30 in Berlin (09:30 UTC). emea works 09:00-12:30
# and 13:30-17:30: four working hours run out at 15:30, eight on Tuesday at 11:00.


def test_a_lead_waiting_past_its_sla_reminds_the_manager_in_one_dm_and_notes_its_thread(
    slack: SlackHarness,
) -> None:
    short_id, message = handed_off(slack)
    assert pass_at(slack, "handoff-sla", "2026-11-23T15:29:59+01:00") == "nothing due"
    assert not dms(slack, MANAGER)
    assert pass_at(slack, "handoff-sla", "2026-11-23T15:30+01:00").startswith("1 handoff_sla")
    [dm] = dms(slack, MANAGER)
    assert dm["text"] == "⏰ 1 lead waiting for your decision"
    assert sections(dm) == [
        "*Waiting for your decision* — more than 4 working hours",
        f"<{card_link(slack, message)}|{short_id}> Jane Doe, Acme GmbH — "
        "pending since Mon 23 Nov, 10:30 CET",
    ]
    accessory(dm, "Snooze…")
    pass_at(slack, "handoff-sla", "2026-11-23T16:00+01:00")
    assert len(dms(slack, MANAGER)) == 1
    # The reminder carries the decision: Accept… opens the same modal as the card's.
    action, value = button_value(dm, "Accept…")
    modal = slack.click_for_view(MANAGER, action, value, slack.standin.dm_channel(MANAGER))
    assert slack.submit(MANAGER, modal, ACCEPT_VALUES).status_code == 200
    slack.wait_until(lambda: status_of(slack, short_id) == "accepted")
    button_value(dm, "Return…")
    assert notes_in_thread(slack, message) == [
        f"⏰ {short_id} has waited 4 working hours for a decision; a reminder went to the manager."
    ]


def test_past_escalation_the_backup_is_mentioned_in_the_channel_and_can_accept(
    slack: SlackHarness,
) -> None:
    short_id, message = handed_off(slack)
    pass_at(slack, "handoff-sla", "2026-11-24T10:59+01:00")
    assert [m for m in slack.standin.messages(EMEA) if BACKUP in m["text"]] == []
    pass_at(slack, "handoff-sla", "2026-11-24T11:00+01:00")
    [post] = [m for m in top_level(slack, EMEA) if m["text"].startswith("🚨")]
    assert post["text"] == (
        f"🚨 <@{BACKUP}> no decision on 1 lead after 8 working hours — you can decide:"
    )
    assert post["blocks"][1]["text"]["text"] == (
        f"<{card_link(slack, message)}|{short_id}> Jane Doe, Acme GmbH — "
        "pending since Mon 23 Nov, 10:30 CET"
    )
    assert notes_in_thread(slack, message)[-1] == (
        f"🚨 {short_id} has waited 8 working hours for a decision; escalated to the backup, "
        "who can decide."
    )
    accept(slack, post, user=BACKUP)
    slack.wait_until(lambda: status_of(slack, short_id) == "accepted")


def test_a_reminder_can_be_snoozed_once_with_a_reason_and_comes_back(
    slack: SlackHarness,
) -> None:
    short_id, message = handed_off(slack)
    pass_at(slack, "handoff-sla", "2026-11-23T15:30+01:00")
    [dm] = dms(slack, MANAGER)
    action, value = accessory(dm, "Snooze…")
    channel = slack.standin.dm_channel(MANAGER)
    modal = slack.click_for_view(MANAGER, action, value, channel)
    options = modal["blocks"][2]["element"]["options"]
    assert [o["text"]["text"] for o in options] == [
        "1 working day — until Tue 24 Nov, 15:30 CET",
        "2 working days — until Wed 25 Nov, 15:30 CET",
    ]
    values = {
        ActionId.SNOOZE_DAYS_BLOCK: {
            ActionId.SNOOZE_DAYS_INPUT: {"type": "static_select", "selected_option": {"value": "1"}}
        },
        ActionId.SNOOZE_REASON_BLOCK: {
            ActionId.SNOOZE_REASON_INPUT: {"type": "plain_text_input", "value": "Asking the CFO"}
        },
    }
    slack.submit(MANAGER, modal, values)
    slack.wait_until(lambda: bool(events_of(slack, short_id, "snoozed")))
    slack.deliver_all()
    [snoozed] = events_of(slack, short_id, "snoozed")
    assert (snoozed.actor, snoozed.notes) == (MANAGER, "Asking the CFO")
    assert notes_in_thread(slack, message)[-1] == (
        f"💤 <@{MANAGER}> snoozed the reminder about {short_id} until Tue 24 Nov, 15:30 CET: "
        "Asking the CFO"
    )
    told = dms(slack, MANAGER)[-1]["text"]
    assert told == f"💤 Snoozed the reminder about {short_id} until Tue 24 Nov, 15:30 CET."

    slack.click(MANAGER, action, value, channel)
    assert slack.standin.wait_for(lambda: slack.standin.ephemerals(MANAGER))
    assert slack.standin.ephemerals(MANAGER)[-1]["text"] == (
        f"This reminder about {short_id} was already snoozed once (until Tue 24 Nov, 15:30); "
        "a reminder can be snoozed only once."
    )

    pass_at(slack, "handoff-sla", "2026-11-24T11:00+01:00")  # the escalation is not snoozed
    assert pass_at(slack, "handoff-sla", "2026-11-24T15:29+01:00") == "nothing due"
    assert pass_at(slack, "handoff-sla", "2026-11-24T15:30+01:00").startswith("1 handoff_sla again")
    back = dms(slack, MANAGER)[-1]
    assert back["blocks"][1]["text"]["text"] == (
        f"<{card_link(slack, message)}|{short_id}> Jane Doe, Acme GmbH — "
        "pending since Mon 23 Nov, 10:30 CET\n💤 back after a snooze: Asking the CFO"
    )
    assert "accessory" not in back["blocks"][1]
    assert notes_in_thread(slack, message)[-1] == (
        f"⏰ The snoozed reminder about {short_id} is back: pending since Mon 23 Nov, 10:30 CET."
    )
    assert pass_at(slack, "handoff-sla", "2026-11-24T16:00+01:00") == "nothing due"


def test_an_escalation_cannot_be_snoozed(slack: SlackHarness) -> None:
    short_id, _ = handed_off(slack)
    pass_at(slack, "handoff-sla", "2026-11-24T11:00+01:00")
    with slack.baton.database.reading() as session:
        escalation = session.scalars(
            select(TimerFireRow.id).where(TimerFireRow.kind == "escalation")
        ).one()
    with pytest.raises(SnoozeRefused, match=f"Escalations on {short_id} cannot"):
        snooze.snooze_form(
            escalation,
            BACKUP,
            uow_factory=slack.baton.unit_of_work,
            config=slack.baton.config,
            clock=slack.clock,
        )


def accepted_lead(slack: SlackHarness) -> tuple[str, dict[str, Any]]:
    short_id, message = handed_off(slack)
    accept(slack, message)
    slack.wait_until(lambda: status_of(slack, short_id) == "accepted")
    slack.deliver_all()
    return short_id, message


def test_feedback_due_reminds_the_rep_then_a_working_day_later_tells_the_manager(
    slack: SlackHarness,
) -> None:
    short_id, message = accepted_lead(slack)
    assert ACCEPT_VALUES  # the feedback is due Friday 27 November, by 17:30 in Berlin
    rep_messages = len(dms(slack, REP))
    assert pass_at(slack, "followups", "2026-11-27T17:29+01:00") == "nothing due"
    pass_at(slack, "followups", "2026-11-27T17:30+01:00")
    reminder = dms(slack, REP)[rep_messages]
    assert reminder["text"] == "⏰ 1 lead with feedback due"
    link = card_link(slack, message)
    assert sections(reminder) == [
        "*Feedback due* — log what happened (or `/lead log ID OUTCOME`)",
        f"<{link}|{short_id}> Jane Doe, Acme GmbH — feedback was due Fri 27 Nov",
    ]
    button_value(reminder, "Log outcome…")
    assert notes_in_thread(slack, message)[-1] == (
        f"⏰ Feedback on {short_id} was due Fri 27 Nov and no outcome is logged; "
        "a reminder went to the rep."
    )
    assert pass_at(slack, "followups", "2026-11-30T17:29+01:00") == "nothing due"
    pass_at(slack, "followups", "2026-11-30T17:30+01:00")
    told = dms(slack, MANAGER)[-1]
    assert told["text"] == "⏰ 1 lead with feedback overdue"
    assert told["blocks"][1]["text"]["text"] == (
        f"<{link}|{short_id}> Jane Doe, Acme GmbH — <@{REP}>'s feedback was due Fri 27 Nov"
    )
    assert "accessory" not in told["blocks"][1]
    button_value(told, "Nudge")
    button_value(told, "Reassign…")


def test_a_stale_lead_leaks_and_marketing_logs_a_touch_from_its_task(
    slack: SlackHarness,
) -> None:
    short_id, message = accepted_lead(slack)
    assert pass_at(slack, "leakage", "2026-12-07T09:29Z") == "nothing due"
    pass_at(slack, "leakage", "2026-12-07T09:30Z")
    [task] = [m for m in top_level(slack, MARKETING) if m["text"].startswith("🕳️")]
    linked = f"<{card_link(slack, message)}|{short_id}>"
    assert task["text"] == f"🕳️ Customer-service touch needed: {linked}: Jane Doe, Acme GmbH"
    assert task["blocks"][0]["text"]["text"] == (
        f"🕳️ Customer-service touch needed: {linked}: Jane Doe, Acme GmbH\n"
        f"Accepted for <@{REP}> (manager <@{MANAGER}>); no contact logged in the 14 days since."
    )
    assert notes_in_thread(slack, message)[-1] == (
        f"🕳️ {short_id} is flagged as leaked: no contact logged 14 days after it was accepted. "
        "Marketing has a customer-service touch task."
    )
    action, value = button_value(task, "Touch logged…")
    button_value(task, "Reassign…")

    slack.click(REP, action, value, MARKETING)
    assert slack.standin.wait_for(lambda: slack.standin.ephemerals(REP))
    assert slack.standin.ephemerals(REP)[-1]["text"] == (
        f"Only marketing (<@{MARKETER}> or <@{OTHER_MARKETER}>) can do that."
    )

    modal = slack.click_for_view(MARKETER, action, value, MARKETING)
    assert modal["callback_id"] == "touch_modal"
    values = {
        ActionId.TOUCH_BY_BLOCK: {
            ActionId.TOUCH_BY_INPUT: {"type": "users_select", "selected_user": OTHER_MARKETER}
        },
        ActionId.TOUCH_REACHED_BLOCK: {
            ActionId.TOUCH_REACHED_INPUT: {
                "type": "radio_buttons",
                "selected_option": {"value": "reached"},
            }
        },
        ActionId.TOUCH_NOTES_BLOCK: {
            ActionId.TOUCH_NOTES_INPUT: {
                "type": "plain_text_input",
                "value": "Busy until January; call back then",
            }
        },
    }
    slack.submit(MARKETER, modal, values)
    slack.submit(MARKETER, modal, values)  # a double submit records one touch
    slack.wait_until(lambda: bool(events_of(slack, short_id, "touch")))
    slack.deliver_all()
    [touch] = events_of(slack, short_id, "touch")
    assert touch.actor == MARKETER
    assert touch.data == {"reached": True, "by": OTHER_MARKETER}
    assert touch.notes == "Busy until January; call back then"
    assert notes_in_thread(slack, message)[-1] == (
        f"📞 Customer-service touch on {short_id} by <@{OTHER_MARKETER}>: reached the lead — "
        "Busy until January; call back then"
    )
    [updated] = [m for m in slack.standin.messages(MARKETING) if m["ts"] == task["ts"]]
    assert updated["blocks"][-1]["text"]["text"] == (
        f"✅ Touch logged by <@{OTHER_MARKETER}>: reached the lead — "
        "Busy until January; call back then"
    )
    assert not any(b.get("type") == "actions" for b in updated["blocks"])
    assert pass_at(slack, "leakage", "2026-12-14T09:30Z") == "nothing due"


def test_work_recorded_before_a_crash_is_delivered_once_after_restart(
    slack: SlackHarness,
) -> None:
    short_id, _ = handed_off(slack)
    slack.clock.set(at("2026-11-23T15:30+01:00"))
    run_job(slack.baton, "handoff-sla")  # recorded and queued; the process dies before sending
    restarted = Deliverer(
        outbox=SqlOutbox(slack.baton.database),
        client=web_client(slack.baton),
        config=slack.baton.config,
        clock=slack.clock,
        settle=slack.baton.settle_new_leads,
    )
    assert run_job(slack.baton, "handoff-sla").fired == {}
    for _ in range(5):
        restarted.run_once()
    slack.deliver_all()
    assert [m["text"] for m in dms(slack, MANAGER)] == ["⏰ 1 lead waiting for your decision"]
    assert short_id in dms(slack, MANAGER)[0]["blocks"][1]["text"]["text"]


def test_health_shows_each_jobs_last_run_and_result(slack: SlackHarness) -> None:
    handed_off(slack)
    pass_at(slack, "handoff-sla", "2026-11-23T15:30+01:00")
    jobs = slack.http.get("/healthz").json()["jobs"]
    assert jobs["handoff-sla"]["ok"] is True
    assert jobs["handoff-sla"]["result"] == "1 handoff_sla; 1 message"
    assert jobs["handoff-sla"]["as_of"] == "2026-11-23T14:30:00+00:00"
    assert jobs["handoff-sla"]["runs"] == 1


def test_a_rep_is_reminded_of_the_next_step_they_set_on_its_morning(slack: SlackHarness) -> None:
    short_id, message = accepted_lead(slack)
    outcomes.log_outcome(
        short_id,
        outcomes.OutcomeEntry(Outcome.ATTEMPTED, next_step=date(2026, 12, 1)),
        actor=REP,
        request_key=None,
        uow_factory=slack.baton.unit_of_work,
        config=slack.baton.config,
        clock=slack.clock,
    )
    slack.deliver_all()
    before = len(dms(slack, REP))
    assert pass_at(slack, "nextsteps", "2026-12-01T08:59+01:00") == "nothing due"
    pass_at(slack, "nextsteps", "2026-12-01T09:00+01:00")
    [reminder] = dms(slack, REP)[before:]
    assert reminder["text"] == "⏰ 1 next step due"
    assert sections(reminder) == [
        "*Next steps due*",
        f"<{card_link(slack, message)}|{short_id}> Jane Doe, Acme GmbH — "
        "next step set for Tue 1 Dec",
    ]
    accessory(reminder, "Snooze…")
    assert notes_in_thread(slack, message)[-1] == (
        f"📅 The next step on {short_id} is due Tue 1 Dec; a reminder went to the rep."
    )
    assert pass_at(slack, "nextsteps", "2026-12-01T12:00+01:00") == "nothing due"


def test_a_triage_lead_is_chased_with_the_triage_deciders(slack: SlackHarness) -> None:
    short_id = slack.intake(lead(country="BR")).json()["leads"][0]["id"]
    slack.deliver_all()
    [card] = top_level(slack, TRIAGE)
    pass_at(slack, "handoff-sla", "2026-11-24T17:30Z")  # eight working hours on UTC office hours
    for decider in DECIDERS:
        [dm] = dms(slack, decider)
        assert dm["text"] == "⏰ 1 lead waiting for your decision"
    [post] = [m for m in top_level(slack, TRIAGE) if m["text"].startswith("🚨")]
    assert post["text"].startswith(f"🚨 <@{DECIDERS[0]}> <@{DECIDERS[1]}> no decision on 1 lead")
    # Notes in one thread are paced by Slack's limit per channel, so their order may vary.
    assert sorted(m["text"] for m in slack.standin.thread(TRIAGE, card["ts"])[1:]) == [
        f"⏰ {short_id} has waited 4 working hours for a decision; "
        "a reminder went to the triage deciders.",
        f"🚨 {short_id} has waited 8 working hours for a decision; "
        "escalated to the triage deciders, who can decide.",
    ]
