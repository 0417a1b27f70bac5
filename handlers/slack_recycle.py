"""Listeners for marketing's choices on a returned lead's notice: Send back to sales…, Keep
nurturing, Ask why…, and their modals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.recycle import Chosen
from bot.slack import blocks, blocks_recycle
from bot.slack.acks import answer_at_ack, run_service
from bot.slack.answers import tell
from bot.slack.ids import ActionId, LeadRef
from bot.slack.payloads import Asker, SlackBody, read_click, read_submission
from bot.slack.submissions import question_value, reroute_values
from handlers.slack_services import SlackServices, open_lead_modal

NEEDS_NOTE = "Say why it deserves another look: the note goes to sales."
NEEDS_QUESTION = "Ask something: it goes to whoever returned the lead."


def register(bolt: AsyncApp, services: SlackServices) -> None:
    register_send_back(bolt, services)
    register_keep_and_ask(bolt, services)


def register_send_back(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.action(ActionId.SEND_BACK)
    @answer_at_ack
    async def send_back_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        await open_lead_modal(client, body, services, send_back_modal)

    @bolt.view(ActionId.SEND_BACK_MODAL)
    @answer_at_ack
    async def send_back_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, LeadRef.loads)
        form = reroute_values(sent.values)
        if not form.note:
            await ack(**blocks.modal_errors({ActionId.NOTE_BLOCK: NEEDS_NOTE}))
            return
        await ack()
        key = f"view:{sent.request_id}"
        choose = services.send_back
        fields = {"region": form.region, "note": form.note}
        await chosen(client, services, choose, sent.ref.lead, sent.asker, key, fields)


def register_keep_and_ask(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.action(ActionId.KEEP_NURTURING)
    @answer_at_ack
    async def keep_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        click = read_click(body, LeadRef.loads)
        key = f"keep:{click.ref.lead}:{click.trigger_id}"
        await chosen(
            client, services, services.keep_nurturing, click.ref.lead, click.asker, key, {}
        )

    @bolt.action(ActionId.ASK_WHY)
    @answer_at_ack
    async def ask_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        await open_lead_modal(client, body, services, ask_why_modal)

    @bolt.view(ActionId.ASK_WHY_MODAL)
    @answer_at_ack
    async def ask_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, LeadRef.loads)
        question = question_value(sent.values)
        if not question:
            await ack(**blocks.modal_errors({ActionId.QUESTION_BLOCK: NEEDS_QUESTION}))
            return
        await ack()
        key = f"view:{sent.request_id}"
        fields = {"question": question}
        await chosen(client, services, services.ask_why, sent.ref.lead, sent.asker, key, fields)


async def chosen(
    client: AsyncWebClient,
    services: SlackServices,
    choose: Callable[..., Chosen],
    short_id: str,
    asker: Asker,
    key: str,
    fields: dict[str, Any],
) -> None:
    """Carry out marketing's choice and tell the marketer what was done (once)."""
    done = await run_service(choose, short_id, actor=asker.user, request_key=key, **fields)
    services.outbox_changed()
    if not done.repeated:
        await tell(client, asker, blocks_recycle.answer(done.said))


def send_back_modal(services: SlackServices, short_id: str, user: str) -> dict[str, Any]:
    """The Send back to sales modal, once `user` may choose for the lead; blocking."""
    form = services.choice_form(short_id, user)
    return blocks_recycle.send_back_modal(services.lead_view(form.lead_id), regions=form.regions)


def ask_why_modal(services: SlackServices, short_id: str, user: str) -> dict[str, Any]:
    """The Ask why modal, once `user` may choose for the lead; blocking."""
    form = services.choice_form(short_id, user)
    view = services.lead_view(form.lead_id)
    return blocks_recycle.ask_why_modal(view, to=form.returned_by)
