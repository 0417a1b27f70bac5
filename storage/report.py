"""The report's reads: lead summaries added up per group in one scan, by the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, null, or_, select, union

from bot.domain.attribution import Attribution
from bot.domain.lead import LeadStatus
from bot.domain.lead_summary import CRM as CRM_AMOUNT
from bot.domain.lead_summary import Stage
from bot.domain.report import GroupBy
from bot.services.records import Cell, Regions, Unmeasured
from storage.db import Database
from storage.rows import LeadRow, LeadSummaryRow, LeadTouchRow

S = LeadSummaryRow
GROUP_COLUMNS = {
    GroupBy.CAMPAIGN: S.campaign,
    GroupBy.REGION: S.region,
    GroupBy.SOURCE: S.source,
    GroupBy.REP: S.rep_id,
    # Groups are named by text; a version is named by its number.
    GroupBy.DEFINITION: cast(S.definition_version, String),
}


# Last-touch attribution groups by the lead's last touch instead of its first.
LAST_TOUCH_COLUMNS = {GroupBy.CAMPAIGN: S.last_campaign, GroupBy.SOURCE: S.last_source}


def _influence(dimension: str) -> Any:
    """(lead, name) of every campaign or source each lead touched: its first and its later."""
    first = select(S.lead_id.label("lead_id"), getattr(S, dimension).label("name"))
    later = select(LeadTouchRow.lead_id, LeadTouchRow.name).where(
        LeadTouchRow.dimension == dimension
    )
    return union(first, later).subquery(f"influence_{dimension}")


@dataclass(frozen=True)
class _Attributed:
    """How one attribution groups the summaries and which campaign each lead costs."""

    group: Any
    # None: the leads' campaigns are counted apart (campaign_counts), and no key of the cells
    # (PostgreSQL refuses to group by a constant).
    campaign: Any
    joined: tuple[Any, ...] = ()

    def source(self) -> Any:
        table: Any = S.__table__
        for influence in self.joined:
            table = table.join(influence, influence.c.lead_id == S.lead_id)
        return table


def attributed(by: GroupBy, attribution: Attribution) -> _Attributed:
    if attribution is Attribution.LAST:
        return _Attributed(LAST_TOUCH_COLUMNS.get(by, GROUP_COLUMNS[by]), S.last_campaign)
    if attribution is Attribution.ANY:
        if by in (GroupBy.CAMPAIGN, GroupBy.SOURCE):
            influence = _influence(by.value)
            campaign = influence.c.name if by is GroupBy.CAMPAIGN else None
            return _Attributed(influence.c.name, campaign, (influence,))
        return _Attributed(GROUP_COLUMNS[by], None)
    return _Attributed(GROUP_COLUMNS[by], S.campaign)


class SqlReportReader:
    def __init__(self, database: Database) -> None:
        self.database = database

    def cells(
        self,
        *,
        by: GroupBy,
        since: datetime | None,
        until: datetime | None,
        regions: Regions,
        stamped: bool = False,
        attribution: Attribution = Attribution.FIRST,
    ) -> list[Cell]:
        how = attributed(by, attribution)
        group, campaign = how.group, how.campaign if how.campaign is not None else null()
        # In the order of the grouping's covering index, so that no row is sorted.
        alike = [campaign, S.stages, S.return_reason, S.amount_currency]
        stamps = [S.accept_stamp, S.contact_stamp] if stamped else [null(), null()]
        grouped = by is not GroupBy.CAMPAIGN or attribution is not Attribution.FIRST
        keys = [*([group] if grouped else []), *(alike if how.campaign is not None else alike[1:])]
        query = (
            select(
                group,
                *alike,
                *stamps,
                func.count(),
                func.coalesce(func.sum(S.amount_cents), 0),
                # Every minute, so that medians are exact: one string per cell, not a row per lead.
                func.aggregate_strings(cast(S.accept_minutes, String), ","),
                func.aggregate_strings(cast(S.contact_minutes, String), ","),
            )
            .select_from(how.source())
            .where(*_cohort(since, until, regions))
            .group_by(*keys, *(stamps if stamped else []))
        )
        with self.database.reading() as session:
            rows: Sequence[Any] = session.execute(query).all()
        return [
            Cell(
                group=row[0],
                campaign=row[1],
                stages=row[2],
                return_reason=row[3],
                amount_currency=row[4],
                accept_stamp=row[5],
                contact_stamp=row[6],
                leads=row[7],
                amount_cents=int(row[8]),
                accept_minutes=_numbers(row[9]),
                contact_minutes=_numbers(row[10]),
            )
            for row in rows
        ]

    def stamps(self) -> set[str]:
        """Every calendar stamp any stored speed was measured in (read from their indexes)."""
        with self.database.reading() as session:
            found: set[str] = set()
            for column in (S.accept_stamp, S.contact_stamp):
                found |= set(
                    session.scalars(select(column).where(column.is_not(None)).group_by(column))
                )
        return found

    def unmeasured(
        self,
        *,
        by: GroupBy,
        since: datetime | None,
        until: datetime | None,
        regions: Regions,
        stamps: Sequence[str],
        attribution: Attribution = Attribution.FIRST,
    ) -> list[Unmeasured]:
        how = attributed(by, attribution)
        query = (
            select(
                how.group,
                S.handed_at,
                S.accepted_at,
                S.accept_region,
                S.accept_stamp,
                S.contact_from,
                S.contacted_at,
                S.contact_region,
                S.contact_stamp,
            )
            .select_from(how.source())
            .where(
                *_cohort(since, until, regions),
                or_(S.accept_stamp.in_(stamps), S.contact_stamp.in_(stamps)),
            )
        )
        with self.database.reading() as session:
            return [Unmeasured(*row) for row in session.execute(query)]

    def crm_won(
        self,
        *,
        by: GroupBy,
        since: datetime | None,
        until: datetime | None,
        regions: Regions,
        attribution: Attribution = Attribution.FIRST,
    ) -> list[tuple[str | None, str | None, int]]:
        """(group, currency, cents) of the won amounts the CRM's deals gave, per group."""
        how = attributed(by, attribution)
        query = (
            select(how.group, S.amount_currency, func.sum(S.amount_cents))
            .select_from(how.source())
            .where(
                S.amount_source == CRM_AMOUNT,
                S.stages.op("&")(int(Stage.WON)) != 0,
                *_cohort(since, until, regions),
            )
            .group_by(how.group, S.amount_currency)
        )
        with self.database.reading() as session:
            return [(row[0], row[1], int(row[2] or 0)) for row in session.execute(query)]

    def campaign_sizes(self, attribution: Attribution = Attribution.FIRST) -> dict[str, int]:
        """How many leads, received at any time, each campaign counts under the attribution."""
        how = attributed(GroupBy.CAMPAIGN, attribution)
        query = (
            select(how.group, func.count())
            .select_from(how.source())
            .where(how.group.is_not(None))
            .group_by(how.group)
        )
        with self.database.reading() as session:
            rows = session.execute(query)
            return {campaign: count for campaign, count in rows if campaign is not None}

    def campaign_counts(
        self,
        *,
        by: GroupBy | None,
        since: datetime | None,
        until: datetime | None,
        regions: Regions,
    ) -> dict[str | None, dict[str | None, int]]:
        """The cohort's leads by group (None: all in one) and by every campaign they touched:
        what each group costs under campaign influence."""
        influence = _influence("campaign")
        how = attributed(by, Attribution.ANY) if by else _Attributed(null(), None)
        group = how.group
        table = how.source().join(influence, influence.c.lead_id == S.lead_id)
        keys = [*([group] if by else []), influence.c.name]
        query = (
            select(group, influence.c.name, func.count())
            .select_from(table)
            .where(*_cohort(since, until, regions))
            .group_by(*keys)
        )
        counts: dict[str | None, dict[str | None, int]] = {}
        with self.database.reading() as session:
            for name, campaign, count in session.execute(query):
                counts.setdefault(name, {})[campaign] = count
        return counts

    def overdue_feedback(self, *, regions: Regions, now: datetime) -> int:
        """Leads accepted with no outcome reported by their feedback due date."""
        query = select(func.count()).where(
            LeadRow.status == LeadStatus.ACCEPTED.value,
            LeadRow.feedback_due_at < now,
            *_in_regions(LeadRow.region, regions),
        )
        with self.database.reading() as session:
            return session.scalar(query) or 0

    def leaked_between(
        self, *, regions: Regions, since: datetime | None, until: datetime | None
    ) -> int:
        """Leads flagged as leaked in the period, whenever they were received."""
        where = [S.leaked_at.is_not(None), *_in_regions(S.region, regions)]
        if since is not None:
            where.append(S.leaked_at >= since)
        if until is not None:
            where.append(S.leaked_at < until)
        with self.database.reading() as session:
            return session.scalar(select(func.count()).where(*where)) or 0


def _cohort(
    since: datetime | None, until: datetime | None, regions: Regions
) -> list[ColumnElement[bool]]:
    where = _in_regions(S.region, regions)
    if since is not None:
        where.append(S.received_at >= since)
    if until is not None:
        where.append(S.received_at < until)
    return where


def _in_regions(column: Any, regions: Regions) -> list[ColumnElement[bool]]:
    if regions is None:
        return []
    named = [r for r in regions if r is not None]
    either = [column.in_(named)] if named else []
    if None in regions:
        either.append(column.is_(None))
    return [or_(*either)] if either else [and_(column.is_(None), column.is_not(None))]


def _numbers(text: str | None) -> dict[int, int]:
    """How many times each number occurs in "12,5,12": counted as text, converted once each."""
    if not text:
        return {}
    return {int(number): count for number, count in Counter(text.split(",")).items()}
