"""What composing outbox work needs: the Slack call it makes (or the wait), the composer that
reads snapshots for it, and where messages go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.domain.snapshots import EventLine, LeadSnapshot, Posted
from bot.services.ports import LeadReader, ReportReader, SnapshotReader
from bot.services.records import OutboxItem
from bot.slack import blocks_timers as bt
from bot.slack import text as t
from bot.slack.blockkit import Message
from bot.slack.views import LeadView, lead_view
from config.model import BatonConfig

METADATA_TYPE = "baton_work"
UPLOAD = "files_upload_v2"  # Slack's file upload flow: a URL, the bytes, then completion


@dataclass(frozen=True)
class SlackCall:
    method: str
    args: dict[str, Any]
    homes: tuple[str, ...] = ()  # whose App Home to refresh once this is delivered


@dataclass(frozen=True)
class Wait:
    reason: str


Composed = SlackCall | Wait


class ComposerBase:
    """Composes outbox work from what `reads` (and, for App Homes, `leads` and `report`) find
    now."""

    def __init__(
        self,
        *,
        reads: SnapshotReader,
        leads: LeadReader,
        config: BatonConfig,
        clock: Clock,
        report: ReportReader | None = None,
    ) -> None:
        self.reads, self.leads, self.config, self.clock = reads, leads, config, clock
        self.report = report

    def snapshot(self, item: OutboxItem) -> LeadSnapshot:
        found = None
        if item.lead_id is not None:
            found = self.reads.snapshot(item.lead_id, item.handoff_round)
        if found is None:
            raise LookupError(f"{item.key}: lead {item.lead_id} is not stored")
        return found

    def event(self, event_id: int) -> EventLine:
        found = self.reads.event(event_id)
        if found is None:
            raise LookupError(f"event {event_id} is not stored")
        return found

    def view(self, snapshot: LeadSnapshot) -> LeadView:
        return lead_view(snapshot, self.config)

    @property
    def hours(self) -> bt.Hours:
        return bt.Hours(self.config.sla.handoff_hours, self.config.sla.escalation_hours)


# Where messages go -------------------------------------------------------------------------


def target_of(config: BatonConfig, region_name: str | None) -> tuple[str, str | None]:
    """Where a region's handoffs go: its channel mentioning the manager, else the manager's DMs."""
    region = config.region(region_name) if region_name else None
    if region is None:
        return config.triage.channel, None
    if region.channel:
        return region.channel, region.manager
    return region.manager, None


def homes_of(snapshot: LeadSnapshot, config: BatonConfig) -> tuple[str, ...]:
    """Whose Home shows this lead: its rep, and the deciders of its region and of this round's."""
    lead = snapshot.lead
    people = [lead.rep_id] if lead.rep_id else []
    for name in sorted({lead.region, snapshot.region}, key=lambda r: r or ""):
        region = config.region(name) if name else None
        if region is None:
            people += config.triage.deciders
        else:
            people += [region.manager, *([region.backup] if region.backup else [])]
    return tuple(p for p in dict.fromkeys(people) if t.is_user_id(p))


def decider_of(config: BatonConfig, region_name: str | None) -> str:
    region = config.region(region_name) if region_name else None
    return region.manager if region else config.triage.deciders[0]


def post(channel: str | None, message: Message, key: str) -> dict[str, Any]:
    """chat.postMessage's arguments; the metadata finds the post again if its answer is lost."""
    return {
        "channel": channel,
        **message,
        "metadata": {"event_type": METADATA_TYPE, "event_payload": {"key": key}},
        "unfurl_links": False,
        "unfurl_media": False,
    }


def post_in(thread: Posted, message: Message, key: str) -> dict[str, Any]:
    """chat.postMessage's arguments for a reply in the thread of `thread`."""
    return post(thread.channel, message, key) | {"thread_ts": thread.ts}


def update(posted: Posted, message: Message) -> dict[str, Any]:
    return {"channel": posted.channel, "ts": posted.ts, **message}
