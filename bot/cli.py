"""The `baton` command: its subcommands come from `bot/commands`, a module per family."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from bot.commands import admin, crm, jobs, leads, report, rules, serving
from bot.commands.common import EXIT_USAGE, CommandError, UsageError
from bot.logs import configure_logging
from bot.services.ports import StorageUnavailable
from config.model import ConfigError
from config.settings import SettingsError, load_settings
from storage.db import SchemaError

FAMILIES = (serving, leads, admin, report, rules, jobs, crm)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        settings = load_settings()
        configure_logging(level=settings.log_level, log_format=settings.log_format)
        return args.run(settings, args) or 0
    except (SettingsError, ConfigError, SchemaError, StorageUnavailable, UsageError) as error:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="baton", description="Lead handoff and accountability in Slack."
    )
    parser.add_argument("--version", action="version", version=f"baton {baton_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for family in FAMILIES:
        family.add(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
