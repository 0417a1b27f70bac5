"""The one interface a CRM provider implements; HubSpot and Salesforce are modules beside it."""

from __future__ import annotations

from typing import Protocol

from bot.domain.crm import (
    CrmCursor,
    CrmDeal,
    CrmEntry,
    CrmRecord,
    CrmSchema,
    CrmUser,
    Page,
)
from bot.domain.crm_rules import CrmRules


class CrmClient(Protocol):
    """What Baton asks of a CRM.

    Each call makes one attempt and either returns plain records (`bot.domain.crm`) or raises
    `CrmRetryLater` (with the wait the CRM asked for, if any) or `CrmNeedsPerson` (with what a
    person must do). Nothing retries or sleeps inside: the caller, usually the outbox, decides.
    """

    @property
    def rules(self) -> CrmRules: ...

    def read_record(self, record_id: str) -> CrmRecord:
        """Read a contact (HubSpot) or lead (Salesforce) with every field the rules name."""
        ...

    def changed_records(
        self, *, since: CrmCursor | None, page: str | None = None
    ) -> Page[CrmRecord]:
        """Sales-ready records changed at or after `since` (all of them without one), oldest first."""
        ...

    def read_deal(self, deal_id: str) -> CrmDeal:
        """Read a deal (HubSpot) or opportunity (Salesforce) and the records it belongs to."""
        ...

    def deals_of(self, record_id: str) -> tuple[CrmDeal, ...]:
        """The deals a record belongs to."""
        ...

    def changed_deals(self, *, since: CrmCursor | None, page: str | None = None) -> Page[CrmDeal]:
        """Deals of records changed at or after `since`, oldest first."""
        ...

    def set_owner_and_status(
        self, record_id: str, *, owner_id: str | None, status: str | None
    ) -> None:
        """Set the record's owner and status; a None leaves that one as it is."""
        ...

    def add_entry(self, record_id: str, entry: CrmEntry) -> str:
        """Write a note, task or activity on the record; return its id in the CRM."""
        ...

    def find_entry(self, record_id: str, key: str) -> str | None:
        """Find what an earlier `add_entry` with this key wrote, in case its answer was lost."""
        ...

    def users(self) -> tuple[CrmUser, ...]:
        """Everyone who can own records (HubSpot owners, Salesforce users)."""
        ...

    def schema(self) -> CrmSchema:
        """The record's fields with their values, the deal stages, and what Baton may write."""
        ...

    def close(self) -> None: ...
