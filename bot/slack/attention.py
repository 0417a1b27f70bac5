"""Causes a person must fix, each logged at ERROR once when it starts and once when it clears.

A refused call is retried every few minutes, by every item that meets it: without this, the
log would repeat the same refusal until someone fixed it, and never say when they had.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from bot.services.delivery_state import DeliveryState
from bot.slack.api_errors import fix_for

log = logging.getLogger("bot.slack.delivery")


class Causes:
    """The refusals this process has logged and not yet seen cleared, by target and code."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], str] = {}

    def refused(self, *, method: str, target: str, code: str) -> None:
        """Log a refusal once per cause, with what the admin must do."""
        with self._lock:
            if (target, code) in self._open:
                return
            self._open[(target, code)] = method
        log.error(
            "Slack refused %s to %s: %s — %s; Baton keeps the work and retries",
            method,
            target,
            code,
            fix_for(code),
            extra={"method": method, "target": target, "error": code, "fix": fix_for(code)},
        )

    def accepted(self, target: str) -> None:
        """A call to `target` went through: every refusal logged for it has cleared."""
        with self._lock:
            cleared = [key for key in self._open if key[0] == target]
            methods = [self._open.pop(key) for key in cleared]
        for (_, code), method in zip(cleared, methods, strict=True):
            log.error(
                "cleared: Slack accepts %s to %s again (it had refused: %s)",
                method,
                target,
                code,
                extra={"method": method, "target": target, "error": code, "cleared": True},
            )


def pause_delivery(state: DeliveryState, *, reason: str, code: str, at: datetime) -> None:
    """Pause every delivery until the token works again; log it once, with what to do."""
    if state.pause(f"{reason}: {code} — {fix_for(code)}", at=at):
        log.error(
            "Slack delivery paused: %s: %s — %s; it resumes by itself once the token works",
            reason,
            code,
            fix_for(code),
            extra={"error": code, "fix": fix_for(code)},
        )


def delivery_resumed(state: DeliveryState, *, at: datetime) -> None:
    paused = state.resume()
    if paused is not None:
        reason, since = paused
        log.error(
            "cleared: Slack delivery resumed, the bot token works again (paused %.0f s: %s)",
            (at - since).total_seconds(),
            reason,
            extra={"cleared": True, "paused_seconds": round((at - since).total_seconds())},
        )
