"""A local stand-in for the parts of Salesforce's REST API that Baton uses.

The OAuth 2.0 client-credentials token endpoint; SOQL queries with `nextRecordsUrl` paging;
Lead, Opportunity, Task and User records (read, update, create) and their describe, with the
shapes of Salesforce's public documentation. It fails on demand: 429 or 5xx, a slow answer,
an expired session (401 INVALID_SESSION_ID), refused client credentials, a deleted record
(404 ENTITY_IS_DELETED) or a missing permission (403 INSUFFICIENT_ACCESS_OR_READONLY).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from baton_devkit import soql
from baton_devkit.rest_standin import Failure, Refused, Reply, Request, RestStandIn

CLIENT_ID = "3MVG9standin.baton.client"
CLIENT_SECRET = "standin-client-secret"
DEFAULT_BATCH = 2000
PREFIXES = {"Lead": "00Q", "Opportunity": "006", "Task": "00T", "User": "005"}
STAMPS = ("CreatedDate", "LastModifiedDate", "SystemModstamp")
LEAD_STATUSES = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")


@dataclass(frozen=True)
class _Field:
    name: str
    type: str = "string"
    picklist: tuple[str, ...] = ()
    updateable: bool = True


def _fields(*names: str, **special: _Field) -> dict[str, _Field]:
    found = {name: _Field(name) for name in names}
    found |= {f.name: f for f in special.values()}
    found |= {name: _Field(name, "datetime", updateable=False) for name in STAMPS}
    return found | {"Id": _Field("Id", "id", updateable=False)}


SCHEMA = {
    "Lead": _fields(
        "FirstName", "LastName", "Email", "Company", "Title", "Phone", "Country", "State",
        "PostalCode", "Rating", "OwnerId",
        status=_Field("Status", "picklist", LEAD_STATUSES),
        source=_Field("LeadSource", "picklist", LEAD_SOURCES),
        converted=_Field("IsConverted", "boolean", updateable=False),
        opportunity=_Field("ConvertedOpportunityId", "reference", updateable=False),
    ),
    "Opportunity": _fields(
        "Name", "OwnerId",
        stage=_Field("StageName", "picklist", STAGES),
        amount=_Field("Amount", "currency"),
        close=_Field("CloseDate", "date"),
        closed=_Field("IsClosed", "boolean", updateable=False),
        won=_Field("IsWon", "boolean", updateable=False),
    ),
    "Task": _fields(
        "WhoId", "Subject", "Description", "Priority", "OwnerId",
        status=_Field("Status", "picklist", TASK_STATUSES),
        due=_Field("ActivityDate", "date"),
    ),
    "User": _fields("Name", "Email", "Username", active=_Field("IsActive", "boolean")),
}  # fmt: skip


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def _errors(status: int, code: str, message: str, fields: tuple[str, ...] = ()) -> Reply:
    return Reply(status, [{"message": message, "errorCode": code, "fields": list(fields)}])


class SalesforceStandIn(RestStandIn):
    """Serve Salesforce's REST API and token endpoint on localhost with an org in memory."""

    service = "Salesforce"

    def __init__(self, *, latency: float = 0.0, now: Callable[[], datetime] | None = None) -> None:
        super().__init__(latency=latency, now=now)
        self.clients = {CLIENT_ID: CLIENT_SECRET}
        self.sessions: dict[str, bool] = {}  # token -> still valid
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SCHEMA}
        self.deleted: set[str] = set()
        self.denied: set[tuple[str, str]] = set()  # (object, "read" | "edit" | "create")
        self._ids = itertools.count(1)
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        data = "/services/data/{version}"
        self.route("POST", "/services/oauth2/token", "token", self._token)
        self.route("GET", data + "/query", "query", self._query)
        self.route("GET", data + "/query/{locator}", "query.more", self._more)
        self.route(
            "GET", data + "/sobjects/{sobject}/describe", "{sobject}.describe", self._describe
        )
        self.route("GET", data + "/sobjects/{sobject}/{id}", "{sobject}.read", self._read)
        self.route("PATCH", data + "/sobjects/{sobject}/{id}", "{sobject}.update", self._update)
        self.route("POST", data + "/sobjects/{sobject}", "{sobject}.create", self._create)

    # the org, as a person would change it in Salesforce

    def add(self, sobject: str, **fields: Any) -> str:
        with self._lock:
            record_id = f"{PREFIXES[sobject]}{next(self._ids):012d}AAA"
            at = _stamp(self.now())
            if sobject == "Lead":
                fields = {"Status": LEAD_STATUSES[0], "IsConverted": False} | fields
            self.records[sobject][record_id] = {"Id": record_id, **fields} | dict.fromkeys(
                STAMPS, at
            )
            return record_id

    def add_user(self, email: str, name: str, *, active: bool = True) -> str:
        return self.add("User", Email=email, Name=name, Username=email, IsActive=active)

    def change(self, sobject: str, record_id: str, **fields: Any) -> None:
        """Change a record, as someone editing it in Salesforce."""
        with self._lock:
            record = self.records[sobject][record_id]
            record |= fields | {"LastModifiedDate": _stamp(self.now())}
            record["SystemModstamp"] = record["LastModifiedDate"]

    def convert(self, lead_id: str, opportunity_id: str) -> None:
        """Convert a lead into an opportunity, as a rep does in Salesforce."""
        self.change(
            "Lead",
            lead_id,
            IsConverted=True,
            Status="Closed - Converted",
            ConvertedOpportunityId=opportunity_id,
        )

    def delete(self, sobject: str, record_id: str) -> None:
        with self._lock:
            self.deleted.add(record_id)

    def record(self, sobject: str, record_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.records[sobject][record_id])

    def tasks(self, who_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(t) for t in self.records["Task"].values() if t.get("WhoId") == who_id]

    def expire_sessions(self) -> None:
        """Make every token issued so far answer 401 INVALID_SESSION_ID."""
        with self._lock:
            self.sessions = dict.fromkeys(self.sessions, False)

    def deny(self, sobject: str, action: str) -> None:
        """Take a right away from Baton's run-as user: "read", "edit" or "create"."""
        with self._lock:
            self.denied.add((sobject, action))

    # the API's manners

    def authorize(self, request: Request, route: str) -> None:
        if route == "token":
            return
        if not _known_version(request.params.get("version", "")):
            raise Refused(_errors(404, "NOT_FOUND", "The requested resource does not exist"))
        token = request.header("Authorization").removeprefix("Bearer ").strip()
        if not self.sessions.get(token):
            raise Refused(_errors(401, "INVALID_SESSION_ID", "Session expired or invalid"))

    def failure_reply(self, failure: Failure, route: str) -> Reply:
        headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        if route == "token":
            error = failure.error or ("invalid_client" if failure.status < 500 else "server_error")
            body = {"error": error, "error_description": f"failed on demand ({failure.status})"}
            return Reply(failure.status, body, headers)
        codes = {401: "INVALID_SESSION_ID", 403: "INSUFFICIENT_ACCESS_OR_READONLY"}
        codes |= {404: "NOT_FOUND", 429: "REQUEST_LIMIT_EXCEEDED", 503: "SERVER_UNAVAILABLE"}
        code = failure.error or codes.get(failure.status, "UNKNOWN_EXCEPTION")
        reply = _errors(failure.status, code, f"failed on demand ({failure.status})")
        reply.headers |= headers
        return reply

    def not_found(self, request: Request) -> Reply:
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")

    # answers

    def _token(self, request: Request) -> Reply:
        form = request.body if isinstance(request.body, dict) else {}
        if form.get("grant_type") != "client_credentials":
            body = {
                "error": "unsupported_grant_type",
                "error_description": "grant type not supported",
            }
            return Reply(400, body)
        if self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
            body = {"error": "invalid_client", "error_description": "invalid client credentials"}
            return Reply(400, body)
        token = f"00DSTANDIN!AQ{next(self._ids):08d}"
        self.sessions[token] = True
        issued = str(int(self.now().timestamp() * 1000))
        return Reply(
            200,
            {
                "access_token": token,
                "signature": "c3RhbmQtaW4=",
                "scope": "api",
                "instance_url": self.url,
                "id": f"{self.url}/id/00DSTANDIN/005STANDIN",
                "token_type": "Bearer",
                "issued_at": issued,
            },
        )

    def _query(self, request: Request) -> Reply:
        try:
            query = soql.parse(request.query.get("q", ""))
            if query.sobject not in SCHEMA:
                message = f"sObject type '{query.sobject}' is not supported."
                raise soql.SoqlError("INVALID_TYPE", message)
            self._may(query.sobject, "read", code="INVALID_TYPE")
            rows = soql.run(query, self._live(query.sobject), SCHEMA[query.sobject])
        except soql.SoqlError as error:
            return _errors(400, error.code, str(error))
        version = request.params["version"]
        shown = [self._attributed(query.sobject, row, version) for row in rows]
        options = request.header("Sforce-Query-Options")
        batch = int(options.partition("batchSize=")[2] or DEFAULT_BATCH)
        return self._page(shown, 0, batch, version)

    def _more(self, request: Request) -> Reply:
        locator, _, offset = request.params["locator"].rpartition("-")
        rows = self._cursors.get(locator)
        if rows is None or not offset.isdigit():
            return _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        batch = int(
            request.header("Sforce-Query-Options").partition("batchSize=")[2] or DEFAULT_BATCH
        )
        return self._page(rows, int(offset), batch, request.params["version"])

    def _page(self, rows: list[dict[str, Any]], start: int, batch: int, version: str) -> Reply:
        end = start + batch
        answer: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows)}
        if end < len(rows):
            locator = f"01gSTANDIN{next(self._ids)}"
            self._cursors[locator] = rows
            answer["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{end}"
        return Reply(200, answer | {"records": rows[start:end]})

    def _describe(self, request: Request) -> Reply:
        sobject = self._sobject(request)
        self._may(sobject, "read")
        editable = (sobject, "edit") not in self.denied
        fields = [
            {
                "name": f.name,
                "label": f.name,
                "type": f.type,
                "updateable": f.updateable and editable,
                "createable": f.updateable,
                "nillable": True,
                "picklistValues": [
                    {
                        "active": True,
                        "defaultValue": False,
                        "label": v,
                        "validFor": None,
                        "value": v,
                    }
                    for v in f.picklist
                ],
            }
            for f in SCHEMA[sobject].values()
        ]
        body = {"name": sobject, "label": sobject, "queryable": True, "fields": fields}
        body |= {"createable": (sobject, "create") not in self.denied, "updateable": editable}
        return Reply(200, body)

    def _read(self, request: Request) -> Reply:
        sobject = self._sobject(request)
        self._may(sobject, "read")
        record = self._existing(sobject, request.params["id"])
        wanted = [n for n in request.query.get("fields", "").split(",") if n] or list(record)
        try:
            row = soql.run(soql.Query(tuple(wanted), sobject), [record], SCHEMA[sobject])[0]
        except soql.SoqlError as error:
            return _errors(400, error.code, str(error))
        return Reply(
            200, self._attributed(sobject, row | {"Id": record["Id"]}, request.params["version"])
        )

    def _update(self, request: Request) -> Reply:
        sobject = self._sobject(request)
        self._may(sobject, "edit")
        record = self._existing(sobject, request.params["id"])
        changes = self._checked(sobject, request.body)
        record |= changes | {"LastModifiedDate": _stamp(self.now())}
        record["SystemModstamp"] = record["LastModifiedDate"]
        return Reply(204)

    def _create(self, request: Request) -> Reply:
        sobject = self._sobject(request)
        self._may(sobject, "create")
        fields = self._checked(sobject, request.body)
        who = fields.get("WhoId")
        if who is not None:
            self._existing("Lead", who, status=400, field="WhoId")
        return Reply(201, {"id": self.add(sobject, **fields), "success": True, "errors": []})

    # helpers

    def _sobject(self, request: Request) -> str:
        sobject = request.params["sobject"]
        if sobject not in SCHEMA:
            raise Refused(_errors(404, "NOT_FOUND", "The requested resource does not exist"))
        return sobject

    def _may(
        self, sobject: str, action: str, *, code: str = "INSUFFICIENT_ACCESS_OR_READONLY"
    ) -> None:
        if (sobject, action) in self.denied:
            message = f"insufficient access rights: {action} {sobject}"
            raise Refused(_errors(400 if code == "INVALID_TYPE" else 403, code, message))

    def _live(self, sobject: str) -> list[dict[str, Any]]:
        return [r for r in self.records[sobject].values() if r["Id"] not in self.deleted]

    def _existing(
        self, sobject: str, record_id: str, *, status: int = 404, field: str = ""
    ) -> dict:
        if record_id in self.deleted:
            fields = (field,) if field else ()
            raise Refused(_errors(status, "ENTITY_IS_DELETED", "entity is deleted", fields))
        record = self.records[sobject].get(record_id)
        if record is None:
            raise Refused(_errors(404, "NOT_FOUND", "The requested resource does not exist"))
        return record

    def _checked(self, sobject: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Refused(_errors(400, "JSON_PARSER_ERROR", "the body must be a JSON object"))
        schema = SCHEMA[sobject]
        for name, value in body.items():
            found = schema.get(name)
            if found is None:
                message = f"No such column '{name}' on sobject of type {sobject}"
                raise Refused(_errors(400, "INVALID_FIELD", message))
            if not found.updateable:
                message = f"Unable to create/update fields: {name}."
                raise Refused(_errors(400, "INVALID_FIELD_FOR_INSERT_UPDATE", message, (name,)))
            if found.picklist and value not in found.picklist:
                message = f"{name}: bad value for restricted picklist field: {value}"
                raise Refused(
                    _errors(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", message, (name,))
                )
            if name == "OwnerId" and not self.records["User"].get(value, {}).get("IsActive"):
                message = "owner id is not an active user"
                raise Refused(_errors(400, "INACTIVE_OWNER_OR_USER", message, (name,)))
        return dict(body)

    def _attributed(self, sobject: str, row: dict[str, Any], version: str) -> dict[str, Any]:
        url = f"/services/data/{version}/sobjects/{sobject}/{row.get('Id', '')}"
        return {"attributes": {"type": sobject, "url": url}, **row}


def _known_version(version: str) -> bool:
    number = version.removeprefix("v")
    return number.endswith(".0") and number[:-2].isdigit() and 20 <= int(number[:-2]) <= 70
