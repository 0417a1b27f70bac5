"""What Baton knows of a CRM: its records, deals, users and fields, and how a call can fail.

A CRM client (HubSpot, Salesforce, …) turns its provider's answers into these plain records,
and every failure into one of two errors the outbox can act on: `CrmRetryLater` (try again,
after `wait` when the CRM said how long) or `CrmNeedsPerson` (retrying will not help; `fix`
tells a person what to do).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from bot.domain.amounts import Money

# A marker Baton writes into every note, task and activity, so that a try whose answer was
# lost can find what the earlier try may already have written instead of writing it twice.
ENTRY_MARKER = "[baton:{key}]"


class CrmProvider(StrEnum):
    HUBSPOT = "hubspot"
    SALESFORCE = "salesforce"

    @property
    def label(self) -> str:
        return {CrmProvider.HUBSPOT: "HubSpot", CrmProvider.SALESFORCE: "Salesforce"}[self]


@dataclass(frozen=True)
class CrmRecord:
    """A person in the CRM that can become a lead: a HubSpot contact or a Salesforce lead."""

    id: str
    properties: Mapping[str, Any]
    changed_at: datetime | None = None


@dataclass(frozen=True)
class CrmDeal:
    """A HubSpot deal or Salesforce opportunity, with the records it belongs to."""

    id: str
    name: str | None
    stage: str | None
    amount: Money | None
    closed_on: date | None
    changed_at: datetime | None
    record_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrmUser:
    """Someone who can own records in the CRM (a HubSpot owner, a Salesforce user)."""

    id: str
    email: str | None
    name: str
    active: bool = True


@dataclass(frozen=True, order=True)
class CrmCursor:
    """Where a pass over changed records got to: the last change it stored."""

    changed_at: datetime
    record_id: str

    def encode(self) -> str:
        return f"{self.changed_at.isoformat()}|{self.record_id}"

    @classmethod
    def decode(cls, text: str) -> CrmCursor:
        """Read a cursor written by `encode`; raise ValueError for anything else."""
        at, separator, record_id = text.partition("|")
        changed_at = datetime.fromisoformat(at)
        if not separator or not record_id or changed_at.tzinfo is None:
            raise ValueError(f"not a CRM cursor: {text!r}")
        return cls(changed_at, record_id)


class Changed(Protocol):
    """A record or deal: something with an id that changes over time."""

    @property
    def id(self) -> str: ...

    @property
    def changed_at(self) -> datetime | None: ...


T = TypeVar("T")
C = TypeVar("C", bound=Changed)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of changed records or deals.

    Store `items`, then `cursor`: a pass that stops after that starts again from it.
    `next_page` continues the same query; when it is None but `more` is true the CRM will
    page no further (HubSpot stops at 10,000 results), so start a new query from `cursor`.
    """

    items: tuple[T, ...]
    cursor: CrmCursor | None
    next_page: str | None = None
    more: bool = False
    total: int | None = None  # how many the whole query finds, when the CRM says


def page_after(
    items: Sequence[C],
    *,
    since: CrmCursor | None,
    next_page: str | None,
    more: bool,
    total: int | None = None,
) -> Page[C]:
    """Make a page of changes read from `since` on: the change it points at was stored already."""
    seen = (since.changed_at, since.record_id) if since else None
    kept = tuple(item for item in items if (item.changed_at, item.id) != seen)
    last = next((item for item in reversed(items) if item.changed_at is not None), None)
    cursor = CrmCursor(last.changed_at, last.id) if last and last.changed_at else since
    return Page(kept, cursor, next_page, more, total)


class EntryKind(StrEnum):
    NOTE = "note"  # the manager's comment on acceptance, a return's reason and notes
    TASK = "task"  # something for a person to do by a date: leakage, a customer-service touch
    ACTIVITY = "activity"  # an outcome a rep logged, as it happened


@dataclass(frozen=True)
class CrmEntry:
    """A note, task or activity Baton writes on a record; `key` makes it findable again."""

    kind: EntryKind
    key: str
    subject: str
    body: str
    # When it happened (activity, note) or is due (task), in the lead's region: a CRM that
    # keeps only a date (Salesforce's ActivityDate) takes this datetime's own date.
    at: datetime
    owner_id: str | None = None
    done: bool = False

    @property
    def marker(self) -> str:
        return ENTRY_MARKER.format(key=self.key)

    def text(self) -> str:
        """Return the body as written to the CRM: the text, then the marker on its own line."""
        return f"{self.body}\n\n{self.marker}" if self.body else self.marker


@dataclass(frozen=True)
class CrmField:
    """A field of the CRM's lead record: its allowed values (None: free text), if writable."""

    name: str
    options: frozenset[str] | None = None
    writable: bool | None = None  # None: the CRM does not say


@dataclass(frozen=True)
class CrmSchema:
    """What `crm check` compares the config with."""

    record_fields: Mapping[str, CrmField]
    deal_stages: frozenset[str]
    can_write_entries: bool | None = None  # None: the CRM does not say
    missing: tuple[str, ...] = field(default=())  # what could not be read, and why


class CrmProblem(StrEnum):
    """Why a person must step in; each has its own advice."""

    TOKEN_REFUSED = "token_refused"
    MISSING_PERMISSION = "missing_permission"
    RECORD_DELETED = "record_deleted"
    NO_USER = "no_user"
    RECORD_INVALID = "record_invalid"
    REFUSED = "refused"
    SETUP = "setup"


class CrmError(Exception):
    """A CRM call that did not work; the message says what happened."""


class CrmRetryLater(CrmError):
    """Nothing is wrong that a person must fix: try the same call again later.

    `wait` is how long the CRM asked for (Retry-After, a rate-limit window); None when it
    did not say, so the caller picks its own backoff.
    """

    def __init__(self, message: str, *, wait: timedelta | None = None) -> None:
        super().__init__(message)
        self.wait = wait


class CrmNeedsPerson(CrmError):
    """Retrying will not help until a person acts; `fix` says what to do."""

    def __init__(self, problem: CrmProblem, message: str, *, fix: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.fix = fix

    def explain(self) -> str:
        return f"{self} — {self.fix}"
