"""An in-memory SnapshotReader: the stored state that Slack messages are built from, in dicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain.snapshots import Batch, EventLine, FireLine, LeadSnapshot, Posted
from bot.services.records import WorkKind


@dataclass
class FakeSnapshots:
    """Holds snapshots as tests set them; answers as storage would, without a database."""

    leads: dict[tuple[int, int | None], LeadSnapshot] = field(default_factory=dict)
    events: dict[int, EventLine] = field(default_factory=dict)
    batches: dict[int, Batch] = field(default_factory=dict)
    fires: dict[int, FireLine] = field(default_factory=dict)
    leakage_tasks: dict[tuple[int, int], Posted] = field(default_factory=dict)
    posts: dict[str, Posted] = field(default_factory=dict)

    def add(self, snapshot: LeadSnapshot) -> LeadSnapshot:
        """Store `snapshot` as its round, and as the lead's current one when it is."""
        self.leads[(snapshot.id, snapshot.round_no)] = snapshot
        if snapshot.round_no == snapshot.lead.handoff_round:
            self.leads[(snapshot.id, None)] = snapshot
        return snapshot

    def snapshot(self, lead_id: int, round_no: int | None = None) -> LeadSnapshot | None:
        return self.leads.get((lead_id, round_no))

    def event(self, event_id: int) -> EventLine | None:
        return self.events.get(event_id)

    def batch(self, batch_id: int) -> Batch | None:
        return self.batches.get(batch_id)

    def fire_lines(self, fire_ids: Sequence[int]) -> dict[int, FireLine]:
        return {fire_id: self.fires[fire_id] for fire_id in fire_ids if fire_id in self.fires}

    def leakage_task(self, lead_id: int, round_no: int) -> Posted | None:
        return self.leakage_tasks.get((lead_id, round_no))

    def posted_work(self, lead_id: int, round_no: int, kind: WorkKind) -> Posted | None:
        if kind is WorkKind.TIMER_LEAK_TASK:
            return self.leakage_task(lead_id, round_no)
        return self.posts.get(f"{kind.value}:{lead_id}:{round_no}")

    def delivered(self, key: str) -> Posted | None:
        return self.posts.get(key)
