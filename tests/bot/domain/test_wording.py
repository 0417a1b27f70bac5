"""Counts and percentages are worded by one rule everywhere."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from bot.domain.report import rate
from bot.domain.wording import counted, percent, whole_percent


@pytest.mark.parametrize(
    ("n", "noun", "said"),
    [
        (1, "lead", "1 lead"),
        (0, "lead", "0 leads"),
        (1, "opportunity", "1 opportunity"),
        (2, "opportunity", "2 opportunities"),
        (12345, "row", "12,345 rows"),
        (3, "day", "3 days"),
        (2, "match", "2 matches"),
    ],
)
def test_a_count_names_its_noun_in_the_singular_only_for_one(n: int, noun: str, said: str) -> None:
    assert counted(n, noun) == said


def test_two_of_seven_is_29_percent_from_the_counts_and_from_the_rounded_rate() -> None:
    assert percent(2, 7) == 29
    shown_rate = rate(2, 7)
    assert shown_rate is not None and whole_percent(shown_rate) == 29


@pytest.mark.parametrize(
    ("share", "whole"),
    [(Fraction(1, 8), 13), (0.125, 13), (Decimal("0.005"), 1), (Decimal("-0.125"), -13)],
)
def test_halves_round_up_away_from_zero(share: Fraction | float | Decimal, whole: int) -> None:
    assert whole_percent(share) == whole


def test_a_share_of_nothing_has_no_percentage() -> None:
    assert percent(3, 0) is None
