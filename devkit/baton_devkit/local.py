"""Baton on this machine only: a Slack stand-in that knows the config's people, and a server thread.

Used by `baton demo` and by the tests, so both exercise the same wiring.
"""

from __future__ import annotations

import threading
from typing import Any

import uvicorn

from baton_devkit.standin import SlackStandIn
from config.model import BatonConfig


def configured_users(config: BatonConfig) -> set[str]:
    """Every person the config names."""
    users = set(config.marketing.users) | set(config.triage.deciders)
    for region in config.regions:
        users |= {region.manager, *region.reps} | ({region.backup} if region.backup else set())
    return users


def standin_for(config: BatonConfig) -> SlackStandIn:
    """A stand-in workspace that knows every user and channel in the config (not started)."""
    channels = {config.marketing.channel: "marketing", config.triage.channel: "lead-triage"}
    channels |= {r.channel: f"sales-{r.name}" for r in config.regions if r.channel}
    users = {user: f"Person {user}" for user in configured_users(config)}
    return SlackStandIn(users=users, channels=channels)


class LocalServer:
    """Serve an ASGI app on 127.0.0.1 at a free port in a thread, as `baton serve` would."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        pause = threading.Event()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the local server did not start")
            pause.wait(0.01)
        return self

    @property
    def url(self) -> str:
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
