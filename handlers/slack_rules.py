"""Listeners for the lead definition: a proposal's Approve and Reject… buttons, the reject
modal, and the propose modal that `/lead rules propose` opens."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.definitions import Rules, rules_of
from bot.domain.proposals import Approve, Reject
from bot.slack import blocks, blocks_rules
from bot.slack.acks import answer_at_ack, run_service
from bot.slack.answers import open_modal, tell
from bot.slack.ids import ActionId, ProposalRef, ProposeRef
from bot.slack.payloads import Asker, FormValues, SlackBody, read_click, read_submission
from config.model import ConfigError, lead_definition_of
from handlers.slack_services import SlackServices

NEEDS_REASON = "Say why you reject it: the proposer and both teams are told."
NEEDS_WHY = "Say why the definition should change: both teams read it first."
RULES_NAME = "The rules"


def register(bolt: AsyncApp, services: SlackServices) -> None:
    register_decisions(bolt, services)
    register_propose(bolt, services)


def register_decisions(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.action(ActionId.RULES_APPROVE)
    @answer_at_ack
    async def approve_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        click = read_click(body, ProposalRef.loads)
        change = await run_service(
            services.decide_rules, click.ref.proposal, Approve(), actor=click.asker.user
        )
        if change is None:
            return
        services.outbox_changed()
        answer = blocks_rules.decided_answer(change.proposal, change.event.kind)
        await tell(client, click.asker, blocks.ephemeral(answer))

    @bolt.action(ActionId.RULES_REJECT)
    @answer_at_ack
    async def reject_clicked(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        click = read_click(body, ProposalRef.loads)
        proposal = await run_service(
            services.check_rules_decider, click.ref.proposal, click.asker.user
        )
        modal = blocks_rules.reject_modal(proposal, channel=click.asker.channel)
        await open_modal(client, click.trigger_id, modal)

    @bolt.view(ActionId.RULES_REJECT_MODAL)
    @answer_at_ack
    async def reject_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, ProposalRef.loads)
        reason = sent.values.text(ActionId.REASON_BLOCK, ActionId.REASON_INPUT)
        if not reason:
            await ack(**blocks.modal_errors({ActionId.REASON_BLOCK: NEEDS_REASON}))
            return
        await ack()
        change = await run_service(
            services.decide_rules,
            sent.ref.proposal,
            Reject(reason),
            actor=sent.asker.user,
            request_key=f"view:{sent.request_id}",
        )
        if change is None:
            return  # the same form again: it was answered the first time
        services.outbox_changed()
        answer = blocks_rules.decided_answer(change.proposal, change.event.kind)
        asker = Asker(sent.asker.user, sent.ref.channel)
        await tell(client, asker, blocks.ephemeral(answer))


def register_propose(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.view(ActionId.RULES_PROPOSE_MODAL)
    @answer_at_ack
    async def propose_submitted(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        sent = read_submission(body, ProposeRef.loads)
        rules, why, errors = proposal_values(sent.values)
        if rules is None or errors:
            await ack(**blocks.modal_errors(errors))
            return
        await ack()
        proposal = await run_service(
            services.propose_rules,
            rules,
            why=why,
            by=sent.asker.user,
            request_key=f"view:{sent.request_id}",
        )
        if proposal is None:
            return  # the same form again: it was answered the first time
        services.outbox_changed()
        asker = Asker(sent.asker.user, sent.ref.channel)
        await tell(client, asker, blocks.ephemeral(blocks_rules.proposed_answer(proposal)))


def proposal_values(values: FormValues) -> tuple[Rules | None, str, dict[str, str]]:
    """The proposed rules and why, or what to fix under each input."""
    errors: dict[str, str] = {}
    text = values.text(ActionId.RULES_TEXT_BLOCK, ActionId.RULES_TEXT_INPUT) or ""
    why = values.text(ActionId.RULES_WHY_BLOCK, ActionId.RULES_WHY_INPUT) or ""
    rules = None
    try:
        rules = rules_of(lead_definition_of(text, name=RULES_NAME))
    except ConfigError as error:
        errors[ActionId.RULES_TEXT_BLOCK] = "; ".join(
            problem.removeprefix(f"{RULES_NAME}: ") for problem in error.problems
        )[:300]
    if not why:
        errors[ActionId.RULES_WHY_BLOCK] = NEEDS_WHY
    return rules, why, errors


async def open_propose_form(
    client: AsyncWebClient, services: SlackServices, trigger_id: str, asker: Asker
) -> None:
    """The propose modal, prefilled with the live rules, once `asker` may propose now."""
    modal = await run_service(propose_modal, services, asker)
    await open_modal(client, trigger_id, modal)


def propose_modal(services: SlackServices, asker: Asker) -> dict[str, Any]:
    live = services.propose_form(asker.user)
    return blocks_rules.propose_modal(live, ProposeRef(channel=asker.channel))
