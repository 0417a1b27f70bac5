"""`/lead report` over signed HTTP: a manager sees their region, marketing sees all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import Baton
from tests.bot.services.test_report import story  # noqa: F401  (a fixture)
from tests.fakes.slack import SlackHarness, slack_harness
from tests.handlers.test_slack_lead import say, shown

MARKETER, EMEA_MANAGER, APAC_MANAGER = "U0MKTG0001", "U0EMEAMGR1", "U0APACMGR1"
EMEA_REP, SALES_VP = "U0EMEAREP1", "U0SALESVP1"
EMEA, MARKETING = "C0EMEA0001", "C0MKTG0001"


@pytest.fixture
def slack(baton: Baton, story: dict) -> Iterator[SlackHarness]:  # noqa: F811
    with slack_harness(baton) as harness:
        yield harness


def test_marketing_sees_every_region(slack: SlackHarness) -> None:
    answer = say(slack, MARKETER, "report all", channel=MARKETING)
    text = shown(answer)
    assert "Closed-loop report: all regions" in text
    for region in ("emea", "apac", "americas-east", "triage"):
        assert f"*{region}* —" in text
    assert "6 leads received" in answer["text"]
    assert "12,000.00" in text  # the webinar's won deal


def test_a_manager_sees_their_region_by_rep(slack: SlackHarness) -> None:
    answer = say(slack, EMEA_MANAGER, "report 2026-11")
    text = shown(answer)
    assert "Closed-loop report: emea" in text
    assert "November 2026 (Europe/Berlin)" in text
    assert "*<@U0EMEAREP1>* —" in text  # no one is notified of an answer only the asker sees
    assert "2 leads received, 2 accepted, 1 won" in answer["text"]
    assert "apac" not in text


def test_a_manager_cannot_see_another_region(slack: SlackHarness) -> None:
    answer = say(slack, APAC_MANAGER, "report emea all")
    assert "You can see the report of apac only." in shown(answer)


def test_marketing_may_ask_for_one_region_and_a_period_in_any_order(
    slack: SlackHarness,
) -> None:
    answer = say(slack, MARKETER, "report last-month apac", channel=MARKETING)
    assert "Closed-loop report: apac" in shown(answer)
    assert "November 2026 (Asia/Singapore): 1 lead received" in answer["text"]
    assert "*<@U0APACREP1>* —" in shown(answer)
    quiet = say(slack, MARKETER, "report apac 2026-10", channel=MARKETING)
    assert "No leads were received in this period." in shown(quiet)


def test_a_rep_is_told_who_can_see_the_report(slack: SlackHarness) -> None:
    answer = say(slack, EMEA_REP, "report")
    assert "for marketing and the regions' managers" in shown(answer)


def test_a_triage_decider_sees_triage(slack: SlackHarness) -> None:
    answer = say(slack, SALES_VP, "report all")
    text = shown(answer)
    assert "Closed-loop report: triage" in text
    assert "1 lead received" in answer["text"]


def test_a_mistyped_period_says_how_to_type_one(slack: SlackHarness) -> None:
    answer = say(slack, EMEA_MANAGER, "report someday")
    assert "“someday” is not a period" in shown(answer)
    assert "last-month" in shown(answer)


def test_help_offers_the_report(slack: SlackHarness) -> None:
    assert "/lead report [region] [period]" in shown(say(slack, EMEA_REP, "help"))
