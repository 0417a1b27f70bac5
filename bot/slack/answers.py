"""Answers to the person who acted, and Baton's one error handler for Slack's listeners.

What a person is shown goes through here: a message only they see (ephemeral where they
acted, else a DM), a modal opened, their Home tab published. So does what went wrong: a
LeadError says what to do instead, a store that refused a write says nothing was changed,
a request that cannot be read is refused, and anything else is logged and said to be.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.lead import LeadError
from bot.services.ports import StorageUnavailable
from bot.slack import blocks
from bot.slack.api_errors import error_code, fix_for
from bot.slack.payloads import Asker, PayloadError, SlackBody, asker_of

log = logging.getLogger(__name__)
# What a call to Slack raises when no answer came: the network, a timeout, aiohttp.
UNREACHABLE = (SlackClientError, OSError, aiohttp.ClientError, asyncio.TimeoutError)
PROBLEM = "Baton hit a problem with that and has logged it; please try again in a minute."


async def tell(client: AsyncWebClient, asker: Asker, message: dict[str, Any]) -> None:
    """Show `message` to the asker alone: ephemeral where they acted, or a DM when that
    cannot be."""
    if asker.channel:
        try:
            await client.chat_postEphemeral(channel=asker.channel, user=asker.user, **message)
            return
        except SlackApiError as error:
            # Baton is not in every channel a command is typed in; a DM always reaches them.
            log.info(
                "no ephemeral in %s for %s: %s", asker.channel, asker.user, _slack_error(error)
            )
    try:
        await client.chat_postMessage(channel=asker.user, **message)
    except SlackApiError as error:
        log.warning("could not answer %s: %s", asker.user, _slack_error(error))
    except UNREACHABLE as error:
        log.warning("could not answer %s: Slack unreachable: %s", asker.user, _network(error))


async def open_modal(client: AsyncWebClient, trigger_id: str, modal: dict[str, Any]) -> None:
    await client.views_open(trigger_id=trigger_id, view=modal)


async def publish_home(client: AsyncWebClient, user: str, view: dict[str, Any]) -> None:
    await client.views_publish(user_id=user, view=view)


def storage_problem(error: StorageUnavailable) -> str:
    """What a person is told when the store refused their action: nothing of it was kept."""
    return (
        f"Baton could not save that ({error}). Nothing was changed; please try again in a minute."
    )


async def answer_error(
    error: Exception,
    body: SlackBody,
    client: AsyncWebClient,
    response: BoltResponse | None = None,
) -> BoltResponse | None:
    """Tell the person who acted what went wrong; Bolt's error handler for every listener.

    Bolt calls it for a failure before the listener acked, with Slack's answer (`response`,
    a 500 so far) still to give: a request that cannot be read is then refused with a 400.
    `answer_at_ack` calls it for a failure after the ack, with no answer to give.
    """
    if isinstance(error, PayloadError):
        log.warning("refused %s: %s", _described(body), error)
        if response is not None:
            return BoltResponse(status=400, body={"error": f"Baton could not read that: {error}"})
        text = f"Baton could not read that: {error}. Nothing was changed."
    elif isinstance(error, LeadError):
        text = str(error)
    elif isinstance(error, StorageUnavailable):
        log.warning("%s not stored: %s", _described(body), error)
        text = storage_problem(error)
    elif isinstance(error, SlackApiError):
        code = error_code(error)
        log.warning(
            "%s: Slack refused %s: %s — %s",
            _described(body),
            _method(error),
            code,
            fix_for(code),
            extra={"method": _method(error), "error": code, "fix": fix_for(code)},
        )
        text = PROBLEM
    elif isinstance(error, UNREACHABLE):
        # Expected when Slack or the network is down: one line, no traceback.
        log.warning("%s: Slack unreachable: %s", _described(body), _network(error))
        text = PROBLEM
    else:
        log.error("%s failed", _described(body), exc_info=error)
        text = PROBLEM
    asker = asker_of(body)
    if asker is not None:
        await tell(client, asker, blocks.ephemeral(text))
    return None


def _method(error: SlackApiError) -> str:
    """The Web API method a refused call was to, from the URL it was sent to."""
    url = str(getattr(error.response, "api_url", "") or "")
    return url.rstrip("/").rsplit("/", 1)[-1] or "a Slack call"


def _network(error: BaseException) -> str:
    return str(getattr(error, "reason", None) or error) or type(error).__name__


def _described(body: SlackBody) -> str:
    """What the request was and who sent it, for the log: its command, button or form, with
    the lead it names."""
    asker = asker_of(body)
    who = f" by {asker.user}" if asker else ""
    view, actions, event = body.get("view"), body.get("actions"), body.get("event")
    if isinstance(body.get("command"), str):
        return f"{body['command']} {str(body.get('text'))[:60]}{who}"
    if body.get("type") == "view_submission" and isinstance(view, dict):
        return f"form {view.get('callback_id')} {str(view.get('private_metadata'))[:80]}{who}"
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        action = actions[0]
        return f"click {action.get('action_id')} {str(action.get('value'))[:80]}{who}"
    kind = event.get("type") if isinstance(event, dict) else body.get("type")
    return f"event {kind}{who}"


def _slack_error(error: SlackApiError) -> Any:
    return error.response.get("error")
