"""The composition root: everything Baton runs on, built from settings and collaborators."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.crm.clients import open_crm
from bot.crm.provider import CrmClient
from bot.domain.definitions import DefinitionVersion, rules_of
from bot.domain.lead_summary import CalendarBook
from bot.domain.proposals import Teams
from bot.services.delivery_state import DeliveryState
from bot.services.intake_plan import LiveRouting, Routing
from bot.services.ports import LeadReader, ReportReader, SnapshotReader, StatusReader, UnitOfWork
from bot.services.report import calendar_book
from bot.services.rules import live_version, teams_of
from bot.services.rules_ports import BacktestReader, RulesReader
from bot.services.settling import settle_new_leads
from config.model import BatonConfig, load_config
from config.settings import Settings
from storage.backtest import SqlBacktestReader
from storage.db import Database, open_database
from storage.definitions import SqlRulesReader
from storage.health import WriteProbe
from storage.job_runs import SqlJobRuns
from storage.queries import SqlStatusReader
from storage.reads import SqlLeadReader
from storage.report import SqlReportReader
from storage.scheduler_lock import SchedulerLock, hold_scheduler_lock, one_pass_at_a_time
from storage.settling import any_to_settle
from storage.snapshots import SqlSnapshotReader
from storage.uow import SqlUnitOfWork

IMPORT_WRITERS_POSTGRES = 2


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
    crm_timeout: float = 10.0  # seconds one CRM call may take before it is tried again later
    _calendars: tuple[BatonConfig, CalendarBook] | None = field(default=None, repr=False)
    _write_probe: WriteProbe | None = field(default=None, repr=False)
    _crm: CrmClient | None = field(default=None, repr=False)
    _live_routing: tuple[BatonConfig, LiveRouting] | None = field(default=None, repr=False)

    def unit_of_work(self) -> UnitOfWork:
        """A new write transaction, with a repository per aggregate: the one every service uses."""
        return SqlUnitOfWork(self.database, calendars=self.calendars)

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return self.unit_of_work

    @property
    def import_writers(self) -> int:
        """How many chunks of an import are stored at once: SQLite takes one writer at a
        time; on PostgreSQL two keep the server's work on both cores of a small machine."""
        return 1 if self.database.is_sqlite else IMPORT_WRITERS_POSTGRES

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

    @property
    def crm(self) -> CrmClient | None:
        """The configured CRM's client (None without a `crm:` section), opened once.

        Raises SettingsError naming what the provider needs that is not set.
        """
        if self.config.crm is None:
            return None
        if self._crm is None:
            self._crm = open_crm(
                self.settings, self.config.crm.rules(), clock=self.clock, timeout=self.crm_timeout
            )
        return self._crm

    def hold_scheduler_lock(self) -> SchedulerLock:
        """Take the right to run the scheduler; raises SchedulerBusy on a SQLite file in use."""
        return hold_scheduler_lock(self.database)

    def one_pass_at_a_time(self, job: str) -> AbstractContextManager[bool]:
        """Whether this process may run a pass of `job` now, every process asking; held
        until the block ends."""
        return one_pass_at_a_time(self.database, job)

    def settle_new_leads(self) -> int:
        """Settle a transaction's worth of new leads that intake stored without their
        summaries, rounds and handoffs (see settling.py); how many. The delivery worker's."""
        if not any_to_settle(self.database):
            return 0
        return settle_new_leads(self.uow_factory)

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
    def rules_reader(self) -> RulesReader:
        return SqlRulesReader(self.database)

    @property
    def backtest_reader(self) -> BacktestReader:
        return SqlBacktestReader(self.database)

    def live_definition(self) -> DefinitionVersion:
        """The live version of the lead definition; the config file's is version 1."""
        return live_version(
            reader=self.rules_reader,
            uow_factory=self.unit_of_work,
            seed=rules_of(self.config.lead_definition),
            clock=self.clock,
        )

    @property
    def teams(self) -> Teams:
        """Who approves a change of the lead definition: marketing, and sales' managers."""
        return teams_of(self.config)

    @property
    def live_routing(self) -> LiveRouting:
        """How intake places leads: by the version live in each request's transaction (a
        version approved in another process applies from the moment it went live)."""
        if self._live_routing is None or self._live_routing[0] is not self.config:
            routing = LiveRouting(self.config.regions, read_live=self.live_definition)
            self._live_routing = (self.config, routing)
        return self._live_routing[1]

    @property
    def routing(self) -> Routing:
        """How leads are placed now: by the live version, its number read afresh each time so
        that a version approved in another process applies from the moment it went live."""
        return self.live_routing.of_number(self.rules_reader.live_number(), self.live_definition)


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
        database=database
        or open_database(settings.database_url, sqlite_cache_mib=settings.baton_sqlite_cache_mib),
        clock=clock or SystemClock(),
    )
