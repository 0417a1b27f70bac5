"""The App Home tab: what waits for a manager's decision, a rep's open leads, and their week;
a manager's overdue feedback, leaked leads and reps' load; marketing's returned leads, touches
to make and the month's funnel; each with the buttons that act on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.domain.report import Report
from bot.domain.wording import counted
from bot.services.board import BOARD_SHOWN, Board, RepLoad
from bot.services.desk import Desk
from bot.services.records import LeadLine
from bot.slack import blockkit as kit
from bot.slack.ids import ActionId, LeadRef
from bot.slack.lines import lead_line, line_head, waiting_line, week_text

SHOWN = 40  # a Home tab holds at most 100 blocks
HOME_BLOCKS = 100
Block = dict[str, Any]


def home_view(desk: Desk) -> dict[str, Any]:
    """The Home tab of `desk.user`, oldest waiting lead and most urgent open lead first."""
    blocks: list[Block] = [kit.header("Your leads")]
    if desk.week is not None and (desk.is_rep or desk.is_decider):
        blocks.append(
            kit.context(
                week_text(
                    desk.week, rep=desk.is_rep, decider=desk.is_decider, currency=desk.currency
                )
            )
        )
    if desk.is_decider:
        blocks += _waiting(desk) + manager_board(desk.board, desk)
    if desk.is_rep:
        blocks += _mine(desk) + due_this_week(desk.board.due_this_week, desk)
    if desk.board.is_marketing:
        blocks += marketing_board(desk.board, desk)
    if not (desk.is_rep or desk.is_decider or desk.board.is_marketing):
        blocks.append(kit.section("Nothing waits for you here."))
    footer = kit.context("`/lead mine` · `/lead help` · `/lead rules`")
    if len(blocks) >= HOME_BLOCKS:
        blocks = [*blocks[: HOME_BLOCKS - 2], kit.context("More than fits here: `/lead mine`.")]
    return {"type": "home", "blocks": [*blocks, footer]}


def manager_board(board: Board, desk: Desk) -> list[Block]:
    """Feedback overdue in the manager's regions (Nudge, Reassign…), leaked leads, reps' load."""
    blocks = _acted_on(
        "Feedback overdue in your region",
        board.overdue,
        "Every rep's feedback is in.",
        lambda line: f"{lead_line(line, desk)} · {kit.who(line.rep_id)}",
        ("Nudge", ActionId.NUDGE),
        ("Reassign…", ActionId.REASSIGN),
        total=board.overdue_total,
    )
    if board.leaked:
        blocks.append(kit.section(f"*Leaked: no contact logged* ({board.leaked_total})"))
        for line in board.leaked[:BOARD_SHOWN]:
            block = kit.section(f"{line_head(line)} · {kit.who(line.rep_id)}")
            block["accessory"] = kit.button("Reassign…", ActionId.REASSIGN, _ref(line))
            blocks.append(block)
        blocks += _more(board.leaked_total, BOARD_SHOWN)
    if board.loads:
        blocks += [kit.section("*Your reps*"), kit.context(*_loads(board.loads))]
    return blocks


def marketing_board(board: Board, desk: Desk) -> list[Block]:
    """Returned leads awaiting a choice, touches to make, and the month's funnel by campaign."""
    blocks = _acted_on(
        "Returned, awaiting your choice",
        board.returned,
        "No returned lead waits for a choice.",
        lambda line: f"{line_head(line)} · {kit.one(line.region or 'triage')}",
        ("Send back to sales…", ActionId.SEND_BACK),
        ("Keep nurturing", ActionId.KEEP_NURTURING),
        ("Ask why…", ActionId.ASK_WHY),
    )
    blocks.append(kit.section(f"*Customer-service touches to make* ({len(board.touch_tasks)})"))
    for line in board.touch_tasks[:BOARD_SHOWN]:
        block = kit.section(f"{line_head(line)} · accepted for {kit.who(line.rep_id)}")
        block["accessory"] = kit.button("Touch logged…", ActionId.TOUCH, _ref(line))
        blocks.append(block)
    blocks += _more(len(board.touch_tasks), BOARD_SHOWN)
    if board.funnel is not None:
        blocks += funnel_blocks(board.funnel)
    return blocks


