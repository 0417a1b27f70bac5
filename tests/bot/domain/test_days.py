"""Days as people type them, seen from a given today."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.days import DayError, parse_day

MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("today", "typed", "day"),
    [
        (MONDAY, "2026-12-01", date(2026, 12, 1)),
        (MONDAY, "today", MONDAY),
        (MONDAY, "Tomorrow", date(2026, 11, 24)),
        (MONDAY, "friday", FRIDAY),
        (MONDAY, "FRI", FRIDAY),
        (MONDAY, "monday", date(2026, 11, 30)),
        (MONDAY, "tue", date(2026, 11, 24)),
        (FRIDAY, "friday", date(2026, 12, 4)),
        (FRIDAY, "sun", date(2026, 11, 29)),
        (date(2026, 12, 31), "tomorrow", date(2027, 1, 1)),
    ],
)
def test_a_day_is_read_from_today(today: date, typed: str, day: date) -> None:
    assert parse_day(typed, today=today) == day


@pytest.mark.parametrize("typed", ["someday", "t", "2026-13-01", "01/12/2026", "fr", ""])
def test_what_is_not_a_day_is_refused_with_how_to_type_one(typed: str) -> None:
    with pytest.raises(DayError, match="2026-12-01, tomorrow or friday"):
        parse_day(typed, today=MONDAY)
