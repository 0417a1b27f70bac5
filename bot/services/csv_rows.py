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
from typing import Any

from bot.clock import Clock
from bot.services.intake_plan import PlannedLead, Routing, plan_lead
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


@dataclass
class Chunk:
    """Rows read and checked: the good ones planned as new leads at `now`, the bad ones'
    errors, and what the rows say of campaigns and badge ids."""

    now: datetime
    rows: int = 0  # rows of the file read for this chunk, good and bad
    row_numbers: list[int] = field(default_factory=list)  # of the planned leads
    planned: list[PlannedLead] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    campaigns: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    badges_unused: int = 0


def planned_chunks(
    records: Iterator[tuple[int, list[str]]],
    reader: RowReader,
    *,
    clock: Clock,
    routing: Routing,
    size: int,
) -> Iterator[Chunk]:
    """Read, check and plan the rows, `size` good ones to a chunk; the last may be short."""
    chunk, leads = Chunk(now=clock.now()), []
    for row_no, cells in records:
        chunk.rows += 1
        lead = reader.lead(row_no, cells, chunk)
        if lead is not None:
            leads.append(lead)
            chunk.row_numbers.append(row_no)
            if len(leads) >= size:
                chunk.planned = [plan_lead(lead, now=chunk.now, routing=routing) for lead in leads]
                yield chunk
                chunk, leads = Chunk(now=clock.now()), []
    chunk.planned = [plan_lead(lead, now=chunk.now, routing=routing) for lead in leads]
    yield chunk
