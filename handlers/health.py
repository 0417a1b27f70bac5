"""`GET /healthz` and `GET /metrics`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.concurrency import run_in_threadpool

from bot.app import Baton
from bot.metrics import REGISTRY
from bot.services.status import service_status


def register(router: APIRouter, baton: Baton) -> None:
    collector = StatusCollector(baton)
    unregister_status()
    REGISTRY.register(collector)
    registered.append(collector)

    @router.get("/healthz", summary="Health: database, Slack backlog, last job runs")
    async def healthz() -> JSONResponse:
        status = await run_in_threadpool(service_status, baton, probe_writes=True)
        healthy = status["database"] == "ok" and status["writes"] == "ok"
        return JSONResponse(status, status_code=200 if healthy else 503)

    @router.get("/metrics", summary="Prometheus metrics (no personal data)")
    async def metrics() -> Response:
        body = await run_in_threadpool(generate_latest, REGISTRY)
        return Response(body, media_type=CONTENT_TYPE_LATEST)


# The store's figures come from the Baton of the web app built last (tests build several).
registered: list[StatusCollector] = []


def unregister_status() -> None:
    """Take the store's figures of earlier web apps off the registry."""
    while registered:
        REGISTRY.unregister(registered.pop())


class StatusCollector:
    """Read the figures from the database at scrape time, so every process reports the same."""

    def __init__(self, baton: Baton) -> None:
        self.baton = baton

    def describe(self) -> list:  # type: ignore[type-arg]
        return []

    def collect(self):  # type: ignore[no-untyped-def]
        status = service_status(self.baton)
        up = GaugeMetricFamily("baton_database_up", "1 when the database answers")
        up.add_metric([], 1.0 if status["database"] == "ok" else 0.0)
        yield up
        if status["database"] != "ok":
            return
        leads = GaugeMetricFamily("baton_leads", "Leads by status", labels=["status"])
        for name, count in sorted(status["leads"].items()):
            leads.add_metric([name], count)
        yield leads
        outbox = GaugeMetricFamily(
            "baton_outbox_backlog", "Undelivered Slack work", labels=["state"]
        )
        for name, count in sorted(status["slack"]["backlog"].items()):
            outbox.add_metric([name], count)
        yield outbox
        oldest = GaugeMetricFamily(
            "baton_outbox_oldest_waiting_seconds",
            "Age of the oldest undelivered Slack work (0 when nothing waits)",
        )
        oldest.add_metric([], status["slack"]["oldest_waiting_seconds"])
        yield oldest
        paused = GaugeMetricFamily(
            "baton_slack_delivery_paused", "1 while Slack delivery waits for a working token"
        )
        paused.add_metric([], 1.0 if status["slack"]["delivery"] == "paused" else 0.0)
        yield paused
        crm = status.get("crm", {})
        backlog = GaugeMetricFamily(
            "baton_crm_backlog", "Undelivered CRM work (events in, writes out)", labels=["state"]
        )
        for state in ("pending", "blocked"):
            backlog.add_metric([state], crm.get("backlog", {}).get(state, 0))
        yield backlog
        errors = GaugeMetricFamily(
            "baton_crm_errors", "Undelivered CRM work that failed at least once"
        )
        errors.add_metric([], len(crm.get("stuck", [])))
        yield errors
