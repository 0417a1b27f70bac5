"""Salesforce's REST API (SOQL, sObjects, describe) as a `CrmClient`.

Leads are Salesforce leads; the rep becomes the lead's owner (`OwnerId`); the manager's
comment, a return's reason, marketing's follow-ups and each outcome a rep logs become tasks
on the lead (an outcome as a completed one). Deals are the opportunities leads were converted
into. Baton signs in with the OAuth 2.0 client-credentials flow of a connected app, as its
run-as user.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from bot.clock import Clock
from bot.crm.http import CrmHttp
from bot.crm.salesforce_errors import credentials_refused, failure
from bot.domain.amounts import Money
from bot.domain.crm import (
    ENTRY_MARKER,
    CrmCursor,
    CrmDeal,
    CrmEntry,
    CrmError,
    CrmField,
    CrmNeedsPerson,
    CrmProblem,
    CrmRecord,
    CrmRetryLater,
    CrmSchema,
    CrmUser,
    EntryKind,
    Page,
    page_after,
)
from bot.domain.crm_rules import CrmRules

API_VERSION = "62.0"
BATCH_SIZE = 200
DEAL_FIELDS = ("Id", "Name", "StageName", "Amount", "CloseDate", "SystemModstamp")
SUBJECT_LENGTH = 255


class SalesforceClient:
    """Talk to one Salesforce org; safe to share between threads."""

    def __init__(
        self,
        *,
        instance_url: str,
        client_id: str,
        client_secret: str,
        rules: CrmRules,
        clock: Clock,
        api_version: str = API_VERSION,
        timeout: float = 10.0,
    ) -> None:
        self.rules = rules
        self.clock = clock
        self._credentials = {"client_id": client_id, "client_secret": client_secret}
        self._data = f"/services/data/v{api_version}"
        self._http = CrmHttp(
            label="Salesforce", base_url=instance_url.rstrip("/"), clock=clock, timeout=timeout
        )
        self._lock = threading.Lock()
        self._token: str | None = None
        self._api_url = instance_url.rstrip("/")

    def close(self) -> None:
        self._http.close()

    # records and deals

    def read_record(self, record_id: str) -> CrmRecord:
        fields = ",".join(dict.fromkeys(["Id", *self.rules.read_fields(), "SystemModstamp"]))
        path = f"{self._data}/sobjects/Lead/{record_id}"
        return _record(self._call("GET", path, params={"fields": fields}, what=f"lead {record_id}"))

    def changed_records(
        self, *, since: CrmCursor | None, page: str | None = None
    ) -> Page[CrmRecord]:
        wanted = ", ".join(_quote(v) for v in sorted(self.rules.sales_ready_values))
        where = [f"{self.rules.sales_ready_field} IN ({wanted})"]
        fields = ["Id", *self.rules.read_fields(), "SystemModstamp"]
        answer = self._changes("Lead", fields, where, since, page)
        return _page([_record(row) for row in answer["records"]], answer, since)

    def read_deal(self, deal_id: str) -> CrmDeal:
        path = f"{self._data}/sobjects/Opportunity/{deal_id}"
        params = {"fields": ",".join(DEAL_FIELDS)}
        found = self._call("GET", path, params=params, what=f"opportunity {deal_id}")
        leads = self._query_all(
            f"SELECT Id FROM Lead WHERE ConvertedOpportunityId = {_quote(deal_id)}"
        )
        return _deal(found, tuple(row["Id"] for row in leads))

    def deals_of(self, record_id: str) -> tuple[CrmDeal, ...]:
        path = f"{self._data}/sobjects/Lead/{record_id}"
        params = {"fields": "Id,ConvertedOpportunityId"}
        found = self._call("GET", path, params=params, what=f"lead {record_id}")
        deal_id = found.get("ConvertedOpportunityId")
        return (self.read_deal(deal_id),) if deal_id else ()

    def changed_deals(self, *, since: CrmCursor | None, page: str | None = None) -> Page[CrmDeal]:
        answer = self._changes("Opportunity", list(DEAL_FIELDS), [], since, page)
        ids = [row["Id"] for row in answer["records"]]
        leads: dict[str, list[str]] = {}
        if ids:
            wanted = ", ".join(_quote(i) for i in ids)
            query = f"SELECT Id, ConvertedOpportunityId FROM Lead WHERE ConvertedOpportunityId IN ({wanted})"
            for row in self._query_all(query):
                leads.setdefault(row["ConvertedOpportunityId"], []).append(row["Id"])
        deals = [_deal(row, tuple(leads.get(row["Id"], ()))) for row in answer["records"]]
        page_of = _page(deals, answer, since)
        # Opportunities no lead was converted into are none of Baton's business.
        kept = tuple(deal for deal in page_of.items if deal.record_ids)
        return Page(kept, page_of.cursor, page_of.next_page, page_of.more, page_of.total)

    # writing

    def set_owner_and_status(
        self, record_id: str, *, owner_id: str | None, status: str | None
    ) -> None:
        changes = {self.rules.owner_field: owner_id, self.rules.status_field: status}
        fields = {name: value for name, value in changes.items() if value is not None}
        if fields:
            path = f"{self._data}/sobjects/Lead/{record_id}"
            self._call("PATCH", path, json=fields, what=f"lead {record_id}")

    def add_entry(self, record_id: str, entry: CrmEntry) -> str:
        done = entry.done or entry.kind is EntryKind.ACTIVITY
        task: dict[str, Any] = {
            "WhoId": record_id,
            "Subject": entry.subject[:SUBJECT_LENGTH],
            "Description": entry.text(),
            "ActivityDate": entry.at.date().isoformat(),
            "Status": "Completed" if done else "Not Started",
            "Priority": "Normal",
        }
        if entry.owner_id:
            task["OwnerId"] = entry.owner_id
        created = self._call(
            "POST", f"{self._data}/sobjects/Task", json=task, what=f"lead {record_id}"
        )
        return str(created["id"])

    def find_entry(self, record_id: str, key: str) -> str | None:
        marker = ENTRY_MARKER.format(key=key)
        # Description cannot be filtered in SOQL, so the lead's tasks are read and searched.
        rows = self._query_all(
            f"SELECT Id, Description FROM Task WHERE WhoId = {_quote(record_id)}"
        )
        return next((row["Id"] for row in rows if marker in (row.get("Description") or "")), None)

    # people and setup

    def users(self) -> tuple[CrmUser, ...]:
        rows = self._query_all("SELECT Id, Name, Email, IsActive FROM User")
        return tuple(
            CrmUser(
                row["Id"], row.get("Email"), row.get("Name") or row["Id"], bool(row.get("IsActive"))
            )
            for row in rows
        )

    def schema(self) -> CrmSchema:
        missing: list[str] = []
        described: dict[str, dict[str, Any]] = {}
        for sobject in ("Lead", "Opportunity", "Task"):
            try:
                described[sobject] = self._call("GET", f"{self._data}/sobjects/{sobject}/describe")
            except CrmNeedsPerson as problem:
                missing.append(f"{sobject}: {problem.explain()}")
        lead = described.get("Lead", {})
        fields = {f["name"]: _field(f) for f in lead.get("fields", [])}
        stage: dict[str, Any] = next(
            (
                f
                for f in described.get("Opportunity", {}).get("fields", [])
                if f["name"] == "StageName"
            ),
            {},
        )
        stages = frozenset(v["value"] for v in stage.get("picklistValues", []) if v.get("active"))
        task = described.get("Task")
        return CrmSchema(
            fields, stages, bool(task.get("createable")) if task else None, tuple(missing)
        )

    # plumbing

    def _changes(
        self,
        sobject: str,
        fields: list[str],
        where: list[str],
        since: CrmCursor | None,
        page: str | None,
    ) -> dict[str, Any]:
        if page:
            paged: dict[str, Any] = self._call("GET", page, headers=_batch())
            return paged
        if since is not None:
            where = [*where, f"SystemModstamp >= {_soql_time(since.changed_at)}"]
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        selected = ", ".join(dict.fromkeys(fields))
        query = f"SELECT {selected} FROM {sobject}{clause} ORDER BY SystemModstamp ASC, Id ASC"
        found: dict[str, Any] = self._call(
            "GET", f"{self._data}/query", params={"q": query}, headers=_batch()
        )
        return found

    def _query_all(self, query: str) -> list[dict[str, Any]]:
        """Run a query and follow its pages to the end (small answers only)."""
        answer = self._call("GET", f"{self._data}/query", params={"q": query}, headers=_batch())
        rows = list(answer.get("records", []))
        while not answer.get("done", True) and answer.get("nextRecordsUrl"):
            answer = self._call("GET", answer["nextRecordsUrl"], headers=_batch())
            rows.extend(answer.get("records", []))
        return rows

    def _call(self, method: str, path: str, *, what: str | None = None, **options: Any) -> Any:
        token, fresh = self._session()
        headers = {**options.pop("headers", {}), "Authorization": f"Bearer {token}"}
        response = self._http.send(method, self._api_url + path, headers=headers, **options)
        if response.status_code == 401:
            raise self._signed_out(token, fresh)
        if 200 <= response.status_code < 300:
            return self._http.json(response) if response.content else {}
        raise failure(response, what=what, http=self._http)

    def _session(self) -> tuple[str, bool]:
        """Return the access token, and whether it was issued for this call."""
        with self._lock:
            if self._token is not None:
                return self._token, False
            form = {"grant_type": "client_credentials", **self._credentials}
            response = self._http.send("POST", "/services/oauth2/token", data=form)
            transient = self._http.transient(response)
            if transient is not None:
                raise transient
            answer = _json_object(response)
            if response.status_code != 200 or "access_token" not in answer:
                raise credentials_refused(answer, response.status_code)
            self._token = str(answer["access_token"])
            self._api_url = str(answer.get("instance_url") or self._api_url).rstrip("/")
            return self._token, True

    def _signed_out(self, token: str, fresh: bool) -> CrmError:
        with self._lock:
            if self._token == token:
                self._token = None
        if fresh:
            return CrmNeedsPerson(
                CrmProblem.TOKEN_REFUSED,
                "Salesforce refused the token it had just issued to Baton",
                fix="give the connected app's run-as user the API Enabled permission",
            )
        # Sessions time out; the next try signs in again, so it can come straight away.
        return CrmRetryLater("the Salesforce session expired", wait=timedelta(0))


def _batch() -> dict[str, str]:
    return {"Sforce-Query-Options": f"batchSize={BATCH_SIZE}"}


def _page(items: list[Any], answer: dict[str, Any], since: CrmCursor | None) -> Page[Any]:
    following = None if answer.get("done", True) else answer.get("nextRecordsUrl")
    total = answer.get("totalSize")
    return page_after(
        items,
        since=since,
        next_page=following,
        more=bool(following),
        total=total if isinstance(total, int) else None,
    )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _quote(value: str) -> str:
    """Write a SOQL string literal."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _soql_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record(row: dict[str, Any]) -> CrmRecord:
    fields = {name: value for name, value in row.items() if name != "attributes"}
    return CrmRecord(str(row["Id"]), fields, _moment(row.get("SystemModstamp")))


def _deal(row: dict[str, Any], record_ids: tuple[str, ...]) -> CrmDeal:
    amount = _decimal(row.get("Amount"))
    closed = row.get("CloseDate")
    return CrmDeal(
        id=str(row["Id"]),
        name=row.get("Name"),
        stage=row.get("StageName"),
        amount=Money(amount, None) if amount is not None else None,
        closed_on=date.fromisoformat(closed) if closed else None,
        changed_at=_moment(row.get("SystemModstamp")),
        record_ids=record_ids,
    )


def _field(found: dict[str, Any]) -> CrmField:
    listed = found.get("type") in ("picklist", "multipicklist")
    values = frozenset(v["value"] for v in found.get("picklistValues", []) if v.get("active"))
    return CrmField(found["name"], values if listed else None, bool(found.get("updateable")))


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        found = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        return None
    return found if found.is_finite() else None
