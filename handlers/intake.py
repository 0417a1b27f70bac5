"""The intake API: `POST /intake/leads`."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.app import Baton
from bot.services.intake import take_leads, take_small_requests
from bot.services.intake_queue import IntakeQueue
from bot.services.leadin import MAX_BATCH, MAX_DEPTH, LeadIn, NotJson, check_leads, read_json
from handlers.bodies import BodyTooLarge, read_limited


def register(router: APIRouter, baton: Baton) -> None:
    queue = _intake_queue(baton)

    @router.post(
        "/intake/leads",
        status_code=202,
        summary="Take one lead or a batch of leads",
        openapi_extra=_openapi_request(),
        responses=_openapi_responses(),
    )
    async def intake_leads(request: Request) -> JSONResponse:
        token = baton.settings.baton_intake_token
        if token is None:
            return _error(503, "intake is not configured: set BATON_INTAKE_TOKEN")
        if not _authorised(request, token.get_secret_value()):
            return _error(401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})
        if not _is_json(request.headers.get("content-type", "")):
            return _error(415, "send the leads as application/json")
        try:
            body = await read_limited(request)
        except BodyTooLarge:
            return _error(413, "the body is larger than 1 MiB; send fewer leads per request")
        try:
            document = read_json(body)
        except NotJson as error:
            return _error(400, f"the body {error}")
        raw, problem = _lead_list(document)
        if problem:
            return _error(422, problem)
        leads, errors = check_leads(
            raw, known_region=lambda name: baton.config.region(name) is not None
        )
        if errors:
            return JSONResponse(
                {
                    "error": "some leads are not valid; nothing was stored",
                    "errors": [e.as_dict() for e in errors],
                },
                status_code=422,
            )
        results = await queue.store(leads)
        baton.outbox_changed()
        return JSONResponse({"leads": [r.as_dict() for r in results]}, status_code=202)


def _intake_queue(baton: Baton) -> IntakeQueue:
    def store_one(leads):  # type: ignore[no-untyped-def]
        return take_leads(
            leads, uow_factory=baton.uow_factory, clock=baton.clock, routing=baton.live_routing
        )

    def store_small(requests):  # type: ignore[no-untyped-def]
        return take_small_requests(
            requests, uow_factory=baton.uow_factory, clock=baton.clock, routing=baton.live_routing
        )

    # SQLite lets one writer in at a time; PostgreSQL can write two transactions at once.
    writers = 1 if baton.database.is_sqlite else 2
    return IntakeQueue(store_one, store_small, writers=writers)


def _lead_list(document: Any) -> tuple[list[Any], str | None]:
    if isinstance(document, dict) and "leads" in document:
        leads = document["leads"]
        if not isinstance(leads, list):
            return [], "“leads” must be a list of lead objects"
        if not leads:
            return [], "“leads” is empty"
        if len(leads) > MAX_BATCH:
            return [], f"a batch holds at most {MAX_BATCH} leads; this one has {len(leads)}"
        return leads, None
    if isinstance(document, dict):
        return [document], None
    return [], 'send one lead object or {"leads": [...]}'


def _authorised(request: Request, expected: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        given.strip().encode(), expected.encode()
    )


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _openapi_request() -> dict[str, Any]:
    one_of = [
        {"$ref": "#/components/schemas/LeadIn"},
        {
            "type": "object",
            "required": ["leads"],
            "properties": {
                "leads": {
                    "type": "array",
                    "maxItems": MAX_BATCH,
                    "items": {"$ref": "#/components/schemas/LeadIn"},
                }
            },
        },
    ]
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"oneOf": one_of}}},
        }
    }


def lead_schemas() -> dict[str, Any]:
    """The intake schemas for the app's OpenAPI components."""
    schema = LeadIn.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return {"LeadIn": schema, **definitions}


def _openapi_responses() -> dict[int | str, dict[str, Any]]:
    return {
        202: {"description": "Stored: each lead's id, status and whether it was created or merged"},
        400: {
            "description": f"The body is not valid JSON, or nests deeper than {MAX_DEPTH} levels"
        },
        401: {"description": "Missing or wrong bearer token"},
        413: {"description": "Body over 1 MiB"},
        415: {"description": "Content type is not JSON"},
        422: {"description": "Every bad field of every bad lead, by position; nothing stored"},
        503: {"description": "Intake is not configured"},
    }
