"""A round's outcomes as a history: where the lead stands, and which outcome an undo withdraws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.lead import PROGRESS, LeadError, LeadStatus, Outcome

UNDO_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class PastOutcome:
    """One outcome logged in the current handoff round, and whether it was withdrawn since."""

    event_id: int
    actor: str
    at: datetime
    outcome: Outcome
    next_step_at: datetime | None = None
    corrected: bool = False


@dataclass(frozen=True)
class Standing:
    status: LeadStatus
    next_step_at: datetime | None


def standing(history: Sequence[PastOutcome], *, without: int | None = None) -> Standing:
    """Replay the round's outcomes that still count (leaving out `without`), forward only."""
    status, next_step_at = LeadStatus.ACCEPTED, None
    for past in history:
        if past.corrected or past.event_id == without:
            continue
        target = past.outcome.status
        if PROGRESS[target] >= PROGRESS[status]:
            status = target
        next_step_at = past.next_step_at or next_step_at
    return Standing(status, next_step_at)


def to_undo(
    history: Sequence[PastOutcome], *, actor: str, now: datetime, short_id: str
) -> PastOutcome:
    """The caller's own last outcome that still counts, if it is recent enough to undo."""
    own = [past for past in history if past.actor == actor and not past.corrected]
    if not own:
        raise LeadError(f"You have no outcome on {short_id} to undo.")
    last = own[-1]
    if now - last.at > UNDO_WINDOW:
        raise LeadError(
            f"Your last outcome on {short_id} ({last.outcome.value}) was logged more than a day "
            "ago, so it stands: an outcome can be undone within a day of logging it."
        )
    return last
