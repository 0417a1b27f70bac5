"""A unit of work that writes nothing: `baton jobs run --dry-run` runs a real pass inside one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

from bot.services.crm_ports import CrmRepository
from bot.services.ports import (
    ActivityRepository,
    BatchRepository,
    DigestRepository,
    EventRepository,
    HandledRequests,
    LeadRepository,
    NewLeadsToSettle,
    OutboxQueue,
    PassRepository,
    RoundRepository,
    TimerRepository,
    UnitOfWork,
)
from bot.services.records import Work
from bot.services.rules_ports import RulesRepository


class KeptWork:
    """An outbox queue that only keeps what it is given: nothing reaches Slack."""

    def __init__(self) -> None:
        self.work: list[Work] = []

    def queue(self, work: Sequence[Work], *, now: datetime) -> None:
        self.work.extend(work)

    def hold(self, work: Sequence[Work], *, now: datetime, until: datetime) -> None:
        grown = {item.key: item for item in work}  # a held message grows under its key
        self.work = [grown.pop(item.key, item) for item in self.work] + list(grown.values())

    def release(self, keys: Sequence[str], *, now: datetime) -> None:
        """Nothing to let go: nothing reaches Slack."""

    def queue_handoffs(self, lead_ids: Sequence[int], *, now: datetime) -> None:
        # What a new lead's stored row says is not kept here; and no pass stores new leads.
        raise RuntimeError("a dry run of the jobs stores no new leads, so it queues no handoffs")


class DryUnitOfWork:
    """The repositories of a real unit of work, whose transaction is always rolled back."""

    def __init__(self, real: UnitOfWork, kept: KeptWork) -> None:
        self.real, self.kept = real, kept

    @property
    def leads(self) -> LeadRepository:
        return self.real.leads

    @property
    def events(self) -> EventRepository:
        return self.real.events

    @property
    def activity(self) -> ActivityRepository:
        return self.real.activity

    @property
    def rounds(self) -> RoundRepository:
        return self.real.rounds

    @property
    def batches(self) -> BatchRepository:
        return self.real.batches

    @property
    def outbox(self) -> OutboxQueue:
        return self.kept

    @property
    def settling(self) -> NewLeadsToSettle:
        return self.real.settling  # rolled back with the rest; no pass stores new leads

    @property
    def requests(self) -> HandledRequests:
        return self.real.requests

    @property
    def timers(self) -> TimerRepository:
        return self.real.timers

    @property
    def passes(self) -> PassRepository:
        return self.real.passes

    @property
    def digests(self) -> DigestRepository:
        return self.real.digests

    @property
    def crm(self) -> CrmRepository:
        return self.real.crm

    @property
    def rules(self) -> RulesRepository:
        return self.real.rules

    def __enter__(self) -> Self:
        self.real.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # Never committed: leaving the real unit of work rolls its transaction back.
        self.real.__exit__(kind, error, trace)

    def commit(self) -> None:
        """Kept from the store: a dry run records nothing."""


def dry(uow_factory: Callable[[], UnitOfWork]) -> Callable[[], UnitOfWork]:
    """Units of work like `uow_factory`'s that write nothing and send nothing."""
    kept = KeptWork()
    return lambda: DryUnitOfWork(uow_factory(), kept)
