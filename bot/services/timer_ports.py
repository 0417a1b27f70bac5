"""The timer passes' ports: leads as the timers see them, fires recorded once, each pass's
catch-up point and lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.domain.timers import TimerKind
from bot.services.records import Fire, NewFire, Page, TimerLead


class TimerRepository(Protocol):
    """Leads as the timers see them, and the fires recorded once per lead, kind, round, due."""

    def pending_leads(
        self,
        *,
        started_after: datetime | None,
        started_by: datetime,
        escalate_started_by: datetime,
        page: Page,
    ) -> list[TimerLead]:
        """Pending leads whose round started in the range and that still have a timer to fire,
        a page of them by when their round started."""
        ...

    def awaiting_feedback(
        self, *, due_after: datetime | None, due_by: datetime, overdue_by: datetime, page: Page
    ) -> list[TimerLead]:
        """Accepted leads with no outcome, feedback due in the range, a timer still to fire; a
        page of them by when their feedback is due."""
        ...

    def next_steps(
        self, *, due_after: datetime | None, due_by: datetime, page: Page
    ) -> list[TimerLead]:
        """Worked leads whose next step falls in the range and has not been reminded of; a
        page of them by their next step."""
        ...

    def unworked(
        self, *, decided_after: datetime | None, decided_by: datetime, page: Page
    ) -> list[TimerLead]:
        """Accepted leads never reached and not flagged, accepted in the range; a page of them
        by when they were accepted, locked."""
        ...

    def snoozed_due(
        self, kinds: Sequence[TimerKind], *, after: datetime | None, by: datetime
    ) -> list[tuple[Fire, TimerLead]]:
        """Snoozed reminders whose snooze ended in the range and that have not come back."""
        ...

    def record_fires(self, fires: Sequence[NewFire], *, now: datetime) -> dict[NewFire, int]:
        """Record fires; return the id of each one recorded now (not the ones already there)."""
        ...

    def refire(self, fire_id: int, *, now: datetime) -> bool:
        """Mark a snoozed reminder as back; False when it already was."""
        ...

    def fire(self, fire_id: int) -> tuple[Fire, TimerLead] | None: ...

    def snooze(self, fire_id: int, *, until: datetime, by: str, reason: str) -> bool:
        """Snooze a fired reminder; False when it was snoozed (or came back) already."""
        ...


class PassRepository(Protocol):
    """Where each scheduled pass has caught up to, and who runs it now."""

    def lock(self, job: str) -> bool:
        """Take the pass's lock for this transaction; False when another process holds it."""
        ...

    def caught_up_to(self, job: str) -> datetime | None:
        """Until when every due item of `job` has been handled (None: never run)."""
        ...

    def catch_up(self, job: str, *, as_of: datetime) -> None: ...

    def fires_from(self, job: str) -> datetime | None: ...  # nothing due before it fires
    def start_from(self, job: str, *, at: datetime, now: datetime) -> None: ...
