"""The working calendars a timer pass reckons with: each region's, and triage's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from bot.domain.timers import earliest_cause
from bot.domain.workingtime import WorkingCalendar
from config.model import BatonConfig

TRIAGE_CALENDAR = WorkingCalendar("UTC")


class Calendars:
    """Each region's working calendar, built once per pass; triage works on UTC office hours."""

    def __init__(self, config: BatonConfig) -> None:
        self._by_region = {region.name: region.calendar() for region in config.regions}

    def of(self, region: str | None) -> WorkingCalendar:
        return self._by_region.get(region or "", TRIAGE_CALENDAR)

    def all(self) -> Iterable[WorkingCalendar]:
        return [*self._by_region.values(), TRIAGE_CALENDAR]


def earliest(
    after: datetime | None,
    calendars: Calendars,
    due: Callable[[WorkingCalendar], Callable[[datetime], datetime]],
) -> datetime | None:
    """The earliest value of a timer's driving column that can be due after `after`, any region."""
    if after is None:
        return None
    return min(earliest_cause(due(calendar), after) for calendar in calendars.all())
