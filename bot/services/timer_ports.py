"""What the timer passes need from storage: leads as timers see them, fired timers, pass locks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.lead import Lead
from bot.domain.timers import TimerKind
from bot.services.ports import UnitOfWork


@dataclass(frozen=True)
class TimerLead:
    """A lead a timer may be due on, and which timers already fired in its current round."""

    id: int
    lead: Lead
    round_started_at: datetime | None
    fired: frozenset[TimerKind] = frozenset()


@dataclass(frozen=True)
class NewFire:
    lead_id: int
    kind: TimerKind
    handoff_round: int
    due_at: datetime


@dataclass(frozen=True)
class Fire:
    """A timer that fired: once per lead, kind, round and due time."""

    id: int
    lead_id: int
    kind: TimerKind
    handoff_round: int
    due_at: datetime
    fired_at: datetime
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    snooze_reason: str | None = None
    refired_at: datetime | None = None


class TimerUnitOfWork(UnitOfWork, Protocol):
    """One transaction of a timer pass, a snooze or a touch."""

    def lock_pass(self, job: str) -> bool:
        """Take the pass's lock for this transaction; False when another process holds it."""
        ...

    def caught_up_to(self, job: str) -> datetime | None:
        """Until when every due item of `job` has been handled (None: never run)."""
        ...

    def catch_up(self, job: str, *, as_of: datetime) -> None: ...

    def pending_leads(
        self,
        *,
        started_after: datetime | None,
        started_by: datetime,
        escalate_started_by: datetime,
    ) -> list[TimerLead]:
        """Pending leads whose round started in the range and that still have a timer to fire."""
        ...

    def awaiting_feedback(
        self, *, due_after: datetime | None, due_by: datetime, overdue_by: datetime
    ) -> list[TimerLead]:
        """Accepted leads with no outcome, feedback due in the range, a timer still to fire."""
        ...

    def next_steps(self, *, due_after: datetime | None, due_by: datetime) -> list[TimerLead]:
        """Worked leads whose next step falls in the range and has not been reminded of."""
        ...

    def unworked(self, *, decided_after: datetime | None, decided_by: datetime) -> list[TimerLead]:
        """Accepted leads never reached and not flagged, accepted in the range; locked."""
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

    def mark_leaked(self, lead_ids: Sequence[int], *, at: datetime) -> None:
        """Persist what FlagLeaked changes: when the leads were flagged."""
        ...

    def first_handling(self, key: str, *, now: datetime) -> bool:
        """Remember a person's request in this transaction; False when it was handled before."""
        ...
