"""`baton jobs list` and `baton jobs run NAME`: the scheduled jobs, and one pass of one."""

from __future__ import annotations

import argparse

from bot.commands.common import CommandError, Subcommands, command, moment, open_baton
from bot.jobs.drain import deliver_queued
from bot.jobs.listing import jobs_table
from bot.jobs.passes import JOBS, run_job
from config.settings import Settings


def add(commands: Subcommands) -> None:
    jobs = command(
        commands, "jobs", jobs_command, "scheduled jobs: `baton jobs list`, `baton jobs run NAME`"
    )
    jobs.add_argument("action", choices=["list", "run"])
    jobs.add_argument("name", nargs="?", help="the job to run (see `baton jobs list`)")
    jobs.add_argument(
        "--now", type=moment, help="run as of this time, ISO-8601 (UTC when it has no offset)"
    )
    jobs.add_argument(
        "--deliver",
        action="store_true",
        help="deliver the Slack work now from this process (needs SLACK_BOT_TOKEN)",
    )


def jobs_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "run" and args.deliver:
        settings.require("baton jobs run --deliver", "SLACK_BOT_TOKEN")
    baton = open_baton(settings, create_embedded=True)
    if args.action == "list":
        print(jobs_table(baton.job_runs.all(), now=baton.clock.now()))
        return 0
    if args.name not in JOBS:
        named = f"no job named “{args.name}”" if args.name else "name the job to run"
        raise CommandError(f"{named}: one of {', '.join(JOBS)}")
    result = run_job(baton, args.name, now=args.now)
    print(f"{args.name} as of {result.as_of.isoformat()}: {result.summary()}")
    if args.deliver:
        left = deliver_queued(baton)
        print("Slack work delivered." if not left else f"Still queued for Slack: {left}.")
    elif result.fired:
        print("The serving process delivers the Slack messages (or run again with --deliver).")
    return 0
