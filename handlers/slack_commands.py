"""The `/lead` slash command: read the text, run one service in a thread, answer ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import desk
from bot.services.outcomes import OutcomeEntry
from bot.slack import blocks_rep, blocks_rules
from bot.slack import lead_command as cmd
from bot.slack.acks import answer_at_ack, run_service
from bot.slack.answers import tell
from bot.slack.payloads import SlackBody, read_command
from bot.slack.submissions import ReassignValues
from handlers.slack_outcomes import open_outcome_form
from handlers.slack_reassign import reassign
from handlers.slack_report import report_answer
from handlers.slack_rules import open_propose_form
from handlers.slack_services import SlackServices

CHANGES = (cmd.Log, cmd.Undo, cmd.Reassign)


def register(bolt: AsyncApp, services: SlackServices) -> None:
    @bolt.command("/lead")
    @answer_at_ack
    async def lead(ack: AsyncAck, body: SlackBody, client: AsyncWebClient) -> None:
        await ack()
        sent = read_command(body)
        command = cmd.parse(sent.text)
        if isinstance(command, cmd.OpenLogForm):
            await open_outcome_form(client, services, sent.trigger_id, command.short_id, sent.asker)
            return
        if isinstance(command, cmd.ProposeRules):
            await open_propose_form(client, services, sent.trigger_id, sent.asker)
            return
        # A command Slack delivers twice carries the same trigger_id: it changes a lead once.
        key = f"trigger:{sent.trigger_id}"
        message = await run_service(answer, services, command, sent.asker.user, request_key=key)
        if isinstance(command, CHANGES):
            services.outbox_changed()
        if message is not None:
            await tell(client, sent.asker, message)


def answer(
    services: SlackServices, command: cmd.LeadCommand, user: str, *, request_key: str
) -> dict[str, Any] | None:
    """Run the command's service and say what it did (None: a repeat, already answered)."""
    config = services.config
    match command:
        case cmd.Help():
            return blocks_rep.help_message()
        case cmd.Rules():
            regions = [(r.name, r.timezone, ", ".join(r.working_hours)) for r in config.regions]
            view = services.rules_overview()
            agreed = blocks_rep.rules_message(view.live.rules, config.sla, regions=regions)
            return blocks_rules.overview_message(view, agreed)
        case cmd.Mine():
            return blocks_rep.mine_message(services.desk_of(user, week=False))
        case cmd.Show(short_id):
            detail = services.show_lead(short_id)
            zones = desk.zones(config)
            return blocks_rep.show_message(detail, zones=zones, currency=config.currency)
        case cmd.Find(text):
            return blocks_rep.find_message(text, services.find_leads(text))
        case cmd.Undo(short_id):
            undone = services.undo_outcome(short_id, actor=user, request_key=request_key)
            return None if undone.repeated else blocks_rep.undone_message(undone)
        case cmd.Log():
            entry = OutcomeEntry(
                outcome=command.outcome,
                amount=command.amount,
                currency=command.currency,
                notes=command.notes,
                next_step=command.next_step,
                return_reason=command.return_reason,
            )
            logged = services.log_outcome(
                command.short_id, entry, actor=user, request_key=request_key
            )
            return (
                None
                if logged.repeated
                else blocks_rep.logged_message(logged, currency=config.currency)
            )
        case cmd.Reassign(short_id, rep_id, note):
            form = ReassignValues(rep_id, note)
            return reassign(services, short_id, form, user, request_key)
        case cmd.Report(words):
            return report_answer(words, user=user, services=services)
    raise AssertionError(f"unhandled /lead command: {command!r}")