def funnel_blocks(report: Report) -> list[Block]:
    """This month's funnel, one line per campaign (at most ten: a context's limit)."""
    lines = [
        f"`{kit.one(row.group or 'no campaign', 80)}` — "
        + " · ".join(
            [
                counted(row.funnel.received, "received", "received"),
                f"{row.funnel.sales_ready:,} sales-ready",
                f"{row.funnel.accepted:,} accepted",
                f"{row.funnel.won:,} won",
            ]
        )
        for row in report.rows[:10]
    ]
    return [kit.section("*This month by campaign*"), kit.context(*(lines or ["No leads yet."]))]


def due_this_week(lines: Sequence[LeadLine], desk: Desk) -> list[Block]:
    """A rep's feedback and next steps due before the week is out."""
    if not lines:
        return [kit.context("Nothing of yours is due this week.")]
    blocks = [kit.section(f"*Due this week* ({len(lines)})")]
    blocks += [kit.section(lead_line(line, desk)) for line in lines[:BOARD_SHOWN]]
    return blocks + _more(len(lines), BOARD_SHOWN)


def _waiting(desk: Desk) -> list[Block]:
    blocks = [kit.section(f"*Waiting for your decision* ({desk.waiting_total})")]
    if not desk.waiting:
        blocks.append(kit.context("Nothing waits for your decision."))
    blocks += [kit.section(waiting_line(line, desk)) for line in desk.waiting[:SHOWN]]
    return blocks + _more(desk.waiting_total, SHOWN)


def _mine(desk: Desk) -> list[Block]:
    overdue = sum(1 for line in desk.mine if desk.overdue(line))
    head = f"*Your open leads* ({len(desk.mine)}" + (f", {overdue} overdue)" if overdue else ")")
    blocks = [kit.section(head)]
    if not desk.mine:
        blocks.append(kit.context("No open leads right now."))
    for line in desk.mine[:SHOWN]:
        block = kit.section(lead_line(line, desk))
        block["accessory"] = kit.button("Log outcome…", ActionId.LOG_OUTCOME, _ref(line))
        blocks.append(block)
    return blocks + _more(len(desk.mine), SHOWN)


def _loads(loads: Sequence[RepLoad]) -> list[str]:
    said = [
        f"{kit.who(load.rep)} — {load.open} open · {load.overdue} overdue · "
        f"{load.won_this_quarter} won this quarter"
        for load in loads
    ]
    if len(said) > 10:  # a context holds ten elements
        said = [*said[:9], f"and {len(said) - 9} more reps"]
    return said


def _acted_on(
    title: str,
    lines: Sequence[LeadLine],
    empty: str,
    text: Callable[[LeadLine], str],
    *buttons: tuple[str, ActionId],
    total: int | None = None,
) -> list[Block]:
    """A titled list of the board, its count (`total`, else the lines') in the title: the
    first BOARD_SHOWN leads, each in its `text` with the same `buttons`; `empty` when there
    is none."""
    total = len(lines) if total is None else total
    blocks = [kit.section(f"*{title}* ({total})")]
    if not lines:
        blocks.append(kit.context(empty))
    for line in lines[:BOARD_SHOWN]:
        ref = _ref(line)
        blocks += [
            kit.section(text(line)),
            kit.actions(*(kit.button(label, action, ref) for label, action in buttons)),
        ]
    return blocks + _more(total, BOARD_SHOWN)


def _ref(line: LeadLine) -> str:
    return LeadRef(lead=line.short_id, round=line.handoff_round).dumps()


def _more(total: int, shown: int) -> list[Block]:
    return [kit.context(f"and {total - shown} more: `/lead mine`")] if total > shown else []
