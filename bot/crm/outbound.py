"""Baton's decisions written to the CRM record of their lead, one attempt per delivery.

An acceptance sets the record's owner (the rep's CRM user) and status and writes the
manager's comment, follow-up method and due date as a note (HubSpot) or task (Salesforce);
each outcome a rep logs becomes an activity; a return sets its status and writes the reason;
a leak and a customer-service touch become a task for marketing's owner. Every note, task and
activity carries its work's key, so a delivery whose answer was lost finds what it wrote
instead of writing it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.clock import Clock
from bot.crm.people import People
from bot.crm.provider import CrmClient
from bot.domain.crm import CrmEntry, CrmProvider, CrmUser, EntryKind
from bot.domain.lead import Outcome, ReturnReason
from bot.domain.snapshots import EventLine
from bot.services.ports import SnapshotReader
from bot.services.records import OutboxItem


@dataclass(frozen=True)
class Writer:
    """What writing back needs: the CRM, the store's reads, who is who, and the clock."""

    crm: CrmClient
    reads: SnapshotReader
    people: People
    clock: Clock

    @property
    def provider(self) -> CrmProvider:
        return self.crm.rules.provider

    def accepted(self, item: OutboxItem) -> str:
        event, record_id = self._event(item), str(item.payload["record_id"])
        rep = self.people.of_slack_user(str(event.data["rep_id"]))
        status = self.crm.rules.status_for("accepted")
        self.crm.set_owner_and_status(record_id, owner_id=rep.id, status=status)
        due = datetime.fromisoformat(str(event.data["feedback_due_at"]))
        method = str(event.data.get("method") or "")
        # HubSpot keeps the manager's words as a note on the contact; Salesforce as the rep's
        # task on the lead, due when the feedback is.
        task = self.provider is CrmProvider.SALESFORCE
        entry = CrmEntry(
            kind=EntryKind.TASK if task else EntryKind.NOTE,
            key=item.key,
            subject=f"Follow up by {method} by {due:%Y-%m-%d} (Baton {self._short_id(item)})",
            body=f"{event.notes or ''}\n\nAccepted in Baton for {rep.name}: follow up by "
            f"{method}, feedback due {due:%Y-%m-%d %H:%M %Z}.".strip(),
            at=due if task else event.at,
            owner_id=rep.id,
        )
        written = self._write_once(item, record_id, entry)
        return f"owner {rep.id}, status {status}, {entry.kind.value} {written}"

    def reassigned(self, item: OutboxItem) -> str:
        event, record_id = self._event(item), str(item.payload["record_id"])
        rep = self.people.of_slack_user(str(event.data["rep_id"]))
        self.crm.set_owner_and_status(record_id, owner_id=rep.id, status=None)
        entry = CrmEntry(
            kind=EntryKind.NOTE,
            key=item.key,
            subject=f"Reassigned to {rep.name} (Baton {self._short_id(item)})",
            body=event.notes or "",
            at=event.at,
            owner_id=rep.id,
            done=True,
        )
        return f"owner {rep.id}, note {self._write_once(item, record_id, entry)}"

    def outcome(self, item: OutboxItem) -> str:
        event, record_id = self._event(item), str(item.payload["record_id"])
        outcome = Outcome(event.reason_code or Outcome.ATTEMPTED.value)
        closing = {Outcome.WON: "won", Outcome.LOST: "lost"}.get(outcome)
        status = self.crm.rules.status_for(closing) if closing else None
        if status:
            self.crm.set_owner_and_status(record_id, owner_id=None, status=status)
        lines = [event.notes or ""]
        if event.amount is not None:
            lines.append(f"Amount: {_amount(event.amount, event.data.get('currency'))}")
        if event.data.get("next_step_at"):
            lines.append(f"Next step: {str(event.data['next_step_at'])[:10]}")
        entry = CrmEntry(
            kind=EntryKind.ACTIVITY,
            key=item.key,
            subject=f"{outcome.value.capitalize()} (logged in Baton {self._short_id(item)})",
            body="\n".join(line for line in lines if line),
            at=event.at,
            done=True,
        )
        return f"activity {self._write_once(item, record_id, entry)}"

    def returned(self, item: OutboxItem) -> str:
        event, record_id = self._event(item), str(item.payload["record_id"])
        status = self.crm.rules.status_for("returned")
        if status:
            self.crm.set_owner_and_status(record_id, owner_id=None, status=status)
        reason = ReturnReason(event.reason_code or ReturnReason.OTHER.value)
        entry = CrmEntry(
            kind=EntryKind.NOTE,
            key=item.key,
            subject=f"Returned to marketing: {reason.label} (Baton {self._short_id(item)})",
            body=f"Reason: {reason.label}\n\n{event.notes or ''}".strip(),
            at=event.at,
            done=True,
        )
        return f"status {status}, note {self._write_once(item, record_id, entry)}"

    def task(self, item: OutboxItem) -> str:
        record_id, short_id = str(item.payload["record_id"]), self._short_id(item)
        owner = self._marketing_owner()
        if item.payload.get("what") == "touch":
            event = self._event(item)
            reached = "reached the lead" if event.data.get("reached") else "did not reach"
            subject = f"Customer-service touch logged: {reached} (Baton {short_id})"
            body, at, done = event.notes or "", event.at, True
        else:
            subject = f"Customer-service touch: nobody reached {short_id} since it was accepted"
            body = "Sales has not reached this lead; touch it to find out where it stands."
            at, done = self.clock.now(), False
        entry = CrmEntry(
            kind=EntryKind.TASK,
            key=item.key,
            subject=subject,
            body=body,
            at=at,
            owner_id=owner.id if owner else None,
            done=done,
        )
        return f"task {self._write_once(item, record_id, entry)}"

    def _write_once(self, item: OutboxItem, record_id: str, entry: CrmEntry) -> str:
        # An earlier try may have written it before its answer was lost: find it first.
        if item.attempts > 0:
            found = self.crm.find_entry(record_id, entry.key)
            if found is not None:
                return found
        return self.crm.add_entry(record_id, entry)

    def _marketing_owner(self) -> CrmUser | None:
        email = self.crm.rules.marketing_owner
        return self.people.by_email(email) if email else None

    def _event(self, item: OutboxItem) -> EventLine:
        found = self.reads.event(int(item.payload["event_id"]))
        if found is None:
            raise LookupError(f"{item.key}: event {item.payload['event_id']} is not stored")
        return found

    def _short_id(self, item: OutboxItem) -> str:
        snapshot = self.reads.snapshot(item.lead_id) if item.lead_id is not None else None
        return snapshot.lead.short_id if snapshot else "lead"


def _amount(amount: Decimal, currency: object) -> str:
    return f"{amount:,.2f} {currency}" if currency else f"{amount:,.2f}"
