"""Slack saying Baton's token is gone: the app was uninstalled, or its bot token revoked.

Delivery pauses at once, with one line in the log and a state in `/healthz`, instead of
every queued message failing on its own; it resumes by itself once a token works again.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.acks import answer_at_ack
from bot.slack.payloads import SlackBody
from handlers.slack_services import SlackServices


def register(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.event("app_uninstalled")
    @answer_at_ack
    async def uninstalled(body: SlackBody, client: AsyncWebClient) -> None:
        services.token_gone(
            "Slack says Baton was uninstalled from the workspace", "app_uninstalled"
        )

    @bolt.event("tokens_revoked")
    @answer_at_ack
    async def revoked(body: SlackBody, client: AsyncWebClient) -> None:
        event = body.get("event") if isinstance(body, dict) else None
        tokens = event.get("tokens") if isinstance(event, dict) else None
        if isinstance(tokens, dict) and tokens.get("bot"):
            services.token_gone("Slack says the bot token was revoked", "token_revoked")
