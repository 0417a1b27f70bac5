"""Report periods as people type them, and when a weekly digest is due."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.domain.digest import due_week, week_bounds
from bot.domain.periods import ALL_TIME, PeriodError, between, parse_period

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("this-week", date(2026, 11, 23), date(2026, 11, 30)),
        ("last-week", date(2026, 11, 16), date(2026, 11, 23)),
        ("month", date(2026, 11, 1), date(2026, 12, 1)),
        ("last-month", date(2026, 10, 1), date(2026, 11, 1)),
        ("quarter", date(2026, 10, 1), date(2027, 1, 1)),
        ("year", date(2026, 1, 1), date(2027, 1, 1)),
        ("30d", date(2026, 10, 27), date(2026, 11, 26)),
        ("1d", date(2026, 11, 25), date(2026, 11, 26)),
        ("2026-02", date(2026, 2, 1), date(2026, 3, 1)),
        ("2025", date(2025, 1, 1), date(2026, 1, 1)),
        ("2026-03-01..2026-03-31", date(2026, 3, 1), date(2026, 4, 1)),
        ("2026-03-05", date(2026, 3, 5), date(2026, 3, 6)),
        (" Last-Week ", date(2026, 11, 16), date(2026, 11, 23)),
    ],
)
def test_a_period_is_read_as_whole_days_with_an_exclusive_end(
    text: str, start: date, end: date
) -> None:
    period = parse_period(text, today=TODAY)
    assert (period.start, period.end) == (start, end)


def test_last_month_in_january_is_december() -> None:
    period = parse_period("last-month", today=date(2027, 1, 10))
    assert (period.start, period.end) == (date(2026, 12, 1), date(2027, 1, 1))


@pytest.mark.parametrize("text", ["someday", "0d", "2026-13", "2026-03-31..2026-03-01", "x..y"])
def test_what_is_not_a_period_says_how_to_type_one(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text, today=TODAY)


def test_open_ended_periods() -> None:
    assert parse_period("all", today=TODAY) == ALL_TIME
    assert between(None, None) == ALL_TIME
    assert between(date(2026, 1, 1), None).end is None


@pytest.mark.parametrize(
    ("now", "zone", "monday"),
    [
        ("2026-11-23T08:59+01:00", "Europe/Berlin", None),
        ("2026-11-23T09:00+01:00", "Europe/Berlin", date(2026, 11, 23)),
        ("2026-11-29T23:59+01:00", "Europe/Berlin", date(2026, 11, 23)),
        # Monday 01:00 UTC is already 09:00 in Singapore, and still Sunday in New York.
        ("2026-11-23T01:00+00:00", "Asia/Singapore", date(2026, 11, 23)),
        ("2026-11-23T01:00+00:00", "America/New_York", date(2026, 11, 16)),
    ],
)
def test_a_digest_is_due_from_monday_nine_on_its_own_clock(
    now: str, zone: str, monday: date | None
) -> None:
    assert due_week(datetime.fromisoformat(now), zone) == monday


def test_a_digest_covers_the_week_before_its_monday_on_its_clock() -> None:
    start, end = week_bounds(date(2026, 11, 23), "Asia/Singapore")
    assert start.isoformat() == "2026-11-16T00:00:00+08:00"
    assert end.isoformat() == "2026-11-23T00:00:00+08:00"
