"""Report periods as people type them: `this-week`, `last-month`, `30d`, `2026-03`, `2026`,
`2026-03-01..2026-03-31`, `all`. Days are whole days on some wall clock; the end is exclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

EXAMPLES = (
    "this-week, last-week, this-month, last-month, 30d, 2026-03, 2026 or 2026-03-01..2026-03-31"
)
_DAYS = re.compile(r"(\d{1,4})d")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"\d{4}")


class PeriodError(ValueError):
    """Text that is not a period; the message says how to type one."""


@dataclass(frozen=True)
class Period:
    start: date | None  # None: since the first lead
    end: date | None  # exclusive; None: up to now
    label: str


ALL_TIME = Period(None, None, "all time")


def parse_period(text: str, *, today: date) -> Period:
    """The period `text` names, seen from `today`."""
    word = text.strip().lower()
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    match word:
        case "all" | "all-time" | "ever":
            return ALL_TIME
        case "today":
            return Period(today, today + timedelta(days=1), "today")
        case "week" | "this-week":
            return Period(monday, monday + timedelta(weeks=1), f"week of {monday.isoformat()}")
        case "last-week":
            start = monday - timedelta(weeks=1)
            return Period(start, monday, f"week of {start.isoformat()}")
        case "month" | "this-month":
            return month(first)
        case "last-month":
            return month((first - timedelta(days=1)).replace(day=1))
        case "quarter" | "this-quarter":
            start = first.replace(month=(first.month - 1) // 3 * 3 + 1)
            end = _add_months(start, 3)
            return Period(start, end, f"Q{(start.month - 1) // 3 + 1} {start.year}")
        case "year" | "this-year":
            return year(today.year)
    if found := _DAYS.fullmatch(word):
        days = int(found.group(1))
        if days < 1:
            raise PeriodError(f"“{text.strip()}” is not a period: give at least 1d.")
        tomorrow = today + timedelta(days=1)
        return Period(tomorrow - timedelta(days=days), tomorrow, f"last {days} days")
    if _MONTH.fullmatch(word):
        try:
            return month(date.fromisoformat(word + "-01"))
        except ValueError:
            pass
    elif _YEAR.fullmatch(word):
        return year(int(word))
    elif ".." in word:
        return between(*word.split("..", 1), typed=text)
    else:
        try:
            day = date.fromisoformat(word)
        except ValueError:
            pass
        else:
            return Period(day, day + timedelta(days=1), day.isoformat())
    raise PeriodError(f"“{text.strip()}” is not a period: type it like {EXAMPLES}.")


def between(first: str | date | None, last: str | date | None, *, typed: str = "") -> Period:
    """The days from `first` to `last`, both included; either may be open."""
    try:
        start = _day(first)
        end_day = _day(last)
    except ValueError:
        raise PeriodError(
            f"“{typed.strip() or f'{first}..{last}'}” is not a period: "
            "give days like 2026-03-01..2026-03-31."
        ) from None
    if start and end_day and end_day < start:
        raise PeriodError(f"The period ends ({end_day}) before it starts ({start}).")
    end = end_day + timedelta(days=1) if end_day else None
    label = (
        f"{start.isoformat() if start else 'start'} to {end_day.isoformat() if end_day else 'now'}"
    )
    return Period(start, end, label if (start or end) else ALL_TIME.label)


def month(first: date) -> Period:
    return Period(first, _add_months(first, 1), first.strftime("%B %Y"))


def year(number: int) -> Period:
    return Period(date(number, 1, 1), date(number + 1, 1, 1), str(number))


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return day.replace(year=day.year + index // 12, month=index % 12 + 1, day=1)


def _day(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    return date.fromisoformat(text) if text else None
