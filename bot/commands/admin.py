"""Installing and checking Baton: `config check`, `db upgrade`, `demo`."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.admin import SlackUnusable, check_slack, check_token
from bot.app import Baton, build_baton
from bot.commands.common import EXIT_USAGE, Subcommands, command, stored_live
from bot.domain.definitions import file_check, rules_of
from bot.runtime import web_client
from bot.services.ports import StorageUnavailable
from config.settings import Settings
from storage.db import SchemaError, open_database


def add(commands: Subcommands) -> None:
    config = command(
        commands,
        "config",
        config_check,
        "`baton config check`: validate the config (and Slack, with a token)",
    )
    config.add_argument("action", choices=["check"])
    db = command(commands, "db", db_upgrade, "`baton db upgrade`: apply the schema migrations")
    db.add_argument("action", choices=["upgrade"])
    demo_command = command(
        commands, "demo", demo, "play a whole handoff story against a local Slack stand-in"
    )
    demo_command.add_argument(
        "--crm",
        choices=["hubspot"],
        help="the CRM scene: a HubSpot contact turned sales-ready, to the closed-won deal",
    )


def config_check(settings: Settings, args: argparse.Namespace) -> int:
    baton = build_baton(settings)
    config = baton.config
    print(
        f"{settings.baton_config}: OK ({len(config.regions)} regions, {len(config.campaigns)} campaigns)"
    )
    print("\n".join(definition_check(baton)))
    if settings.slack_bot_token is None:
        print("Set SLACK_BOT_TOKEN to also check the users and channels in Slack.")
        return 0
    client = web_client(baton)
    try:
        print(check_token(client, settings.slack_bot_token.get_secret_value()))
        problems = check_slack(config, client)
    except SlackUnusable as error:
        print(f"baton: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(
        "\n".join(problems)
        if problems
        else "Slack: every configured user and channel exists; Baton is in every channel."
    )
    return 1 if problems else 0


def definition_check(baton: Baton) -> list[str]:
    """Which version of the lead definition is live, and whether the file differs from it."""
    try:
        live = stored_live(baton)
    except (StorageUnavailable, SchemaError) as error:
        return [f"Lead definition: cannot read the live version from the database: {error}"]
    return file_check(rules_of(baton.config.lead_definition), live)


def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    database = open_database(
        settings.database_url, sqlite_cache_mib=settings.baton_sqlite_cache_mib
    )
    before = database.schema_revision()
    database.upgrade()
    print(f"database schema: {before or 'empty'} → {database.schema_revision()}")
    return 0


def demo(settings: Settings, args: argparse.Namespace) -> int:
    try:
        from baton_devkit.demo import run_demo
        from baton_devkit.demo_crm import run_crm_demo
    except ImportError:
        # The stand-in and the demo are development tools, kept out of a production install.
        print(
            "baton: `baton demo` needs Baton's development kit, which production installs "
            "leave out: from a checkout, `pip install -e ./devkit`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    logging.getLogger().setLevel(logging.WARNING)
    # The development kit is not type-checked with the product.
    shown: int = run_crm_demo() if getattr(args, "crm", None) else run_demo()
    return shown
