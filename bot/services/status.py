"""What an admin or a health check needs to know about a running Baton."""

from __future__ import annotations

from typing import Any, Protocol

from bot.clock import Clock
from bot.services.delivery_state import DeliveryState
from bot.services.ports import StatusReader, StorageUnavailable, WriteProbe

STUCK_SHOWN = 20


class Running(Protocol):
    """What the status of a running Baton is read from."""

    @property
    def status_reader(self) -> StatusReader: ...
    @property
    def write_probe(self) -> WriteProbe: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def delivery(self) -> DeliveryState: ...


def service_status(baton: Running, *, probe_writes: bool = False) -> dict[str, Any]:
    """Describe the database, the Slack backlog and what is stuck; with a probe, writes too."""
    try:
        stored = baton.status_reader.read_status(stuck_limit=STUCK_SHOWN)
    except StorageUnavailable as error:
        return {"database": "unavailable", "error": error.reason}
    oldest = stored.oldest_waiting
    waited = (baton.clock.now() - oldest).total_seconds() if oldest else 0.0
    status: dict[str, Any] = {
        "database": "ok",
        "leads": stored.lead_counts,
        "slack": {
            "backlog": stored.backlog,
            "undelivered": sum(stored.backlog.values()),
            "oldest_waiting_seconds": round(max(waited, 0.0), 1),
            "stuck": stored.stuck,
            # Intake requests whose new leads the worker has yet to settle (see settling.py).
            "requests_to_settle": stored.requests_to_settle,
            **baton.delivery.describe(),
        },
        "jobs": {run.name: run.as_dict() for run in stored.job_runs},
    }
    if stored.crm_backlog or stored.crm_stuck:
        status["crm"] = {
            "backlog": stored.crm_backlog,
            "undelivered": sum(stored.crm_backlog.values()),
            "stuck": stored.crm_stuck,
        }
    if probe_writes:
        failing = baton.write_probe.check(now=baton.clock.now())
        status["writes"] = "ok" if failing is None else f"failing: {failing}"
    return status
