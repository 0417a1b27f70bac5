"""The `/lead` slash command: read the text, run one service in a thread, answer ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.app import Baton
from bot.services import desk, outcomes
from bot.slack import blocks, blocks_rep
from bot.slack import lead_command as cmd
from bot.slack.bolt import answer_at_ack
from handlers.slack_outcomes import open_outcome_form
from handlers.slack_reply import answer, tell
from handlers.slack_report import report_answer

CHANGES = (cmd.Log, cmd.Undo)


def register(bolt: AsyncApp, baton: Baton) -> None:
    answers = _Answers(baton)

    @bolt.command("/lead")
    @answer_at_ack
    async def lead(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        user, channel, text = body["user_id"], body.get("channel_id"), body.get("text") or ""
        try:
            command = cmd.parse(text)
        except cmd.CommandError as error:
            await tell(client, user, channel, blocks.ephemeral(str(error)))
            return
        if isinstance(command, cmd.OpenLogForm):
            await open_outcome_form(
                client, baton, body["trigger_id"], command.short_id, user, channel
            )
            return
        # A command Slack delivers twice carries the same trigger_id: it changes a lead once.
        key = f"trigger:{body['trigger_id']}"
        answered = await answer(
            client,
            user,
            channel,
            lambda: answers.answer(command, user, request_key=key),
            about=f"/lead {text[:60]}",
        )
        if answered and isinstance(command, CHANGES):
            baton.outbox_changed()


class _Answers:
    """Each `/lead` command's service, bound to this Baton, answering with a message."""

    def __init__(self, baton: Baton) -> None:
        self.baton = baton
        self.config = baton.config

    def answer(self, command: cmd.LeadCommand, user: str, *, request_key: str) -> Any:
        baton, config = self.baton, self.config
        match command:
            case cmd.Help():
                return blocks_rep.help_message()
            case cmd.Rules():
                regions = [(r.name, r.timezone, ", ".join(r.working_hours)) for r in config.regions]
                return blocks_rep.rules_message(config.lead_definition, config.sla, regions=regions)
            case cmd.Mine():
                mine = desk.desk(
                    user, reader=baton.reader, config=config, clock=baton.clock, week=False
                )
                return blocks_rep.mine_message(mine)
            case cmd.Show(short_id):
                detail = desk.show(short_id, reader=baton.reader)
                zones = desk.zones(config)
                return blocks_rep.show_message(detail, zones=zones, currency=config.currency)
            case cmd.Find(text):
                return blocks_rep.find_message(text, desk.find(text, reader=baton.reader))
            case cmd.Undo(short_id):
                undone = outcomes.undo_outcome(
                    short_id, actor=user, request_key=request_key, **self._writing()
                )
                return None if undone.repeated else blocks_rep.undone_message(undone)
            case cmd.Log():
                entry = outcomes.OutcomeEntry(
                    outcome=command.outcome,
                    amount=command.amount,
                    currency=command.currency,
                    notes=command.notes,
                    next_step=command.next_step,
                    return_reason=command.return_reason,
                )
                logged = outcomes.log_outcome(
                    command.short_id, entry, actor=user, request_key=request_key, **self._writing()
                )
                if logged.repeated:
                    return None
                return blocks_rep.logged_message(logged, currency=config.currency)
            case cmd.Report(words):
                return report_answer(words, user=user, baton=baton)
        raise AssertionError(f"unhandled /lead command: {command!r}")

    def _writing(self) -> dict[str, Any]:
        baton = self.baton
        return {
            "uow_factory": baton.unit_of_work,
            "config": baton.config,
            "clock": baton.clock,
        }
