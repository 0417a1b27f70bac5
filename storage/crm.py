"""The CRM bridge's SQL: leads linked to records, deals taken in, and sync cursors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.services.crm_ports import SeenDeal, WaitingDeal
from storage.rows import CrmCursorRow, CrmDealRow, CrmLinkRow, LeadRow, UtcDateTime


class SqlCrmRepository:
    def __init__(self, session: Session, *, postgres: bool) -> None:
        self.session = session
        self.insert = pg_insert if postgres else sqlite_insert

    def link(self, provider: str, record_id: str, short_id: str, *, now: datetime) -> None:
        # Nothing is linked when the lead is not stored (a dry run's lead, rolled back).
        lead = select(
            literal(provider), literal(record_id), LeadRow.id, literal(now, UtcDateTime())
        ).where(LeadRow.short_id == short_id)
        columns = ["provider", "record_id", "lead_id", "linked_at"]
        statement = self.insert(CrmLinkRow).from_select(columns, lead)
        self.session.execute(
            statement.on_conflict_do_nothing(index_elements=["provider", "record_id"])
        )

    def lead_of(self, provider: str, record_id: str) -> str | None:
        return self.session.scalar(
            select(LeadRow.short_id)
            .join(CrmLinkRow, CrmLinkRow.lead_id == LeadRow.id)
            .where(CrmLinkRow.provider == provider, CrmLinkRow.record_id == record_id)
        )

    def record_of(self, provider: str, short_id: str) -> str | None:
        return self.session.scalar(
            select(CrmLinkRow.record_id)
            .join(LeadRow, CrmLinkRow.lead_id == LeadRow.id)
            .where(CrmLinkRow.provider == provider, LeadRow.short_id == short_id)
            .order_by(CrmLinkRow.id)
            .limit(1)
        )

    def deal_seen(self, provider: str, deal_id: str) -> SeenDeal | None:
        row = self.session.get(CrmDealRow, (provider, deal_id))
        return None if row is None else SeenDeal(row.stage, row.amount, row.currency)

    def see_deal(
        self,
        provider: str,
        deal_id: str,
        short_id: str,
        *,
        outcome: str | None,
        seen: SeenDeal,
        now: datetime,
        waiting: bool = False,
    ) -> None:
        lead_id = select(LeadRow.id).where(LeadRow.short_id == short_id).scalar_subquery()
        values: dict[str, Any] = {"stage": seen.stage, "amount": seen.amount}
        values |= {"currency": seen.currency, "outcome": outcome, "seen_at": now}
        values |= {"waiting": waiting}
        statement = self.insert(CrmDealRow).values(
            provider=provider, deal_id=deal_id, lead_id=lead_id, **values
        )
        self.session.execute(
            statement.on_conflict_do_update(index_elements=["provider", "deal_id"], set_=values)
        )

    def waiting_deals(self, lead_id: int) -> list[WaitingDeal]:
        rows = self.session.scalars(
            select(CrmDealRow)
            .where(CrmDealRow.lead_id == lead_id, CrmDealRow.waiting.is_(True))
            .order_by(CrmDealRow.seen_at, CrmDealRow.deal_id)
        )
        return [
            WaitingDeal(
                row.provider, row.deal_id, row.outcome or "", row.stage, row.amount, row.currency
            )
            for row in rows
        ]

    def deal_recorded(self, provider: str, deal_id: str) -> None:
        self.session.execute(
            update(CrmDealRow)
            .where(CrmDealRow.provider == provider, CrmDealRow.deal_id == deal_id)
            .values(waiting=False)
        )

    def cursor(self, name: str) -> str | None:
        return self.session.scalar(select(CrmCursorRow.cursor).where(CrmCursorRow.name == name))

    def move_cursor(self, name: str, cursor: str, *, now: datetime) -> None:
        statement = self.insert(CrmCursorRow).values(name=name, cursor=cursor, moved_at=now)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["name"], set_={"cursor": cursor, "moved_at": now}
            )
        )
