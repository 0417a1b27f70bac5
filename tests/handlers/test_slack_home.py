"""The App Home tab for a manager and for a rep, kept fresh; re-engagement of an open lead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from baton_devkit import simulate

from bot.app import Baton
from tests.fakes.slack import SlackHarness, slack_harness
from tests.handlers.test_slack_handoff import BACKUP, EMEA, MANAGER, REP, handed_off, lead
from tests.handlers.test_slack_lead import accepted, events_of, say, shown, thread_texts

NOBODY = "U0NOBODY01"  # neither a rep, a decider nor marketing


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def open_home(slack: SlackHarness, user: str) -> list[str]:
    """Open Baton's Home tab as `user` and return the texts of what it shows, top to bottom."""
    before = len(slack.standin.views_published(user))
    assert slack.event(simulate.app_home_opened(user)).status_code == 200
    assert slack.standin.wait_for(lambda: len(slack.standin.views_published(user)) > before)
    return home_texts(slack, user)


def home_texts(slack: SlackHarness, user: str) -> list[str]:
    view = slack.standin.views_published(user)[-1]
    assert view["type"] == "home"
    return [_text(block) for block in view["blocks"]]


def _text(block: dict[str, Any]) -> str:
    if "text" in block:
        return block["text"]["text"]
    said = [element.get("text", "") for element in block.get("elements", [])]
    return " ".join(t["text"] if isinstance(t, dict) else t for t in said)  # buttons: a label


def test_a_manager_sees_the_leads_waiting_for_their_decision_oldest_first_with_their_wait(
    slack: SlackHarness,
) -> None:
    older, _ = handed_off(slack)
    slack.clock.advance(hours=3)
    newer, _ = handed_off(slack, email="max@globex.example", company="Globex GmbH")
    slack.clock.advance(minutes=20)
    texts = open_home(slack, MANAGER)
    assert "Waiting for your decision* (2)" in " ".join(texts)
    waiting = [t for t in texts if older in t or newer in t]
    assert older in waiting[0] and "waiting 3 h" in waiting[0]
    assert newer in waiting[1] and "waiting 20 min" in waiting[1]
    assert "Jane Doe, Acme GmbH · emea" in waiting[0]
    assert any(t.startswith("This week: 0 decided") for t in texts)
    assert open_home(slack, BACKUP) == texts  # the backup may decide too


def test_a_rep_sees_their_open_leads_with_due_dates_overdue_first_and_their_week(
    slack: SlackHarness,
) -> None:
    later, _ = accepted(slack, due="2026-12-04")
    soon, _ = accepted(slack, due="2026-11-24", email="max@globex.example", company="Globex")
    won, _ = accepted(slack, due="2026-11-27", email="eve@initech.example", company="Initech")
    say(slack, REP, f"log {won} won 5k")
    say(slack, REP, f"log {later} meeting")
    slack.clock.advance(days=1, hours=8)  # Tuesday evening: the 24th's lead is overdue

    texts = open_home(slack, REP)
    mine = texts[: texts.index("*Due this week* (1)")]  # the week ahead lists them again
    leads = [t for t in mine if later in t or soon in t or won in t]
    assert [soon in leads[0], later in leads[1], len(leads)] == [True, True, 2]
    assert leads[0].startswith("⚠️") and "*due Tue 24 Nov (overdue)*" in leads[0]
    assert "meeting · due Fri 4 Dec" in leads[1]
    assert "Your open leads* (2, 1 overdue)" in " ".join(texts)
    assert "This week: 3 new leads for you · 2 outcomes logged · 1 won (USD 5,000)" in texts


def test_the_home_of_someone_with_nothing_to_do_says_so_and_the_messages_tab_is_left_alone(
    slack: SlackHarness,
) -> None:
    slack.standin.add_user(NOBODY, "Nobody Special")
    assert "Nothing waits for you here." in open_home(slack, NOBODY)
    published = len(slack.standin.views_published(NOBODY))
    slack.event(simulate.app_home_opened(NOBODY, tab="messages"))
    say(slack, NOBODY, "help")  # handled after the event
    assert len(slack.standin.views_published(NOBODY)) == published


def test_the_home_tab_is_refreshed_when_what_a_person_answers_for_changes(
    slack: SlackHarness,
) -> None:
    short_id, _ = handed_off(slack)
    assert short_id in " ".join(home_texts(slack, MANAGER))  # a new lead: no need to open it
    accepted_id, _ = accepted(slack, email="max@globex.example", company="Globex")
    assert accepted_id in " ".join(home_texts(slack, REP))
    assert accepted_id not in " ".join(home_texts(slack, MANAGER))
    say(slack, REP, f"log {accepted_id} opportunity 30k")
    slack.deliver_all()
    assert any(accepted_id in t and "opportunity" in t for t in home_texts(slack, REP))
    refreshes = [c for c in slack.standin.calls_to("views.publish") if c.args["user_id"] == REP]
    assert 1 <= len(refreshes) <= 3


def test_new_activity_on_an_open_lead_reaches_its_thread_and_owner_and_raises_its_priority(
    slack: SlackHarness,
) -> None:
    quiet, _ = accepted(slack, email="max@globex.example", company="Globex")
    short_id, message = accepted(slack)
    answer = slack.intake(
        lead(activity=[{"type": "page_view", "detail": "visited pricing"}], score=85)
    )
    assert answer.json()["leads"][0] == {"id": short_id, "status": "accepted", "result": "merged"}
    slack.deliver_all()

    assert any("active again" in t and "visited pricing" in t for t in thread_texts(slack, message))
    dm = slack.standin.messages(REP)[-1]
    assert "Acme GmbH's Jane is back: page view: visited pricing" in dm["text"]
    assert short_id in str(dm["blocks"])
    assert [e.kind for e in events_of(slack, short_id)[-2:]] == ["activity", "details"]
    assert any("score 80 → 85" in t for t in thread_texts(slack, message))
    top_level = [m["ts"] for m in slack.standin.messages(EMEA) if not m.get("thread_ts")]
    assert top_level[-1] == message["ts"]  # no second handoff

    home = home_texts(slack, REP)  # refreshed without being opened
    hot = [t for t in home if short_id in t]
    assert "🔥 back: page view: visited pricing" in hot[0]
    mine = [b["text"]["text"] for b in say(slack, REP, "mine")["blocks"][1:]]
    assert short_id in mine[0] and quiet in mine[1]  # same due date: the lead that is back first
    assert "🔥 Active again: page view: visited pricing" in shown(
        say(slack, REP, f"show {short_id}")
    )

    say(slack, REP, f"log {short_id} connected called her back")
    assert "🔥" not in say(slack, REP, "mine")["blocks"][1]["text"]["text"]


def test_a_manager_with_more_leads_waiting_than_a_home_lists_sees_how_many_and_the_oldest(
    slack: SlackHarness,
) -> None:
    for n in range(45):
        answer = slack.intake(lead(email=f"waiting{n}@acme.example", company=f"Firm {n:02d}"))
        assert answer.status_code == 202
        slack.clock.advance(minutes=1)

    texts = open_home(slack, MANAGER)

    assert "*Waiting for your decision* (45)" in texts
    listed = [t for t in texts if "Firm " in t]
    assert len(listed) == 40
    assert "Firm 00" in listed[0] and "Firm 39" in listed[-1]  # the oldest first
    assert "and 5 more: `/lead mine`" in texts
