"""The weekly digest: once per week per audience, on each region's clock, with its chart."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.app import Baton
from bot.domain.lead import Outcome, ReturnReason
from bot.jobs.passes import run_job
from tests.bot.services.histories import Histories
from tests.fakes.slack import SlackHarness, slack_harness

EMEA, MARKETING = "C0EMEA0001", "C0MKTG0001"
APAC_MANAGER = "U0APACMGR1"  # APAC has no channel: its scoreboard is a DM


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


@pytest.fixture
def last_week(baton: Baton) -> None:
    """Leads received in the week of 16 November 2026."""
    h = Histories(baton)
    won = h.lead(at("2026-11-16T10:00+01:00"))
    h.accept(won, at("2026-11-16T12:00+01:00"))
    h.log(won, at("2026-11-17T10:00+01:00"), Outcome.WON, "5000")
    back = h.lead(at("2026-11-18T10:00+01:00"))
    h.give_back(back, at("2026-11-18T11:00+01:00"), ReturnReason.BAD_CONTACT_DATA)
    h.lead(at("2026-11-19T10:00+08:00"), region="apac", campaign="tech-expo-berlin-2026")
    h.lead(at("2026-11-24T10:00+01:00"))  # this week's: not in last week's numbers


def digests(slack: SlackHarness, channel: str) -> list[dict]:
    """The digests posted to a channel (their charts are in their threads)."""
    return [
        m
        for m in slack.standin.messages(channel)
        if not m.get("thread_ts")
        and ("digest" in m["text"].lower() or "scoreboard" in m["text"].lower())
    ]


def png_size(content: bytes) -> tuple[int, int]:
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", content[16:24])
    return width, height


def test_each_audience_gets_its_digest_once_a_week_from_monday_nine_on_its_clock(
    slack: SlackHarness, baton: Baton, last_week: None
) -> None:
    # 07:30 UTC: 15:30 in Singapore, but only 08:30 in Berlin and 02:30 in New York.
    result = run_job(baton, "digest", now=at("2026-11-23T07:30+00:00"))
    assert result.fired == {"digest": 1}
    slack.deliver_all()
    apac_dm = slack.standin.dm_channel(APAC_MANAGER)
    [apac] = digests(slack, apac_dm)
    assert "apac" in apac["text"]
    assert digests(slack, EMEA) == [] and digests(slack, MARKETING) == []

    for hour in ("08:00", "09:05", "09:20", "15:00"):  # Berlin 09:05 onwards, and UTC 09:00
        run_job(baton, "digest", now=at(f"2026-11-23T{hour}+00:00"))
    for _ in range(3):
        run_job(baton, "digest", now=at("2026-11-25T12:00+00:00"))  # later in the week
    slack.deliver_all()
    [emea] = digests(slack, EMEA)
    [marketing] = digests(slack, MARKETING)
    assert len(digests(slack, apac_dm)) == 1
    assert "2 leads" in emea["text"] and "1 accepted" in emea["text"]
    shown = str(emea["blocks"])
    assert "Bad contact data 1" in shown and "Feedback overdue now" in shown
    assert "spring-webinar-2026" in str(marketing["blocks"])
    assert digests(slack, "C0AMEAST01") == []  # no leads, nothing overdue or leaked: no digest

    # Each digest's funnel chart is a PNG in its thread, uploaded once.
    for channel, message in ((EMEA, emea), (MARKETING, marketing), (apac_dm, apac)):
        [chart] = slack.standin.files(channel)
        assert chart["thread_ts"] == message["ts"]
        assert png_size(chart["content"]) == (760, 372)
        assert chart["mimetype"] == "image/png"
    assert slack.standin.calls_to("files.completeUploadExternal")

    # The next Monday brings the next week's digests.
    run_job(baton, "digest", now=at("2026-11-30T20:00+00:00"))
    slack.deliver_all()
    assert len(digests(slack, EMEA)) == len(digests(slack, MARKETING)) == 2


def test_a_digest_the_bot_missed_on_monday_is_sent_when_it_runs_again(
    slack: SlackHarness, baton: Baton, last_week: None
) -> None:
    run_job(baton, "digest", now=at("2026-11-26T16:00+00:00"))  # Thursday
    slack.deliver_all()
    assert len(digests(slack, EMEA)) == 1
    assert "2 leads" in digests(slack, EMEA)[0]["text"]  # still last week's leads


def test_a_lost_upload_answer_does_not_upload_the_chart_twice(
    slack: SlackHarness, baton: Baton, last_week: None
) -> None:
    slack.standin.drop_response("files.completeUploadExternal")
    run_job(baton, "digest", now=at("2026-11-23T12:00+00:00"))
    slack.deliver_all()
    assert len(slack.standin.files(EMEA)) == 1
    # Three audiences are due (not New York yet), three uploads: the retry found its file.
    assert len(slack.standin.calls_to("files.getUploadURLExternal")) == 3
