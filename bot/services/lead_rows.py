"""New leads and their first events as plain rows: the values storage inserts, in its order.

Storage builds its rows of new leads and events with these, and so can whoever plans leads
ahead of storing them: an import plans each chunk in the process that reads the file, so the
one storing it only adds the row ids its inserts give and sends the rows on.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any

from bot.domain.facts import FACT_FIELDS
from bot.domain.lead import Lead, LeadEvent, LeadStatus

# What a lead's lifecycle changes; all stored as they are but its status, stored as its value.
LIFECYCLE_FIELDS = (
    "status",
    "region",
    "handoff_round",
    "rep_id",
    "decided_by",
    "decided_at",
    "feedback_due_at",
    "next_step_at",
    "leaked_at",
    "definition_version",
)
PLAIN_LIFECYCLE_FIELDS = tuple(name for name in LIFECYCLE_FIELDS if name != "status")
_PLAIN_LIFECYCLE_OF = attrgetter(*PLAIN_LIFECYCLE_FIELDS)

# A new lead's row, but for its short id (drawn again if taken) and its row id.
LEAD_ROW_COLUMNS = (
    "email",
    "external_id",
    *FACT_FIELDS,
    "status",
    *PLAIN_LIFECYCLE_FIELDS,
    "created_at",
    "updated_at",
    "priority",
    "qualification_reason",
    "route_reason",
    "round_started_at",
    "batch_id",
    "last_activity_at",
)
STATUS_AT = LEAD_ROW_COLUMNS.index("status")
REGION_AT = LEAD_ROW_COLUMNS.index("region")
ROUND_AT = LEAD_ROW_COLUMNS.index("handoff_round")
BATCH_AT = LEAD_ROW_COLUMNS.index("batch_id")

# An event's row, its lead's row id first: the order bulk inserts of events take.
EVENT_ROW_COLUMNS = (
    "lead_id",
    "at",
    "kind",
    "actor",
    "handoff_round",
    "region",
    "campaign",
    "source",
    "status_before",
    "status_after",
    "reason_code",
    "amount",
    "notes",
    "data",
)


def new_lead_row(
    lead: Lead,
    facts: dict[str, Any],
    reasons: dict[str, str],
    now: datetime,
    batch_id: int | None = None,
) -> tuple[Any, ...]:
    """A new lead's values in LEAD_ROW_COLUMNS order."""
    return (
        facts["email"],
        facts.get("external_id"),
        *map(facts.get, FACT_FIELDS),
        lead.status.value,
        *_PLAIN_LIFECYCLE_OF(lead),
        now,
        now,
        0,
        reasons.get("qualification"),
        reasons.get("route"),
        now if lead.status is LeadStatus.PENDING else None,
        batch_id,
        None,
    )


def with_batch(row: tuple[Any, ...], batch_id: int | None) -> tuple[Any, ...]:
    """A new lead's row counted into a handoff batch."""
    return (*row[:BATCH_AT], batch_id, *row[BATCH_AT + 1 :])


def event_row(lead_id: int, event: LeadEvent) -> tuple[Any, ...]:
    """An event's values in EVENT_ROW_COLUMNS order."""
    return (
        lead_id,
        event.at,
        event.kind.value,
        event.actor,
        event.handoff_round,
        event.region,
        event.campaign,
        event.source,
        event.status_before.value if event.status_before else None,
        event.status_after.value,
        event.reason_code,
        event.amount,
        event.notes,
        event.data,
    )
