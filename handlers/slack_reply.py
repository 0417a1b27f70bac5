"""Answers only the asker sees: ephemeral where they asked, else a DM from Baton."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.lead import LeadError
from bot.services.ports import StorageUnavailable
from bot.slack import blocks
from bot.slack.bolt import run_service

log = logging.getLogger(__name__)
PROBLEM = "Baton hit a problem with that and has logged it; please try again in a minute."


def storage_problem(error: StorageUnavailable) -> str:
    """What a person is told when the store refused their action: nothing of it was kept."""
    return (
        f"Baton could not save that ({error}). Nothing was changed; please try again in a minute."
    )


async def tell(
    client: AsyncWebClient, user: str, channel: str | None, message: dict[str, Any]
) -> None:
    """Show `message` to `user` alone: ephemeral in `channel`, or a DM when that cannot be."""
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, **message)
            return
        except SlackApiError as error:
            # Baton is not in every channel a command is typed in; a DM always reaches them.
            log.info("no ephemeral in %s for %s: %s", channel, user, error.response.get("error"))
    try:
        await client.chat_postMessage(channel=user, **message)
    except SlackApiError as error:
        log.warning("could not answer %s: %s", user, error.response.get("error"))


async def answer(
    client: AsyncWebClient,
    user: str,
    channel: str | None,
    work: Callable[[], dict[str, Any] | None],
    *,
    about: str,
) -> bool:
    """Run `work` in a thread and show its answer; a LeadError is shown as what to do instead.

    Returns whether `work` succeeded. Anything other than a LeadError is logged, the person
    is told something went wrong, and it is raised again.
    """
    try:
        message = await run_service(work)
    except LeadError as error:
        await tell(client, user, channel, blocks.ephemeral(str(error)))
        return False
    except StorageUnavailable as error:
        log.warning("%s for %s not stored: %s", about, user, error)
        await tell(client, user, channel, blocks.ephemeral(storage_problem(error)))
        return False
    except Exception:
        log.exception("%s failed for %s", about, user)
        await tell(client, user, channel, blocks.ephemeral(PROBLEM))
        raise
    if message is not None:
        await tell(client, user, channel, message)
    return True
