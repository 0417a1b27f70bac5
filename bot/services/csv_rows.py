"""How a CSV row becomes a lead: which column holds which field, and each row checked like an
intake lead, planned in chunks.

A row's own campaign and source win over the import's `--campaign` and `--source`, which
only fill in rows that have none; a badge number is unique only within one show, so it
matches leads only with a campaign to name the show.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from bot.clock import Clock
from bot.domain.lead import Lead, LeadStatus
from bot.domain.qualification import qualify, why_nurture
from bot.domain.shortid import new_short_id
from bot.services.intake_plan import PlannedLead, Routing, plan_facts
from bot.services.lead_rows import event_row, new_lead_row
from bot.services.leadin import LeadIn, check_lead
from bot.services.ports import ImportConfig

BADGE_ID = "badge_id"  # a badge number is unique only within one show; see RowReader
FLAGS = {"campaign": "--campaign", "source": "--source"}

# Header names, normalised by normalise(), that CRM and badge-scanner exports use.
HEADER_NAMES: dict[str, str] = {
    **dict.fromkeys(("email", "emailaddress", "workemail", "businessemail"), "email"),
    **dict.fromkeys(("firstname", "givenname", "forename"), "first_name"),
    **dict.fromkeys(("lastname", "surname", "familyname"), "last_name"),
    **dict.fromkeys(
        ("company", "companyname", "organization", "organisation", "accountname"), "company"
    ),
    **dict.fromkeys(("title", "jobtitle", "position"), "title"),
    **dict.fromkeys(("phone", "phonenumber", "mobile", "mobilephone", "telephone"), "phone"),
    **dict.fromkeys(("country", "countryregion"), "country"),
    **dict.fromkeys(("state", "stateprovince", "province"), "state"),
    **dict.fromkeys(("zip", "zipcode", "postalcode", "postcode", "zippostalcode"), "postal_code"),
    "region": "region",
    **dict.fromkeys(("score", "leadscore"), "score"),
    "campaign": "campaign",
    **dict.fromkeys(("source", "leadsource"), "source"),
    **dict.fromkeys(("notes", "note", "comments", "comment"), "notes"),
    **dict.fromkeys(("externalid", "leadid", "recordid"), "external_id"),
    "badgeid": BADGE_ID,
}
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
_DECIMAL_COMMA = re.compile(r"\d+,\d+")


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1, the first data row 2
    field: str  # the column as the file names it, or the flag that gave the value
    reason: str


def normalise(header: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", header.casefold())


class Columns:
    """Which column holds which lead field; a field may come from several columns."""

    def __init__(self, header: list[str]) -> None:
        self.header = header
        self.places: dict[str, list[tuple[int, str]]] = {}
        self.ignored: list[str] = []
        for index, raw in enumerate(header):
            title = raw.strip()
            lead_field = HEADER_NAMES.get(normalise(title))
            if lead_field is not None:
                self.places.setdefault(lead_field, []).append((index, title))
            elif title:
                self.ignored.append(title)
        self.fields = list(self.places.items())

    def missing_email(self) -> str | None:
        """Why the file cannot be imported for want of an email column, or None."""
        if "email" in self.places:
            return None
        found = ", ".join(f"“{h.strip()}”" for h in self.header if h.strip()) or "none"
        return (
            "has no email column: every lead needs one. Name a column “Email”, "
            f"“Email Address”, “E-mail” or “Work Email”. Its columns are: {found}"
        )

    def header_of(self, lead_field: str, cells: list[str]) -> str | None:
        places = self.places.get(lead_field, [])
        for index, title in places:
            if index < len(cells) and cells[index].strip():
                return title
        return places[0][1] if places else None


class RowReader:
    """Turn one row into a checked lead, or into row errors."""

    def __init__(
        self,
        columns: Columns,
        config: ImportConfig,
        campaign: str | None,
        source: str | None,
        *,
        decimal_comma: bool,
    ) -> None:
        self.columns = columns
        self.defaults = {
            name: value.strip()
            for name, value in (("campaign", campaign), ("source", source))
            if value and value.strip()
        }
        self.decimal_comma = decimal_comma
        self.config = config

    def lead(self, row_no: int, cells: list[str], chunk: Chunk) -> LeadIn | None:
        """Check a row; its errors, campaign and unused badge id are counted in `chunk`."""
        item = self._item(cells, chunk)
        lead, problems = check_lead(item, row_no, known_region=self._known_region)
        for problem in problems:
            reason = problem.reason
            if problem.field == "email" and item.get("email") is None:
                reason = "is empty: every lead needs an email address"
            chunk.errors.append(RowError(row_no, self._field_name(problem.field, cells), reason))
        if lead is not None and lead.campaign:
            chunk.campaigns[lead.campaign] += 1
        if lead is not None and lead.source:
            chunk.sources[lead.source] += 1
        return lead

    def _item(self, cells: list[str], chunk: Chunk) -> dict[str, Any]:
        item: dict[str, Any] = {"email": None}
        width = len(cells)
        for lead_field, places in self.columns.fields:
            for index, _ in places:
                if index < width:
                    value = cells[index].strip()
                    if value:
                        item[lead_field] = value
                        break
        for name, value in self.defaults.items():
            item.setdefault(name, value)
        badge = item.pop(BADGE_ID, None)
        if badge is not None and "external_id" not in item:
            if "campaign" in item:
                # Namespaced by show: badge 1001 at one show is someone else at the next.
                item["external_id"] = f"badge:{item['campaign'].lower()}:{badge}"
            else:
                chunk.badges_unused += 1
        if self.decimal_comma and "score" in item and _DECIMAL_COMMA.fullmatch(item["score"]):
            item["score"] = item["score"].replace(",", ".")
        return item

    def _known_region(self, name: str) -> bool:
        return self.config.region(name) is not None

    def _field_name(self, lead_field: str, cells: list[str]) -> str:
        if lead_field == "external_id" and "external_id" not in self.columns.places:
            lead_field = BADGE_ID
        header = self.columns.header_of(lead_field, cells)
        if header is not None and (
            lead_field not in self.defaults or self._has_value(lead_field, cells)
        ):
            return header
        return FLAGS.get(lead_field, lead_field)

    def _has_value(self, lead_field: str, cells: list[str]) -> bool:
        return any(
            index < len(cells) and cells[index].strip()
            for index, _ in self.columns.places.get(lead_field, [])
        )


# A checked lead's facts (LeadIn.facts()) as a chunk carries them: their values in this order.
FACT_KEYS = tuple(name for name in LeadIn.model_fields if name != "activity")
_FACT_VALUES = itemgetter(*FACT_KEYS)


@dataclass
class NewLeads:
    """A chunk's good rows planned as new leads, in plain values that are cheap to send to the
    process that stores them: for each, its facts (FACT_KEYS order), short id, lead row and
    first events' rows (lead_rows.py; no batch yet, no lead row id), and why it is nurture (or
    None); the activity of those that bring any, by position."""

    facts: list[tuple[Any, ...]] = field(default_factory=list)
    short_ids: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[tuple[Any, ...], ...]] = field(default_factory=list)
    why: list[str | None] = field(default_factory=list)
    activity: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # No two share an email or external id and none brings activity: if none is stored yet,
    # they are stored as they are, with nothing to merge.
    distinct: bool = True

    def planned(self, now: datetime, routing: Routing) -> list[PlannedLead]:
        """The leads planned again as intake plans them, to merge or to forecast."""
        return [
            plan_facts(
                dict(zip(FACT_KEYS, facts, strict=True)),
                list(self.activity.get(index, ())),
                now=now,
                routing=routing,
            )
            for index, facts in enumerate(self.facts)
        ]


@dataclass
class Chunk:
    """Rows read and checked: the good ones planned as new leads at `now`, the bad ones'
    errors, and what the rows say of campaigns and badge ids."""

    now: datetime
    rows: int = 0  # rows of the file read for this chunk, good and bad
    row_numbers: list[int] = field(default_factory=list)  # of the planned leads
    new: NewLeads = field(default_factory=NewLeads)
    errors: list[RowError] = field(default_factory=list)
    campaigns: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    badges_unused: int = 0


class _Planner:
    """Plans a chunk's leads into its NewLeads.

    Leads of one chunk that come through the same campaign and source, qualify alike and go
    to the same region get the same lifecycle and first events (only facts, reasons and
    short ids tell them apart), so those are planned once per chunk and shared.
    """

    def __init__(self, chunk: Chunk, routing: Routing) -> None:
        self.new, self.now, self.routing = chunk.new, chunk.now, routing
        self.firsts: dict[tuple[Any, ...], tuple[Lead, tuple[tuple[Any, ...], ...]]] = {}
        self.emails: set[str] = set()
        self.external_ids: set[str] = set()

    def add(self, lead_in: LeadIn) -> None:
        new, facts, definition = self.new, lead_in.facts(), self.routing.definition
        verdict = qualify(facts, definition)
        where = self.routing.route(facts)
        key = (lead_in.campaign, lead_in.source, verdict.sales_ready, verdict.reason, where.region)
        first = self.firsts.get(key)
        if first is None:
            change = plan_facts(facts, [], now=self.now, routing=self.routing).change
            events = tuple(event_row(0, event)[1:] for event in change.events)
            first = self.firsts[key] = (change.lead, events)
        lead, events = first
        reasons = {"qualification": verdict.reason, "route": where.reason}
        new.facts.append(_FACT_VALUES(facts))
        new.short_ids.append(new_short_id())
        new.rows.append(new_lead_row(lead, facts, reasons, self.now))
        new.events.append(events)
        nurture = lead.status is LeadStatus.NURTURE
        new.why.append(why_nurture(facts, definition) if nurture else None)
        if lead_in.activity:
            new.activity[len(new.facts) - 1] = [
                {"type": a.type, "at": a.at, "detail": a.detail} for a in lead_in.activity
            ]
            new.distinct = False
        email, external_id = lead_in.email, lead_in.external_id
        if email in self.emails or (external_id and external_id in self.external_ids):
            new.distinct = False
        self.emails.add(email)
        if external_id:
            self.external_ids.add(external_id)


def planned_chunks(
    records: Iterator[tuple[int, list[str]]],
    reader: RowReader,
    *,
    clock: Clock,
    routing: Routing,
    size: int,
) -> Iterator[Chunk]:
    """Read, check and plan the rows, `size` good ones to a chunk; the last may be short."""
    chunk = Chunk(now=clock.now())
    planner = _Planner(chunk, routing)
    for row_no, cells in records:
        chunk.rows += 1
        lead = reader.lead(row_no, cells, chunk)
        if lead is not None:
            planner.add(lead)
            chunk.row_numbers.append(row_no)
            if len(chunk.row_numbers) >= size:
                yield chunk
                chunk = Chunk(now=clock.now())
                planner = _Planner(chunk, routing)
    yield chunk
