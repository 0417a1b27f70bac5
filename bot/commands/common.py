"""What every subcommand shares: its registration, Baton on a ready database, argument types."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.app import Baton, build_baton
from bot.domain.definitions import DefinitionVersion, rules_data
from bot.services.ports import StorageUnavailable
from config.model import LeadDefinition
from config.settings import Settings
from storage.db import SchemaError, wait_for_database

EXIT_USAGE = 2
Run = Callable[[Settings, argparse.Namespace], int | None]
Subcommands = Any  # argparse's _SubParsersAction, which it does not name publicly


class CommandError(Exception):
    """A problem the admin must fix; printed without a traceback."""


class UsageError(CommandError):
    """A bad file or argument: refused before anything is written (exit status 2)."""


def command(commands: Subcommands, name: str, run: Run, help: str) -> argparse.ArgumentParser:
    """Add subcommand `name`, run by `run(settings, args)`."""
    sub: argparse.ArgumentParser = commands.add_parser(name, help=help, description=help)
    sub.set_defaults(run=run)
    return sub


def open_baton(settings: Settings, *, create_embedded: bool = False, wait: bool = False) -> Baton:
    """Baton on a reachable database of the right schema; serving processes wait for it."""
    baton = build_baton(settings)
    wait_for_database(baton.database, within=settings.baton_database_wait if wait else 0)
    baton.database.ensure_schema(create_embedded=create_embedded)
    return baton


def stored_live(baton: Baton) -> DefinitionVersion | None:
    """The live version of the lead definition as stored, read only: None when none is
    stored yet. Raises StorageUnavailable or SchemaError when the database cannot say."""
    wait_for_database(baton.database, within=0)
    baton.database.ensure_schema(create_embedded=False)
    return baton.rules_reader.live()


def with_live_definition(baton: Baton) -> tuple[Baton, int | None]:
    """Baton whose config's lead definition is the live version's, for a dry run that
    stores nothing; as it is (and None) when no version can be read (no database yet)."""
    url = make_url(baton.database.url)
    if baton.database.is_sqlite and not (url.database and Path(url.database).exists()):
        return baton, None  # reading would create the file
    try:
        live = stored_live(baton)
    except (StorageUnavailable, SchemaError):
        return baton, None
    if live is None:
        return baton, None
    definition = LeadDefinition.model_validate(rules_data(live.rules))
    config = baton.config.model_copy(update={"lead_definition": definition})
    return replace(baton, config=config), live.number


def moment(text: str) -> datetime:
    """An ISO-8601 time from the command line; UTC when it names no offset."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"“{text}” is not an ISO-8601 time, such as 2026-11-23T09:30:00+01:00"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a day, such as 2026-03-31") from None


class ProgressBar:
    """A bar on the terminal's error stream, with its rate and the time left; nothing when
    it is not a terminal."""

    def __init__(self, timer: Callable[[], float] = time.monotonic) -> None:
        self.shown = False
        self.timer = timer  # seconds, for the rate: the wall clock plays no part
        self.started = timer()

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        sys.stderr.write("\r" + self.line(done, total))
        sys.stderr.flush()
        self.shown = True

    def line(self, done: int, total: int) -> str:
        """`[#####.....] 2,000/10,000 rows · 1,250 rows/s · 6 s left`."""
        width = 30
        filled = int(width * done / total) if total else width
        text = f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} rows"
        elapsed = self.timer() - self.started
        if elapsed > 0 and done:
            rate = done / elapsed
            left = (total - done) / rate
            text += f" · {rate:,.0f} rows/s · {_seconds(left)} left"
        return text.ljust(80)

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def _seconds(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole} s" if whole < 90 else f"{whole // 60} min {whole % 60:02d} s"
