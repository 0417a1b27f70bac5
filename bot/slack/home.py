"""The App Home tab: what waits for a manager's decision, a rep's open leads, and their week."""

from __future__ import annotations

from typing import Any

from bot.services.desk import Desk
from bot.slack import blockkit as kit
from bot.slack.ids import ActionId, LeadRef
from bot.slack.lines import lead_line, waiting_line, week_text

SHOWN = 40  # a Home tab holds at most 100 blocks


def home_view(desk: Desk) -> dict[str, Any]:
    """The Home tab of `desk.user`, oldest waiting lead and most urgent open lead first."""
    blocks: list[dict[str, Any]] = [kit.header("Your leads")]
    if desk.week is not None and (desk.is_rep or desk.is_decider):
        blocks.append(
            kit.context(
                week_text(
                    desk.week, rep=desk.is_rep, decider=desk.is_decider, currency=desk.currency
                )
            )
        )
    if desk.is_decider:
        blocks.append(kit.section(f"*Waiting for your decision* ({desk.waiting_total})"))
        if not desk.waiting:
            blocks.append(kit.context("Nothing waits for your decision."))
        blocks += [kit.section(waiting_line(line, desk)) for line in desk.waiting[:SHOWN]]
        blocks += _more(desk.waiting_total)
    if desk.is_rep:
        overdue = sum(1 for line in desk.mine if desk.overdue(line))
        head = f"*Your open leads* ({len(desk.mine)}" + (
            f", {overdue} overdue)" if overdue else ")"
        )
        blocks.append(kit.section(head))
        if not desk.mine:
            blocks.append(kit.context("No open leads right now."))
        for line in desk.mine[:SHOWN]:
            block = kit.section(lead_line(line, desk))
            ref = LeadRef(lead=line.short_id, round=line.handoff_round)
            block["accessory"] = kit.button("Log outcome…", ActionId.LOG_OUTCOME, ref.dumps())
            blocks.append(block)
        blocks += _more(len(desk.mine))
    if not (desk.is_rep or desk.is_decider):
        blocks.append(kit.section("Nothing waits for you here."))
    blocks.append(kit.context("`/lead mine` · `/lead help` · `/lead rules`"))
    return {"type": "home", "blocks": blocks}


def _more(total: int) -> list[dict[str, Any]]:
    return [kit.context(f"and {total - SHOWN} more: `/lead mine`")] if total > SHOWN else []
