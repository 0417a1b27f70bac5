"""Leads from the command line: `import`, `route`, `lead show`, `leads list`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.admin import describe_lead, list_leads
from bot.app import Baton, build_baton
from bot.commands.common import (
    CommandError,
    ProgressBar,
    Subcommands,
    command,
    open_baton,
    with_live_definition,
)
from bot.csvfiles.importing import import_csv
from bot.csvfiles.rows import CsvFile
from bot.csvfiles.summary import render_report
from bot.domain.shortid import parse_short_id
from bot.services.csv_import import CsvImportError
from bot.services.explain import explain_routes, tally_csv, tally_json, tally_lines
from bot.services.import_pace import could_be_slow, deliveries, pace_text, too_slow
from bot.services.leadin import NotJson, read_json
from config.settings import Settings


def add(commands: Subcommands) -> None:
    imp = command(
        commands, "import", import_file, "import leads from a CSV file (trade shows, lists)"
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--campaign")
    imp.add_argument("--source")
    imp.add_argument(
        "--dry-run", action="store_true", help="check and route every row, store nothing"
    )
    imp.add_argument(
        "--yes",
        action="store_true",
        help="import without asking, even when Slack will take long to deliver the handoffs",
    )
    route_ = command(
        commands, "route", route, "dry run: how leads would qualify and where they would go"
    )
    route_.add_argument(
        "file",
        type=Path,
        help='one lead (JSON), or many: a JSON array, {"leads": [...]}, or a CSV file as '
        "`baton import` reads it",
    )
    route_.add_argument("--campaign", help="a CSV file's campaign, as for `baton import`")
    route_.add_argument("--source", help="a CSV file's source, as for `baton import`")
    lead = command(commands, "lead", show_lead, "one lead: `baton lead show ID`")
    lead.add_argument("action", choices=["show"])
    lead.add_argument("id")
    leads = command(
        commands, "leads", leads_list, "leads and their undelivered Slack work: `baton leads list`"
    )
    leads.add_argument("action", choices=["list"])
    leads.add_argument("--status")
    leads.add_argument("--limit", type=int, default=50)


def import_file(settings: Settings, args: argparse.Namespace) -> int:
    baton = open_baton(settings, create_embedded=True)
    try:
        if not (args.dry_run or args.yes):
            _confirm_pace(args, baton)
        bar = ProgressBar()
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
    if not args.dry_run:
        # Chunks that merged into known leads leave their new leads to the delivery worker
        # to settle (settling.py); settled here, the report counts them even with no server.
        while baton.settle_new_leads():
            pass
    print(render_report(report))
    planned = deliveries(report)
    if args.dry_run and too_slow(planned):
        print(f"Note: {pace_text(planned)} The import itself asks before it goes ahead.")
    return 1 if report.errors else 0


def _confirm_pace(args: argparse.Namespace, baton: Baton) -> None:
    """Ask before an import queues more handoffs than Slack delivers in a few minutes."""
    if not could_be_slow(CsvFile(args.file).lines):
        return
    forecast = import_csv(
        args.file, baton=baton, campaign=args.campaign, source=args.source, dry_run=True
    )
    planned = deliveries(forecast)
    if not too_slow(planned):
        return
    said = pace_text(planned)
    if not sys.stdin.isatty():
        raise CommandError(
            f"{said} Nothing was imported: run it again with --yes to import it all the same."
        )
    answer = input(f"{said}\nImport it? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise CommandError("Nothing was imported.")


def route(settings: Settings, args: argparse.Namespace) -> int:
    baton, version = with_live_definition(build_baton(settings))
    if version is not None:
        print(f"Qualified by version {version} of the lead definition, the live one.")
    if args.file.suffix.lower() in (".csv", ".tsv", ".txt"):
        try:
            rows = CsvFile(args.file)
            tally = tally_csv(
                rows,
                config=baton.config,
                clock=baton.clock,
                campaign=args.campaign,
                source=args.source,
            )
        except CsvImportError as error:
            raise CommandError(str(error)) from None
        print("\n".join(tally_lines(args.file.name, tally, baton.config)))
        return 1 if tally.problems else 0
    try:
        document = read_json(args.file.read_bytes())
    except OSError as error:
        raise CommandError(f"{args.file}: {error}") from None
    except NotJson as error:
        raise CommandError(f"{args.file} {error}") from None
    if isinstance(document, list) or (isinstance(document, dict) and "leads" in document):
        raw = document if isinstance(document, list) else document["leads"]
        if not isinstance(raw, list):
            raise CommandError(f"{args.file}: “leads” must be a list of leads")
        if len(raw) > 1:
            tally = tally_json(raw, baton.config)
            print("\n".join(tally_lines(args.file.name, tally, baton.config)))
            return 1 if tally.problems else 0
    else:
        raw = [document]
    lines, ok = explain_routes(raw, baton.config)
    print("\n".join(lines))
    return 0 if ok else 1


def show_lead(settings: Settings, args: argparse.Namespace) -> int:
    short_id = parse_short_id(args.id)
    if short_id is None:
        raise CommandError(f"“{args.id}” is not a lead id (they look like L-7K3Q9)")
    text = describe_lead(open_baton(settings), short_id)
    if text is None:
        raise CommandError(f"there is no lead {short_id}")
    print(text)
    return 0


def leads_list(settings: Settings, args: argparse.Namespace) -> int:
    print(list_leads(open_baton(settings), status=args.status, limit=args.limit))
    return 0
