"""How long Slack takes to deliver what an import queues, and whether to ask first.

The outbox posts at most one message a second in a channel (Slack's own pace for
chat.postMessage), so an import's handoffs reach a region's manager one by one: a batch
summary, then a card per sales-ready lead in its thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.wording import counted
from bot.services.csv_import import ImportReport

POST_SPACING = timedelta(seconds=1)  # the delivery worker's spacing of posts in one channel
FEW_MINUTES = timedelta(minutes=3)  # more than this to deliver: the import asks first


@dataclass(frozen=True)
class Delivery:
    """The Slack posts an import queues for one region, and how long they take to deliver."""

    region: str
    posts: int

    @property
    def takes(self) -> timedelta:
        return POST_SPACING * self.posts


def deliveries(report: ImportReport) -> list[Delivery]:
    """Per region with handoffs: its batch summary and a card per pending lead."""
    return [
        Delivery(region, tally.pending + 1)
        for region, tally in report.regions.items()
        if tally.pending
    ]


def too_slow(planned: list[Delivery], *, limit: timedelta = FEW_MINUTES) -> bool:
    return any(delivery.takes > limit for delivery in planned)


def could_be_slow(rows: int, *, limit: timedelta = FEW_MINUTES) -> bool:
    """Whether a file of `rows` rows could queue more than `limit` of posts in a channel."""
    return rows + 1 > limit / POST_SPACING


def pace_text(planned: list[Delivery]) -> str:
    """What the delivery takes per region, slowest first."""
    posts = sum(delivery.posts for delivery in planned)
    regions = sorted(planned, key=lambda delivery: -delivery.posts)
    each = ", ".join(f"{d.region} {duration_text(d.takes)}" for d in regions)
    return (
        f"This import queues {counted(posts, 'Slack post')}. Slack takes one post a second in "
        f"a channel, so delivering them takes about: {each}."
    )


def duration_text(duration: timedelta) -> str:
    """A duration as people say it: 45 s, 12 min, 1 h 5 min."""
    seconds = round(duration.total_seconds())
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
