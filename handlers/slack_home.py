"""The App Home tab, published whenever its owner opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import home
from bot.slack.acks import answer_at_ack, run_service
from bot.slack.answers import publish_home
from bot.slack.payloads import SlackBody, read_home_opened
from handlers.slack_services import SlackServices


def register(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.event("app_home_opened")
    @answer_at_ack
    async def home_opened(body: SlackBody, client: AsyncWebClient) -> None:
        opened = read_home_opened(body)
        if opened.tab != "home":
            return  # the Messages tab
        view = await run_service(home_view, services, opened.user)
        await publish_home(client, opened.user, view)


def home_view(services: SlackServices, user: str) -> dict[str, Any]:
    """The Home tab of `user`; blocking."""
    return home.home_view(services.desk_of(user))
