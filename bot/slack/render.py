"""Turn queued work into the Slack call that carries it out, rendered from what is stored now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack import blocks
from bot.slack import render_rep as rep_render
from bot.slack.views import LeadView
from config.model import BatonConfig
from storage.outbox import LeadSnapshot, OutboxItem, SqlOutbox

METADATA_TYPE = "baton_work"


@dataclass(frozen=True)
class SlackCall:
    method: str
    args: dict[str, Any]
    homes: tuple[str, ...] = ()  # whose App Home to refresh once this is delivered


@dataclass(frozen=True)
class Wait:
    reason: str


def work_call(
    item: OutboxItem, *, outbox: SqlOutbox, config: BatonConfig, now: datetime | None = None
) -> SlackCall | Wait:
    """Return the SlackCall for `item`, or a Wait when what it threads under is not posted yet."""
    if item.kind.startswith("timer_"):
        # Imported here: the timer renderer builds on this module's calls.
        from bot.slack import render_timers

        return render_timers.work_call(item, outbox=outbox, config=config)
    if item.kind.startswith("digest_"):
        from bot.slack import render_digest

        return render_digest.work_call(item, outbox=outbox, config=config)
    if item.kind == "home_refresh":
        user = item.payload["user"]
        home = rep_render.home_of(user, outbox=outbox, config=config, now=now or item.created_at)
        return SlackCall("views.publish", {"user_id": user, "view": home})
    if item.kind == "setup_notice":
        message = blocks.setup_notice(item.payload["problem"], item.payload["fix"])
        return SlackCall("chat.postMessage", _post(config.triage.channel, message, item.key))
    if item.kind in ("batch_summary", "batch_update"):
        return _batch(item, outbox, config)
    snapshot = outbox.snapshot(item.lead_id, item.handoff_round)  # type: ignore[arg-type]
    view = lead_view(snapshot, config)
    homes = rep_render.homes_of(snapshot, config)
    match item.kind:
        case "handoff":
            return _with_homes(_handoff(item, snapshot, view, config), homes)
        case "handoff_update":
            if not (snapshot.round and snapshot.round.message_ts):
                return Wait("the handoff message is not posted yet")
            message = blocks.handoff_message(view, mention=None)
            args = {"channel": snapshot.round.channel, "ts": snapshot.round.message_ts, **message}
            return SlackCall("chat.update", args, homes)
        case "thread_note":
            if not (snapshot.round and snapshot.round.message_ts):
                return Wait("the handoff message is not posted yet")
            message = _note(item, view, outbox, config)
            args = _post(snapshot.round.channel, message, item.key)
            args["thread_ts"] = snapshot.round.message_ts
            return SlackCall("chat.postMessage", args)
        case "rep_dm":
            message = blocks.rep_dm(view, manager=view.decided_by or "")
            return SlackCall("chat.postMessage", _post(view.rep_id, message, item.key))
        case "returned_notice":
            return SlackCall(
                "chat.postMessage",
                _post(config.marketing.channel, blocks.returned_notice(view), item.key),
            )
        case "owner_dm":
            owner = view.rep_id or _manager_of(config, view.region)
            message = blocks.owner_activity_dm(view, upsell=view.status == "won")
            return SlackCall("chat.postMessage", _post(owner, message, item.key), homes)
        case "return_withdrawn":
            event = outbox.event(item.payload["event_id"])
            message = rep_render.return_withdrawn(view, event)
            return SlackCall("chat.postMessage", _post(config.marketing.channel, message, item.key))
    raise ValueError(f"unknown outbox work: {item.kind}")


def _handoff(
    item: OutboxItem, snapshot: LeadSnapshot, view: LeadView, config: BatonConfig
) -> SlackCall | Wait:
    channel, mention = target_of(config, snapshot.round.region if snapshot.round else view.region)
    if snapshot.batch is not None:
        if not snapshot.batch.message_ts:
            return Wait("the batch summary is not posted yet")
        args = _post(snapshot.batch.channel, blocks.handoff_message(view, mention=None), item.key)
        args["thread_ts"] = snapshot.batch.message_ts
        return SlackCall("chat.postMessage", args)
    return SlackCall(
        "chat.postMessage", _post(channel, blocks.handoff_message(view, mention=mention), item.key)
    )


def _batch(item: OutboxItem, outbox: SqlOutbox, config: BatonConfig) -> SlackCall | Wait:
    batch, short_ids = outbox.batch(item.batch_id)  # type: ignore[arg-type]
    channel, mention = target_of(config, batch.region)
    message = blocks.batch_summary(batch.label, batch.region, batch.lead_count, short_ids, mention)
    if item.kind == "batch_summary":
        return SlackCall("chat.postMessage", _post(channel, message, item.key))
    if not batch.message_ts:
        return Wait("the batch summary is not posted yet")
    return SlackCall("chat.update", {"channel": batch.channel, "ts": batch.message_ts, **message})


def target_of(config: BatonConfig, region_name: str | None) -> tuple[str, str | None]:
    """Where a region's handoffs go: its channel mentioning the manager, else the manager's DMs."""
    region = config.region(region_name) if region_name else None
    if region is None:
        return config.triage.channel, None
    if region.channel:
        return region.channel, region.manager
    return region.manager, None


def _manager_of(config: BatonConfig, region_name: str | None) -> str:
    region = config.region(region_name) if region_name else None
    return region.manager if region else config.triage.deciders[0]


def _note(
    item: OutboxItem, view: LeadView, outbox: SqlOutbox, config: BatonConfig
) -> dict[str, Any]:
    event = outbox.event(item.payload["event_id"])
    kind = event.kind if event else "activity"
    if kind == "accepted":
        return blocks.accepted_note(view)
    if kind == "returned":
        return blocks.returned_note(view)
    if kind == "rerouted":
        return blocks.rerouted_note(view)
    if kind in ("outcome", "correction") and event is not None:
        return rep_render.outcome_note(view, event, currency=config.currency)
    activity = (event.data or {}).get("activity", []) if event else []
    lines = [" · ".join(str(a.get(k)) for k in ("type", "detail") if a.get(k)) for a in activity]
    return blocks.activity_note(view, lines)


def _with_homes(call: SlackCall | Wait, homes: tuple[str, ...]) -> SlackCall | Wait:
    return SlackCall(call.method, call.args, homes) if isinstance(call, SlackCall) else call


def _post(channel: str | None, message: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "channel": channel,
        **message,
        "metadata": {"event_type": METADATA_TYPE, "event_payload": {"key": key}},
        "unfurl_links": False,
        "unfurl_media": False,
    }


def lead_view(snapshot: LeadSnapshot, config: BatonConfig) -> LeadView:
    lead, decision = snapshot.lead, snapshot.decision
    region_name = snapshot.round.region if snapshot.round else lead.region
    region = config.region(region_name) if region_name else None
    data = (decision.data or {}) if decision else {}
    round_no = snapshot.round.round_no if snapshot.round else lead.handoff_round
    status = (
        lead.status
        if round_no == lead.handoff_round
        else (decision.kind if decision else lead.status)
    )
    name = " ".join(p for p in (lead.first_name, lead.last_name) if p) or None
    return LeadView(
        short_id=lead.short_id,
        status=status,
        round=round_no,
        name=name,
        title=lead.title,
        company=lead.company,
        email=lead.email,
        phone=lead.phone,
        country=lead.country,
        state=lead.state,
        campaign=lead.campaign,
        source=lead.source,
        score=lead.score,
        qualification_reason=lead.qualification_reason,
        route_reason=lead.route_reason,
        region=region_name,
        activity=tuple((a.type, _iso(a.at), a.detail) for a in snapshot.activity),
        notes=lead.notes,
        timezone=region.timezone if region else "UTC",
        decided_by=decision.actor if decision else None,
        rep_id=data.get("rep_id"),
        comment=decision.notes if decision and decision.kind == "accepted" else None,
        method=data.get("method"),
        feedback_due_at=_parse(data.get("feedback_due_at")),
        return_reason=decision.reason_code if decision and decision.kind == "returned" else None,
        return_notes=decision.notes if decision and decision.kind == "returned" else None,
        rerouted_to=(data.get("to_region") or "triage")
        if decision and decision.kind == "rerouted"
        else None,
        reroute_note=decision.notes if decision and decision.kind == "rerouted" else None,
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def current_view(baton: Any, lead_id: int) -> LeadView:
    """The lead as it stands now, for a modal."""
    return lead_view(SqlOutbox(baton.database).snapshot(lead_id, None), baton.config)
