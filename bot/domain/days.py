"""Days as people type them: `2026-12-01`, `today`, `tomorrow`, `friday`, `fri`."""

from __future__ import annotations

from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EXAMPLES = "2026-12-01, tomorrow or friday"


class DayError(ValueError):
    """Text that is not a day; the message says how to type one."""


def parse_day(text: str, *, today: date) -> date:
    """The day `text` names, seen from `today`: a weekday is the coming one, never today."""
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    weekday = _weekday(word)
    if weekday is not None:
        ahead = (weekday - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise DayError(f"“{text.strip()}” is not a day: type it like {EXAMPLES}.") from None


def _weekday(word: str) -> int | None:
    if len(word) < 3:
        return None
    matches = [i for i, name in enumerate(WEEKDAYS) if name.startswith(word)]
    return matches[0] if len(matches) == 1 else None
