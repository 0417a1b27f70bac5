"""The timer messages as Block Kit: one DM per person, safe lead text, buttons only where they act."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.domain.timers import TimerKind
from bot.slack import blocks_timers as bt
from bot.slack.blockkit import MAX_BLOCKS
from bot.slack.ids import ActionId, LeadRef, TimerRef
from bot.slack.views import LeadView, TimerItem, Touch

HOURS = bt.Hours(handoff=4, escalation=8)
DUE = datetime(2026, 11, 23, 13, tzinfo=UTC)


def item(kind: TimerKind = TimerKind.HANDOFF_SLA, fire_id: int = 1, **changes: Any) -> TimerItem:
    values: dict[str, Any] = {
        "fire_id": fire_id,
        "kind": kind,
        "again": False,
        "short_id": f"L-{fire_id:05d}",
        "round": 1,
        "name": "Jane Doe",
        "company": "Acme GmbH",
        "email": "jane@acme.example",
        "timezone": "Europe/Berlin",
        "due_at": DUE,
        "pending_since": datetime(2026, 11, 23, 8, tzinfo=UTC),
        "rep_id": "U0EMEAREP2",
        "feedback_due_at": datetime(2026, 11, 27, 16, 30, tzinfo=UTC),
        "next_step_at": datetime(2026, 12, 1, 8, tzinfo=UTC),
    }
    return TimerItem(**(values | changes))


def texts(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b.get("type") == "section"]


def test_one_dm_lists_each_kind_under_its_heading_escalations_first() -> None:
    message = bt.reminder_dm(
        [
            item(TimerKind.HANDOFF_SLA, 1),
            item(TimerKind.ESCALATION, 2),
            item(TimerKind.HANDOFF_SLA, 3),
        ],
        hours=HOURS,
    )
    assert message["text"] == "⏰ 1 lead escalated to you · 2 leads waiting for your decision"
    assert texts(message) == [
        "*Escalated to you* — no decision after 8 working hours; you can decide",
        "`L-00002` Jane Doe, Acme GmbH — pending since Mon 23 Nov, 09:00 CET",
        "*Waiting for your decision* — more than 4 working hours",
        "`L-00001` Jane Doe, Acme GmbH — pending since Mon 23 Nov, 09:00 CET",
        "`L-00003` Jane Doe, Acme GmbH — pending since Mon 23 Nov, 09:00 CET",
    ]


def test_reminders_carry_a_snooze_button_and_escalations_accept_and_return() -> None:
    message = bt.reminder_dm(
        [item(TimerKind.FEEDBACK_DUE, 1), item(TimerKind.ESCALATION, 2)], hours=HOURS
    )
    escalation, _, feedback = message["blocks"][1:4]
    buttons = message["blocks"][2]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Accept…", "Return…"]
    assert [b["action_id"] for b in buttons] == [ActionId.ACCEPT, ActionId.RETURN]
    assert LeadRef.loads(buttons[0]["value"]) == LeadRef(lead="L-00002", round=1)
    assert "accessory" not in escalation
    snooze = message["blocks"][4]["accessory"]
    assert (snooze["action_id"], snooze["text"]["text"]) == (ActionId.SNOOZE, "Snooze…")
    assert TimerRef.loads(snooze["value"]) == TimerRef(fire=1, lead="L-00001")
    assert feedback["text"]["text"].startswith("*Feedback due*")


def test_a_reminder_back_after_a_snooze_or_already_snoozed_has_no_snooze_button() -> None:
    back = item(again=True, snooze_reason="Asking the CFO", snoozed_until=DUE)
    snoozed = item(fire_id=2, snoozed_until=DUE)
    message = bt.reminder_dm([back, snoozed], hours=HOURS)
    assert not any("accessory" in block for block in message["blocks"])
    assert message["blocks"][1]["text"]["text"].endswith("\n💤 back after a snooze: Asking the CFO")


def test_lead_text_can_neither_mention_nor_link() -> None:
    hostile = item(name="<!channel> *boss*", company="<https://evil.example|Acme>")
    message = bt.reminder_dm([hostile], hours=HOURS)
    line = message["blocks"][1]["text"]["text"]
    assert "<!channel>" not in line and "<https://" not in line
    assert "&lt;!channel&gt;" in line
    note = bt.timer_note(hostile, hours=HOURS)
    assert "<!" not in json.dumps(note)


def test_a_long_list_stays_within_slacks_block_limit_and_says_how_many_more() -> None:
    many = [item(TimerKind.HANDOFF_SLA, i) for i in range(1, 121)]
    message = bt.reminder_dm(many, hours=HOURS)
    assert len(message["blocks"]) <= MAX_BLOCKS
    assert message["text"] == "⏰ 120 leads waiting for your decision"
    shown = sum(1 for b in message["blocks"] if b["type"] == "section") - 1
    assert message["blocks"][-1]["elements"][0]["text"] == (
        f"…and {120 - shown} more: your App Home lists every open lead."
    )
    post = bt.escalation_post(many, mention=["U0EMEABK01"], hours=HOURS)
    assert len(post["blocks"]) <= MAX_BLOCKS


def test_thread_notes_mention_nobody() -> None:
    for kind in TimerKind:
        note = bt.timer_note(item(kind), hours=HOURS, leakage_days=14)
        assert "<@" not in note["text"]
    assert bt.timer_note(item(TimerKind.NEXT_STEP), hours=HOURS, told="the rep")["text"] == (
        "📅 The next step on L-00001 is due Tue 1 Dec; a reminder went to the rep."
    )


def view(**changes: Any) -> LeadView:
    values: dict[str, Any] = {
        "short_id": "L-00001",
        "status": "accepted",
        "round": 1,
        "name": "Jane Doe",
        "title": "CTO",
        "company": "Acme GmbH",
        "email": "jane@acme.example",
        "phone": "+49 30 1234567",
        "country": "DE",
        "state": None,
        "campaign": "spring-webinar-2026",
        "source": "webinar",
        "score": 80,
        "qualification_reason": None,
        "route_reason": None,
        "region": "emea",
        "activity": (),
        "notes": None,
        "timezone": "Europe/Berlin",
        "decided_by": "U0EMEAMGR1",
        "rep_id": "U0EMEAREP2",
    }
    return LeadView(**(values | changes))


def test_the_leakage_task_gives_marketing_the_contact_and_a_touch_button() -> None:
    task = bt.leakage_task(view(), manager="U0EMEAMGR1", days=21)
    assert task["blocks"][0]["text"]["text"] == (
        "🕳️ Customer-service touch needed: L-00001: Jane Doe, Acme GmbH\n"
        "Accepted for <@U0EMEAREP2> (manager <@U0EMEAMGR1>); "
        "no contact logged in the 21 days since."
    )
    assert "+49 30 1234567" in json.dumps(task["blocks"][1])
    buttons = [(b["action_id"], b["text"]["text"]) for b in task["blocks"][-1]["elements"]]
    assert buttons == [(ActionId.TOUCH, "Touch logged…"), (ActionId.REASSIGN, "Reassign…")]


def buttons_of(message: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Each button of the message: its label, action and the lead its value names."""
    return [
        (e["text"]["text"], e["action_id"], json.loads(e["value"]).get("lead"))
        for b in message["blocks"]
        for e in [*b.get("elements", []), *([b["accessory"]] if "accessory" in b else [])]
        if e.get("type") == "button"
    ]


