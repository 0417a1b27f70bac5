"""The composition root: everything Baton runs on, built from settings and collaborators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.domain.lead_summary import CalendarBook
from bot.services.delivery_state import DeliveryState
from bot.services.intake_plan import Routing
from bot.services.ports import LeadReader, ReportReader, SnapshotReader, StatusReader, UnitOfWork
from bot.services.report import calendar_book
from config.model import BatonConfig, load_config
from config.settings import Settings
from storage.db import Database, open_database
from storage.health import WriteProbe
from storage.job_runs import SqlJobRuns
from storage.queries import SqlStatusReader
from storage.reads import SqlLeadReader
from storage.report import SqlReportReader
from storage.scheduler_lock import SchedulerLock, hold_scheduler_lock
from storage.snapshots import SqlSnapshotReader
from storage.uow import SqlUnitOfWork


@dataclass
class Baton:
    """Baton's running parts, shared by the web app, the workers and the CLI."""

    settings: Settings
    config: BatonConfig
    database: Database
    clock: Clock = field(default_factory=SystemClock)
    outbox_listeners: list[Callable[[], None]] = field(default_factory=list)
    # Whether this process delivers to Slack now: its worker, the token events and /healthz.
    delivery: DeliveryState = field(default_factory=DeliveryState)
    _calendars: tuple[BatonConfig, CalendarBook] | None = field(default=None, repr=False)
    _write_probe: WriteProbe | None = field(default=None, repr=False)

    def unit_of_work(self) -> UnitOfWork:
        """A new write transaction, with a repository per aggregate: the one every service uses."""
        return SqlUnitOfWork(self.database, calendars=self.calendars)

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return self.unit_of_work

    @property
    def reader(self) -> LeadReader:
        return SqlLeadReader(self.database)

    @property
    def snapshots(self) -> SnapshotReader:
        return SqlSnapshotReader(self.database)

    @property
    def status_reader(self) -> StatusReader:
        return SqlStatusReader(self.database)

    @property
    def job_runs(self) -> SqlJobRuns:
        return SqlJobRuns(self.database)

    @property
    def write_probe(self) -> WriteProbe:
        """Whether writes reach the store: shared by every health check of this process."""
        if self._write_probe is None:
            self._write_probe = WriteProbe(self.database)
        return self._write_probe

    def hold_scheduler_lock(self) -> SchedulerLock:
        """Take the right to run the scheduler; raises SchedulerBusy on a SQLite file in use."""
        return hold_scheduler_lock(self.database)

    def outbox_changed(self) -> None:
        """Tell the delivery worker there is new Slack work, so it need not wait for its poll."""
        for listener in self.outbox_listeners:
            listener()

    @property
    def calendars(self) -> CalendarBook:
        """Every region's working calendar: lead summaries measure speed in them."""
        # Built once per config: every unit of work needs them.
        if self._calendars is None or self._calendars[0] is not self.config:
            self._calendars = (self.config, calendar_book(self.config))
        return self._calendars[1]

    @property
    def report_reader(self) -> ReportReader:
        return SqlReportReader(self.database)

    @property
    def routing(self) -> Routing:
        return Routing(definition=self.config.lead_definition, regions=self.config.regions)


def build_baton(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    config: BatonConfig | None = None,
) -> Baton:
    """Build Baton from settings; tests pass their own clock, database or config."""
    return Baton(
        settings=settings,
        config=config or load_config(settings.baton_config),
        database=database or open_database(settings.database_url),
        clock=clock or SystemClock(),
    )
