"""`baton serve` and `baton socket`: Baton with its outbox worker and scheduled jobs."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from bot.app import Baton
from bot.commands.common import CommandError, Subcommands, command, open_baton
from bot.crm_app import start_crm_work
from bot.jobs.scheduler import Scheduler, SchedulerRefused, start_scheduler
from bot.runtime import settle_for_serving, start_delivery
from config.settings import Settings


def add(commands: Subcommands) -> None:
    command(commands, "serve", serve, "HTTP mode: Slack events, intake API, health and metrics")
    command(commands, "socket", socket, "Socket Mode, for a workspace with no public URL")


def serve(settings: Settings, args: argparse.Namespace) -> int:
    settings.require("baton serve", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    # Imported here: the web server and Bolt are only needed by the serving commands.
    import uvicorn

    from bot.slack_app import build_bolt
    from bot.web import create_web_app

    with serving(settings) as baton:
        app = create_web_app(baton, build_bolt(baton))
        settle_for_serving()
        # No log config of uvicorn's own: its lines go through Baton's formatter.
        uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)
    return 0


def socket(settings: Settings, args: argparse.Namespace) -> int:
    settings.require("baton socket", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.slack_app import build_bolt

    app_token = settings.slack_app_token.get_secret_value()  # type: ignore[union-attr]  # required above
    with serving(settings) as baton:
        bolt = build_bolt(baton)
        settle_for_serving()
        # Bolt's Socket Mode adapter has no annotations on start_async.
        asyncio.run(AsyncSocketModeHandler(bolt, app_token).start_async())  # type: ignore[no-untyped-call]
    return 0


@contextmanager
def serving(settings: Settings) -> Iterator[Baton]:
    """Baton with its scheduled jobs and outbox worker running, for as long as it serves."""
    baton = open_baton(settings, create_embedded=True, wait=True)
    baton.live_definition()  # the config file's lead definition is version 1 if none is stored
    scheduler = scheduler_for(baton)
    deliverer = start_delivery(baton)
    crm_work = start_crm_work(baton)
    try:
        yield baton
    finally:
        if crm_work is not None:
            crm_work.stop()
        deliverer.stop()
        scheduler.stop()


def scheduler_for(baton: Baton) -> Scheduler:
    try:
        return start_scheduler(baton)
    except SchedulerRefused as error:
        raise CommandError(str(error)) from None
