"""`baton import`: a CSV file's rows handed to the import service, read ahead when it is big."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from bot.clock import Clock
from bot.csvfiles import ahead
from bot.csvfiles.rows import CsvFile
from bot.services.csv_import import DEFAULT_CHUNK, ImportReport, Storing, import_rows, in_process
from bot.services.intake_plan import Routing
from bot.services.ports import ImportConfig, UnitOfWork

# Files with this many rows are read in a second process, where the system can fork one.
READ_AHEAD_FROM = 5_000


class Importing(Protocol):
    """What an import needs of Baton."""

    @property
    def config(self) -> ImportConfig: ...
    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def routing(self) -> Routing: ...
    @property
    def import_writers(self) -> int: ...


def import_csv(
    path: Path,
    *,
    baton: Importing,
    campaign: str | None,
    source: str | None,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    read_ahead: bool | None = None,
) -> ImportReport:
    """Check every row of `path`, store the good ones in chunks, and report on every row.

    `progress(rows_done, rows_total)` is called after each chunk. `read_ahead` reads in a
    second process (None: for big files, where the system can fork one).
    """
    rows = CsvFile(Path(path))
    if read_ahead is None:
        read_ahead = rows.lines > READ_AHEAD_FROM and ahead.can_fork()
    storing = Storing(
        uow_factory=baton.uow_factory,
        clock=baton.clock,
        routing=baton.routing,
        config=baton.config,
        writers=baton.import_writers,
    )
    with ahead.collecting_rarely():
        return import_rows(
            rows,
            storing=storing,
            campaign=campaign,
            source=source,
            dry_run=dry_run,
            progress=progress,
            chunk_size=chunk_size,
            reading=ahead.read_ahead if read_ahead else in_process,
        )
