"""Block Kit for the lead definition: `/lead rules`, a proposal with its Approve and Reject…
buttons, its backtest in the thread, what became of it, and the propose and reject modals."""

from __future__ import annotations

from datetime import datetime

import yaml

from bot.domain.backtest import Backtest, Fates, money
from bot.domain.definitions import (
    CONFIG_FILE,
    DefinitionVersion,
    changes,
    doing_phrase,
    rules_data,
    rules_lines,
)
from bot.domain.lead import ReturnReason
from bot.domain.proposals import COMMAND_LINE, Proposal, ProposalEventKind, ProposalStatus, Side
from bot.services.rules import Overview
from bot.slack import blockkit as kit
from bot.slack.blockkit import Message, Modal
from bot.slack.ids import ActionId, ProposalRef, ProposeRef

RULES_TEXT_MAX = 3000  # Slack's most for a text input
WANTED = {Side.MARKETING: "marketing", Side.SALES: "a sales manager"}
SHOWN_GROUPS = 5  # sources and campaigns in a backtest reply, those it moves most first


def by(user: str | None) -> str:
    """Who did something, as a message names them."""
    if user == COMMAND_LINE:
        return "the command line"
    if user == CONFIG_FILE:
        return "the config file"
    return kit.who(user)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# /lead rules -------------------------------------------------------------------------------


def overview_message(view: Overview, agreed: Message) -> Message:
    """`/lead rules`: the live version (its rules and the SLAs as `agreed` words them), the
    versions before it, and the proposal waiting for approval."""
    live = view.live
    approvers = _approvers(live)
    head = kit.context(
        f"*Version {live.number}*, live since {_day(live.took_effect_at)}; "
        f"proposed by {by(live.proposed_by)}{approvers}. Why: {kit.one(live.why)}"
    )
    blocks = [agreed["blocks"][0], head, *agreed["blocks"][1:]]
    earlier = [
        f"• version {version.number} from {_day(version.took_effect_at)}: "
        + "; ".join(rules_lines(version.rules))
        for version in view.history
        if version.number != live.number
    ]
    if earlier:
        blocks.append(kit.section("*Earlier versions*\n" + "\n".join(earlier[:10])))
    if view.open is not None:
        blocks.append(kit.section("*Waiting for approval*\n" + _proposal_summary(view.open)))
    else:
        blocks.append(kit.context("No change is waiting. `/lead rules propose` proposes one."))
    return kit.message(f"The lead definition, version {live.number}", blocks)


def _approvers(version: DefinitionVersion) -> str:
    if version.marketing_approver is None and version.sales_approver is None:
        return ""
    return (
        f", approved by {by(version.marketing_approver)} for marketing and "
        f"{by(version.sales_approver)} for sales"
    )


def _proposal_summary(proposal: Proposal) -> str:
    approved = ", ".join(f"{a.side.value} ({by(a.by)})" for a in proposal.approvals)
    waiting = " and ".join(WANTED[side] for side in proposal.waiting_for)
    return (
        f"Proposal {proposal.id} by {by(proposal.proposed_by)}: "
        + "; ".join(rules_lines(proposal.rules))
        + f"\nApproved by {approved or 'nobody yet'}; waiting for {waiting}."
    )


# The proposal as posted --------------------------------------------------------------------


