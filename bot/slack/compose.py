"""Turn each kind of queued Slack work into the Slack call that carries it out.

What a message shows is read when it is delivered, as snapshots of what is stored then, so a
late or retried delivery shows the lead as it stands. Work that goes in the thread of a
message not posted yet waits for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.domain.digest import RegionDigest, digest_from_json
from bot.domain.lead import EventKind
from bot.domain.snapshots import EventLine, LeadSnapshot
from bot.domain.timers import TimerKind
from bot.services import desk
from bot.services.records import OutboxItem, WorkKind
from bot.slack import (
    blocks,
    blocks_reassign,
    blocks_recycle,
    blocks_rep,
    blocks_report,
    charts,
    home,
)
from bot.slack import blocks_timers as bt
from bot.slack.blockkit import Message
from bot.slack.calls import Composed, SlackCall, Wait, post, post_in, update
from bot.slack.compose_base import UPLOAD, ComposerBase, decider_of, homes_of, target_of
from bot.slack.compose_people import PEOPLE_COMPOSERS
from bot.slack.compose_rules import RULES_COMPOSERS
from bot.slack.lines import activity_of, merge_lines, merge_said
from bot.slack.views import (
    LeadView,
    TimerItem,
    Touch,
    outcome_note_of,
    timer_item,
    touch_of,
)
from config.model import BatonConfig

__all__ = ["COMPOSERS", "UPLOAD", "Composer", "SlackCall", "Wait", "chart_filename"]


class Composer(ComposerBase):
    """Composes outbox work from what `reads` (and, for App Homes, `leads`) find now."""

    def call(self, item: OutboxItem) -> Composed:
        """The SlackCall for `item`, or a Wait when what it threads under is not posted yet."""
        return COMPOSERS[item.kind](self, item)


# A lead's handoff --------------------------------------------------------------------------


def _handoff(c: Composer, item: OutboxItem) -> Composed:
    snapshot = c.snapshot(item)
    view, homes = c.view(snapshot), homes_of(snapshot, c.config)
    if snapshot.batch is not None:
        if snapshot.batch.posted is None:
            return Wait("the batch summary is not posted yet")
        card = blocks.handoff_message(view, mention=None)
        args = post_in(snapshot.batch.posted, card, item.key)
        return SlackCall("chat.postMessage", args, homes, lead=snapshot.lead.short_id)
    channel, mention = target_of(c.config, snapshot.region)
    card = blocks.handoff_message(view, mention=mention)
    return SlackCall(
        "chat.postMessage", post(channel, card, item.key), homes, snapshot.lead.short_id
    )


def _handoff_update(c: Composer, item: OutboxItem) -> Composed:
    snapshot = c.snapshot(item)
    if snapshot.round is None or snapshot.round.posted is None:
        return Wait("the handoff message is not posted yet")
    card = blocks.handoff_message(c.view(snapshot), mention=None)
    return SlackCall(
        "chat.update", update(snapshot.round.posted, card), homes_of(snapshot, c.config)
    )


def _thread_note(c: Composer, item: OutboxItem) -> Composed:
    snapshot = c.snapshot(item)
    if snapshot.round is None or snapshot.round.posted is None:
        return Wait("the handoff message is not posted yet")
    merged = item.payload.get("event_ids")
    if merged:
        events = [c.reads.event(event_id) for event_id in merged]
        note = blocks.activity_note(c.view(snapshot), merge_lines(events))
    else:
        event = c.reads.event(item.payload["event_id"])
        note = _note(c.view(snapshot), event, currency=c.config.currency)
    return SlackCall("chat.postMessage", post_in(snapshot.round.posted, note, item.key))


def _note(view: LeadView, event: EventLine | None, *, currency: str) -> Message:
    """The thread note for what `event` did to the lead."""
    match event.kind if event else "activity":
        case "accepted":
            return blocks.accepted_note(view)
        case "returned":
            return blocks.returned_note(view)
        case "rerouted":
            return blocks.rerouted_note(view)
        case "reassigned" if event is not None:
            moved = event.data.get("from_rep")
            return blocks_reassign.reassigned_note(
                view, by=event.actor, from_rep=moved, note=event.notes
            )
        case "asked_why" if event is not None:
            to, question = event.data.get("to"), event.notes
            return blocks_recycle.ask_why_note(view, by=event.actor, to=to, question=question)
        case "nudged" if event is not None:
            return blocks_reassign.nudged_note(view, by=event.actor)
        case "outcome" | "correction" if event is not None:
            return blocks_rep.outcome_note(view, outcome_note_of(event), currency=currency)
    if event is not None and event.kind in (EventKind.DETAILS, EventKind.CAMPAIGN_TOUCH):
        return blocks.activity_note(view, [merge_said(event.kind, event.data)])
    activity = event.data.get("activity", []) if event else []
    return blocks.activity_note(view, [activity_of(item) for item in activity])


def _rep_dm(c: Composer, item: OutboxItem) -> Composed:
    view = c.view(c.snapshot(item))
    message = blocks.rep_dm(view, manager=view.decided_by or "")
    return SlackCall("chat.postMessage", post(view.rep_id, message, item.key))


def _owner_dm(c: Composer, item: OutboxItem) -> Composed:
    snapshot = c.snapshot(item)
    view = c.view(snapshot)
    owner = view.rep_id or decider_of(c.config, view.region)
    message = blocks.owner_activity_dm(view, upsell=view.status == "won")
    return SlackCall(
        "chat.postMessage", post(owner, message, item.key), homes_of(snapshot, c.config)
    )


def _return_withdrawn(c: Composer, item: OutboxItem) -> Composed:
    view = c.view(c.snapshot(item))
    event = c.reads.event(item.payload["event_id"])
    message = blocks_rep.return_withdrawn_notice(view, actor=event.actor if event else "someone")
    return SlackCall("chat.postMessage", post(c.config.marketing.channel, message, item.key))


def _batch(c: Composer, item: OutboxItem) -> Composed:
    batch = c.reads.batch(item.batch_id) if item.batch_id is not None else None
    if batch is None:
        raise LookupError(f"{item.key}: batch {item.batch_id} is not stored")
    channel, mention = target_of(c.config, batch.region)
    message = blocks.batch_summary(
        batch.label, batch.region, batch.lead_count, batch.short_ids, mention
    )
    if item.kind is WorkKind.BATCH_SUMMARY:
        return SlackCall("chat.postMessage", post(channel, message, item.key))
    if batch.posted is None:
        return Wait("the batch summary is not posted yet")
    return SlackCall("chat.update", update(batch.posted, message))


def _home_refresh(c: Composer, item: OutboxItem) -> Composed:
    user = item.payload["user"]
    mine = desk.desk(user, reader=c.leads, config=c.config, clock=c.clock, report=c.report)
    return SlackCall("views.publish", {"user_id": user, "view": home.home_view(mine)})


def _permalink(c: Composer, item: OutboxItem) -> Composed:
    snapshot = c.snapshot(item)
    if snapshot.round is None or snapshot.round.posted is None:
        return Wait("the handoff message is not posted yet")
    where = {"channel": snapshot.round.posted.channel, "message_ts": snapshot.round.posted.ts}
    return SlackCall("chat.getPermalink", where)


def _setup_notice(c: Composer, item: OutboxItem) -> Composed:
    message = blocks.setup_notice(item.payload["problem"], item.payload["fix"])
    return SlackCall("chat.postMessage", post(c.config.triage.channel, message, item.key))


# Accountability timers ---------------------------------------------------------------------


def _timer_dm(c: Composer, item: OutboxItem) -> Composed:
    message = bt.reminder_dm(_timer_items(c, item.payload["items"]), hours=c.hours)
    return SlackCall("chat.postMessage", post(item.payload["person"], message, item.key))


def _timer_post(c: Composer, item: OutboxItem) -> Composed:
    items = _timer_items(c, item.payload["items"])
    message = bt.escalation_post(items, mention=item.payload["mention"], hours=c.hours)
    return SlackCall("chat.postMessage", post(item.payload["channel"], message, item.key))


def _timer_note(c: Composer, item: OutboxItem) -> Composed:
    snapshot = c.snapshot(item)
    if snapshot.round is None or snapshot.round.posted is None:
        return Wait("the handoff message is not posted yet")
    view = c.view(snapshot)
    if "event_id" in item.payload:
        message = _event_note(c.event(item.payload["event_id"]), view)
    else:
        [timer] = _timer_items(c, [[item.payload["fire"], item.payload["again"]]])
        told = _told(c.config, snapshot.region, timer.kind)
        days = c.config.leakage_days_for(snapshot.lead.source)
        message = bt.timer_note(timer, hours=c.hours, told=told, leakage_days=days)
    return SlackCall("chat.postMessage", post_in(snapshot.round.posted, message, item.key))


def _event_note(event: EventLine, view: LeadView) -> Message:
    """A thread note for a touch or a snooze on the lead."""
    if event.kind == "touch":
        return bt.touch_note(view.short_id, touch_of(event))
    until = datetime.fromisoformat(event.data["until"])
    reason = event.notes or ""
    return bt.snooze_note(
        view.short_id, by=event.actor, until=until, timezone=view.timezone, reason=reason
    )


def _leak_task(c: Composer, item: OutboxItem) -> Composed:
    message = _leakage_task(c, c.snapshot(item))
    return SlackCall("chat.postMessage", post(c.config.marketing.channel, message, item.key))


def _touch_update(c: Composer, item: OutboxItem) -> Composed:
    task = None
    if item.lead_id is not None and item.handoff_round is not None:
        task = c.reads.posted_work(item.lead_id, item.handoff_round, WorkKind.TIMER_LEAK_TASK)
    if task is None:
        return Wait("the leakage task is not posted yet")
    touch = touch_of(c.event(item.payload["event_id"]))
    return SlackCall("chat.update", update(task, _leakage_task(c, c.snapshot(item), touch)))


def _leakage_task(c: Composer, snapshot: LeadSnapshot, touch: Touch | None = None) -> Message:
    view = c.view(snapshot)
    region = c.config.region(view.region) if view.region else None
    return bt.leakage_task(
        view,
        manager=region.manager if region else view.decided_by,
        days=c.config.leakage_days_for(snapshot.lead.source),
        touch=touch,
    )


def _timer_items(c: Composer, tokens: Sequence[Sequence[Any]]) -> list[TimerItem]:
    """The fired timers that `tokens` name as [fire id, back after a snooze], in that order."""
    lines = c.reads.fire_lines([fire_id for fire_id, _ in tokens])
    return [timer_item(lines[f], again=bool(again), config=c.config) for f, again in tokens]


def _told(config: BatonConfig, region_name: str | None, kind: TimerKind) -> str:
    """Who a fired timer told, as the lead's thread names them (without mentioning them)."""
    region = config.region(region_name) if region_name else None
    match kind:
        case TimerKind.FEEDBACK_DUE | TimerKind.NEXT_STEP:
            return "the rep"
        case TimerKind.ESCALATION if region is not None and region.backup:
            return "the backup"
        case TimerKind.FEEDBACK_OVERDUE if region is None:
            return "the person who accepted it"
        case _ if region is None:
            return "the triage deciders"
    return "the manager"


