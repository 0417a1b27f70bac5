"""The Home tabs people open every morning: a manager's overdue feedback, leaked leads and reps'
load; marketing's returned leads, touches to make and the month's funnel; a rep's week ahead.
Each list carries its buttons, and they work from the Home tab."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from baton_devkit import simulate

from bot.app import Baton
from tests.fakes.slack import SlackHarness, slack_harness
from tests.handlers.test_slack_handoff import MANAGER, REP, lead, status_of
from tests.handlers.test_slack_home import open_home
from tests.handlers.test_slack_lead import accepted, say
from tests.handlers.test_slack_recycle import returned_lead
from tests.handlers.test_slack_timers import events_of, pass_at

MARKETER = "U0MKTG0001"
OTHER_REP = "U0EMEAREP1"


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def home_view(slack: SlackHarness, user: str) -> dict[str, Any]:
    open_home(slack, user)
    return slack.standin.views_published(user)[-1]


def buttons_after(view: dict[str, Any], text: str) -> list[tuple[str, str, str]]:
    """The buttons on (or right under) the Home block whose text holds `text`."""
    blocks = view["blocks"]
    for i, block in enumerate(blocks):
        if text in (block.get("text") or {}).get("text", ""):
            found = [block["accessory"]] if "accessory" in block else []
            if i + 1 < len(blocks) and blocks[i + 1]["type"] == "actions":
                found += blocks[i + 1]["elements"]
            return [(b["text"]["text"], b["action_id"], b["value"]) for b in found]
    raise AssertionError(f"no block with {text!r}")


def home_click(slack: SlackHarness, user: str, action_id: str, value: str) -> None:
    """A click on a button of the Home tab: no channel, the view is its container."""
    click = simulate.button_click(user, action_id, value, channel="")
    del click["channel"]
    click["container"] = {"type": "view", "view_id": "V0HOME"}
    del click["message"]
    assert slack.send(click).status_code == 200


def test_a_manager_sees_overdue_feedback_leaked_leads_and_each_reps_load_and_acts_on_them(
    slack: SlackHarness,
) -> None:
    overdue, _ = accepted(slack, due="2026-11-24")
    fine, _ = accepted(slack, due="2026-12-04", email="max@globex.example", company="Globex")
    won, _ = accepted(slack, email="eve@initech.example", company="Initech")
    say(slack, REP, f"log {won} won 5k")
    say(slack, REP, f"log {fine} connected")
    pass_at(slack, "leakage", "2026-12-07T09:30Z")  # the two never contacted leak
    view = home_view(slack, MANAGER)
    texts = [b.get("text", {}).get("text", "") for b in view["blocks"]]
    assert "*Feedback overdue in your region* (1)" in texts
    [line] = [t for t in texts if overdue in t and "overdue" in t and "⚠️" in t]
    assert line.endswith(f"· <@{REP}>")
    labels = [label for label, _, _ in buttons_after(view, line)]
    assert labels == ["Nudge", "Reassign…"]
    assert "*Leaked: no contact logged* (1)" in texts
    loads = [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert f"<@{REP}> — 2 open · 1 overdue · 1 won this quarter" in loads
    assert f"<@{OTHER_REP}> — 0 open · 0 overdue · 0 won this quarter" in loads

    [(_, action, value), _] = buttons_after(view, line)
    home_click(slack, MANAGER, action, value)
    slack.wait_until(lambda: bool(events_of(slack, overdue, "nudged")))
    [_, (_, action, value)] = buttons_after(view, line)
    before = len(slack.standin.views_opened)
    home_click(slack, MANAGER, action, value)
    modal = slack.opened_view(before)
    assert modal["callback_id"] == "reassign_modal"


def test_marketing_sees_returned_leads_touches_to_make_and_the_months_funnel(
    slack: SlackHarness,
) -> None:
    short_id, _, _ = returned_lead(slack)
    leaked, _ = accepted(slack, email="max@globex.example", company="Globex")
    pass_at(slack, "leakage", "2026-12-08T09:30Z")
    slack.intake(lead(email="kim@beta.example", company="Beta", campaign="winter-2026"))
    view = home_view(slack, MARKETER)
    texts = [b.get("text", {}).get("text", "") for b in view["blocks"]]
    assert "*Returned, awaiting your choice* (1)" in texts
    [returned] = [t for t in texts if short_id in t]
    assert [label for label, _, _ in buttons_after(view, returned)] == [
        "Send back to sales…",
        "Keep nurturing",
        "Ask why…",
    ]
    assert "*Customer-service touches to make* (1)" in texts
    [touch] = [t for t in texts if leaked in t]
    assert touch.endswith(f"accepted for <@{REP}>")
    assert [label for label, _, _ in buttons_after(view, touch)] == ["Touch logged…"]
    assert "*This month by campaign*" in texts
    funnel = [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert "`winter-2026` — 1 received · 1 sales-ready · 0 accepted · 0 won" in funnel
    assert not any("spring-webinar-2026" in line for line in funnel)  # November's

    [_, (_, action, value), _] = buttons_after(view, returned)
    home_click(slack, MARKETER, action, value)
    slack.wait_until(lambda: status_of(slack, short_id) == "nurture")
    slack.deliver_all()
    assert "*Returned, awaiting your choice* (0)" in [
        b.get("text", {}).get("text", "") for b in home_view(slack, MARKETER)["blocks"]
    ]


def test_a_rep_sees_what_is_due_this_week(slack: SlackHarness) -> None:
    this_week, _ = accepted(slack, due="2026-11-27")
    next_week, _ = accepted(slack, due="2026-12-04", email="max@globex.example", company="Globex")
    view = home_view(slack, REP)
    texts = [b.get("text", {}).get("text", "") for b in view["blocks"]]
    due = texts[texts.index("*Due this week* (1)") + 1 :]
    assert this_week in due[0] and "due Fri 27 Nov" in due[0]
    assert not any(next_week in t for t in due)
