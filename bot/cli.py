"""The `baton` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import Baton, build_baton
from bot.logs import configure_logging
from bot.services.ports import StorageUnavailable
from config.model import ConfigError
from config.settings import Settings, SettingsError, load_settings
from storage.db import SchemaError, open_database, wait_for_database

if TYPE_CHECKING:
    from bot.jobs.scheduler import Scheduler

EXIT_USAGE = 2


class CommandError(Exception):
    """A problem the admin must fix; printed without a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        settings = load_settings()
        configure_logging(level=settings.log_level, log_format=settings.log_format)
        return args.run(settings, args) or 0
    except (SettingsError, ConfigError, SchemaError, StorageUnavailable) as error:
        print(f"baton: {error}", file=sys.stderr)
        return EXIT_USAGE
    except CommandError as error:
        print(f"baton: {error}", file=sys.stderr)
        return 1


def baton_version() -> str:
    """The installed Baton's version, as its package metadata says."""
    try:
        return version("baton")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="baton", description="Lead handoff and accountability in Slack."
    )
    parser.add_argument("--version", action="version", version=f"baton {baton_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(name: str, run: Callable[..., int | None], help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        return sub

    command("serve", _serve, "HTTP mode: Slack events, intake API, health and metrics")
    command("socket", _socket, "Socket Mode, for a workspace with no public URL")
    imp = command("import", _import, "import leads from a CSV file (trade shows, lists)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--campaign")
    imp.add_argument("--source")
    imp.add_argument(
        "--dry-run", action="store_true", help="check and route every row, store nothing"
    )
    route = command("route", _route, "dry run: how a lead would qualify and where it would go")
    route.add_argument("file", type=Path, help='a JSON file with one lead or {"leads": [...]}')
    lead = command("lead", _lead, "one lead: `baton lead show ID`")
    lead.add_argument("action", choices=["show"])
    lead.add_argument("id")
    leads = command("leads", _leads, "leads and their undelivered Slack work: `baton leads list`")
    leads.add_argument("action", choices=["list"])
    leads.add_argument("--status")
    leads.add_argument("--limit", type=int, default=50)
    config = command(
        "config", _config, "`baton config check`: validate the config (and Slack, with a token)"
    )
    config.add_argument("action", choices=["check"])
    db = command("db", _db, "`baton db upgrade`: apply the schema migrations")
    db.add_argument("action", choices=["upgrade"])
    command("demo", _demo, "play a whole handoff story against a local Slack stand-in")
    report = command("report", _report, "the closed-loop report: campaign to won revenue, by group")
    report.add_argument("--by", choices=["campaign", "region", "source", "rep"], default="campaign")
    report.add_argument(
        "--since", type=_day, metavar="DATE", help="count leads received from this day (UTC)"
    )
    report.add_argument(
        "--until", type=_day, metavar="DATE", help="count leads received up to this day, included"
    )
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    report.add_argument(
        "--rebuild",
        action="store_true",
        help="first recompute every lead's summary from its events (after changing calendars)",
    )
    jobs = command("jobs", _jobs, "scheduled jobs: `baton jobs list`, `baton jobs run NAME`")
    jobs.add_argument("action", choices=["list", "run"])
    jobs.add_argument("name", nargs="?", help="the job to run (see `baton jobs list`)")
    jobs.add_argument(
        "--now", type=_moment, help="run as of this time, ISO-8601 (UTC when it has no offset)"
    )
    jobs.add_argument(
        "--deliver",
        action="store_true",
        help="deliver the Slack work now from this process (needs SLACK_BOT_TOKEN)",
    )
    return parser


def _baton(settings: Settings, *, create_embedded: bool = False, wait: bool = False) -> Baton:
    """Baton on a reachable database of the right schema; serving processes wait for it."""
    baton = build_baton(settings)
    wait_for_database(baton.database, within=settings.baton_database_wait if wait else 0)
    baton.database.ensure_schema(create_embedded=create_embedded)
    return baton


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    settings.require("baton serve", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    import uvicorn

    from bot.runtime import settle_for_serving
    from bot.slack_app import build_bolt
    from bot.web import create_web_app

    with _serving(settings) as baton:
        app = create_web_app(baton, build_bolt(baton))
        settle_for_serving()
        # No log config of uvicorn's own: its lines go through Baton's formatter.
        uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)
    return 0


def _socket(settings: Settings, args: argparse.Namespace) -> int:
    settings.require("baton socket", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    import asyncio

    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.runtime import settle_for_serving
    from bot.slack_app import build_bolt

    app_token = settings.slack_app_token.get_secret_value()  # type: ignore[union-attr]  # required above
    with _serving(settings) as baton:
        bolt = build_bolt(baton)
        settle_for_serving()
        # Bolt's Socket Mode adapter has no annotations on start_async.
        asyncio.run(AsyncSocketModeHandler(bolt, app_token).start_async())  # type: ignore[no-untyped-call]
    return 0


@contextmanager
def _serving(settings: Settings) -> Iterator[Baton]:
    """Baton with its scheduled jobs and outbox worker running, for as long as it serves."""
    from bot.runtime import start_delivery

    baton = _baton(settings, create_embedded=True, wait=True)
    scheduler = _start_scheduler(baton)
    deliverer = start_delivery(baton)
    try:
        yield baton
    finally:
        deliverer.stop()
        scheduler.stop()


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.csvfiles.importing import import_csv
    from bot.csvfiles.summary import render_report
    from bot.services.csv_import import CsvImportError

    baton = _baton(settings, create_embedded=True)
    bar = _ProgressBar()
    try:
        report = import_csv(
            args.file,
            baton=baton,
            campaign=args.campaign,
            source=args.source,
            dry_run=args.dry_run,
            progress=bar,
        )
    except CsvImportError as error:
        raise CommandError(str(error)) from None
    bar.done()
    print(render_report(report))
    return 1 if report.errors else 0


def _route(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.explain import explain_routes
    from bot.services.leadin import NotJson, read_json

    baton = build_baton(settings)
    try:
        document = read_json(args.file.read_bytes())
    except OSError as error:
        raise CommandError(f"{args.file}: {error}") from None
    except NotJson as error:
        raise CommandError(f"{args.file} {error}") from None
    raw = document["leads"] if isinstance(document, dict) and "leads" in document else [document]
    lines, ok = explain_routes(raw, baton.config)
    print("\n".join(lines))
    return 0 if ok else 1


def _lead(settings: Settings, args: argparse.Namespace) -> int:
    from bot.admin import describe_lead
    from bot.domain.shortid import parse_short_id

    short_id = parse_short_id(args.id)
    if short_id is None:
        raise CommandError(f"“{args.id}” is not a lead id (they look like L-7K3Q9)")
    text = describe_lead(_baton(settings), short_id)
    if text is None:
        raise CommandError(f"there is no lead {short_id}")
    print(text)
    return 0


def _leads(settings: Settings, args: argparse.Namespace) -> int:
    from bot.admin import list_leads

    print(list_leads(_baton(settings), status=args.status, limit=args.limit))
    return 0


def _config(settings: Settings, args: argparse.Namespace) -> int:
    from bot.admin import check_slack

    baton = build_baton(settings)
    print(
        f"{settings.baton_config}: OK ({len(baton.config.regions)} regions, {len(baton.config.campaigns)} campaigns)"
    )
    if settings.slack_bot_token is None:
        print("Set SLACK_BOT_TOKEN to also check the users and channels in Slack.")
        return 0
    from bot.runtime import web_client

    problems = check_slack(baton.config, web_client(baton))
    print(
        "\n".join(problems)
        if problems
        else "Slack: every configured user and channel exists; Baton is in every channel."
    )
    return 1 if problems else 0


def _db(settings: Settings, args: argparse.Namespace) -> int:
    database = open_database(settings.database_url)
    before = database.schema_revision()
    database.upgrade()
    print(f"database schema: {before or 'empty'} → {database.schema_revision()}")
    return 0


def _start_scheduler(baton: Baton) -> Scheduler:
    from bot.jobs.scheduler import SchedulerRefused, start_scheduler

    try:
        return start_scheduler(baton)
    except SchedulerRefused as error:
        raise CommandError(str(error)) from None


def _jobs(settings: Settings, args: argparse.Namespace) -> int:
    from bot.jobs.listing import jobs_table
    from bot.jobs.passes import JOBS, run_job

    if args.action == "run" and args.deliver:
        settings.require("baton jobs run --deliver", "SLACK_BOT_TOKEN")
    baton = _baton(settings, create_embedded=True)
    if args.action == "list":
        print(jobs_table(baton.job_runs.all(), now=baton.clock.now()))
        return 0
    if args.name not in JOBS:
        named = f"no job named “{args.name}”" if args.name else "name the job to run"
        raise CommandError(f"{named}: one of {', '.join(JOBS)}")
    result = run_job(baton, args.name, now=args.now)
    print(f"{args.name} as of {result.as_of.isoformat()}: {result.summary()}")
    if args.deliver:
        from bot.jobs.drain import deliver_queued

        left = deliver_queued(baton)
        print("Slack work delivered." if not left else f"Still queued for Slack: {left}.")
    elif result.fired:
        print("The serving process delivers the Slack messages (or run again with --deliver).")
    return 0


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"“{text}” is not an ISO-8601 time, such as 2026-11-23T09:30:00+01:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.domain.periods import PeriodError, between
    from bot.domain.report import GroupBy
    from bot.report_output import as_csv, as_json, as_table
    from bot.services.report import ReportQuery, closed_loop_report, period_bounds
    from storage.summaries import rebuild_summaries

    try:
        since, until = period_bounds(between(args.since, args.until), "UTC")
    except PeriodError as error:
        raise CommandError(str(error)) from None
    baton = _baton(settings)
    if args.rebuild:
        with baton.database.engine.begin() as connection:
            count = rebuild_summaries(connection, calendars=baton.calendars)
        print(f"Rebuilt the summaries of {count:,} leads from their events.", file=sys.stderr)
    query = ReportQuery(by=GroupBy(args.by), since=since, until=until)
    report = closed_loop_report(
        query, reader=baton.report_reader, config=baton.config, clock=baton.clock
    )
    written = {"table": as_table, "csv": as_csv, "json": as_json}[args.format](report)
    sys.stdout.write(written if written.endswith("\n") else written + "\n")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a day, such as 2026-03-31") from None


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    try:
        from baton_devkit.demo import run_demo
    except ImportError:
        # The stand-in and the demo are development tools, kept out of a production install.
        print(
            "baton: `baton demo` needs Baton's development kit, which production installs "
            "leave out: from a checkout, `pip install -e ./devkit`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    logging.getLogger().setLevel(logging.WARNING)
    shown: int = run_demo()  # the development kit is not type-checked with the product
    return shown


class _ProgressBar:
    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


if __name__ == "__main__":
    sys.exit(main())
