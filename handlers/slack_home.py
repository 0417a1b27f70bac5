"""The App Home tab, published whenever its owner opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.app import Baton
from bot.services import desk
from bot.slack import home
from bot.slack.bolt import answer_at_ack, run_service

log = logging.getLogger(__name__)


def register(bolt: AsyncApp, baton: Baton) -> None:
    @bolt.event("app_home_opened")
    @answer_at_ack
    async def home_opened(event, client) -> None:  # type: ignore[no-untyped-def]
        if event.get("tab") != "home":
            return  # the Messages tab
        user = event["user"]

        def build() -> dict[str, Any]:
            mine = desk.desk(user, reader=baton.reader, config=baton.config, clock=baton.clock)
            return home.home_view(mine)

        try:
            view = await run_service(build)
        except Exception:
            log.exception("building the Home tab of %s failed", user)
            raise
        await client.views_publish(user_id=user, view=view)
