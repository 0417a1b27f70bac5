"""The ASGI app: intake, health, metrics, OpenAPI (and Slack's endpoint once wired)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp

from bot.app import Baton
from handlers import health, intake, report


def create_web_app(baton: Baton, bolt: AsyncApp | None = None) -> FastAPI:
    """Build the web app around a built Baton; with a Bolt app, Slack's endpoint too."""
    app = FastAPI(title="Baton", version="0.1.0", docs_url=None, redoc_url=None)
    router = APIRouter()
    if bolt is not None:
        _mount_slack(router, bolt)
    intake.register(router, baton)
    health.register(router, baton)
    report.register(router, baton)
    app.include_router(router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _mount_slack(router: APIRouter, bolt: AsyncApp) -> None:
    handler = AsyncSlackRequestHandler(bolt)

    @router.post("/slack/events", summary="Slack's events, interactions and slash commands")
    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(intake.lead_schemas())
        app.openapi_schema = schema
    return app.openapi_schema
