"""Composers of the messages people send each other through Baton: a lead reassigned or its rep
nudged by a manager; marketing's choice on a returned lead, and a lead it had back with sales
again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.services.records import OutboxItem, WorkKind
from bot.slack import blocks, blocks_reassign, blocks_recycle
from bot.slack import text as t
from bot.slack.calls import Composed, SlackCall, Wait, post, update
from bot.slack.compose_base import ComposerBase

LINK_WAIT = timedelta(minutes=1)


def reassign_dm(c: ComposerBase, item: OutboxItem) -> Composed:
    view, event = c.view(c.snapshot(item)), c.event(item.payload["event_id"])
    rep, moved = event.data.get("rep_id"), event.data.get("from_rep")
    message = blocks.rep_dm(
        view,
        manager=view.decided_by or "",
        handed_by=event.actor,
        from_rep=moved,
        note=event.notes,
        now=c.clock.now(),
    )
    return SlackCall("chat.postMessage", post(rep, message, item.key), _people(rep))


def reassign_notice(c: ComposerBase, item: OutboxItem) -> Composed:
    view, event = c.view(c.snapshot(item)), c.event(item.payload["event_id"])
    rep, moved = event.data.get("rep_id"), event.data.get("from_rep")
    message = blocks_reassign.unassigned_dm(view, by=event.actor, to_rep=rep, note=event.notes)
    return SlackCall("chat.postMessage", post(moved, message, item.key), _people(moved))


def nudge_dm(c: ComposerBase, item: OutboxItem) -> Composed:
    view, event = c.view(c.snapshot(item)), c.event(item.payload["event_id"])
    message = blocks_reassign.nudge_dm(view, by=event.actor)
    return SlackCall("chat.postMessage", post(event.data.get("rep_id"), message, item.key))


def _people(*users: str | None) -> tuple[str, ...]:
    return tuple(u for u in users if u is not None and t.is_user_id(u))


def returned_notice(c: ComposerBase, item: OutboxItem) -> Composed:
    view = c.view(c.snapshot(item))
    message = blocks.returned_notice(view, choice=blocks_recycle.notice_choice(view, None))
    return SlackCall("chat.postMessage", post(c.config.marketing.channel, message, item.key))


def returned_notice_update(c: ComposerBase, item: OutboxItem) -> Composed:
    """The returned-lead notice of the item's round, showing what was chosen (or that the lead
    came back by itself)."""
    posted = None
    if item.lead_id is not None and item.handoff_round is not None:
        posted = c.reads.posted_work(item.lead_id, item.handoff_round, WorkKind.RETURNED_NOTICE)
    if posted is None:
        return Wait("the returned-lead notice is not posted yet")
    view, chosen = c.view(c.snapshot(item)), c.event(item.payload["event_id"])
    message = blocks.returned_notice(view, choice=blocks_recycle.notice_choice(view, chosen))
    return SlackCall("chat.update", update(posted, message))


def back_to_sales(c: ComposerBase, item: OutboxItem) -> Composed:
    """Marketing's notice that a lead it had back is with sales again, linked to the new card
    once its permalink is taken (waiting for it a minute at most)."""
    snapshot = c.snapshot(item)
    handoff = snapshot.round
    if handoff is None or handoff.posted is None:
        return Wait("the handoff card is not posted yet")
    if handoff.permalink is None and c.clock.now() - item.created_at < LINK_WAIT:
        return Wait("the handoff card's link is not taken yet")
    message = blocks_recycle.back_to_sales_notice(c.view(snapshot))
    return SlackCall("chat.postMessage", post(c.config.marketing.channel, message, item.key))


PEOPLE_COMPOSERS: dict[WorkKind, Callable[[ComposerBase, OutboxItem], Composed]] = {
    WorkKind.REASSIGN_DM: reassign_dm,
    WorkKind.REASSIGN_NOTICE: reassign_notice,
    WorkKind.NUDGE_DM: nudge_dm,
    WorkKind.RETURNED_NOTICE: returned_notice,
    WorkKind.RETURNED_NOTICE_UPDATE: returned_notice_update,
    WorkKind.BACK_TO_SALES: back_to_sales,
}
