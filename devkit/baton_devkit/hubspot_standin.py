"""A local stand-in for the parts of HubSpot's CRM API that Baton uses, and HubSpot's signer.

Contacts, deals, notes and tasks (`/crm/v3/objects/…`: read, update, create, search, batch
read), deal-to-contact associations (`/crm/v4/associations/…/batch/read`), owners, contact
properties and deal pipelines, with the shapes of HubSpot's public documentation. It keeps
a bearer token and its scopes, puts HubSpot's rate-limit headers on every answer and fails
on demand: 429 (with or without Retry-After), 5xx, a slow answer, a refused token (401), a
deleted record (404) or a missing scope (403). `sign_webhook` signs a request exactly as
HubSpot does (signature v3), for tests of Baton's webhook.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from baton_devkit.hubspot_search import matches, sort_key
from baton_devkit.rest_standin import Failure, Refused, Reply, Request, RestStandIn

TOKEN = "pat-na1-baton-standin"
ALL_SCOPES = frozenset(
    {
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "crm.objects.deals.read",
        "crm.objects.owners.read",
        "crm.schemas.contacts.read",
    }
)
SEARCH_LIMIT = 200
SEARCH_CAP = 10_000
INTERVAL_MS = 10_000
INTERVAL_MAX = 190
# HubSpot-defined association types: what a note, task or deal is to a contact.
ASSOCIATION_TYPES = {
    ("notes", "contacts"): 202,
    ("tasks", "contacts"): 204,
    ("deals", "contacts"): 3,
}
DEFAULT_PROPERTIES = {
    "contacts": ("createdate", "lastmodifieddate", "hs_object_id"),
    "deals": ("createdate", "hs_lastmodifieddate", "hs_object_id"),
    "notes": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "tasks": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}
MODIFIED = {k: v[1] for k, v in DEFAULT_PROPERTIES.items()}
CREATED = {k: v[0] for k, v in DEFAULT_PROPERTIES.items()}
LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
LEAD_STATUSES = (
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
)
ORIGINAL_SOURCES = (
    "ORGANIC_SEARCH",
    "PAID_SEARCH",
    "EMAIL_MARKETING",
    "SOCIAL_MEDIA",
    "REFERRALS",
    "OTHER_CAMPAIGNS",
    "DIRECT_TRAFFIC",
    "OFFLINE",
    "PAID_SOCIAL",
)
TEXT_PROPERTIES = (
    "email",
    "firstname",
    "lastname",
    "company",
    "jobtitle",
    "phone",
    "country",
    "state",
    "zip",
    "city",
    "website",
)
DEAL_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", False),
    ("qualifiedtobuy", "Qualified To Buy", False),
    ("presentationscheduled", "Presentation Scheduled", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", False),
    ("contractsent", "Contract Sent", False),
    ("closedwon", "Closed Won", True),
    ("closedlost", "Closed Lost", True),
)
# The characters a v3 signature's URI is compared with decoded (HubSpot's docs list them).
DECODED_IN_SIGNATURE = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$"}
DECODED_IN_SIGNATURE |= {"%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def sign_webhook(
    *, secret: str, method: str, uri: str, body: bytes | str, timestamp_ms: int
) -> dict[str, str]:
    """Return the headers HubSpot sends with a request to `uri`: signature v3 and timestamp.

    `uri` is the URL as HubSpot has it, before the percent-encoding it is sent with.
    """
    text = body.decode() if isinstance(body, bytes) else body
    source = f"{method}{uri}{text}{timestamp_ms}".encode()
    digest = hmac.new(secret.encode(), source, hashlib.sha256).digest()
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": str(timestamp_ms),
        "Content-Type": "application/json",
    }


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _error(status: int, category: str, message: str, **extra: Any) -> Reply:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4())}
    return Reply(status, body | {"category": category} | extra)


@dataclass
class _Object:
    id: str
    properties: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    archived: bool = False
    associations: dict[str, list[str]] = field(default_factory=dict)


class HubSpotStandIn(RestStandIn):
    """Serve HubSpot's CRM API on localhost with a portal held in memory."""

    service = "HubSpot"

    def __init__(self, *, latency: float = 0.0, now: Callable[[], datetime] | None = None) -> None:
        super().__init__(latency=latency, now=now)
        self.tokens: dict[str, str | None] = {TOKEN: None}  # token -> why refused (None: good)
        self.scopes = set(ALL_SCOPES)
        self.objects: dict[str, dict[str, _Object]] = {kind: {} for kind in DEFAULT_PROPERTIES}
        self.owners: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1001)
        for kind in DEFAULT_PROPERTIES:
            base = f"/crm/v3/objects/{kind}"
            self.route("GET", base + "/{id}", f"{kind}.read", self._read)
            self.route("PATCH", base + "/{id}", f"{kind}.update", self._update)
            self.route("POST", base, f"{kind}.create", self._create)
            self.route("POST", base + "/search", f"{kind}.search", self._search)
            self.route("POST", base + "/batch/read", f"{kind}.batch_read", self._batch_read)
        self.route(
            "POST",
            "/crm/v4/associations/{src}/{dst}/batch/read",
            "associations.batch_read",
            self._links,
        )
        self.route("GET", "/crm/v3/owners", "owners.list", self._owners)
        self.route("GET", "/crm/v3/properties/contacts", "properties.list", self._properties)
        self.route("GET", "/crm/v3/pipelines/deals", "pipelines.list", self._pipelines)

    # the portal, as a person would change it in HubSpot

    def add_contact(self, **properties: Any) -> str:
        return self._add("contacts", properties)

    def add_deal(self, *, contacts: Iterable[str] = (), **properties: Any) -> str:
        with self._lock:
            deal_id = self._add("deals", properties)
            for contact_id in contacts:
                self._associate("deals", deal_id, "contacts", contact_id)
            return deal_id

    def add_owner(
        self, email: str, first_name: str, last_name: str, *, archived: bool = False
    ) -> str:
        owner_id = str(next(self._ids))
        at = _iso(self.now())
        self.owners[owner_id] = {
            "id": owner_id,
            "email": email,
            "type": "PERSON",
            "firstName": first_name,
            "lastName": last_name,
            "userId": int(owner_id) + 5000,
            "createdAt": at,
            "updatedAt": at,
            "archived": archived,
            "teams": [],
        }
        return owner_id

    def change(self, kind: str, object_id: str, **properties: Any) -> None:
        """Change a contact's or deal's properties, as someone editing it in HubSpot."""
        with self._lock:
            found = self.objects[kind][object_id]
            found.properties |= {k: _stored(v) for k, v in properties.items()}
            self._touch(kind, found)

    def delete(self, kind: str, object_id: str) -> None:
        """Archive a record, as deleting it in HubSpot does."""
        with self._lock:
            self.objects[kind][object_id].archived = True

    def properties_of(self, kind: str, object_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.objects[kind][object_id].properties)

    def written(self, kind: str, contact_id: str) -> list[dict[str, Any]]:
        """Return the notes or tasks on a contact, oldest first, as their properties."""
        with self._lock:
            found = self.objects[kind].values()
            return [
                dict(o.properties)
                for o in found
                if contact_id in o.associations.get("contacts", [])
            ]

    def refuse_token(self, token: str = TOKEN, *, expired: bool = True) -> None:
        """Answer 401 to every later call made with this token."""
        with self._lock:
            self.tokens[token] = "EXPIRED_AUTHENTICATION" if expired else "INVALID_AUTHENTICATION"

    def remove_scope(self, scope: str) -> None:
        """Answer 403 MISSING_SCOPES to the calls that need this scope."""
        with self._lock:
            self.scopes.discard(scope)

    # the API's manners

    def authorize(self, request: Request, route: str) -> None:
        token = request.header("Authorization").removeprefix("Bearer ").strip()
        if token not in self.tokens:
            raise Refused(
                _error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
            )
        refused = self.tokens[token]
        if refused is not None:
            raise Refused(_error(401, refused, "The OAuth token used to make this call expired."))
        needed = _scope(route)
        if needed not in self.scopes:
            context = {"requiredGranularScopes": [needed]}
            detail = [
                {"message": "One or more of the following scopes are required.", "context": context}
            ]
            message = "This app hasn't been granted all required scopes to make this call."
            raise Refused(_error(403, "MISSING_SCOPES", message, errors=detail))

    def decorate(self, reply: Reply) -> Reply:
        window_start = time.monotonic() - INTERVAL_MS / 1000
        recent = sum(1 for c in self.calls if c.at >= window_start)
        remaining = 0 if reply.status == 429 else max(INTERVAL_MAX - recent - 1, 0)
        reply.headers |= {
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(INTERVAL_MS),
            "X-HubSpot-RateLimit-Max": str(INTERVAL_MAX),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Daily": "500000",
            "X-HubSpot-RateLimit-Daily-Remaining": "499000",
        }
        return reply

    def failure_reply(self, failure: Failure, route: str) -> Reply:
        headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        if failure.status == 429:
            policy = failure.error or "TEN_SECONDLY_ROLLING"
            body = {
                "status": "error",
                "message": f"You have reached your {policy.lower()} limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": policy,
                "groupName": "publicapi:private-app:baton",
            }
            return Reply(429, body, headers)
        categories = {401: "EXPIRED_AUTHENTICATION", 403: "MISSING_SCOPES", 404: "OBJECT_NOT_FOUND"}
        category = failure.error or categories.get(failure.status, "INTERNAL_ERROR")
        reply = _error(failure.status, category, f"failed on demand ({failure.status})")
        reply.headers |= headers
        return reply

    def not_found(self, request: Request) -> Reply:
        return _error(404, "NOT_FOUND", f"No route for {request.method} {request.path}")

    # answers

    def _read(self, request: Request) -> Reply:
        kind = request.path.split("/")[4]
        found = self._live(kind, request.params["id"])
        wanted = _split(request.query.get("properties"))
        links = _split(request.query.get("associations"))
        return Reply(200, self._shown(kind, found, wanted, links))

    def _update(self, request: Request) -> Reply:
        kind = request.path.split("/")[4]
        found = self._live(kind, request.params["id"])
        changes = _properties_of(request.body)
        self._check_values(kind, changes)
        found.properties |= {k: _stored(v) for k, v in changes.items()}
        self._touch(kind, found)
        return Reply(200, self._shown(kind, found, list(changes), []))

    def _create(self, request: Request) -> Reply:
        kind = request.path.split("/")[4]
        properties = _properties_of(request.body)
        links = []
        for link in request.body.get("associations") or []:
            target, types = str(link["to"]["id"]), link.get("types") or []
            wanted = ASSOCIATION_TYPES.get((kind, "contacts"))
            if not any(t.get("associationTypeId") == wanted for t in types):
                raise Refused(
                    _error(400, "VALIDATION_ERROR", f"{types} is not a valid association")
                )
            self._live("contacts", target)
            links.append(target)
        object_id = self._add(kind, properties)
        for target in links:
            self._associate(kind, object_id, "contacts", target)
        return Reply(201, self._shown(kind, self.objects[kind][object_id], list(properties), []))

    def _search(self, request: Request) -> Reply:
        kind = request.path.split("/")[4]
        body = request.body or {}
        limit, after = int(body.get("limit") or 10), int(body.get("after") or 0)
        if limit > SEARCH_LIMIT:
            raise Refused(_error(400, "VALIDATION_ERROR", f"limit must be at most {SEARCH_LIMIT}"))
        if after + limit > SEARCH_CAP:
            message = f"Search results are limited to {SEARCH_CAP} records"
            raise Refused(_error(400, "VALIDATION_ERROR", message))
        found = [o for o in self.objects[kind].values() if not o.archived]
        found = [o for o in found if matches(o.properties, body.get("filterGroups") or [])]
        for sort in reversed(body.get("sorts") or []):
            name = sort["propertyName"]
            found.sort(key=partial(_sort_key, name))
            if sort.get("direction") == "DESCENDING":
                found.reverse()
        page = found[after : after + limit]
        wanted = body.get("properties") or []
        answer: dict[str, Any] = {
            "total": len(found),
            "results": [self._shown(kind, o, wanted, []) for o in page],
        }
        if after + limit < len(found):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        return Reply(200, answer)

    def _batch_read(self, request: Request) -> Reply:
        kind = request.path.split("/")[4]
        body = request.body or {}
        wanted, ids = body.get("properties") or [], [str(i["id"]) for i in body.get("inputs") or []]
        found = [self.objects[kind].get(i) for i in ids]
        results = [self._shown(kind, o, wanted, []) for o in found if o and not o.archived]
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
        missing = [i for i, o in zip(ids, found, strict=True) if not o or o.archived]
        if not missing:
            return Reply(200, answer)
        error = {"status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": missing}}
        error["message"] = "Could not get some objects, they may be deleted or not exist."
        return Reply(207, answer | {"numErrors": len(missing), "errors": [error]})

    def _links(self, request: Request) -> Reply:
        src, dst = request.params["src"], request.params["dst"]
        type_id = ASSOCIATION_TYPES.get((src, dst), 1)
        results = []
        for item in (request.body or {}).get("inputs") or []:
            found = self.objects.get(src, {}).get(str(item["id"]))
            if found is None or found.archived:
                continue
            to = [
                {"toObjectId": int(target), "associationTypes": [_label(type_id)]}
                for target in found.associations.get(dst, [])
                if not self.objects[dst][target].archived
            ]
            results.append({"from": {"id": found.id}, "to": to})
        return Reply(200, {"status": "COMPLETE", "results": results})

    def _owners(self, request: Request) -> Reply:
        archived = request.query.get("archived") == "true"
        found = [o for o in self.owners.values() if o["archived"] is archived]
        if request.query.get("email"):
            found = [o for o in found if o["email"] == request.query["email"]]
        after, limit = int(request.query.get("after") or 0), int(request.query.get("limit") or 100)
        answer: dict[str, Any] = {"results": copy.deepcopy(found[after : after + limit])}
        if after + limit < len(found):
            answer["paging"] = {"next": {"after": str(after + limit), "link": "?after="}}
        return Reply(200, answer)

    def _properties(self, request: Request) -> Reply:
        results = [_property(name, "string", ()) for name in TEXT_PROPERTIES]
        results.append(_property("hubspotscore", "number", (), read_only=True))
        results.append(
            _property("hs_analytics_source", "enumeration", ORIGINAL_SOURCES, read_only=True)
        )
        results.append(_property("lifecyclestage", "enumeration", LIFECYCLE_STAGES))
        results.append(_property("hs_lead_status", "enumeration", LEAD_STATUSES))
        owner = _property("hubspot_owner_id", "enumeration", ())
        results.append(owner | {"externalOptions": True, "referencedObjectType": "OWNER"})
        for name in ("createdate", "lastmodifieddate"):
            results.append(_property(name, "datetime", (), read_only=True))
        return Reply(200, {"results": results})

    def _pipelines(self, request: Request) -> Reply:
        stages = [
            {
                "id": stage_id,
                "label": label,
                "displayOrder": order,
                "metadata": {
                    "isClosed": str(closed).lower(),
                    "probability": "1.0" if closed else "0.5",
                },
                "archived": False,
            }
            for order, (stage_id, label, closed) in enumerate(DEAL_STAGES)
        ]
        pipeline = {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "archived": False,
        }
        return Reply(200, {"results": [pipeline | {"stages": stages}]})

    # helpers

    def _add(self, kind: str, properties: dict[str, Any]) -> str:
        with self._lock:
            object_id, at = str(next(self._ids)), self.now()
            stored = {k: _stored(v) for k, v in properties.items()}
            stored |= {CREATED[kind]: _iso(at), MODIFIED[kind]: _iso(at), "hs_object_id": object_id}
            self.objects[kind][object_id] = _Object(object_id, stored, at, at)
            return object_id

    def _associate(self, kind: str, object_id: str, other: str, other_id: str) -> None:
        self.objects[kind][object_id].associations.setdefault(other, []).append(other_id)
        self.objects[other][other_id].associations.setdefault(kind, []).append(object_id)

    def _touch(self, kind: str, found: _Object) -> None:
        found.updated_at = self.now()
        found.properties[MODIFIED[kind]] = _iso(found.updated_at)

    def _live(self, kind: str, object_id: str) -> _Object:
        found = self.objects[kind].get(object_id)
        if found is None or found.archived:
            raise Refused(
                _error(404, "OBJECT_NOT_FOUND", "Object not found.", context={"id": [object_id]})
            )
        return found

    def _check_values(self, kind: str, changes: dict[str, Any]) -> None:
        if kind != "contacts":
            return
        allowed: dict[str, tuple[str, ...]] = {
            "hs_lead_status": LEAD_STATUSES,
            "lifecyclestage": LIFECYCLE_STAGES,
        }
        allowed["hubspot_owner_id"] = tuple(self.owners)
        known = set(TEXT_PROPERTIES) | set(allowed)
        for name, value in changes.items():
            if name not in known:
                raise Refused(_error(400, "VALIDATION_ERROR", f'Property "{name}" does not exist'))
            if name in allowed and value not in ("", None) and str(value) not in allowed[name]:
                message = f"{value} was not one of the allowed options for {name}"
                raise Refused(_error(400, "VALIDATION_ERROR", message))

    def _shown(self, kind: str, found: _Object, wanted: Iterable[str], links: list[str]) -> dict:
        names = dict.fromkeys([*wanted, *DEFAULT_PROPERTIES[kind]])
        shown: dict[str, Any] = {
            "id": found.id,
            "properties": {name: found.properties.get(name) for name in names},
            "createdAt": _iso(found.created_at),
            "updatedAt": _iso(found.updated_at),
            "archived": found.archived,
        }
        associated = {}
        for other in links:
            ids = [
                i for i in found.associations.get(other, []) if not self.objects[other][i].archived
            ]
            if ids:
                name = f"{kind[:-1]}_to_{other[:-1]}"
                associated[other] = {"results": [{"id": i, "type": name} for i in ids]}
        if associated:
            shown["associations"] = associated
        return shown