def proposal_message(
    proposal: Proposal, *, base: DefinitionVersion, mention: str | None = None
) -> Message:
    """The proposal as marketing and the managers see it: what changes, why, who approved,
    and Approve / Reject… while it is open."""
    found = changes(base.rules, proposal.rules)
    ask = f"{kit.who(mention)}, " if mention else ""
    lines = [
        f"{ask}*{by(proposal.proposed_by)} proposes a new lead definition* "
        f"(proposal {proposal.id}, to replace version {proposal.base_version})",
        *(f"• {change.line}" for change in found),
        f"*Why:* {kit.one(proposal.why, kit.NOTE)}",
    ]
    rules = "*The proposed rules:* " + "; ".join(rules_lines(proposal.rules))
    blocks = [kit.section("\n".join(lines)), kit.context(rules), kit.context(status_line(proposal))]
    if proposal.is_open:
        ref = ProposalRef(proposal=proposal.id or 0).dumps()
        blocks.append(
            kit.actions(
                kit.button("Approve", ActionId.RULES_APPROVE, ref, style="primary"),
                kit.button("Reject…", ActionId.RULES_REJECT, ref, style="danger"),
            )
        )
    return kit.message(f"{ask}{doing_phrase(found)}: proposal {proposal.id}", blocks)


def status_line(proposal: Proposal) -> str:
    """Where the proposal stands, in one line."""
    approved = "; ".join(f"{a.side.value} approved ({by(a.by)})" for a in proposal.approvals)
    match proposal.status:
        case ProposalStatus.LIVE:
            return f"✅ Live as version {proposal.version} since {_day(proposal.closed_at or proposal.proposed_at)}; {approved}."
        case ProposalStatus.REJECTED:
            return f"✖ Rejected by {by(proposal.closed_by)}: {kit.one(proposal.reason)}"
        case ProposalStatus.STALE:
            return f"⏸ No longer open: {kit.one(proposal.reason)}"
    waiting = " and ".join(WANTED[side] for side in proposal.waiting_for)
    return f"⏳ Waiting for {waiting}" + (f"; {approved}." if approved else ".")


def decision_note(
    kind: ProposalEventKind,
    actor: str,
    *,
    side: Side | None,
    reason: str | None,
    version: int | None,
) -> Message:
    """What happened to the proposal, in the thread of each post of it."""
    match kind:
        case ProposalEventKind.WENT_LIVE:
            text = (
                f"✅ {by(actor)} approved it for {side.value if side else 'their side'}: it is "
                f"version {version} of the lead definition, live from now. Leads already "
                "received keep the version that qualified them."
            )
        case ProposalEventKind.APPROVED:
            text = f"👍 {by(actor)} approved it for {side.value if side else 'their side'}."
        case ProposalEventKind.REJECTED:
            text = f"✖ {by(actor)} rejected it: {kit.quote(reason or '')}"
        case _:
            text = f"⏸ It can no longer be approved: {kit.one(reason)}"
    return kit.note(text)


# The backtest in the thread ----------------------------------------------------------------


def backtest_reply(result: Backtest, *, days: int) -> Message:
    """The proposal's backtest: its sentence, the verdicts, and where it moves leads most."""
    total, verdicts = result.total, result.total.verdicts
    blocks = [
        kit.section(
            f"*Backtest on the leads of the last {days} days*\n{kit.one(result.headline, kit.NOTE)}"
        ),
        kit.fields(
            kit.field(
                "Sales-ready",
                f"{verdicts.live_sales_ready:,} now → {verdicts.proposal_sales_ready:,}",
            ),
            kit.field("Nurture", f"{verdicts.live_nurture:,} now → {verdicts.proposal_nurture:,}"),
            kit.field(
                "Held back",
                f"{verdicts.held_back:,}: {fates_words(total.held_back, result.currency)}",
            ),
            kit.field(
                "Let through",
                f"{verdicts.let_through:,}; {total.came_back.leads:,} came back later: "
                f"{fates_words(total.came_back, result.currency)}",
            ),
        ),
    ]
    for title, groups in (("source", result.by_source), ("campaign", result.by_campaign)):
        moved = sorted(
            (g for g in groups if g.verdicts.held_back or g.verdicts.let_through),
            key=lambda g: -(g.verdicts.held_back + g.verdicts.let_through),
        )
        if moved:
            lines = [
                f"• {kit.one(g.group or f'(no {title})')}: held back {g.verdicts.held_back:,} "
                f"of {g.verdicts.received:,} ({g.held_back.returned:,} returned, "
                f"{g.held_back.won:,} won), let through {g.verdicts.let_through:,}"
                for g in moved[:SHOWN_GROUPS]
            ]
            blocks.append(kit.section(f"*By {title}*\n" + "\n".join(lines)))
    return kit.message(result.headline, blocks)


