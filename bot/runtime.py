"""Baton's background work in a serving process: the outbox worker."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.app import Baton
from bot.slack.bolt import slack_api_url
from bot.slack.delivery import Deliverer
from storage.outbox import SqlOutbox


def web_client(baton: Baton) -> WebClient:
    """A Slack client whose calls are never retried behind the outbox's back."""
    token = baton.settings.slack_bot_token
    return WebClient(
        token=token.get_secret_value() if token else None,
        base_url=slack_api_url(baton),
        timeout=15,
        retry_handlers=[],
    )


def start_delivery(baton: Baton) -> Deliverer:
    deliverer = Deliverer(
        outbox=SqlOutbox(baton.database),
        client=web_client(baton),
        config=baton.config,
        clock=baton.clock,
    )
    baton.outbox_listeners.append(deliverer.wake.set)
    deliverer.start()
    return deliverer
