"""What composing outbox work needs: the composer that reads snapshots (and the readers an App
Home and a rules proposal need) for it, and where messages go."""

from __future__ import annotations

from bot.clock import Clock
from bot.domain.snapshots import EventLine, LeadSnapshot
from bot.services.ports import LeadReader, ReportReader, SnapshotReader
from bot.services.records import OutboxItem
from bot.services.rules_ports import BacktestReader, RulesReader
from bot.slack import blocks_timers as bt
from bot.slack import text as t
from bot.slack.compose_rules import Backtests
from bot.slack.views import LeadView, lead_view
from config.model import BatonConfig

UPLOAD = "files_upload_v2"  # Slack's file upload flow: a URL, the bytes, then completion


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
        rules: RulesReader | None = None,
        backtests: BacktestReader | None = None,
    ) -> None:
        self.reads, self.leads, self.config, self.clock = reads, leads, config, clock
        self.report = report
        # A proposal to change the lead definition: its versions, and the leads to backtest on.
        self.rules, self.backtests = rules, backtests
        self.backtests_run = Backtests()

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
