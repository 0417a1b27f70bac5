"""The Home tab's boards as Block Kit: valid and within Slack's 100 blocks however long the
lists, and safe with hostile lead text and campaign names."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.lead_summary import Stage
from bot.domain.report import CampaignCosts, GroupBy, Report, Tally, build_report
from bot.services.board import Board, RepLoad
from bot.slack.home import home_view
from tests.bot.slack.test_blocks import INJECTIONS, assert_valid_blocks, parsed_texts
from tests.bot.slack.test_blocks_rep import NOW, REP, desk, line


def report_of(campaigns: tuple[str, ...]) -> Report:
    """A month's report with three sales-ready leads for each of `campaigns`."""
    tallies: dict[str | None, Tally] = {}
    for name in campaigns:
        tallies[name] = Tally()
        tallies[name].add(stages=int(Stage.SALES_READY), leads=3, campaign=name)
    return build_report(
        tallies,
        by=GroupBy.CAMPAIGN,
        since=NOW - timedelta(days=3),
        until=None,
        made_at=NOW,
        currency="USD",
        sla_hours=4,
        costs=CampaignCosts(costs={}, leads={}),
    )


def full_board(lines: list, campaigns: tuple[str, ...] = ("spring",)) -> Board:
    return Board(
        overdue=lines,
        leaked=lines,
        loads=[RepLoad(f"U0REP{i:05d}", i, 0, 1) for i in range(14)],
        is_marketing=True,
        returned=lines,
        touch_tasks=lines,
        funnel=report_of(campaigns),
        due_this_week=lines,
    )


def test_every_board_at_once_stays_a_valid_home_within_a_hundred_blocks() -> None:
    many = [line(id=i, short_id=f"L-{i:05d}", rep_id=REP) for i in range(60)]
    view = home_view(replace(desk(many, many), is_decider=True, board=full_board(many)))
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    assert_valid_blocks(view["blocks"])
    shown = str(view["blocks"])
    assert "and 52 more" in shown
    assert "and 5 more reps" in shown


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("field", ["name", "company", "email", "region"])
def test_hostile_text_on_the_boards_can_never_mention_anyone_or_forge_a_link(
    field: str, payload: str
) -> None:
    hostile = line(**{field: f"x {payload} y"}, rep_id=REP)
    board = full_board([hostile], campaigns=(f"c {payload}",))
    view = home_view(replace(desk([hostile], [hostile]), board=board))
    for text in parsed_texts(view):
        assert payload not in text, text
    assert_valid_blocks(view["blocks"])


def test_the_funnel_line_counts_each_campaign() -> None:
    view = home_view(
        replace(desk([], []), board=Board(is_marketing=True, funnel=report_of(("spring",))))
    )
    assert "`spring` — 3 received · 3 sales-ready · 0 accepted · 0 won" in str(view["blocks"])
    board = Board(is_marketing=True, funnel=report_of(()))
    assert "No leads yet." in str(home_view(replace(desk([], []), board=board))["blocks"])
