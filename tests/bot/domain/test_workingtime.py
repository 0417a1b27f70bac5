from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.workingtime import WorkingCalendar, parse_hours

BERLIN = WorkingCalendar("Europe/Berlin")
NEW_YORK = WorkingCalendar("America/New_York")
AUCKLAND = WorkingCalendar("Pacific/Auckland")
KIRITIMATI = WorkingCalendar("Pacific/Kiritimati")
PAGO_PAGO = WorkingCalendar("Pacific/Pago_Pago")
LUNCH_BREAK = WorkingCalendar(
    "Europe/Berlin", working_hours=((time(9), time(12, 30)), (time(13, 30), time(17)))
)
EASTER = WorkingCalendar("Europe/Berlin", holidays=frozenset({date(2026, 4, 3), date(2026, 4, 6)}))
EVERY_DAY = frozenset(range(7))


def at(text: str, zone: str = "Europe/Berlin") -> datetime:
    """Return the wall-clock time `text` in `zone`, the first one if the clock repeats it."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def utc(text: str) -> datetime:
    return at(text, "UTC")


def every_day(*hours: str) -> WorkingCalendar:
    return WorkingCalendar(
        "Europe/Berlin", working_days=EVERY_DAY, working_hours=tuple(map(parse_hours, hours))
    )


@pytest.mark.parametrize(
    ("calendar", "moment", "expected"),
    [
        pytest.param(BERLIN, at("2026-03-04 10:00"), True, id="wednesday morning"),
        pytest.param(BERLIN, at("2026-03-04 08:59"), False, id="before opening"),
        pytest.param(BERLIN, at("2026-03-04 09:00"), True, id="at opening"),
        pytest.param(BERLIN, at("2026-03-04 16:59:59"), True, id="last second"),
        pytest.param(BERLIN, at("2026-03-04 17:00"), False, id="at closing"),
        pytest.param(BERLIN, at("2026-03-07 10:00"), False, id="saturday"),
        pytest.param(BERLIN, at("2026-03-04 09:30", "America/New_York"), True, id="other zone"),
        pytest.param(LUNCH_BREAK, at("2026-03-04 12:29"), True, id="before lunch"),
        pytest.param(LUNCH_BREAK, at("2026-03-04 12:45"), False, id="at lunch"),
        pytest.param(LUNCH_BREAK, at("2026-03-04 13:30"), True, id="after lunch"),
        pytest.param(EASTER, at("2026-04-03 10:00"), False, id="good friday"),
        pytest.param(KIRITIMATI, utc("2026-03-06 20:00"), False, id="kiritimati saturday"),
        pytest.param(PAGO_PAGO, utc("2026-03-06 20:00"), True, id="pago pago friday"),
    ],
)
def test_working_time_is_the_region_working_days_and_hours(calendar, moment, expected):
    assert calendar.is_working_time(moment) is expected


@pytest.mark.parametrize(
    ("calendar", "moment", "expected"),
    [
        pytest.param(BERLIN, at("2026-03-04 10:00"), at("2026-03-04 10:00"), id="inside"),
        pytest.param(BERLIN, at("2026-03-04 07:00"), at("2026-03-04 09:00"), id="early"),
        pytest.param(BERLIN, at("2026-03-04 17:00"), at("2026-03-05 09:00"), id="at closing"),
        pytest.param(BERLIN, at("2026-03-06 18:00"), at("2026-03-09 09:00"), id="friday night"),
        pytest.param(BERLIN, at("2026-03-07 12:00"), at("2026-03-09 09:00"), id="saturday"),
        pytest.param(LUNCH_BREAK, at("2026-03-04 12:30"), at("2026-03-04 13:30"), id="lunch"),
        pytest.param(EASTER, at("2026-04-02 17:30"), at("2026-04-07 09:00"), id="easter"),
        pytest.param(
            NEW_YORK,
            at("2026-03-07 12:00", "America/New_York"),
            at("2026-03-09 09:00", "America/New_York"),
            id="us spring forward weekend",
        ),
    ],
)
def test_the_next_working_moment_is_now_or_the_next_opening(calendar, moment, expected):
    assert calendar.next_working_moment(moment) == expected


def test_four_working_hours_after_friday_afternoon_lands_on_monday():
    assert BERLIN.add_working_hours(at("2026-03-27 15:00"), 4) == at("2026-03-30 11:00")


@pytest.mark.parametrize(
    ("calendar", "start", "hours", "expected"),
    [
        pytest.param(BERLIN, at("2026-03-04 10:00"), 2, at("2026-03-04 12:00"), id="same day"),
        pytest.param(BERLIN, at("2026-03-04 10:00"), 0, at("2026-03-04 10:00"), id="none"),
        pytest.param(BERLIN, at("2026-03-04 15:00"), 2, at("2026-03-04 17:00"), id="to close"),
        pytest.param(BERLIN, at("2026-03-04 17:00"), 1, at("2026-03-05 10:00"), id="from close"),
        pytest.param(BERLIN, at("2026-03-04 17:00"), 0, at("2026-03-05 09:00"), id="none, late"),
        pytest.param(BERLIN, at("2026-03-04 16:45"), 0.5, at("2026-03-05 09:15"), id="fraction"),
        pytest.param(BERLIN, at("2026-03-07 12:00"), 1, at("2026-03-09 10:00"), id="saturday"),
        pytest.param(BERLIN, at("2026-03-02 09:00"), 40, at("2026-03-06 17:00"), id="a week"),
        pytest.param(BERLIN, at("2026-10-23 15:00"), 4, at("2026-10-26 11:00"), id="eu fall"),
        pytest.param(LUNCH_BREAK, at("2026-03-04 11:30"), 1, at("2026-03-04 12:30"), id="to lunch"),
        pytest.param(LUNCH_BREAK, at("2026-03-04 11:30"), 2, at("2026-03-04 14:30"), id="lunch"),
        pytest.param(LUNCH_BREAK, at("2026-03-02 09:00"), 40, at("2026-03-09 15:00"), id="7h days"),
        pytest.param(EASTER, at("2026-04-02 15:00"), 4, at("2026-04-07 11:00"), id="easter"),
        pytest.param(
            NEW_YORK,
            at("2026-03-06 15:00", "America/New_York"),
            4,
            at("2026-03-09 11:00", "America/New_York"),
            id="us spring forward",
        ),
        pytest.param(
            NEW_YORK,
            at("2026-10-30 15:00", "America/New_York"),
            4,
            at("2026-11-02 11:00", "America/New_York"),
            id="us fall back",
        ),
        pytest.param(
            AUCKLAND,
            at("2026-04-03 15:00", "Pacific/Auckland"),
            4,
            at("2026-04-06 11:00", "Pacific/Auckland"),
            id="nz fall back",
        ),
    ],
)
def test_adding_working_hours_skips_closed_time(calendar, start, hours, expected):
    assert calendar.add_working_hours(start, hours) == expected


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        pytest.param(BERLIN, at("2026-03-04 10:00"), at("2026-03-04 12:00"), 2, id="same day"),
        pytest.param(BERLIN, at("2026-03-04 12:00"), at("2026-03-04 10:00"), 0, id="backwards"),
        pytest.param(BERLIN, at("2026-03-07 00:00"), at("2026-03-09 00:00"), 0, id="weekend"),
        pytest.param(BERLIN, at("2026-03-27 15:00"), at("2026-03-30 11:00"), 4, id="eu spring"),
        pytest.param(BERLIN, at("2026-03-27 09:00"), at("2026-03-30 17:00"), 16, id="eu spring"),
        pytest.param(BERLIN, at("2026-10-23 09:00"), at("2026-10-26 17:00"), 16, id="eu fall"),
        pytest.param(BERLIN, at("2026-03-01 00:00"), at("2026-04-01 00:00"), 176, id="march"),
        pytest.param(LUNCH_BREAK, at("2026-03-04 00:00"), at("2026-03-05 00:00"), 7, id="lunch"),
        pytest.param(EASTER, at("2026-03-30 00:00"), at("2026-04-13 00:00"), 64, id="easter"),
        pytest.param(
            NEW_YORK,
            at("2026-03-06 09:00", "America/New_York"),
            at("2026-03-09 17:00", "America/New_York"),
            16,
            id="us spring forward",
        ),
        pytest.param(
            NEW_YORK,
            at("2026-10-30 09:00", "America/New_York"),
            at("2026-11-02 17:00", "America/New_York"),
            16,
            id="us fall back",
        ),
    ],
)
def test_working_hours_between_counts_only_open_time(calendar, start, end, expected):
    assert calendar.working_hours_between(start, end) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Berlin", "2026-03-29"),
        ("Europe/Berlin", "2026-10-25"),
        ("America/New_York", "2026-03-08"),
        ("America/New_York", "2026-11-01"),
    ],
)
def test_a_nine_to_five_day_is_eight_hours_on_the_day_clocks_change(zone, day):
    calendar = WorkingCalendar(zone, working_days=EVERY_DAY)
    midnight = at(f"{day} 00:00", zone)

    assert calendar.working_hours_between(midnight, midnight + timedelta(days=1)) == 8
    assert calendar.add_working_hours(midnight, 8) == at(f"{day} 17:00", zone)


@pytest.mark.parametrize(
    ("hours", "day", "expected"),
    [
        pytest.param("00:00-06:00", "2026-03-29", 5, id="night loses the skipped hour"),
        pytest.param("00:00-06:00", "2026-10-25", 7, id="night holds the repeated hour"),
        pytest.param("02:30-05:00", "2026-03-29", 2, id="opens inside the gap"),
        pytest.param("00:00-02:30", "2026-03-29", 2, id="closes inside the gap"),
        pytest.param("02:30-05:00", "2026-10-25", 3.5, id="opens at the first 02:30"),
    ],
)
def test_a_window_across_a_clock_change_counts_the_time_that_really_passes(hours, day, expected):
    calendar = every_day(hours)
    midnight = at(f"{day} 00:00")

    assert calendar.working_hours_between(midnight, midnight + timedelta(days=1)) == expected


def test_a_window_that_opens_inside_the_spring_forward_gap_opens_when_the_clock_jumps():
    calendar = every_day("02:30-05:00")

    assert calendar.next_working_moment(at("2026-03-29 00:00")) == utc("2026-03-29 01:00")


def test_a_window_that_closes_inside_the_spring_forward_gap_closes_when_the_clock_jumps():
    calendar = every_day("00:00-02:30")

    assert calendar.add_working_hours(at("2026-03-29 00:00"), 2) == utc("2026-03-29 01:00")
    assert not calendar.is_working_time(utc("2026-03-29 01:00"))


@pytest.mark.parametrize(
    ("calendar", "moment", "expected"),
    [
        pytest.param(BERLIN, at("2026-03-04 10:00"), at("2026-03-06 17:00"), id="mid-week"),
        pytest.param(BERLIN, at("2026-03-02 00:00"), at("2026-03-06 17:00"), id="monday night"),
        pytest.param(BERLIN, at("2026-03-06 16:59"), at("2026-03-06 17:00"), id="friday late"),
        pytest.param(BERLIN, at("2026-03-06 17:00"), at("2026-03-13 17:00"), id="friday close"),
        pytest.param(BERLIN, at("2026-03-06 18:00"), at("2026-03-13 17:00"), id="friday night"),
        pytest.param(BERLIN, at("2026-03-07 10:00"), at("2026-03-13 17:00"), id="saturday"),
        pytest.param(BERLIN, at("2026-03-08 23:59"), at("2026-03-13 17:00"), id="sunday"),
        pytest.param(BERLIN, at("2026-03-23 10:00"), at("2026-03-27 17:00"), id="eu spring"),
        pytest.param(BERLIN, at("2026-03-28 10:00"), at("2026-04-03 17:00"), id="eu spring+1"),
        pytest.param(BERLIN, at("2026-10-24 10:00"), at("2026-10-30 17:00"), id="eu fall"),
        pytest.param(LUNCH_BREAK, at("2026-03-04 10:00"), at("2026-03-06 17:00"), id="lunch"),
        pytest.param(EASTER, at("2026-03-31 10:00"), at("2026-04-02 17:00"), id="friday off"),
        pytest.param(EASTER, at("2026-04-02 18:00"), at("2026-04-10 17:00"), id="after easter"),
        pytest.param(
            NEW_YORK,
            at("2026-03-07 10:00", "America/New_York"),
            at("2026-03-13 17:00", "America/New_York"),
            id="us spring forward",
        ),
        pytest.param(
            NEW_YORK,
            at("2026-10-31 10:00", "America/New_York"),
            at("2026-11-06 17:00", "America/New_York"),
            id="us fall back",
        ),
        pytest.param(
            AUCKLAND, utc("2026-03-08 22:00"), utc("2026-03-13 04:00"), id="auckland monday"
        ),
        pytest.param(KIRITIMATI, utc("2026-03-06 20:00"), utc("2026-03-13 03:00"), id="kiritimati"),
        pytest.param(PAGO_PAGO, utc("2026-03-06 20:00"), utc("2026-03-07 04:00"), id="pago pago"),
    ],
)
def test_the_end_of_the_working_week_is_the_last_close_still_ahead(calendar, moment, expected):
    assert calendar.end_of_working_week(moment) == expected


def test_a_week_of_holidays_pushes_the_end_of_the_working_week_to_the_next_one():
    week_off = frozenset(date(2026, 3, 9) + timedelta(days=n) for n in range(5))
    calendar = WorkingCalendar("Europe/Berlin", holidays=week_off)

    assert calendar.end_of_working_week(at("2026-03-07 10:00")) == at("2026-03-20 17:00")


@pytest.mark.parametrize(
    ("calendar", "start", "days", "expected"),
    [
        pytest.param(BERLIN, at("2026-03-04 10:00"), 0, at("2026-03-04 10:00"), id="none"),
        pytest.param(BERLIN, at("2026-03-06 10:00"), 1, at("2026-03-09 10:00"), id="friday"),
        pytest.param(BERLIN, at("2026-03-02 10:00"), 5, at("2026-03-09 10:00"), id="a week"),
        pytest.param(BERLIN, at("2026-03-04 18:00"), 1, at("2026-03-06 09:00"), id="after hours"),
        pytest.param(BERLIN, at("2026-03-07 12:00"), 1, at("2026-03-10 09:00"), id="saturday"),
        pytest.param(BERLIN, at("2026-03-27 10:00"), 1, at("2026-03-30 10:00"), id="eu spring"),
        pytest.param(BERLIN, at("2026-10-23 10:00"), 1, at("2026-10-26 10:00"), id="eu fall"),
        pytest.param(EASTER, at("2026-04-02 10:00"), 1, at("2026-04-07 10:00"), id="holidays"),
        pytest.param(
            NEW_YORK,
            at("2026-03-06 10:00", "America/New_York"),
            1,
            at("2026-03-09 10:00", "America/New_York"),
            id="us spring forward",
        ),
        pytest.param(
            NEW_YORK,
            at("2026-10-30 10:00", "America/New_York"),
            1,
            at("2026-11-02 10:00", "America/New_York"),
            id="us fall back",
        ),
    ],
)
def test_adding_working_days_keeps_the_wall_clock_time(calendar, start, days, expected):
    assert calendar.add_working_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(at("2026-03-28 02:30"), utc("2026-03-29 01:30"), id="skipped: an hour on"),
        pytest.param(at("2026-10-24 02:30"), utc("2026-10-25 00:30"), id="repeated: the first"),
    ],
)
def test_a_working_day_later_at_a_time_the_clock_skips_or_repeats(start, expected):
    calendar = every_day("02:00-05:00")

    assert calendar.add_working_days(start, 1) == expected


def test_the_same_moment_is_friday_in_pago_pago_and_saturday_in_kiritimati():
    moment = utc("2026-03-06 20:00")

    assert PAGO_PAGO.local(moment).weekday() == 4
    assert KIRITIMATI.local(moment).weekday() == 5
    assert PAGO_PAGO.next_working_moment(moment) == moment
    assert KIRITIMATI.next_working_moment(moment) == at("2026-03-09 09:00", "Pacific/Kiritimati")


def test_results_are_in_utc():
    start = at("2026-03-04 10:00")

    results = [
        BERLIN.next_working_moment(start),
        BERLIN.add_working_hours(start, 1),
        BERLIN.end_of_working_week(start),
        BERLIN.add_working_days(start, 1),
    ]

    assert all(result.tzinfo is UTC for result in results)


def test_local_shows_a_moment_on_the_region_clock():
    local = BERLIN.local(utc("2026-07-01 12:00"))

    assert (local.hour, local.tzinfo) == (14, ZoneInfo("Europe/Berlin"))


NAIVE = datetime(2026, 3, 4, 10)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: BERLIN.is_working_time(NAIVE), id="is_working_time"),
        pytest.param(lambda: BERLIN.next_working_moment(NAIVE), id="next_working_moment"),
        pytest.param(lambda: BERLIN.add_working_hours(NAIVE, 1), id="add_working_hours"),
        pytest.param(lambda: BERLIN.working_hours_between(NAIVE, NAIVE), id="between"),
        pytest.param(lambda: BERLIN.end_of_working_week(NAIVE), id="end_of_working_week"),
        pytest.param(lambda: BERLIN.add_working_days(NAIVE, 1), id="add_working_days"),
        pytest.param(lambda: BERLIN.local(NAIVE), id="local"),
    ],
)
def test_a_naive_datetime_is_refused(call: Callable[[], object]):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError, match="zero or more"):
        BERLIN.add_working_hours(at("2026-03-04 10:00"), -1)
    with pytest.raises(ValueError, match="zero or more"):
        BERLIN.add_working_days(at("2026-03-04 10:00"), -1)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({"timezone": "Mars/Olympus"}, "unknown time zone: 'Mars/Olympus'", id="zone"),
        pytest.param({"working_days": frozenset()}, "at least one working day", id="no days"),
        pytest.param({"working_days": frozenset({7})}, "0 \\(Monday\\) to 6", id="day 7"),
        pytest.param({"working_hours": ()}, "at least one working-hours", id="no hours"),
        pytest.param(
            {"working_hours": ((time(17), time(9)),)}, "start before they end: 17:00-09:00"
        ),
        pytest.param(
            {"working_hours": ((time(9), time(12)), (time(11), time(17)))},
            "working hours overlap: 09:00-12:00 and 11:00-17:00",
            id="overlap",
        ),
        pytest.param(
            {"working_hours": ((time(13), time(17)), (time(9), time(12)))},
            "in order: 13:00-17:00, 09:00-12:00",
            id="unsorted",
        ),
    ],
)
def test_a_calendar_that_cannot_work_is_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(**{"timezone": "Europe/Berlin", **settings})


def test_a_calendar_built_from_lists_is_frozen_and_hashable():
    calendar = WorkingCalendar(
        "Europe/Berlin",
        working_days=[0, 1, 2],  # type: ignore[arg-type]
        working_hours=[[time(9), time(17)]],  # type: ignore[list-item]
    )

    assert calendar == WorkingCalendar("Europe/Berlin", working_days=frozenset({0, 1, 2}))
    assert hash(calendar)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-17:00", (time(9), time(17))),
        ("9:00-17:30", (time(9), time(17, 30))),
        (" 08:15 – 12:00 ", (time(8, 15), time(12))),
    ],
)
def test_working_hours_are_parsed_from_text(text, expected):
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-5", "must look like 09:00-17:00, got '9-5'"),
        ("", "must look like 09:00-17:00"),
        ("09:00", "must look like 09:00-17:00"),
        ("17:00-09:00", "must start before they end, got '17:00-09:00'"),
        ("09:00-09:00", "must start before they end"),
        ("09:00-24:00", "are not times of day"),
        ("09:75-17:00", "are not times of day"),
    ],
)
def test_unreadable_working_hours_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_hours(text)


CALENDARS = st.sampled_from([BERLIN, NEW_YORK, AUCKLAND, LUNCH_BREAK, EASTER, PAGO_PAGO])
MOMENTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
HOURS = st.floats(min_value=0, max_value=200, allow_nan=False)


@given(calendar=CALENDARS, start=MOMENTS, hours=HOURS)
def test_working_hours_between_undoes_adding_working_hours(calendar, start, hours):
    end = calendar.add_working_hours(start, hours)

    assert calendar.working_hours_between(start, end) == pytest.approx(hours, abs=1e-6)


@given(calendar=CALENDARS, start=MOMENTS, hours=HOURS)
def test_adding_working_hours_lands_in_working_time_or_on_a_close(calendar, start, hours):
    end = calendar.add_working_hours(start, hours)
    just_before = end - timedelta(microseconds=1)

    assert end >= start
    assert calendar.is_working_time(end) or calendar.is_working_time(just_before)
