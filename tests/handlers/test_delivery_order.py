"""The order Slack work is delivered in: a new handoff before a backlog of scheduled work.

When the timer jobs catch up on days missed they queue thousands of reminders, notes and
tasks at once, all overdue. A lead arriving then must still reach its manager in the next
delivery pass, and the scheduled posts must not take the channel's posting slots from it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest

from bot.app import Baton
from bot.jobs.passes import run_job
from tests.fakes.slack import SlackHarness, slack_harness
from tests.handlers.test_slack_handoff import EMEA, MANAGER, lead

WAITING = 40  # more than a delivery pass claims (32)


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def handoffs(slack: SlackHarness) -> list[dict[str, Any]]:
    return [m for m in slack.standin.messages(EMEA) if not m.get("thread_ts")]


def notes(slack: SlackHarness) -> list[dict[str, Any]]:
    return [m for m in slack.standin.messages(EMEA) if m.get("thread_ts")]


def leads_waiting_a_day(slack: SlackHarness) -> None:
    """WAITING leads handed off on Monday morning and not decided on by Tuesday afternoon:
    the SLA pass queues a reminder note in each one's thread, and a DM to the manager."""
    for n in range(WAITING):
        assert slack.intake(lead(email=f"waiting{n}@acme.example")).status_code == 202
    slack.deliver_all(rounds=4 * WAITING)  # a post a second to the channel
    assert len(handoffs(slack)) == WAITING
    slack.clock.advance(hours=30)
    assert run_job(slack.baton, "handoff-sla").fired


def test_a_new_handoff_is_posted_in_the_next_pass_however_much_scheduled_work_is_overdue(
    slack: SlackHarness,
) -> None:
    leads_waiting_a_day(slack)
    overdue = slack.backlog()
    assert overdue > WAITING  # a note for each lead, and the manager's DM

    slack.clock.advance(seconds=5)  # the new lead arrives after all of it
    short_id = slack.intake(lead(email="new@acme.example")).json()["leads"][0]["id"]
    # The pass takes the handoff, and no more scheduled work than it delivers at once.
    assert slack.deliverer.run_once() == 1 + slack.deliverer.threads

    # The new lead's handoff went first, and took the channel: no note was posted before it.
    new = handoffs(slack)[WAITING:]
    assert [short_id in message["text"] for message in new] == [True]
    assert notes(slack) == []


def test_scheduled_posts_wait_in_line_for_a_busy_channel_and_each_arrives_once(
    slack: SlackHarness,
) -> None:
    leads_waiting_a_day(slack)
    slack.clock.advance(seconds=5)
    slack.intake(lead(email="new@acme.example"))
    while slack.deliverer.run_once():  # what is due now: the handoff, then the rest in line
        pass
    assert notes(slack) == []
    # The channel was just posted to. The notes for it wait in line, each trying once in its
    # turn, a slot apart from the last post; not all of them at every free slot.
    tried, posted = 0, []
    for _ in range(8):
        slack.clock.advance(seconds=1)
        tried += slack.deliverer.run_once()
        posted.append(len(notes(slack)))
    assert posted == [0, 1, 1, 2, 2, 3, 3, 4]
    assert tried == 4  # the notes posted, and nothing tried in vain

    slack.deliver_all(rounds=10 * WAITING)
    # Each waiting lead's thread got its reminder (⏰) and its escalation (🚨), once each.
    by_thread = defaultdict(list)
    for note in notes(slack):
        by_thread[note["thread_ts"]].append(note["text"][0])
    assert {thread: sorted(marks) for thread, marks in by_thread.items()} == {
        message["ts"]: ["⏰", "🚨"] for message in handoffs(slack)[:WAITING]
    }


def test_a_stream_of_handoffs_shares_the_managers_home_refreshes(slack: SlackHarness) -> None:
    published = []  # how many times the manager's Home was published, second by second
    for second in range(20):
        if second < 5:  # a lead a second for five seconds
            assert slack.intake(lead(email=f"stream{second}@acme.example")).status_code == 202
        slack.deliverer.run_once()
        published.append(len(slack.standin.views_published(MANAGER)))
        slack.clock.advance(seconds=1)

    # The Home is rebuilt at once for the first lead, then at most once every five seconds.
    seconds = [n for n in range(1, 20) if published[n] > published[n - 1]]
    assert published[-1] < 5
    assert all(later - earlier >= 5 for earlier, later in pairwise(seconds))
    texts = " ".join(
        str(block.get("text", {}).get("text"))
        for block in slack.standin.views_published(MANAGER)[-1]["blocks"]
    )
    assert "Waiting for your decision* (5)" in texts


def test_a_pass_claims_less_scheduled_work_while_its_channel_stays_busy(
    slack: SlackHarness,
) -> None:
    leads_waiting_a_day(slack)
    slack.clock.advance(seconds=5)
    slack.intake(lead(email="new@acme.example"))
    # The handoff takes the channel; the notes claimed with it, and after it, find it busy
    # and go back in line. Composing each only to put it back would slow the passes that
    # carry new handoffs, so each pass claims fewer of them, down to one.
    claimed = [slack.deliverer.run_once() for _ in range(6)]
    assert claimed[0] == 1 + slack.deliverer.threads
    assert claimed[-1] <= 2  # one note at most, and the permalink or Home refresh
    assert sum(claimed[1:]) < 3 * slack.deliverer.threads
    assert notes(slack) == []
