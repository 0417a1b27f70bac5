"""`baton rules`: the lead definition's versions, proposing a change, and backtesting one."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bot.commands.common import CommandError, Subcommands, UsageError, command, day, open_baton
from bot.domain.definitions import rules_data, rules_of
from bot.domain.periods import PeriodError, between
from bot.domain.proposals import (
    COMMAND_LINE,
    NothingToChange,
    NotOnATeam,
    ReasonNeeded,
    RulesError,
)
from bot.rules_output import backtest_json, backtest_text, history_text, proposal_text, who
from bot.services.report import period_bounds
from bot.services.rules import backtest_rules, propose_rules
from config.model import load_lead_definition
from config.settings import Settings


def add(commands: Subcommands) -> None:
    rules = command(
        commands, "rules", usage, "the lead definition: its versions, proposals and backtests"
    )
    actions = rules.add_subparsers(title="actions", metavar="ACTION")
    propose = command(
        actions,
        "propose",
        propose_command,
        "propose the lead definition in FILE (a `lead_definition:` section as in the config "
        "file) as the next version; marketing and a sales manager approve it in Slack",
    )
    propose.add_argument("file", type=Path, metavar="FILE.yaml")
    propose.add_argument("--why", required=True, help="why the definition should change")
    propose.add_argument(
        "--by",
        metavar="SLACK_USER_ID",
        help="the proposer: a marketing user or a sales manager of the config file, whose "
        "side then counts as approved; without it both sides must approve",
    )
    command(
        actions,
        "history",
        history_command,
        "every version, the live one first, and the open proposal",
    )
    backtest = command(
        actions,
        "backtest",
        backtest_command,
        "what the lead definition in FILE would have done to the leads of a period, beside "
        "what the live version did",
    )
    backtest.add_argument("file", type=Path, metavar="FILE.yaml")
    backtest.add_argument(
        "--since", type=day, metavar="DATE", help="leads received from this day (UTC)"
    )
    backtest.add_argument(
        "--until", type=day, metavar="DATE", help="leads received up to this day, included"
    )
    backtest.add_argument("--json", action="store_true", help="every figure as JSON, for tools")


def usage(settings: Settings, args: argparse.Namespace) -> int:
    raise UsageError(
        "say what to do: `baton rules history`, `propose FILE.yaml --why …` or `backtest FILE.yaml`"
    )


def propose_command(settings: Settings, args: argparse.Namespace) -> int:
    rules = rules_of(load_lead_definition(args.file))
    if not args.why.strip():
        raise UsageError("--why is empty: say why the definition should change; both teams read it")
    baton = open_baton(settings)
    teams = baton.teams
    proposer = args.by or COMMAND_LINE
    if args.by is not None and not teams.sides_of(args.by):
        raise UsageError(
            f"--by {args.by} is neither a marketing user nor a sales manager (a region's manager "
            "or backup, or a triage decider) in the config file; name one, or leave --by out "
            "so that both sides approve"
        )
    baton.live_definition()  # the config file's definition is version 1 if none is stored
    try:
        proposal = propose_rules(
            rules,
            why=args.why,
            by=proposer,
            config=baton.config,
            uow_factory=baton.uow_factory,
            clock=baton.clock,
        )
    except (NothingToChange, NotOnATeam, ReasonNeeded) as error:
        raise UsageError(plain(str(error))) from None
    except RulesError as error:  # another proposal is open
        raise CommandError(plain(str(error))) from None
    if proposal is None:
        raise AssertionError("a proposal from the command line is never a repeat")
    baton.outbox_changed()
    print(f"Proposal {proposal.id} is stored, proposed by {who(proposal.proposed_by)}.")
    print(proposal_text(proposal))
    print("Marketing and the regional managers approve or reject it in Slack (`/lead rules`).")
    return 0


def plain(message: str) -> str:
    """A refusal worded for Slack, for a terminal: a mention becomes the user's id."""
    return re.sub(r"<@([A-Z0-9]+)>", r"\1", message)


def history_command(settings: Settings, args: argparse.Namespace) -> int:
    baton = open_baton(settings)
    baton.live_definition()
    reader = baton.rules_reader
    sys.stdout.write(history_text(reader.history(), reader.proposals(limit=5)))
    return 0


def backtest_command(settings: Settings, args: argparse.Namespace) -> int:
    rules = rules_of(load_lead_definition(args.file))
    try:
        since, until = period_bounds(between(args.since, args.until), "UTC")
    except PeriodError as error:
        raise UsageError(str(error)) from None
    baton = open_baton(settings)
    live = baton.live_definition()
    result = backtest_rules(
        rules,
        live=live,
        reader=baton.backtest_reader,
        currency=baton.config.currency,
        since=since,
        until=until,
    )
    if args.json:
        sys.stdout.write(backtest_json(result, live=live.number, rules=rules_data(rules)))
    else:
        sys.stdout.write(backtest_text(result, live=live.number))
    return 0
