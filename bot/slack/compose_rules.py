"""The outbox work of a proposal to change the lead definition, as Slack calls: the proposal
posted to each audience, its backtest in each post's thread once the post is there, and each
decision on it (the post updated to show it, a note in its thread).

The backtest runs here, in the delivery worker, never while Slack waits for an answer; it is
run once per proposal however many audiences it is posted to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from bot.clock import Clock
from bot.domain.backtest import Backtest
from bot.domain.definitions import DefinitionVersion
from bot.domain.proposals import Proposal, ProposalEventKind, Side
from bot.domain.snapshots import Posted
from bot.services.ports import SnapshotReader
from bot.services.records import OutboxItem, WorkKind
from bot.services.rules import BACKTEST_DAYS, proposal_backtest
from bot.services.rules_ports import BacktestReader, RulesReader
from bot.slack import blocks_rules
from bot.slack.calls import Composed, SlackCall, Wait, post, post_in, update
from config.model import BatonConfig


class Backtests:
    """The latest proposals' backtests, so that each is run once for all its posts."""

    KEPT = 4

    def __init__(self) -> None:
        self.done: dict[int, Backtest] = {}
        self.lock = threading.Lock()

    def of(self, proposal_id: int, run: Callable[[], Backtest]) -> Backtest:
        # Held while it runs: the other posts' deliveries wait for it rather than run it too.
        with self.lock:
            if proposal_id not in self.done:
                self.done[proposal_id] = run()
                for old in sorted(self.done)[: -self.KEPT]:
                    del self.done[old]
            return self.done[proposal_id]


class RulesComposing(Protocol):
    """What composing a proposal's work reads: the posts delivered, the definition's store,
    the leads to backtest on."""

    reads: SnapshotReader
    rules: RulesReader | None
    backtests: BacktestReader | None
    backtests_run: Backtests
    config: BatonConfig
    clock: Clock


def _stored(c: RulesComposing, item: OutboxItem) -> tuple[Proposal, DefinitionVersion, RulesReader]:
    if c.rules is None:
        raise LookupError(f"{item.key}: this worker reads no lead definition")
    proposal = c.rules.proposal(int(item.payload["proposal"]))
    if proposal is None:
        raise LookupError(f"{item.key}: proposal {item.payload['proposal']} is not stored")
    base = c.rules.version(proposal.base_version)
    if base is None:
        raise LookupError(f"{item.key}: version {proposal.base_version} is not stored")
    return proposal, base, c.rules


def _post_of(c: RulesComposing, item: OutboxItem) -> Posted | None:
    return c.reads.delivered(item.payload["post"])


def rules_post(c: RulesComposing, item: OutboxItem) -> Composed:
    proposal, base, _ = _stored(c, item)
    message = blocks_rules.proposal_message(
        proposal, base=base, mention=item.payload.get("mention")
    )
    return SlackCall("chat.postMessage", post(item.payload["channel"], message, item.key))


def rules_backtest(c: RulesComposing, item: OutboxItem) -> Composed:
    where = _post_of(c, item)
    if where is None:
        return Wait("the proposal is not posted yet")
    proposal, _, rules = _stored(c, item)
    if c.backtests is None:
        raise LookupError(f"{item.key}: this worker reads no leads to backtest on")
    leads, now = c.backtests, c.clock.now()

    def run() -> Backtest:
        return proposal_backtest(
            proposal, rules=rules, leads=leads, currency=c.config.currency, now=now
        )

    result = c.backtests_run.of(proposal.id or 0, run)
    message = blocks_rules.backtest_reply(result, days=BACKTEST_DAYS)
    return SlackCall("chat.postMessage", post_in(where, message, item.key))


def rules_update(c: RulesComposing, item: OutboxItem) -> Composed:
    where = _post_of(c, item)
    if where is None:
        return Wait("the proposal is not posted yet")
    proposal, base, _ = _stored(c, item)
    message = blocks_rules.proposal_message(proposal, base=base)
    return SlackCall("chat.update", update(where, message))


def rules_note(c: RulesComposing, item: OutboxItem) -> Composed:
    where = _post_of(c, item)
    if where is None:
        return Wait("the proposal is not posted yet")
    event = item.payload["event"]
    note = blocks_rules.decision_note(
        ProposalEventKind(event["kind"]),
        event["actor"],
        side=Side(event["side"]) if event.get("side") else None,
        reason=event.get("reason"),
        version=event.get("version"),
    )
    return SlackCall("chat.postMessage", post_in(where, note, item.key))


RULES_COMPOSERS: dict[WorkKind, Callable[[RulesComposing, OutboxItem], Composed]] = {
    WorkKind.RULES_POST: rules_post,
    WorkKind.RULES_BACKTEST: rules_backtest,
    WorkKind.RULES_UPDATE: rules_update,
    WorkKind.RULES_NOTE: rules_note,
}
