"""`baton jobs list`, `baton jobs run NAME` and `baton jobs start-from TIME`: the scheduled jobs,
one pass of one (or what it would do), and where the timers start from on a first deploy."""

from __future__ import annotations

import argparse

from bot.commands.common import CommandError, Subcommands, command, moment, open_baton
from bot.jobs.drain import deliver_queued
from bot.jobs.listing import jobs_table
from bot.jobs.passes import JOBS, dry_run_job, run_job
from bot.services.timers import PassResult, start_timers_from
from config.settings import Settings

REAL_RUN = (
    "This run was real: what fired is recorded and will not fire again, and its Slack messages "
    "are queued. Use --dry-run to see what a pass would fire without doing it."
)


def add(commands: Subcommands) -> None:
    jobs = command(
        commands,
        "jobs",
        jobs_command,
        "scheduled jobs: `baton jobs list`, `baton jobs run NAME`, `baton jobs start-from TIME`",
    )
    jobs.add_argument("action", choices=["list", "run", "start-from"])
    jobs.add_argument(
        "name",
        nargs="?",
        help="run: the job to run (see `baton jobs list`); start-from: an ISO-8601 time",
    )
    jobs.add_argument(
        "--now", type=moment, help="run as of this time, ISO-8601 (UTC when it has no offset)"
    )
    jobs.add_argument(
        "--dry-run",
        action="store_true",
        help="show what the pass would fire and for whom; record and send nothing",
    )
    jobs.add_argument(
        "--deliver",
        action="store_true",
        help="deliver the Slack work now from this process (needs SLACK_BOT_TOKEN)",
    )


def jobs_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.dry_run and args.deliver:
        raise CommandError("--dry-run sends nothing: leave out --deliver")
    if args.action == "run" and args.deliver:
        settings.require("baton jobs run --deliver", "SLACK_BOT_TOKEN")
    if args.action == "start-from":
        return start_from(settings, args.name)
    baton = open_baton(settings, create_embedded=True)
    if args.action == "list":
        print(jobs_table(baton.job_runs.all(), config=baton.config, now=baton.clock.now()))
        return 0
    if args.name not in JOBS:
        named = f"no job named “{args.name}”" if args.name else "name the job to run"
        raise CommandError(f"{named}: one of {', '.join(JOBS)}")
    if args.dry_run:
        result = dry_run_job(baton, args.name, now=args.now)
        print(
            f"{args.name} as of {result.as_of.isoformat()}, a dry run (nothing recorded or sent):"
        )
        print(f"would fire {result.summary()}" if result.fired else "nothing due")
        print("\n".join(plan_lines(result)))
        return 0
    result = run_job(baton, args.name, now=args.now)
    print(f"{args.name} as of {result.as_of.isoformat()}: {result.summary()}")
    if not result.fired:
        return 0
    print("\n".join([*plan_lines(result), REAL_RUN]))
    if args.deliver:
        left = deliver_queued(baton)
        print("Slack work delivered." if not left else f"Still queued for Slack: {left}.")
    else:
        print("The serving process delivers the Slack messages (or run again with --deliver).")
    return 0


def plan_lines(result: PassResult) -> list[str]:
    """One line per thing fired: on what, what, when it came due, and who hears of it."""
    lines = []
    for item in result.plan:
        due = f"  due {item.due_at:%Y-%m-%d %H:%M} UTC" if item.due_at else ""
        to = f"  → {', '.join(item.to)}" if item.to else ""
        lines.append(f"  {item.subject}  {item.what}{due}{to}")
    return lines


def start_from(settings: Settings, text: str | None) -> int:
    if not text:
        raise CommandError("name the time the timers start from, such as 2026-12-01T00:00Z")
    try:
        at = moment(text)
    except argparse.ArgumentTypeError as error:
        raise CommandError(str(error)) from None
    baton = open_baton(settings, create_embedded=True)
    jobs = start_timers_from(uow_factory=baton.uow_factory, clock=baton.clock, at=at)
    print(
        f"Timers start from {at.isoformat()}: nothing that came due before it fires "
        f"({', '.join(jobs)})."
    )
    return 0
