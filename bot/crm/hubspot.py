"""HubSpot's CRM API (v3 objects, search, owners, properties, pipelines) as a `CrmClient`.

Leads are contacts; the rep becomes the contact's owner (`hubspot_owner_id`); the manager's
comment, a return's reason and each outcome a rep logs become notes on the contact, and
marketing's follow-ups become tasks. Authentication is a private app's or service key's
access token (HUBSPOT_ACCESS_TOKEN).
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.clock import Clock
from bot.crm.http import CrmHttp
from bot.crm.hubspot_errors import failure
from bot.domain.amounts import Money
from bot.domain.crm import (
    ENTRY_MARKER,
    CrmCursor,
    CrmDeal,
    CrmEntry,
    CrmField,
    CrmNeedsPerson,
    CrmRecord,
    CrmSchema,
    CrmUser,
    EntryKind,
    Page,
    page_after,
)
from bot.domain.crm_rules import CrmRules

API_URL = "https://api.hubapi.com"
PAGE_SIZE = 100
SEARCH_CAP = 10_000  # HubSpot's search pages no further than this many results
MODIFIED = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}
DEAL_PROPERTIES = (
    "dealname",
    "dealstage",
    "amount",
    "deal_currency_code",
    "closedate",
    "hs_lastmodifieddate",
)
# HubSpot-defined association types from a note and a task to a contact.
TO_CONTACT = {"notes": 202, "tasks": 204}
BODY = {"notes": "hs_note_body", "tasks": "hs_task_body"}
OK = frozenset({200, 201, 204, 207})


class HubSpotClient:
    """Talk to one HubSpot account; safe to share between threads."""

    def __init__(
        self,
        *,
        token: str,
        rules: CrmRules,
        clock: Clock,
        api_url: str = API_URL,
        timeout: float = 10.0,
    ) -> None:
        self.rules = rules
        self.clock = clock
        headers = {"Authorization": f"Bearer {token}"}
        self._http = CrmHttp(
            label="HubSpot", base_url=api_url, clock=clock, timeout=timeout, headers=headers
        )

    def close(self) -> None:
        self._http.close()

    # records and deals

    def read_record(self, record_id: str) -> CrmRecord:
        params = {"properties": ",".join(self.rules.read_fields())}
        path = f"/crm/v3/objects/contacts/{record_id}"
        return _record(self._call("GET", path, params=params, what=f"contact {record_id}"))

    def changed_records(
        self, *, since: CrmCursor | None, page: str | None = None
    ) -> Page[CrmRecord]:
        ready: dict[str, Any] = {"propertyName": self.rules.sales_ready_field, "operator": "IN"}
        ready["values"] = sorted(self.rules.sales_ready_values)
        answer = self._search("contacts", [ready], self.rules.read_fields(), since, page)
        return _page([_record(r) for r in answer["results"]], answer, since)

    def read_deal(self, deal_id: str) -> CrmDeal:
        params = {"properties": ",".join(DEAL_PROPERTIES), "associations": "contacts"}
        path = f"/crm/v3/objects/deals/{deal_id}"
        found = self._call("GET", path, params=params, what=f"deal {deal_id}")
        links = (found.get("associations") or {}).get("contacts", {}).get("results", [])
        return _deal(found, tuple(dict.fromkeys(str(link["id"]) for link in links)))

    def deals_of(self, record_id: str) -> tuple[CrmDeal, ...]:
        deal_ids = self._associated(record_id, "deals")
        if not deal_ids:
            return ()
        body = {"properties": list(DEAL_PROPERTIES), "inputs": [{"id": i} for i in deal_ids]}
        found = self._call("POST", "/crm/v3/objects/deals/batch/read", json=body)
        return tuple(_deal(deal, (record_id,)) for deal in found.get("results", []))

    def changed_deals(self, *, since: CrmCursor | None, page: str | None = None) -> Page[CrmDeal]:
        answer = self._search("deals", [], DEAL_PROPERTIES, since, page)
        ids = [str(deal["id"]) for deal in answer["results"]]
        contacts = self._deal_contacts(ids) if ids else {}
        deals = [_deal(d, contacts.get(str(d["id"]), ())) for d in answer["results"]]
        return _page(deals, answer, since)

    # writing

    def set_owner_and_status(
        self, record_id: str, *, owner_id: str | None, status: str | None
    ) -> None:
        changes = {self.rules.owner_field: owner_id, self.rules.status_field: status}
        properties = {name: value for name, value in changes.items() if value is not None}
        if properties:
            path = f"/crm/v3/objects/contacts/{record_id}"
            self._call("PATCH", path, json={"properties": properties}, what=f"contact {record_id}")

    def add_entry(self, record_id: str, entry: CrmEntry) -> str:
        kind = "tasks" if entry.kind is EntryKind.TASK else "notes"
        properties: dict[str, Any] = {"hs_timestamp": _stamp(entry.at)}
        if kind == "tasks":
            # HubSpot's task types are CALL, EMAIL and TODO; a follow-up of Baton's is a to-do.
            properties |= {"hs_task_subject": entry.subject, "hs_task_type": "TODO"}
            properties["hs_task_status"] = "COMPLETED" if entry.done else "NOT_STARTED"
            properties["hs_task_body"] = _html(entry.body, entry.marker)
        else:
            properties["hs_note_body"] = _html(entry.body, entry.marker, title=entry.subject)
        if entry.owner_id:
            properties["hubspot_owner_id"] = entry.owner_id
        association = {
            "associationCategory": "HUBSPOT_DEFINED",
            "associationTypeId": TO_CONTACT[kind],
        }
        body = {
            "properties": properties,
            "associations": [{"to": {"id": record_id}, "types": [association]}],
        }
        created = self._call(
            "POST", f"/crm/v3/objects/{kind}", json=body, what=f"contact {record_id}"
        )
        return str(created["id"])

    def find_entry(self, record_id: str, key: str) -> str | None:
        marker = html.escape(ENTRY_MARKER.format(key=key))
        for kind in ("notes", "tasks"):
            ids = self._associated(record_id, kind)
            if not ids:
                continue
            body = {"properties": [BODY[kind]], "inputs": [{"id": i} for i in ids]}
            found = self._call("POST", f"/crm/v3/objects/{kind}/batch/read", json=body)
            for item in found.get("results", []):
                if marker in str((item.get("properties") or {}).get(BODY[kind]) or ""):
                    return str(item["id"])
        return None

    # people and setup

    def users(self) -> tuple[CrmUser, ...]:
        users: list[CrmUser] = []
        after: str | None = None
        while True:
            params = {"limit": str(PAGE_SIZE)} | ({"after": after} if after else {})
            answer = self._call("GET", "/crm/v3/owners", params=params)
            users.extend(_owner(owner) for owner in answer.get("results", []))
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return tuple(users)

    def schema(self) -> CrmSchema:
        missing: list[str] = []
        fields: dict[str, CrmField] = {}
        stages: frozenset[str] = frozenset()
        try:
            answer = self._call("GET", "/crm/v3/properties/contacts")
            fields = {p["name"]: _field(p) for p in answer.get("results", [])}
        except CrmNeedsPerson as problem:
            missing.append(f"contact properties: {problem.explain()}")
        try:
            answer = self._call("GET", "/crm/v3/pipelines/deals")
            pipelines = answer.get("results", [])
            stages = frozenset(s["id"] for p in pipelines for s in p.get("stages", []))
        except CrmNeedsPerson as problem:
            missing.append(f"deal pipelines: {problem.explain()}")
        return CrmSchema(fields, stages, None, tuple(missing))

    # plumbing

    def _search(
        self,
        kind: str,
        filters: list[dict[str, Any]],
        properties: tuple[str, ...],
        since: CrmCursor | None,
        page: str | None,
    ) -> dict[str, Any]:
        modified = MODIFIED[kind]
        if since is not None:
            after_ms = str(int(since.changed_at.timestamp() * 1000))
            filters = [*filters, {"propertyName": modified, "operator": "GTE", "value": after_ms}]
        after = int(page or 0)
        body: dict[str, Any] = {
            "filterGroups": [{"filters": filters}] if filters else [],
            "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
            "properties": list(dict.fromkeys([*properties, modified])),
            "limit": min(PAGE_SIZE, SEARCH_CAP - after),
            "after": str(after),
        }
        found: dict[str, Any] = self._call("POST", f"/crm/v3/objects/{kind}/search", json=body)
        return found

    def _associated(self, record_id: str, kind: str) -> list[str]:
        params = {"associations": kind, "properties": "hs_object_id"}
        path = f"/crm/v3/objects/contacts/{record_id}"
        found = self._call("GET", path, params=params, what=f"contact {record_id}")
        links = (found.get("associations") or {}).get(kind, {}).get("results", [])
        return list(dict.fromkeys(str(link["id"]) for link in links))

    def _deal_contacts(self, deal_ids: list[str]) -> dict[str, tuple[str, ...]]:
        body = {"inputs": [{"id": i} for i in deal_ids]}
        answer = self._call("POST", "/crm/v4/associations/deals/contacts/batch/read", json=body)
        return {
            str(item["from"]["id"]): tuple(str(to["toObjectId"]) for to in item.get("to", []))
            for item in answer.get("results", [])
        }

    def _call(self, method: str, path: str, *, what: str | None = None, **options: Any) -> Any:
        response = self._http.send(method, path, **options)
        if response.status_code in OK:
            return self._http.json(response) if response.content else {}
        raise failure(response, what=what, http=self._http)


def _page(items: list[Any], answer: dict[str, Any], since: CrmCursor | None) -> Page[Any]:
    following = ((answer.get("paging") or {}).get("next") or {}).get("after")
    next_page = following if following and int(following) < SEARCH_CAP else None
    total = answer.get("total")
    return page_after(
        items,
        since=since,
        next_page=next_page,
        more=bool(following),
        total=total if isinstance(total, int) else None,
    )


def _record(found: dict[str, Any]) -> CrmRecord:
    properties = found.get("properties") or {}
    changed = properties.get("lastmodifieddate") or found.get("updatedAt")
    return CrmRecord(str(found["id"]), properties, _moment(changed))


def _deal(found: dict[str, Any], record_ids: tuple[str, ...]) -> CrmDeal:
    properties = found.get("properties") or {}
    amount = _decimal(properties.get("amount"))
    currency = properties.get("deal_currency_code") or None
    closed = _moment(properties.get("closedate"))
    return CrmDeal(
        id=str(found["id"]),
        name=properties.get("dealname"),
        stage=properties.get("dealstage"),
        amount=Money(amount, currency) if amount is not None else None,
        closed_on=closed.date() if closed else None,
        changed_at=_moment(properties.get("hs_lastmodifieddate") or found.get("updatedAt")),
        record_ids=record_ids,
    )


def _owner(owner: dict[str, Any]) -> CrmUser:
    name = " ".join(filter(None, (owner.get("firstName"), owner.get("lastName"))))
    email = owner.get("email") or None
    return CrmUser(
        str(owner["id"]), email, name or email or str(owner["id"]), not owner.get("archived")
    )


def _field(found: dict[str, Any]) -> CrmField:
    options = found.get("options") or []
    listed = found.get("type") == "enumeration" and options and not found.get("externalOptions")
    read_only = (found.get("modificationMetadata") or {}).get("readOnlyValue")
    return CrmField(
        name=found["name"],
        options=frozenset(str(o["value"]) for o in options) if listed else None,
        writable=None if read_only is None else not read_only,
    )


def _moment(value: Any) -> datetime | None:
    """Read a HubSpot date: ISO 8601, or milliseconds since the epoch."""
    if value in (None, ""):
        return None
    text = str(value)
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def _stamp(at: datetime | date) -> str:
    if not isinstance(at, datetime):
        at = datetime(at.year, at.month, at.day, tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _html(body: str, marker: str, *, title: str | None = None) -> str:
    """Write plain text as the HTML HubSpot shows, so line breaks survive."""
    parts = [f"<p><strong>{html.escape(title)}</strong></p>"] if title else []
    parts += [f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n") if p]
    return "".join([*parts, f"<p>{html.escape(marker)}</p>"])
