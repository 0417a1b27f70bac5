"""Reads for the modals: a lead, or a fired reminder, as it stands now."""

from __future__ import annotations

from bot.domain.lead import LeadError
from bot.domain.snapshots import FireLine, LeadSnapshot
from bot.services.ports import SnapshotReader


def current_lead(lead_id: int, *, reader: SnapshotReader) -> LeadSnapshot:
    """The lead in its current round, with that round's decision so far."""
    snapshot = reader.snapshot(lead_id)
    if snapshot is None:
        raise LeadError("That lead is no longer stored; ask an admin.")
    return snapshot


def fired_timer(fire_id: int, *, reader: SnapshotReader) -> FireLine:
    """The fired timer `fire_id` with its lead, as its reminder lists it now."""
    found = reader.fire_lines([fire_id]).get(fire_id)
    if found is None:
        raise LeadError("That reminder is no longer stored; ask an admin.")
    return found
