"""Whether Slack work is being delivered now, and if not why: shared by the outbox worker, the
listeners of Slack's token events and `/healthz`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any


class DeliveryState:
    """Delivery paused for a reason a person must fix (the token), or Slack out of reach."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paused: tuple[str, datetime] | None = None
        self._unreachable: tuple[str, datetime] | None = None
        self.listeners: list[Callable[[], None]] = []

    @property
    def paused(self) -> str | None:
        """Why delivery is paused, or None while it runs."""
        with self._lock:
            return self._paused[0] if self._paused else None

    def pause(self, reason: str, *, at: datetime) -> bool:
        """Pause delivery; True when this paused it (False: it was paused already)."""
        with self._lock:
            if self._paused is not None:
                return False
            self._paused = (reason, at)
        self._tell()
        return True

    def resume(self) -> tuple[str, datetime] | None:
        """Resume delivery; return why and since when it was paused (None: it was not)."""
        with self._lock:
            paused, self._paused = self._paused, None
        if paused is not None:
            self._tell()
        return paused

    def unreachable(self, reason: str | None, *, at: datetime) -> tuple[str, datetime] | None:
        """Record Slack out of reach (a reason) or back (None); return the outage it ends."""
        with self._lock:
            before = self._unreachable
            if reason is None:
                self._unreachable = None
                return before
            self._unreachable = (reason, before[1] if before else at)
            return None

    def describe(self) -> dict[str, Any]:
        """What `/healthz` shows of delivery."""
        with self._lock:
            paused, unreachable = self._paused, self._unreachable
        described: dict[str, Any] = {"delivery": "running"}
        if paused is not None:
            described = {"delivery": "paused", "reason": paused[0], "since": paused[1].isoformat()}
        if unreachable is not None:
            described["unreachable"] = {
                "reason": unreachable[0],
                "since": unreachable[1].isoformat(),
            }
        return described

    def _tell(self) -> None:
        for listener in self.listeners:
            listener()