# Weekly digests ----------------------------------------------------------------------------
# The numbers were counted when the digest was queued, so a delivery retried later sends the
# same digest. Its chart goes into the digest's thread once the digest is posted.


def _digest_post(c: Composer, item: OutboxItem) -> Composed:
    digest = digest_from_json(item.payload["digest"])
    if isinstance(digest, RegionDigest):
        message = blocks_report.region_digest(digest)
        channel, _ = target_of(c.config, digest.region)
    else:
        message = blocks_report.marketing_digest(digest)
        channel = c.config.marketing.channel
    return SlackCall("chat.postMessage", post(channel, message, item.key))


def _digest_chart(c: Composer, item: OutboxItem) -> Composed:
    where = c.reads.delivered(item.payload["post"])
    if where is None:
        return Wait("the digest message is not posted yet")
    digest = digest_from_json(item.payload["digest"])
    title, subtitle = blocks_report.chart_title(digest)
    rows = blocks_report.chart_rows(digest)
    upload = {
        "channel": where.channel,
        "thread_ts": where.ts,
        "file": charts.funnel_png(title, rows, subtitle=subtitle),
        "filename": chart_filename(item.key),
        "title": f"{title} ({subtitle})",
        "alt_txt": "Funnel: " + ", ".join(f"{label} {n:,}" for label, n in rows),
    }
    return SlackCall(UPLOAD, upload)


