"""The `crm-sync` pass: records and deals changed in the CRM since the stored cursors, taken in
as the webhook's are. Salesforce has no webhook Baton can rely on, so it is asked.

A cursor moves only after its page is stored, so a pass that stops part way starts again
where it stopped. One pass runs at a time across processes (a second one is skipped); even
so, what two passes took in at once would be merged by intake, never doubled; a deal's same
stage and amount is recorded once; and a cursor only moves forward. A pass "as of" a time takes in the changes up to that time and leaves the
cursors there.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, TypeVar

from bot.clock import Clock
from bot.crm.inbound import Intake, take_deal, take_record
from bot.crm.provider import CrmClient
from bot.domain.crm import Changed, CrmCursor, CrmNeedsPerson, CrmProvider, Page
from bot.services.intake_plan import Routing
from bot.services.ports import UnitOfWork
from bot.services.timers import PassResult

log = logging.getLogger(__name__)

JOB = "crm-sync"
MAX_PAGES = 200  # a pass this long stops and lets the next one carry on

C = TypeVar("C", bound=Changed)
# Taking in one record or deal: says what happened, or raises a CrmError.
Take = Callable[[Any, Intake], str]


def run_crm_sync_pass(
    *,
    crm: CrmClient | None,
    routing: Routing,
    uow_factory: Callable[[], UnitOfWork],
    exclusive: Callable[[str], AbstractContextManager[bool]],
    clock: Clock,
    as_of: datetime | None = None,
) -> PassResult:
    """Take in the CRM's changes up to `as_of` (default: now); count what happened.
    `exclusive(JOB)` says whether no other pass runs, and keeps it so while this one does."""
    now = as_of or clock.now()
    if crm is None or crm.rules.provider is not CrmProvider.SALESFORCE:
        return PassResult(JOB, now)  # HubSpot tells Baton by webhook; no CRM, nothing to ask
    with exclusive(JOB) as alone:
        if not alone:
            return PassResult(JOB, now, skipped=True)
        return _sync(crm, routing=routing, uow_factory=uow_factory, clock=clock, now=now)


def _sync(
    crm: CrmClient,
    *,
    routing: Routing,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    now: datetime,
) -> PassResult:
    intake = Intake(crm=crm, uow_factory=uow_factory, clock=clock, routing=routing)
    counts: Counter[str] = Counter()
    records = _Cursor(f"{intake.provider}:records", uow_factory, clock)
    for record in _changes(intake.crm.changed_records, records, now):
        counts[_taken(take_record, record, intake)] += 1
    deals = _Cursor(f"{intake.provider}:deals", uow_factory, clock)
    for deal in _changes(intake.crm.changed_deals, deals, now):
        counts[_taken(take_deal, deal, intake)] += 1
    return PassResult(JOB, now, dict(counts))


def backfill(
    *,
    crm: CrmClient,
    routing: Routing,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    since: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> Counter[str]:
    """Take in the sales-ready records and the deals changed since `since`; count what
    happened. The sync's cursors stay where they are; `progress(done, total)` follows along."""
    intake = Intake(crm=crm, uow_factory=uow_factory, clock=clock, routing=routing)
    counts: Counter[str] = Counter()
    totals: dict[str, int] = {}
    now = clock.now()
    readings: tuple[tuple[str, Callable[..., Page[Any]], Take], ...] = (
        ("records", crm.changed_records, take_record),
        ("deals", crm.changed_deals, take_deal),
    )
    for name, read, take in readings:
        cursor = _Cursor(None, uow_factory, clock, start=CrmCursor(since, ""))

        def seen(page: Page[Any], name: str = name) -> None:
            if page.total is not None:
                totals.setdefault(name, page.total)

        for change in _changes(read, cursor, now, seen=seen):
            counts[_taken(take, change, intake)] += 1
            if progress:
                done = sum(counts.values())
                progress(done, max(sum(totals.values()), done))
    return counts


class _Cursor:
    """A stored cursor (or, without a name, one kept in memory), moved forward page by page."""

    def __init__(
        self,
        name: str | None,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        start: CrmCursor | None = None,
    ) -> None:
        self.name, self.uow_factory, self.clock = name, uow_factory, clock
        self.at = start
        if name is not None:
            with uow_factory() as uow:
                stored = uow.crm.cursor(name)
            self.at = CrmCursor.decode(stored) if stored else None

    def move(self, to: CrmCursor | None) -> None:
        if to is None or (self.at is not None and to <= self.at):
            return
        if self.name is None:
            self.at = to
            return
        with self.uow_factory() as uow:
            stored = uow.crm.cursor(self.name)
            if stored is None or CrmCursor.decode(stored) < to:  # another pass got further
                uow.crm.move_cursor(self.name, to.encode(), now=self.clock.now())
                uow.commit()
        self.at = to


def _changes(
    read: Callable[..., Page[C]],
    cursor: _Cursor,
    until: datetime,
    *,
    seen: Callable[[Page[C]], None] | None = None,
) -> Iterator[C]:
    """Yield the changes after the cursor up to `until`, moving it after each page."""
    page: str | None = None
    for _ in range(MAX_PAGES):
        found = read(since=cursor.at, page=page)
        if seen:
            seen(found)
        kept = [i for i in found.items if i.changed_at is None or i.changed_at <= until]
        yield from kept
        if len(kept) < len(found.items):  # the rest changed after `until`
            last = next((i for i in reversed(kept) if i.changed_at is not None), None)
            cursor.move(CrmCursor(last.changed_at, last.id) if last and last.changed_at else None)
            return
        cursor.move(found.cursor)
        if found.next_page:
            page = found.next_page
        elif found.more:
            page = None  # the CRM pages no further: a new query from the cursor
        else:
            return


def _taken(take: Take, change: Any, intake: Intake) -> str:
    """Take one change in; a record a person must fix is counted and left for its next change."""
    try:
        said = take(change, intake)
    except CrmNeedsPerson as problem:
        log.warning("crm-sync: %s", problem.explain())
        return "refused"
    if said.startswith("deal"):
        return "deal outcomes" if ": recorded" in said else "deals unchanged"
    return "not sales-ready" if said.endswith("not sales-ready") else "leads taken in"
