"""The ASGI app: intake, health, metrics, OpenAPI (and Slack's endpoint once wired)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib.metadata import version
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest

from bot.app import Baton
from bot.http_metrics import MeasuredRequests
from bot.metrics import SLACK_ACK_LATENCY
from bot.services.ports import StorageUnavailable
from bot.slack.acks import ACK_TURNS, carry_on
from bot.slack.bolt import PooledWebClient
from bot.slack.early_ack import SlackSignature, acked_first, bolt_request, lower_case_headers
from handlers import crm_webhook, health, intake, report

log = logging.getLogger(__name__)


def create_web_app(baton: Baton, bolt: AsyncApp | None = None) -> FastAPI:
    """Build the web app around a built Baton; with a Bolt app, Slack's endpoint too."""
    app = FastAPI(
        title="Baton",
        version=version("baton"),
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(bolt),
    )
    router = APIRouter()
    if bolt is not None:
        secret = baton.settings.slack_signing_secret
        _mount_slack(router, bolt, secret.get_secret_value() if secret else None)
    intake.register(router, baton)
    health.register(router, baton)
    report.register(router, baton)
    crm_webhook.register(router, baton)
    app.include_router(router)
    app.add_middleware(MeasuredRequests)
    app.add_exception_handler(StorageUnavailable, _storage_unavailable)
    # FastAPI's documented way to extend the schema is to replace this method.
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


# Long enough for a disk to be freed or a database to fail over; short enough for a webhook.
RETRY_AFTER_SECONDS = 30


async def _storage_unavailable(_request: Request, error: Exception) -> Response:
    """Nothing was stored: say why in one line, and when to send the same request again."""
    return JSONResponse(
        {"error": str(error)},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _lifespan(bolt: AsyncApp | None) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if bolt is not None and isinstance(bolt.client, PooledWebClient):
            await bolt.client.close()

    return lifespan


def _mount_slack(router: APIRouter, bolt: AsyncApp, signing_secret: str | None) -> None:
    signature = SlackSignature(signing_secret) if signing_secret else None

    @router.post(
        "/slack/events",
        summary="Slack's events, interactions and slash commands",
        responses={
            400: {"description": "Signed, but the body is not a form or JSON object"},
            401: {"description": "Not signed with the app's signing secret, or too old"},
        },
    )
    async def slack_events(request: Request) -> Response:
        arrived = time.perf_counter()
        try:
            with ACK_TURNS.answering():
                return await _answer_slack(request, bolt, signature)
        finally:
            SLACK_ACK_LATENCY.observe(time.perf_counter() - arrived)


async def _answer_slack(
    request: Request, bolt: AsyncApp, signature: SlackSignature | None
) -> Response:
    body = await request.body()
    headers = lower_case_headers(request.headers.items())
    if signature is not None and not signature.verifies(body, headers):
        # Never the body: whoever sent it, it may carry someone's message or address.
        log.warning(
            "refused a request to /slack/events: not signed with the app's signing secret, "
            "or too old (%d bytes)",
            len(body),
            extra={"status": 401, "bytes": len(body)},
        )
        return JSONResponse({"error": "invalid request"}, status_code=401)
    parsed = bolt_request(body, query=request.url.query, headers=headers)
    if parsed is None:
        log.warning("refused a signed request to /slack/events: its body cannot be parsed")
        return JSONResponse({"error": "the body cannot be parsed"}, status_code=400)
    if acked_first(parsed):
        carry_on(_dispatch_after_acks(bolt, parsed), "dispatching an acked request")
        return Response(status_code=200)
    return to_starlette_response(await bolt.async_dispatch(parsed))


async def _dispatch_after_acks(bolt: AsyncApp, request: AsyncBoltRequest) -> None:
    # Matching a request to its listener is Bolt's work for every listener: it waits, too.
    await ACK_TURNS.after_acks()
    await bolt.async_dispatch(request)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(intake.lead_schemas())
        app.openapi_schema = schema
    return app.openapi_schema
