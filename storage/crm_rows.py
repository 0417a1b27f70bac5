"""The CRM bridge's tables: which record a lead is, the deals seen, and where a sync got to."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Numeric, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import Base, Id, UtcDateTime


class CrmLinkRow(Base):
    """A lead and the CRM record it came from (a HubSpot contact, a Salesforce lead)."""

    __tablename__ = "crm_links"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(100))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("provider", "record_id"),)


class CrmDealRow(Base):
    """A deal (opportunity) of a linked lead, as last taken in: a repeat changes nothing."""

    __tablename__ = "crm_deals"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    deal_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    stage: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(8))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Told of before a rep had the lead: recorded on it when one accepts it.
    waiting: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CrmCursorRow(Base):
    """Where a pass over the CRM's changes got to; moved only once a page is stored."""

    __tablename__ = "crm_cursors"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    cursor: Mapped[str] = mapped_column(String(200))
    moved_at: Mapped[datetime] = mapped_column(UtcDateTime)