def _sort_key(name: str, found: _Object) -> tuple[int, Any]:
    return sort_key(name, found.properties.get(name))


def _scope(route: str) -> str:
    kind, _, action = route.partition(".")
    if kind in ("deals", "associations", "pipelines"):
        return "crm.objects.deals.read"
    if kind == "owners":
        return "crm.objects.owners.read"
    if kind == "properties":
        return "crm.schemas.contacts.read"
    writes = action in ("update", "create")
    return "crm.objects.contacts.write" if writes else "crm.objects.contacts.read"


def _split(text: str | None) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def _stored(value: Any) -> Any:
    return None if value is None else str(value)


def _properties_of(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        raise Refused(_error(400, "VALIDATION_ERROR", "Invalid input JSON: no properties"))
    return body["properties"]


def _label(type_id: int) -> dict[str, Any]:
    return {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}


def _property(name: str, kind: str, options: Iterable[str], *, read_only: bool = False) -> dict:
    shown = [
        {"label": o.title(), "value": o, "displayOrder": i, "hidden": False}
        for i, o in enumerate(options)
    ]
    return {
        "name": name,
        "label": name,
        "type": kind,
        "fieldType": "select" if kind == "enumeration" else "text",
        "groupName": "contactinformation",
        "options": shown,
        "modificationMetadata": {
            "archivable": True,
            "readOnlyDefinition": True,
            "readOnlyValue": read_only,
        },
    }