def test_every_reminder_carries_the_action_it_asks_for_on_each_lead() -> None:
    kinds = [
        TimerKind.HANDOFF_SLA,
        TimerKind.FEEDBACK_DUE,
        TimerKind.FEEDBACK_OVERDUE,
        TimerKind.NEXT_STEP,
        TimerKind.ESCALATION,
    ]
    message = bt.reminder_dm([item(k, n) for n, k in enumerate(kinds, 1)], hours=HOURS)
    assert buttons_of(message) == [
        ("Accept…", ActionId.ACCEPT, "L-00005"),
        ("Return…", ActionId.RETURN, "L-00005"),
        ("Snooze…", ActionId.SNOOZE, "L-00001"),
        ("Accept…", ActionId.ACCEPT, "L-00001"),
        ("Return…", ActionId.RETURN, "L-00001"),
        ("Nudge", ActionId.NUDGE, "L-00003"),
        ("Reassign…", ActionId.REASSIGN, "L-00003"),
        ("Snooze…", ActionId.SNOOZE, "L-00002"),
        ("Log outcome…", ActionId.LOG_OUTCOME, "L-00002"),
        ("Snooze…", ActionId.SNOOZE, "L-00004"),
        ("Log outcome…", ActionId.LOG_OUTCOME, "L-00004"),
    ]


def test_a_lead_that_moved_on_gets_no_decision_buttons_in_a_reminder() -> None:
    message = bt.reminder_dm([item(TimerKind.ESCALATION, pending_since=None)], hours=HOURS)
    assert buttons_of(message) == []


def test_a_reminder_links_each_lead_to_its_card_once_its_permalink_is_known() -> None:
    link = "https://acme.slack.com/archives/C0EMEA0001/p1700000000000100"
    message = bt.reminder_dm([item(link=link), item(fire_id=2)], hours=HOURS)
    assert texts(message)[1:] == [
        f"<{link}|L-00001> Jane Doe, Acme GmbH — pending since Mon 23 Nov, 09:00 CET",
        "`L-00002` Jane Doe, Acme GmbH — pending since Mon 23 Nov, 09:00 CET",
    ]
    forged = bt.reminder_dm([item(link="https://x.example/|<!channel>")], hours=HOURS)
    assert "<!channel>" not in json.dumps(forged)
    assert texts(forged)[1].startswith("`L-00001`")


def test_once_a_touch_is_logged_the_task_shows_it_instead_of_the_button() -> None:
    touch = Touch(by="U0MKTG0002", reached=False, notes="Voicemail twice")
    task = bt.leakage_task(view(), manager="U0EMEAMGR1", days=14, touch=touch)
    assert task["blocks"][-1]["text"]["text"] == (
        "✅ Touch logged by <@U0MKTG0002>: could not reach the lead — Voicemail twice"
    )


def test_the_modals_carry_their_reference_and_ask_what_is_needed() -> None:
    until = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    snooze = bt.snooze_modal(item(), choices=[(1, until)], once="Once only.")
    assert snooze["callback_id"] == ActionId.SNOOZE_MODAL
    assert TimerRef.loads(snooze["private_metadata"]) == TimerRef(fire=1, lead="L-00001")
    options = snooze["blocks"][2]["element"]["options"]
    assert options[0]["text"]["text"] == "1 working day — until Tue 24 Nov, 15:30 CET"
    touch = bt.touch_modal(view(), by="U0MKTG0001")
    assert touch["callback_id"] == ActionId.TOUCH_MODAL
    assert LeadRef.loads(touch["private_metadata"]) == LeadRef(lead="L-00001", round=1)
    assert touch["blocks"][1]["element"]["initial_user"] == "U0MKTG0001"
    labels = [b["label"]["text"] for b in touch["blocks"] if b["type"] == "input"]
    assert labels == ["Who reached out", "Did they reach the lead?", "What they learned"]
