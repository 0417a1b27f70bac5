"""Logging: one line per thing that happened, as text for a terminal or JSON for a collector.

Baton's code logs through the standard library with the ids as `extra` fields
(`log.info("handoff posted", extra={"lead": "L-7K3Q9", "channel": "C0…"})`). One formatter,
structlog's, renders every line - Baton's, uvicorn's, Bolt's and APScheduler's - so a
collector gets one JSON object per line with those ids as fields.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog
from structlog.stdlib import ExtraAdder, ProcessorFormatter
from structlog.typing import Processor

LogFormat = Literal["text", "json"]
# Libraries whose INFO lines are noise to an operator (or, for Bolt at DEBUG, carry bodies).
QUIETER = {
    "alembic": logging.WARNING,
    "slack_bolt": logging.WARNING,
    "apscheduler": logging.WARNING,
    # slack_sdk logs each failed call at ERROR; Baton logs it once itself, with what to do.
    "slack_sdk": logging.CRITICAL,
}


def configure_logging(*, level: str, log_format: LogFormat) -> None:
    """Send every logger's lines through one formatter on stderr."""
    chain: list[Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        ExtraAdder(),
        drop_terminal_colours,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if log_format == "json":
        render: list[Processor] = [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ]
    else:
        render = [structlog.dev.ConsoleRenderer(colors=False)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        ProcessorFormatter(
            processors=[ProcessorFormatter.remove_processors_meta, *render],
            foreign_pre_chain=chain,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quieter in QUIETER.items():
        # A DEBUG run shows everything; otherwise these libraries speak only when it matters.
        chosen = root.level if root.level <= logging.DEBUG else max(quieter, root.level)
        logging.getLogger(name).setLevel(chosen)
    # uvicorn's own loggers carry handlers of their own unless told not to.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    access.filters[:] = [AccessLine(debug=root.level <= logging.DEBUG)]
    bolt = logging.getLogger("slack_bolt.AsyncApp")
    bolt.filters[:] = [drop_token_notice]


def drop_terminal_colours(
    _logger: object, _method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """uvicorn adds a copy of its message with terminal colours; the line has it already."""
    event.pop("color_message", None)
    return event


def drop_token_notice(record: logging.LogRecord) -> bool:
    # Bolt reads SLACK_BOT_TOKEN itself and says it goes unused: Baton hands it its client.
    return "`token` will be unused" not in record.getMessage()


# Polled every few seconds by health checks and scrapers: shown only when debugging.
POLLED = frozenset({"/healthz", "/metrics"})


class AccessLine(logging.Filter):
    """uvicorn's access line as fields, without the client's address or the query string."""

    def __init__(self, *, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 5:
            return True
        _client, method, full_path, _version, status = args
        path = str(full_path).split("?", 1)[0]
        if path in POLLED and not self.debug:
            return False
        record.msg, record.args = "%s %s %s", (method, path, status)
        record.__dict__.update({"http_method": method, "path": path, "status": status})
        return True
