"""`baton crm check` and `baton crm backfill --since DATE [--dry-run]`: the CRM bridge."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time

from bot.app import Baton
from bot.commands.common import CommandError, ProgressBar, Subcommands, command, day, open_baton
from bot.crm.check import check_crm
from bot.crm.people import slack_emails
from bot.crm.provider import CrmClient
from bot.crm.sync import backfill
from bot.runtime import web_client
from bot.services.dry_run import dry
from config.model import BatonConfig
from config.settings import Settings


def add(commands: Subcommands) -> None:
    crm = command(
        commands,
        "crm",
        crm_command,
        "the CRM bridge: `baton crm check`, `baton crm backfill --since DATE [--dry-run]`",
    )
    crm.add_argument("action", choices=["check", "backfill"])
    crm.add_argument(
        "--since", type=day, help="backfill: take in records changed on or after this day"
    )
    crm.add_argument(
        "--dry-run", action="store_true", help="backfill: say what it would take in; store nothing"
    )


def crm_command(settings: Settings, args: argparse.Namespace) -> int:
    baton = open_baton(settings, create_embedded=True)
    crm = baton.crm
    if crm is None:
        raise CommandError("there is no `crm:` section in the config: add `crm: {provider: …}`")
    if args.action == "check":
        return crm_check(baton, crm)
    if args.since is None:
        raise CommandError("backfill needs --since DATE, such as --since 2026-01-01")
    return crm_backfill(baton, crm, since=args.since, dry_run=args.dry_run)


def crm_check(baton: Baton, crm: CrmClient) -> int:
    token = baton.settings.slack_bot_token
    results = check_crm(
        crm,
        webhook_secret_set=baton.settings.hubspot_client_secret is not None,
        people=configured_people(baton.config),
        email_of=slack_emails(web_client(baton)) if token else None,
    )
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'}  {result.what}: {result.detail}")
    failed = sum(1 for result in results if not result.ok)
    print(f"{crm.rules.label}: " + (f"{failed} to fix" if failed else "ready"))
    return 1 if failed else 0


def crm_backfill(baton: Baton, crm: CrmClient, *, since: date, dry_run: bool) -> int:
    start = datetime.combine(since, time(0), UTC)
    bar = ProgressBar()
    counts = backfill(
        crm=crm,
        routing=baton.routing,
        uow_factory=dry(baton.unit_of_work) if dry_run else baton.unit_of_work,
        clock=baton.clock,
        since=start,
        progress=bar,
    )
    bar.done()
    said = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing changed"
    if dry_run:
        print(f"Dry run, nothing stored: {said} since {start:%Y-%m-%d}.")
    else:
        print(f"{crm.rules.label} since {start:%Y-%m-%d}: {said}.")
        baton.outbox_changed()
    return 0


def configured_people(config: BatonConfig) -> set[str]:
    """Everyone the config names: each may own, decide on or touch a lead."""
    people = set(config.marketing.users) | set(config.triage.deciders)
    for region in config.regions:
        people |= {region.manager, *region.reps, *([region.backup] if region.backup else [])}
    return people
