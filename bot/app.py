"""The composition root: everything Baton runs on, built from settings and collaborators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.services.intake import Routing
from bot.services.ports import UnitOfWork
from config.model import BatonConfig, load_config
from config.settings import Settings
from storage.db import Database, open_database
from storage.uow import SqlUnitOfWork


@dataclass
class Baton:
    """Baton's running parts, shared by the web app, the workers and the CLI."""

    settings: Settings
    config: BatonConfig
    database: Database
    clock: Clock = field(default_factory=SystemClock)
    outbox_listeners: list[Callable[[], None]] = field(default_factory=list)

    def unit_of_work(self) -> UnitOfWork:
        return SqlUnitOfWork(self.database)

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return self.unit_of_work

    def outbox_changed(self) -> None:
        """Tell the delivery worker there is new Slack work, so it need not wait for its poll."""
        for listener in self.outbox_listeners:
            listener()

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