def chart_filename(key: str) -> str:
    """A file name that names the work it delivers, so that a retried upload is recognised."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", key).strip("-") + ".png"


COMPOSERS: dict[WorkKind, Callable[[Composer, OutboxItem], Composed]] = {
    WorkKind.HANDOFF: _handoff,
    WorkKind.BATCH_SUMMARY: _batch,
    WorkKind.BATCH_UPDATE: _batch,
    WorkKind.HANDOFF_UPDATE: _handoff_update,
    WorkKind.THREAD_NOTE: _thread_note,
    WorkKind.REP_DM: _rep_dm,
    WorkKind.OWNER_DM: _owner_dm,
    WorkKind.SETUP_NOTICE: _setup_notice,
    WorkKind.RETURN_WITHDRAWN: _return_withdrawn,
    WorkKind.HOME_REFRESH: _home_refresh,
    WorkKind.PERMALINK: _permalink,
    **PEOPLE_COMPOSERS,
    WorkKind.TIMER_DM: _timer_dm,
    WorkKind.TIMER_POST: _timer_post,
    WorkKind.TIMER_NOTE: _timer_note,
    WorkKind.TIMER_LEAK_TASK: _leak_task,
    WorkKind.TIMER_TOUCH_UPDATE: _touch_update,
    WorkKind.DIGEST_POST: _digest_post,
    WorkKind.DIGEST_CHART: _digest_chart,
    **RULES_COMPOSERS,
}
