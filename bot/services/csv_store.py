"""An import's chunk stored: leads new to the database written as the rows planned ahead,
the rest through intake, which merges them.

Most rows of a big file are new leads. Their rows, first events, summaries and handoffs
were planned as plain values where the file is read (csv_rows.py), so storing them is a
look-up for any of them stored already, the inserts, and the commit. A chunk with a lead
stored already (a file imported again), twice in itself, with activity, or a twin stored
meanwhile by someone else goes through intake's own planning and merging instead, as a
whole, as it always did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from bot.domain.lead import LeadStatus
from bot.domain.qualification import why_nurture
from bot.services.csv_rows import NewLeads
from bot.services.intake import BATCH_THRESHOLD, Batching, queue_stored_handoffs, take_planned
from bot.services.intake_plan import Routing
from bot.services.lead_rows import REGION_AT, STATUS_AT, with_batch
from bot.services.ports import DuplicateLead, UnitOfWork
from bot.services.records import Work, WorkKind

_PENDING = LeadStatus.PENDING.value
_NURTURE = LeadStatus.NURTURE.value


class Stored(NamedTuple):
    """What became of one lead of a chunk: its short id, "created" or "merged", its status
    and region after, and why it is nurture (or None)."""

    id: str
    result: str
    status: str
    region: str | None
    why: str | None


def store_merging(
    new: NewLeads,
    *,
    now: datetime,
    uow_factory: Callable[[], UnitOfWork],
    routing: Routing,
    batching: Batching,
) -> list[Stored]:
    """Store a chunk's leads through intake's own planning, which merges those stored."""
    planned = new.planned(now, routing)
    results = take_planned(
        planned, now=now, uow_factory=uow_factory, routing=routing, batching=batching
    )
    definition = routing.definition
    return [
        Stored(
            result.id,
            result.result,
            result.status,
            result.region,
            why_nurture(lead.facts, definition) if result.status == _NURTURE else None,
        )
        for result, lead in zip(results, planned, strict=True)
    ]


def store_new(
    new: NewLeads, *, now: datetime, uow_factory: Callable[[], UnitOfWork], batching: Batching
) -> list[Stored] | None:
    """Store the leads as new, or nothing (None) if one of them is stored already.

    The batches of the file are grown last, each in the order of their ids, just before the
    commit: a grown batch's row stays locked until then, so two chunks stored side by side
    (storable_alongside) wait on each other only for that moment, and never crosswise.
    """
    short_ids = list(new.short_ids)
    rows = new.rows
    try:
        with uow_factory() as uow:
            stored = uow.leads.matching(
                external_ids={row[1] for row in rows if row[1]}, emails={row[0] for row in rows}
            )
            if stored:
                return None  # left without commit: nothing written
            pending = [index for index, row in enumerate(rows) if row[STATUS_AT] == _PENDING]
            regions = Counter(rows[index][REGION_AT] for index in pending)
            batch_of, opened = _open_batches(uow, regions, now, batching)
            rows = _in_batches(rows, pending, batch_of)
            ids = uow.leads.add_rows(rows, short_ids)
            uow.events.append_first_shared(_alike(ids, new.events))
            queue_stored_handoffs(uow, [ids[index] for index in pending], now=now)
            _grow_batches(uow, regions, batch_of, opened, now)
            uow.commit()
    except DuplicateLead:
        return None  # a twin stored meanwhile: intake finds it and merges
    batching.batch_ids.update(opened)
    if batching.taken is not None:
        batching.taken.update(ids)
    return [
        Stored(short_id, "created", row[STATUS_AT], row[REGION_AT], why)
        for short_id, row, why in zip(short_ids, rows, new.why, strict=True)
    ]


def storable_alongside(new: NewLeads, batching: Batching) -> bool:
    """Whether these leads may be stored (by store_new) while other chunks are: leads that
    are distinct, whose regions all have their batch of the file already (which only grows,
    and opens none)."""
    if not new.distinct:
        return False
    regions = {row[REGION_AT] for row in new.rows if row[STATUS_AT] == _PENDING}
    return all(region in batching.batch_ids for region in regions)


def keys_of(new: NewLeads) -> frozenset[str]:
    """What tells the chunk's leads from others': their emails and external ids."""
    emails = (f"email:{row[0]}" for row in new.rows)
    return frozenset((*emails, *(f"external:{row[1]}" for row in new.rows if row[1])))


def _open_batches(
    uow: UnitOfWork, pending: Counter[str | None], now: datetime, batching: Batching
) -> tuple[dict[str | None, int], dict[str | None, int]]:
    """Each region's batch for its handoffs, as intake groups an import's: the file's batch
    of the region (grown later, by _grow_batches), or one opened; and those opened."""
    chosen: dict[str | None, int] = {}
    opened: dict[str | None, int] = {}
    work = []
    for region, count in pending.items():
        batch_id = batching.batch_ids.get(region)
        if (
            batch_id is None
            and batching.opens_batches
            and (batching.always or count > BATCH_THRESHOLD)
        ):
            label = batching.label or "Leads from intake"
            batch_id = opened[region] = uow.batches.add(region, label, count, now=now)
            work.append(Work(WorkKind.BATCH_SUMMARY, f"batch:{batch_id}", batch_id=batch_id))
        if batch_id is not None:
            chosen[region] = batch_id
    uow.outbox.queue(work, now=now)
    return chosen, opened


def _grow_batches(
    uow: UnitOfWork,
    pending: Counter[str | None],
    batch_of: dict[str | None, int],
    opened: dict[str | None, int],
    now: datetime,
) -> None:
    """Count the handoffs into the batches they joined, in the order of the batches' ids."""
    grown = sorted(
        (batch_id, pending[region]) for region, batch_id in batch_of.items() if region not in opened
    )
    work = []
    for batch_id, count in grown:
        size = uow.batches.grow(batch_id, count)
        work.append(Work(WorkKind.BATCH_UPDATE, f"batch:{batch_id}:{size}", batch_id=batch_id))
    uow.outbox.queue(work, now=now)


def _in_batches(
    rows: list[tuple[Any, ...]], pending: list[int], batch_of: dict[str | None, int]
) -> list[tuple[Any, ...]]:
    if not batch_of:
        return rows
    rows = list(rows)
    for index in pending:
        batch_id = batch_of.get(rows[index][REGION_AT])
        if batch_id is not None:
            rows[index] = with_batch(rows[index], batch_id)
    return rows


def _alike(
    ids: Sequence[int], events: Sequence[tuple[tuple[Any, ...], ...]]
) -> list[tuple[list[int], tuple[tuple[Any, ...], ...]]]:
    """The leads grouped by their first events, which leads planned alike share (the same
    tuple: compared by identity, as their data documents cannot be hashed)."""
    groups: dict[int, tuple[list[int], tuple[tuple[Any, ...], ...]]] = {}
    for lead_id, firsts in zip(ids, events, strict=True):
        group = groups.get(id(firsts))
        if group is None:
            group = groups[id(firsts)] = ([], firsts)
        group[0].append(lead_id)
    return list(groups.values())
