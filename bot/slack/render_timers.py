"""Turn queued timer work into Slack calls, rendered from what is stored when it is delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.timers import TimerKind
from bot.services.snooze import SnoozeForm
from bot.slack import blocks_timers as bt
from bot.slack import render
from bot.slack.render import SlackCall, Wait
from config.model import BatonConfig
from storage.outbox import OutboxItem, SqlOutbox
from storage.timer_reads import FireLine, fire_lines, leakage_task


def work_call(item: OutboxItem, *, outbox: SqlOutbox, config: BatonConfig) -> SlackCall | Wait:
    """Return the SlackCall for timer work `item`, or a Wait for a thread not posted yet."""
    hours = bt.Hours(config.sla.handoff_hours, config.sla.escalation_hours)
    match item.kind:
        case "timer_dm":
            items = _items(item.payload["items"], outbox, config)
            message = bt.reminder_dm(items, hours=hours)
            return SlackCall("chat.postMessage", _post(item.payload["person"], message, item.key))
        case "timer_post":
            items = _items(item.payload["items"], outbox, config)
            message = bt.escalation_post(items, mention=item.payload["mention"], hours=hours)
            return SlackCall("chat.postMessage", _post(item.payload["channel"], message, item.key))
        case "timer_note":
            return _thread_note(item, outbox, config, hours)
        case "timer_leak_task":
            return _leak_task(item, outbox, config)
        case "timer_touch_update":
            return _touch_update(item, outbox, config)
    raise ValueError(f"unknown timer work: {item.kind}")


def _thread_note(
    item: OutboxItem, outbox: SqlOutbox, config: BatonConfig, hours: bt.Hours
) -> SlackCall | Wait:
    snapshot = outbox.snapshot(item.lead_id, item.handoff_round)  # type: ignore[arg-type]
    if not (snapshot.round and snapshot.round.message_ts):
        return Wait("the handoff message is not posted yet")
    view = render.lead_view(snapshot, config)
    if "event_id" in item.payload:
        message = _event_note(item.payload["event_id"], view.short_id, view.timezone, outbox)
    else:
        [timer] = _items([[item.payload["fire"], item.payload["again"]]], outbox, config)
        days = config.leakage_days_for(snapshot.lead.source)
        told = _told(config, snapshot.round.region, timer.kind)
        message = bt.timer_note(timer, hours=hours, told=told, leakage_days=days)
    args = _post(snapshot.round.channel, message, item.key)
    args["thread_ts"] = snapshot.round.message_ts
    return SlackCall("chat.postMessage", args)


def _event_note(event_id: int, short_id: str, timezone: str, outbox: SqlOutbox) -> dict[str, Any]:
    event = outbox.event(event_id)
    assert event is not None
    if event.kind == "touch":
        return bt.touch_note(short_id, _touch(event))
    until = datetime.fromisoformat(event.data["until"])
    return bt.snooze_note(
        short_id, by=event.actor, until=until, timezone=timezone, reason=event.notes or ""
    )


def _leak_task(item: OutboxItem, outbox: SqlOutbox, config: BatonConfig) -> SlackCall:
    snapshot = outbox.snapshot(item.lead_id, item.handoff_round)  # type: ignore[arg-type]
    view = render.lead_view(snapshot, config)
    message = bt.leakage_task(
        view,
        manager=_manager(config, view.region, view.decided_by),
        days=config.leakage_days_for(snapshot.lead.source),
    )
    return SlackCall("chat.postMessage", _post(config.marketing.channel, message, item.key))


def _touch_update(item: OutboxItem, outbox: SqlOutbox, config: BatonConfig) -> SlackCall | Wait:
    task = leakage_task(outbox.database, item.lead_id, item.handoff_round)  # type: ignore[arg-type]
    if task is None or not task.delivered:
        return Wait("the leakage task is not posted yet")
    snapshot = outbox.snapshot(item.lead_id, item.handoff_round)  # type: ignore[arg-type]
    view = render.lead_view(snapshot, config)
    event = outbox.event(item.payload["event_id"])
    assert event is not None
    message = bt.leakage_task(
        view,
        manager=_manager(config, view.region, view.decided_by),
        days=config.leakage_days_for(snapshot.lead.source),
        touch=_touch(event),
    )
    return SlackCall("chat.update", {"channel": task.channel, "ts": task.ts, **message})


def _items(tokens: list[list[Any]], outbox: SqlOutbox, config: BatonConfig) -> list[bt.TimerItem]:
    lines = fire_lines(outbox.database, [fire_id for fire_id, _ in tokens])
    return [_item(lines[fire_id], bool(again), config) for fire_id, again in tokens]


def _item(line: FireLine, again: bool, config: BatonConfig) -> bt.TimerItem:
    region = config.region(line.region) if line.region else None
    name = " ".join(p for p in (line.first_name, line.last_name) if p) or None
    return bt.TimerItem(
        fire_id=line.fire_id,
        kind=TimerKind(line.kind),
        again=again,
        short_id=line.short_id,
        round=line.handoff_round,
        name=name,
        company=line.company,
        email=line.email,
        timezone=region.timezone if region else "UTC",
        due_at=line.due_at,
        pending_since=line.round_started_at if line.handoff_round == line.lead_round else None,
        rep_id=line.rep_id,
        feedback_due_at=line.feedback_due_at,
        next_step_at=line.next_step_at,
        snoozed_until=line.snoozed_until,
        snooze_reason=line.snooze_reason,
    )


def _touch(event: Any) -> bt.Touch:
    data = event.data or {}
    return bt.Touch(
        by=data.get("by") or event.actor, reached=bool(data.get("reached")), notes=event.notes
    )


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


def _manager(config: BatonConfig, region_name: str | None, decided_by: str | None) -> str | None:
    region = config.region(region_name) if region_name else None
    return region.manager if region else decided_by


def _post(channel: str | None, message: dict[str, Any], key: str) -> dict[str, Any]:
    return render._post(channel, message, key)


def snooze_modal(baton: Any, form: SnoozeForm) -> dict[str, Any]:
    """The snooze modal for a reminder the person may snooze (`form` from `snooze_form`)."""
    lines = fire_lines(baton.database, [form.fire_id])
    item = _item(lines[form.fire_id], False, baton.config)
    return bt.snooze_modal(item, choices=form.choices, once=form.once)
