"""Every HTTP request counted by route template and status, and timed: an ASGI middleware."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.metrics import HTTP_LATENCY, HTTP_REQUESTS

UNMATCHED = "unmatched"  # no route: never the path itself, which anyone can make up


class MeasuredRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app fails before it answers

        async def send_measured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_measured)
        finally:
            route, method = route_of(scope), scope.get("method", "")
            HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
            HTTP_LATENCY.labels(route=route, method=method).observe(time.perf_counter() - started)


def route_of(scope: Scope) -> str:
    route: Any = scope.get("route")
    return str(getattr(route, "path", None) or UNMATCHED)