def fates_words(fates: Fates, currency: str) -> str:
    """What became of a set of leads, in a few words."""
    if not fates.leads:
        return "none"
    returned = ", ".join(
        f"{count:,} {_reason(code)}" for code, count in fates.returns_by_reason.items()
    )
    won = f"{fates.won:,} won" + (f" ({money(fates.won_revenue, currency)})" if fates.won else "")
    return (
        f"{fates.accepted:,} accepted, {fates.returned:,} returned"
        + (f" ({returned})" if returned else "")
        + f", {fates.contacted:,} contacted, {fates.opportunities:,} opportunities, {won}"
    )


def _reason(code: str) -> str:
    try:
        return ReturnReason(code).label.lower()
    except ValueError:
        return code.replace("_", " ")


# Modals and answers ------------------------------------------------------------------------


def propose_modal(live: DefinitionVersion, ref: ProposeRef) -> Modal:
    """The live rules to edit, as the config file writes them, and why."""
    text = yaml.safe_dump({"lead_definition": rules_data(live.rules)}, sort_keys=False)
    rules_input = {
        "type": "plain_text_input",
        "action_id": ActionId.RULES_TEXT_INPUT.value,
        "multiline": True,
        "max_length": RULES_TEXT_MAX,
        "initial_value": text,
    }
    blocks = [
        kit.section(
            f"Version {live.number} is live. Edit its rules below (as `lead_definition:` in the "
            "config file); marketing and a sales manager approve the change, and its backtest "
            "follows the proposal."
        ),
        kit.input_block(ActionId.RULES_TEXT_BLOCK, "Rules", rules_input),
        kit.input_block(
            ActionId.RULES_WHY_BLOCK,
            "Why",
            kit.text_input(ActionId.RULES_WHY_INPUT, "What the evidence says"),
        ),
    ]
    return kit.modal(
        ActionId.RULES_PROPOSE_MODAL,
        "Propose new rules",
        blocks,
        submit="Propose",
        metadata=ref.dumps(),
    )


def reject_modal(proposal: Proposal, *, channel: str | None) -> Modal:
    blocks = [
        kit.section(
            f"*Reject proposal {proposal.id}* by {by(proposal.proposed_by)}: "
            + "; ".join(rules_lines(proposal.rules))
        ),
        kit.input_block(
            ActionId.REASON_BLOCK,
            "Reason",
            kit.text_input(
                ActionId.REASON_INPUT, "Why it should not go live; everyone who saw it is told"
            ),
        ),
    ]
    ref = ProposalRef(proposal=proposal.id or 0, channel=channel)
    return kit.modal(
        ActionId.RULES_REJECT_MODAL,
        "Reject the proposal",
        blocks,
        submit="Reject",
        metadata=ref.dumps(),
    )


def proposed_answer(proposal: Proposal) -> str:
    waiting = " and ".join(WANTED[side] for side in proposal.waiting_for)
    return (
        f"📨 Proposal {proposal.id} is posted to marketing and the regional managers; it now "
        f"waits for {waiting}. Its backtest follows in its thread."
    )


def decided_answer(proposal: Proposal, kind: ProposalEventKind) -> str:
    match kind:
        case ProposalEventKind.WENT_LIVE:
            return (
                f"✅ Approved: proposal {proposal.id} is version {proposal.version}, live from now."
            )
        case ProposalEventKind.REJECTED:
            return f"✖ Rejected proposal {proposal.id}; everyone who saw it is told why."
    waiting = " and ".join(WANTED[side] for side in proposal.waiting_for)
    return f"👍 Approved proposal {proposal.id}; it now waits for {waiting}."
