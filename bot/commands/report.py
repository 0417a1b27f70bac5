"""`baton report`: the closed-loop report as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import sys

from bot.commands.common import CommandError, Subcommands, command, day, open_baton
from bot.domain.attribution import Attribution
from bot.domain.periods import PeriodError, between
from bot.domain.report import GroupBy
from bot.domain.wording import counted
from bot.report_output import as_csv, as_json, as_table
from bot.services.report import ReportQuery, closed_loop_report, period_bounds
from config.settings import Settings
from storage.summaries import rebuild_summaries


def add(commands: Subcommands) -> None:
    report = command(
        commands, "report", report_command, "the closed-loop report: campaign to won revenue"
    )
    report.add_argument("--by", choices=[group.value for group in GroupBy], default="campaign")
    report.add_argument(
        "--since", type=day, metavar="DATE", help="count leads received from this day (UTC)"
    )
    report.add_argument(
        "--until", type=day, metavar="DATE", help="count leads received up to this day, included"
    )
    report.add_argument(
        "--attribution",
        choices=[model.value for model in Attribution],
        default="first",
        help="which campaign a lead counts for: the first touch, the last before acceptance, "
        "or every campaign it touched (the groups then overlap)",
    )
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    report.add_argument(
        "--rebuild",
        action="store_true",
        help="first recompute every lead's summary from its events (after changing calendars)",
    )


def report_command(settings: Settings, args: argparse.Namespace) -> int:
    try:
        since, until = period_bounds(between(args.since, args.until), "UTC")
    except PeriodError as error:
        raise CommandError(str(error)) from None
    baton = open_baton(settings)
    if args.rebuild:
        with baton.database.engine.begin() as connection:
            count = rebuild_summaries(connection, calendars=baton.calendars)
        print(
            f"Rebuilt the summaries of {counted(count, 'lead')} from their events.", file=sys.stderr
        )
    query = ReportQuery(
        by=GroupBy(args.by), since=since, until=until, attribution=Attribution(args.attribution)
    )
    report = closed_loop_report(
        query, reader=baton.report_reader, config=baton.config, clock=baton.clock
    )
    written = {"table": as_table, "csv": as_csv, "json": as_json}[args.format](report)
    sys.stdout.write(written if written.endswith("\n") else written + "\n")
    return 0
