"""The weekly digests: when each audience's is due, and what it holds.

A region's scoreboard is about the leads it received last week (its local Monday to Monday),
with what is overdue now and what leaked during the week. Marketing's digest is each
campaign's funnel and ROI to date, with last week's leads beside it. Each is due from Monday
09:00 on its audience's clock, once per week: the week is named by its Monday.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.report import ReportRow
from bot.domain.report_data import row_from_json, row_json

DUE_AT = time(9, 0)
MARKETING = "marketing"
MARKETING_TIMEZONE = "UTC"


def due_week(now: datetime, timezone: str) -> date | None:
    """The Monday of the week whose digest is due at `now`, or None before Monday 09:00."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    if now < datetime.combine(monday, DUE_AT, zone):
        return None
    return monday


def week_bounds(monday: date, timezone: str) -> tuple[datetime, datetime]:
    """The week before `monday`, midnight to midnight on the audience's clock."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(monday - timedelta(weeks=1), time(0), zone)
    return start, datetime.combine(monday, time(0), zone)


@dataclass(frozen=True)
class RegionDigest:
    region: str | None  # None: triage
    week_start: date  # the Monday the digest is sent; it covers the week before
    timezone: str
    currency: str
    sla_hours: int
    week: ReportRow  # the leads received last week
    reps: tuple[ReportRow, ...]
    overdue_feedback: int
    leaked_in_week: int

    @property
    def empty(self) -> bool:
        """Nothing to tell: no leads last week, nothing overdue, nothing leaked."""
        return not (self.week.funnel.received or self.overdue_feedback or self.leaked_in_week)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "region",
            "region": self.region,
            "week_start": self.week_start.isoformat(),
            "timezone": self.timezone,
            "currency": self.currency,
            "sla_hours": self.sla_hours,
            "week": row_json(self.week),
            "reps": [row_json(row) for row in self.reps],
            "overdue_feedback": self.overdue_feedback,
            "leaked_in_week": self.leaked_in_week,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RegionDigest:
        return cls(
            region=data["region"],
            week_start=date.fromisoformat(data["week_start"]),
            timezone=data["timezone"],
            currency=data["currency"],
            sla_hours=data["sla_hours"],
            week=row_from_json(data["week"]),
            reps=tuple(row_from_json(row) for row in data["reps"]),
            overdue_feedback=data["overdue_feedback"],
            leaked_in_week=data["leaked_in_week"],
        )


@dataclass(frozen=True)
class MarketingDigest:
    week_start: date
    currency: str
    campaigns: tuple[ReportRow, ...]  # each campaign's leads to date
    to_date: ReportRow
    week: ReportRow  # the leads received last week
    live_version: int | None = None  # of the lead definition
    # Returns for one reason that passed the threshold in a source or campaign last month
    return_alerts: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.to_date.funnel.received

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "marketing",
            "week_start": self.week_start.isoformat(),
            "currency": self.currency,
            "campaigns": [row_json(row) for row in self.campaigns],
            "to_date": row_json(self.to_date),
            "week": row_json(self.week),
            "live_version": self.live_version,
            "return_alerts": list(self.return_alerts),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MarketingDigest:
        return cls(
            week_start=date.fromisoformat(data["week_start"]),
            currency=data["currency"],
            campaigns=tuple(row_from_json(row) for row in data["campaigns"]),
            to_date=row_from_json(data["to_date"]),
            week=row_from_json(data["week"]),
            # Digests queued before these were kept have neither.
            live_version=data.get("live_version"),
            return_alerts=tuple(data.get("return_alerts") or ()),
        )


Digest = RegionDigest | MarketingDigest


def digest_from_json(data: Mapping[str, Any]) -> Digest:
    if data["kind"] == "marketing":
        return MarketingDigest.from_json(data)
    return RegionDigest.from_json(data)


def top_reasons(row: ReportRow, limit: int = 3) -> list[tuple[str, int]]:
    """The most frequent return reasons, most frequent first."""
    ranked = sorted(row.returns_by_reason.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:limit]
