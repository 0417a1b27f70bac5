"""Who a fired timer tells, and in how many messages: one per person per pass, a note per lead."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.domain.timers import TimerKind
from bot.services.handoff import authority_for
from bot.services.records import TimerLead, Work, WorkKind
from config.model import BatonConfig, Region

# A pass's messages to people and channels: one each a pass, however many pages it takes.
GATHERED = frozenset({WorkKind.TIMER_DM, WorkKind.TIMER_POST})


@dataclass(frozen=True)
class Sent:
    """A timer a pass fired, or a snoozed reminder it brought back."""

    fire_id: int
    target: TimerLead
    kind: TimerKind
    due_at: datetime
    again: bool = False

    @property
    def token(self) -> list[int | bool]:
        return [self.fire_id, self.again]


def work_for(sent: Sequence[Sent], config: BatonConfig) -> list[Work]:
    """A note in each lead's thread, one DM per person, one post per channel, leakage tasks."""
    notes = [_lead_work(WorkKind.TIMER_NOTE, item) for item in sent]
    tasks = [
        _lead_work(WorkKind.TIMER_LEAK_TASK, item)
        for item in sent
        if item.kind is TimerKind.LEAKAGE
    ]
    to_person: dict[str, list[Sent]] = defaultdict(list)
    to_channel: dict[str, list[Sent]] = defaultdict(list)
    mentions: dict[str, list[str]] = defaultdict(list)
    regions = {region.name: region for region in config.regions}
    for item in sent:
        if item.kind is TimerKind.LEAKAGE:
            continue
        target = item.target
        region = regions.get(target.lead.region) if target.lead.region else None
        channel, people = _recipients(config, region, target, item.kind)
        if channel is not None:
            to_channel[channel].append(item)
            mentions[channel] += [p for p in people if p not in mentions[channel]]
            continue
        for person in people:
            to_person[person].append(item)
    dms = [
        Work(
            WorkKind.TIMER_DM,
            f"timerdm:{person}:{_key(items)}",
            data={"person": person, "items": [i.token for i in items]},
        )
        for person, items in sorted(to_person.items())
    ]
    posts = [
        Work(
            WorkKind.TIMER_POST,
            f"timerpost:{channel}:{_key(items)}",
            data={
                "channel": channel,
                "mention": mentions[channel],
                "items": [i.token for i in items],
            },
        )
        for channel, items in sorted(to_channel.items())
    ]
    return notes + dms + posts + tasks


class Gathered:
    """A pass's messages to people and channels, each grown page by page under one key."""

    def __init__(self) -> None:
        self._by_audience: dict[tuple[WorkKind, str], Work] = {}

    @property
    def keys(self) -> list[str]:
        return [work.key for work in self._by_audience.values()]

    def add(self, work: Sequence[Work]) -> list[Work]:
        """Add a page's messages to the pass's; return each message they grew, as it is now."""
        grown = []
        for item in work:
            audience = (item.kind, str(item.data.get("person") or item.data.get("channel")))
            before = self._by_audience.get(audience)
            now = item if before is None else replace(before, data=merged(before.data, item.data))
            self._by_audience[audience] = now
            grown.append(now)
        return grown


def merged(before: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """A message to a person or channel with the items (and mentions) of a later page too."""
    data = {**before, "items": [*before["items"], *more["items"]]}
    if "mention" in before:
        data["mention"] = list(dict.fromkeys([*before["mention"], *more["mention"]]))
    return data


def _lead_work(kind: WorkKind, item: Sent) -> Work:
    """A fire's note in its lead's thread, or its leakage task for marketing."""
    target = item.target
    if kind is WorkKind.TIMER_LEAK_TASK:
        key, data = f"leak:{item.fire_id}", {"fire": item.fire_id}
    else:
        suffix = ":again" if item.again else ""
        key, data = f"timer:{item.fire_id}{suffix}", {"fire": item.fire_id, "again": item.again}
    return Work(kind, key, target.id, target.lead.handoff_round, data=data)


def recipients(
    config: BatonConfig, target: TimerLead, kind: TimerKind
) -> tuple[str | None, list[str]]:
    """Who a timer tells: a channel to post in (mentioning the people) or None, and the people."""
    region = config.region(target.lead.region) if target.lead.region else None
    return _recipients(config, region, target, kind)


def _recipients(
    config: BatonConfig, region: Region | None, target: TimerLead, kind: TimerKind
) -> tuple[str | None, list[str]]:
    lead = target.lead
    match kind:
        case TimerKind.HANDOFF_SLA:
            return None, [region.manager] if region else list(config.triage.deciders)
        case TimerKind.ESCALATION if region is None:
            return config.triage.channel, list(config.triage.deciders)
        case TimerKind.ESCALATION:
            assert region is not None
            return region.channel, [region.backup or region.manager]
        case TimerKind.FEEDBACK_DUE | TimerKind.NEXT_STEP:
            return None, [lead.rep_id] if lead.rep_id else []
        case TimerKind.FEEDBACK_OVERDUE:
            manager = region.manager if region else lead.decided_by
            return None, [manager] if manager else []
    return None, []


def snooze_allowed(config: BatonConfig, target: TimerLead, kind: TimerKind) -> frozenset[str]:
    """Who may snooze a reminder: whoever it reminded, and the lead's deciders."""
    _, people = recipients(config, target, kind)
    return frozenset(people) | authority_for(config, target.lead.region).deciders


def _key(items: Sequence[Sent]) -> str:
    # A fire is recorded once and comes back at most once, so its id names this pass's message.
    first = items[0]
    return f"{first.fire_id}{'r' if first.again else ''}"
