"""Working time in a region: its days, hours and holidays, on the region's wall clock."""

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Window = tuple[datetime, datetime]

_HOURS_PATTERN = re.compile(r"\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*")


def parse_hours(text: str) -> tuple[time, time]:
    """Parse working hours written like "09:00-17:00"."""
    match = _HOURS_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"working hours must look like 09:00-17:00, got {text!r}")
    hour_a, minute_a, hour_b, minute_b = (int(part) for part in match.groups())
    try:
        start, end = time(hour_a, minute_a), time(hour_b, minute_b)
    except ValueError:
        raise ValueError(f"working hours {text!r} are not times of day") from None
    if start >= end:
        raise ValueError(f"working hours must start before they end, got {text!r}")
    return start, end


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: str
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    working_hours: tuple[tuple[time, time], ...] = ((time(9), time(17)),)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # Config may hand over lists; freezing them keeps the calendar hashable.
        object.__setattr__(self, "working_days", frozenset(self.working_days))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        hours = tuple((start, end) for start, end in self.working_hours)
        object.__setattr__(self, "working_hours", hours)
        _check_zone(self.timezone)
        _check_days(self.working_days)
        _check_hours(self.working_hours)

    @property
    def zone(self) -> ZoneInfo:
        """Return the region's time zone."""
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        """Return `at` on the region's wall clock."""
        return _utc(at).astimezone(self.zone)

    def is_working_time(self, at: datetime) -> bool:
        """Tell whether `at` falls inside a working window."""
        return self.next_working_moment(at) == _utc(at)

    def next_working_moment(self, at: datetime) -> datetime:
        """Return `at` if it is working time, else the start of the next working window."""
        at = _utc(at)
        opens, _ = next(self._windows_after(at))
        return max(opens, at)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """Return the moment `hours` working hours after `start`."""
        if not (math.isfinite(hours) and hours >= 0):
            raise ValueError(f"working hours to add must be zero or more, got {hours!r}")
        start, remaining = _utc(start), timedelta(hours=hours)
        for opens, closes in self._windows_after(start):
            opens = max(opens, start)
            # `<=` so that landing exactly on a window's end stays there, not next morning.
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        raise AssertionError("unreachable: working windows never run out")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Return the working hours elapsed in [start, end)."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return 0.0
        worked = timedelta()
        for opens, closes in self._windows_after(start):
            if opens >= end:
                break
            worked += min(closes, end) - max(opens, start)
        return worked.total_seconds() / 3600

    def end_of_working_week(self, at: datetime) -> datetime:
        """Return the close of the last working day of the week of `at`, or of the next week."""
        at = _utc(at)
        today = self.local(at).date()
        monday = today - timedelta(days=today.weekday())
        while True:
            close = self._close_of_week(monday)
            if close is not None and close > at:
                return close
            monday += timedelta(weeks=1)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return the same wall-clock time `days` working days after `start`."""
        if days < 0:
            raise ValueError(f"working days to add must be zero or more, got {days}")
        moment = self.local(self.next_working_moment(start))
        day = moment.date()
        for _ in range(days):
            day = self._next_working_day(day)
        wall = datetime.combine(day, moment.time(), tzinfo=self.zone)
        return wall.replace(fold=0).astimezone(UTC)

    def _is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def _next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self._is_working_day(day):
            day += timedelta(days=1)
        return day

    def _day_windows(self, day: date) -> tuple[Window, ...]:
        """Return the day's working windows in UTC, in order."""
        return _day_windows(self, day)

    def _compute_day_windows(self, day: date) -> tuple[Window, ...]:
        if not self._is_working_day(day):
            return ()
        windows = [
            (self._first_reading(day, start), self._first_reading(day, end))
            for start, end in self.working_hours
        ]
        # A window wholly inside a spring-forward gap never happens on the clock.
        return tuple((opens, closes) for opens, closes in windows if opens < closes)

    def _windows_after(self, at: datetime) -> Iterator[Window]:
        """Yield the working windows that close after `at`, in order, without end."""
        # Start a day early: a window may close after midnight when the clock jumps.
        day = self.local(at).date() - timedelta(days=1)
        while True:
            yield from (window for window in self._day_windows(day) if window[1] > at)
            day += timedelta(days=1)

    def _close_of_week(self, monday: date) -> datetime | None:
        """Return when the last working window of the week starting `monday` closes."""
        for offset in range(6, -1, -1):
            windows = self._day_windows(monday + timedelta(days=offset))
            if windows:
                return windows[-1][1]
        return None

    def _first_reading(self, day: date, wall: time) -> datetime:
        """Return the first instant the clock reads `wall` on `day`, or jumps past it."""
        local = datetime.combine(day, wall, tzinfo=self.zone)
        instant = local.astimezone(UTC)
        if instant.astimezone(self.zone).replace(tzinfo=None) == local.replace(tzinfo=None):
            return instant
        return self._clock_jump(before=local.replace(fold=1).astimezone(UTC), after=instant)

    def _clock_jump(self, *, before: datetime, after: datetime) -> datetime:
        """Return the instant between `before` and `after` at which the clock jumps forward."""
        # zoneinfo does not expose its transitions; they fall on whole seconds, so bisect.
        low, high = int(before.timestamp()), int(after.timestamp())
        offset = after.astimezone(self.zone).utcoffset()
        while high - low > 1:
            middle = (low + high) // 2
            if datetime.fromtimestamp(middle, self.zone).utcoffset() == offset:
                high = middle
            else:
                low = middle
        return datetime.fromtimestamp(high, UTC)


@functools.lru_cache(maxsize=65_536)
def _day_windows(calendar: WorkingCalendar, day: date) -> tuple[Window, ...]:
    # Timer passes ask for the same few days for every lead; time zone arithmetic is the cost.
    return calendar._compute_day_windows(day)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware, got {at.isoformat()}")
    return at.astimezone(UTC)


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone: {name!r}") from None


def _check_days(days: frozenset[int]) -> None:
    if not days:
        raise ValueError("a working calendar needs at least one working day")
    if not days <= set(range(7)):
        raise ValueError(f"working days are 0 (Monday) to 6 (Sunday), got {sorted(days)}")


def _check_hours(intervals: tuple[tuple[time, time], ...]) -> None:
    if not intervals:
        raise ValueError("a working calendar needs at least one working-hours interval")
    for start, end in intervals:
        if start >= end:
            raise ValueError(f"working hours must start before they end: {_span(start, end)}")
    ordered = sorted(intervals)
    for earlier, later in pairwise(ordered):
        if later[0] < earlier[1]:
            raise ValueError(f"working hours overlap: {_span(*earlier)} and {_span(*later)}")
    if list(intervals) != ordered:
        raise ValueError(
            f"working hours must be in order: {', '.join(_span(*i) for i in intervals)}"
        )


def _span(start: time, end: time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"
