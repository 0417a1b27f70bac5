"""Every message carries the action it asks for and links to the lead's card; a manager can nudge
a rep or give an accepted lead to another rep. End to end through Slack's protocol."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Baton
from bot.domain.lead_summary import Stage
from bot.slack.ids import ActionId
from storage.rows import EventRow, LeadRow, LeadSummaryRow
from tests.fakes.slack import SlackHarness, button_value, slack_harness
from tests.handlers.test_slack_handoff import BACKUP, EMEA, MANAGER, MARKETING, REP
from tests.handlers.test_slack_outcome_form import form_values
from tests.handlers.test_slack_timers import (
    accepted_lead,
    card_link,
    dms,
    events_of,
    notes_in_thread,
    pass_at,
    sections,
)

OTHER_REP = "U0EMEAREP1"
STRANGER = "U0MKTG0001"  # marketing: may not reassign a sales lead


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def last_ephemeral(slack: SlackHarness, user: str, count_before: int) -> str:
    assert slack.standin.wait_for(lambda: len(slack.standin.ephemerals(user)) > count_before)
    return slack.standin.ephemerals(user)[-1]["text"]


def said_to(slack: SlackHarness, user: str, count_before: int) -> str:
    """What Baton answered `user` after a click in their DM with Baton."""
    return last_ephemeral(slack, user, count_before)


def overdue_note(slack: SlackHarness) -> dict[str, Any]:
    pass_at(slack, "followups", "2026-11-27T17:30+01:00")
    pass_at(slack, "followups", "2026-11-30T17:30+01:00")
    told = dms(slack, MANAGER)[-1]
    assert told["text"] == "⏰ 1 lead with feedback overdue"
    return told


def test_the_card_permalink_is_taken_once_and_every_message_naming_the_lead_links_to_it(
    slack: SlackHarness,
) -> None:
    short_id, card = accepted_lead(slack)
    pass_at(slack, "followups", "2026-11-27T17:30+01:00")  # more messages naming the lead
    assert len(slack.standin.calls_to("chat.getPermalink")) == 1
    link = card_link(slack, card)
    [rep_dm] = [m for m in dms(slack, REP) if m["text"].startswith("👋")]
    assert rep_dm["text"] == (
        f"👋 <@{MANAGER}> accepted <{link}|{short_id}>: Jane Doe, Acme GmbH for you"
    )
    button_value(rep_dm, "Log outcome…")
    # The thread's own notes need no link: they are under the card.
    assert all("<https://" not in note for note in notes_in_thread(slack, card))


def test_the_feedback_due_reminder_logs_the_outcome_from_its_button(slack: SlackHarness) -> None:
    short_id, card = accepted_lead(slack)
    before = len(dms(slack, REP))
    pass_at(slack, "followups", "2026-11-27T17:30+01:00")
    reminder = dms(slack, REP)[before]
    action, value = button_value(reminder, "Log outcome…")
    modal = slack.click_for_view(REP, action, value, slack.standin.dm_channel(REP))
    assert modal["callback_id"] == ActionId.OUTCOME_MODAL
    assert slack.submit(REP, modal, form_values("connected")).status_code == 200
    slack.wait_until(lambda: bool(events_of(slack, short_id, "outcome")))
    slack.deliver_all()
    assert notes_in_thread(slack, card)[-1].startswith(f"💬 <@{REP}> logged *connected* on")


def test_nudge_on_the_overdue_note_asks_the_rep_in_a_dm_and_notes_the_thread(
    slack: SlackHarness,
) -> None:
    short_id, card = accepted_lead(slack)
    told = overdue_note(slack)
    action, value = button_value(told, "Nudge")
    rep_before = len(dms(slack, REP))
    asked = len(slack.standin.ephemerals(MANAGER))
    assert slack.click(MANAGER, action, value, slack.standin.dm_channel(MANAGER)).status_code == 200
    assert said_to(slack, MANAGER, asked) == f"👉 Asked <@{REP}> for feedback on {short_id}."
    slack.deliver_all()
    [nudge] = dms(slack, REP)[rep_before:]
    link = card_link(slack, card)
    assert sections(nudge) == [
        f"👉 <@{MANAGER}> is waiting for your feedback on <{link}|{short_id}>: "
        "Jane Doe, Acme GmbH\nFeedback was due Fri 27 Nov."
    ]
    button_value(nudge, "Log outcome…")
    assert notes_in_thread(slack, card)[-1] == (
        f"👉 <@{MANAGER}> asked <@{REP}> for feedback on {short_id} (feedback due Fri 27 Nov)."
    )
    [event] = events_of(slack, short_id, "nudged")
    assert (event.actor, event.data) == (MANAGER, {"rep_id": REP})

    seen = len(slack.standin.ephemerals(REP))
    slack.click(REP, action, value, slack.standin.dm_channel(REP))
    assert said_to(slack, REP, seen) == (
        f"Only <@{BACKUP}> or <@{MANAGER}> can nudge the rep of {short_id}."
    )
    assert len(events_of(slack, short_id, "nudged")) == 1


def reassign_values(rep: str | None, note: str | None) -> dict[str, Any]:
    return {
        ActionId.REASSIGN_REP_BLOCK: {
            ActionId.REASSIGN_REP_INPUT: {"type": "users_select", "selected_user": rep}
        },
        ActionId.REASSIGN_NOTE_BLOCK: {
            ActionId.REASSIGN_NOTE_INPUT: {"type": "plain_text_input", "value": note}
        },
    }


def test_reassign_from_the_overdue_note_moves_the_lead_and_everyone_sees_it(
    slack: SlackHarness,
) -> None:
    short_id, card = accepted_lead(slack)
    told = overdue_note(slack)
    action, value = button_value(told, "Reassign…")
    modal = slack.click_for_view(MANAGER, action, value, slack.standin.dm_channel(MANAGER))
    assert modal["callback_id"] == ActionId.REASSIGN_MODAL
    assert sections(modal)[0] == (
        f"{short_id}: Jane Doe, Acme GmbH\nWith <@{REP}> now; feedback due Fri 27 Nov"
    )
    answer = slack.submit(MANAGER, modal, reassign_values(None, None))
    assert answer.json()["errors"] == {"reassign_rep_block": "Pick the rep to give the lead to."}

    rep_before, other_before = len(dms(slack, REP)), len(dms(slack, OTHER_REP))
    values = reassign_values(OTHER_REP, "Ana covers Munich <!channel>")
    assert slack.submit(MANAGER, modal, values).status_code == 200
    slack.submit(MANAGER, modal, values)  # a double submit reassigns once
    slack.wait_until(lambda: bool(events_of(slack, short_id, "reassigned")))
    slack.deliver_all()

    link = card_link(slack, card)
    [given] = dms(slack, OTHER_REP)[other_before:]
    assert given["text"] == (
        f"👋 <@{MANAGER}> gave you <{link}|{short_id}>: Jane Doe, Acme GmbH (it was with <@{REP}>)"
    )
    shown = sections(given)
    assert f"*Comment from <@{MANAGER}>*\n>Big account; call Jane" in shown
    assert f"*Note from <@{MANAGER}>*\n>Ana covers Munich &lt;!channel&gt;" in shown
    fields = [f["text"] for b in given["blocks"] for f in b.get("fields", [])]
    assert fields[-1:] == ["*Feedback due*\n*Fri 27 Nov (overdue)*"]  # handed on when due
    button_value(given, "Log outcome…")
    [taken] = dms(slack, REP)[rep_before:]
    assert taken["text"] == (
        f"➡️ <@{MANAGER}> gave <{link}|{short_id}>: Jane Doe, Acme GmbH to <@{OTHER_REP}>; "
        "it is no longer yours to work."
    )
    assert notes_in_thread(slack, card)[-1] == (
        f"➡️ <@{MANAGER}> reassigned {short_id} from <@{REP}> to <@{OTHER_REP}>; "
        "feedback due Fri 27 Nov — Ana covers Munich &lt;!channel&gt;"
    )
    [updated] = [m for m in slack.standin.messages(EMEA) if m["ts"] == card["ts"]]
    assert f"for <@{OTHER_REP}>" in updated["blocks"][-1]["text"]["text"]

    with slack.baton.database.reading() as session:
        row = session.scalars(select(LeadRow).where(LeadRow.short_id == short_id)).one()
        summary = session.get(LeadSummaryRow, row.id)
        assert summary is not None
    assert (row.rep_id, row.status, row.feedback_due_at.isoformat()) == (
        OTHER_REP,
        "accepted",
        "2026-11-27T16:30:00+00:00",
    )
    assert summary.rep_id == OTHER_REP and summary.stages & Stage.ACCEPTED
    [event] = events_of(slack, short_id, "reassigned")
    assert (event.actor, event.data) == (MANAGER, {"rep_id": OTHER_REP, "from_rep": REP})
    # The timers follow the lead: the next step's reminder goes to the new rep.
    before = len(dms(slack, OTHER_REP))
    slack.command(OTHER_REP, f"log {short_id} attempted next:2026-12-01", channel=EMEA)
    slack.wait_until(lambda: bool(events_of(slack, short_id, "outcome")))
    pass_at(slack, "nextsteps", "2026-12-01T09:00+01:00")
    assert any(m["text"] == "⏰ 1 next step due" for m in dms(slack, OTHER_REP)[before:])


def test_lead_reassign_command_moves_the_lead_and_refuses_anyone_else(
    slack: SlackHarness,
) -> None:
    short_id, _ = accepted_lead(slack)
    seen = len(slack.standin.ephemerals(STRANGER))
    slack.command(STRANGER, f"reassign {short_id} <@{OTHER_REP}|ana>", channel=EMEA)
    assert last_ephemeral(slack, STRANGER, seen) == (
        f"Only <@{BACKUP}> or <@{MANAGER}> can reassign {short_id}."
    )
    seen = len(slack.standin.ephemerals(REP))
    slack.command(REP, f"reassign {short_id} <@{OTHER_REP}|ana>", channel=EMEA)
    assert "can reassign" in last_ephemeral(slack, REP, seen)
    assert events_of(slack, short_id, "reassigned") == []

    seen = len(slack.standin.ephemerals(BACKUP))
    slack.command(BACKUP, f"reassign {short_id} @ana", channel=EMEA)
    assert last_ephemeral(slack, BACKUP, seen) == (
        "“@ana” is not a person Slack filled in. "
        f"Mention the rep: `/lead reassign {short_id} @rep [note]`."
    )
    slack.command(BACKUP, f"reassign {short_id} <@{OTHER_REP}|ana> she knows Acme", channel=EMEA)
    assert last_ephemeral(slack, BACKUP, seen + 1) == (
        f"➡️ {short_id} is now with <@{OTHER_REP}>; <@{REP}> was told."
    )
    slack.command(BACKUP, f"reassign {short_id} <@{OTHER_REP}>", channel=EMEA)
    assert last_ephemeral(slack, BACKUP, seen + 2) == f"{short_id} is already with <@{OTHER_REP}>."
    [event] = events_of(slack, short_id, "reassigned")
    assert (event.actor, event.notes) == (BACKUP, "she knows Acme")
    slack.command(BACKUP, f"show {short_id}", channel=EMEA)
    shown = last_ephemeral(slack, BACKUP, seen + 3)
    assert f"<@{BACKUP}> reassigned it from <@{REP}> to <@{OTHER_REP}> — she knows Acme" in str(
        slack.standin.ephemerals(BACKUP)[-1]["blocks"]
    ), shown


def test_a_pending_lead_cannot_be_reassigned_and_says_to_accept_it(slack: SlackHarness) -> None:
    short_id = slack.intake(
        {"email": "kim@beta.example", "country": "DE", "score": 90, "company": "Beta"}
    ).json()["leads"][0]["id"]
    seen = len(slack.standin.ephemerals(MANAGER))
    slack.command(MANAGER, f"reassign {short_id} <@{OTHER_REP}>", channel=EMEA)
    assert last_ephemeral(slack, MANAGER, seen) == (
        f"{short_id} awaits a manager's decision; accept it for a rep instead."
    )


def test_reassign_on_the_leakage_task_is_for_the_manager_not_marketing(
    slack: SlackHarness,
) -> None:
    short_id, _ = accepted_lead(slack)
    pass_at(slack, "leakage", "2026-12-07T09:30Z")
    [task] = [m for m in slack.standin.messages(MARKETING) if m["text"].startswith("🕳️")]
    action, value = button_value(task, "Reassign…")
    seen = len(slack.standin.ephemerals(STRANGER))
    slack.click(STRANGER, action, value, MARKETING)
    assert last_ephemeral(slack, STRANGER, seen) == (
        f"Only <@{BACKUP}> or <@{MANAGER}> can reassign {short_id}."
    )
    modal = slack.click_for_view(MANAGER, action, value, MARKETING)
    assert slack.submit(MANAGER, modal, reassign_values(OTHER_REP, None)).status_code == 200
    slack.wait_until(lambda: bool(events_of(slack, short_id, "reassigned")))
    with slack.baton.database.reading() as session:
        kinds = session.scalars(
            select(EventRow.kind).join(LeadRow).where(LeadRow.short_id == short_id)
        ).all()
    assert kinds[-1] == "reassigned"
