"""HubSpot's webhook: `POST /crm/hubspot/webhook`, verified, stored and answered at once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.app import Baton
from bot.crm.hubspot_webhook import (
    WebhookRefused,
    called_url,
    parse_events,
    verify_signature_v3,
)
from bot.crm.inbound import queue_hubspot_events
from bot.domain.crm import CrmProvider
from handlers.bodies import BodyTooLarge, read_limited


def register(router: APIRouter, baton: Baton) -> None:
    @router.post(
        "/crm/hubspot/webhook",
        summary="HubSpot's webhook events (signature v3), stored at once and taken in after",
        responses={
            200: {"description": "Stored (an event sent before is left as it is)"},
            400: {"description": "Signed, but not a list of HubSpot events"},
            401: {"description": "Not signed with the app's client secret, or older than 5 min"},
            404: {"description": "Baton is not configured for HubSpot"},
            413: {"description": "Body over 1 MiB"},
            503: {"description": "HUBSPOT_CLIENT_SECRET is not set"},
        },
    )
    async def hubspot_webhook(request: Request) -> JSONResponse:
        crm = baton.config.crm
        if crm is None or crm.provider != CrmProvider.HUBSPOT.value:
            return _error(404, "Baton is not configured for HubSpot (crm.provider)")
        secret = baton.settings.hubspot_client_secret
        if secret is None:
            return _error(503, "HubSpot webhooks are not configured: set HUBSPOT_CLIENT_SECRET")
        try:  # HubSpot sends at most 100 events a request, far below the limit
            body = await read_limited(request)
        except BodyTooLarge:
            return _error(413, "the body is larger than 1 MiB")
        try:
            verify_signature_v3(
                secret=secret.get_secret_value(),
                method=request.method,
                url=called_url(str(request.url), baton.settings.baton_public_url),
                body=body,
                signature=request.headers.get("x-hubspot-signature-v3"),
                timestamp=request.headers.get("x-hubspot-request-timestamp"),
                now=baton.clock.now(),
            )
        except WebhookRefused as refused:
            return _error(401, str(refused))
        try:
            events = parse_events(body)
        except ValueError as error:
            return _error(400, str(error))
        stored = await run_in_threadpool(
            queue_hubspot_events,
            events,
            rules=crm.rules(),
            uow_factory=baton.uow_factory,
            clock=baton.clock,
        )
        if stored:
            baton.outbox_changed()
        return JSONResponse({"received": len(events), "stored": stored})


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
