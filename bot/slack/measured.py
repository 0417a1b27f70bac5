"""Slack Web API clients that count every call by method and result, and time it."""

from __future__ import annotations

import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.slack_response import SlackResponse

from bot.metrics import SLACK_CALL_LATENCY, SLACK_CALLS
from bot.slack.api_errors import outcome


def count_call(method: str, error: BaseException | None, started: float) -> None:
    """Count one call: ok, Slack's error code, 429, 5xx or network."""
    SLACK_CALLS.labels(method=method, result=outcome(error)).inc()
    SLACK_CALL_LATENCY.labels(method=method).observe(time.perf_counter() - started)


class MeasuredWebClient(WebClient):
    """The outbox worker's and the CLI's client."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        started, error = time.perf_counter(), None
        try:
            return super().api_call(api_method, **kwargs)
        except Exception as failed:
            error = failed
            raise
        finally:
            count_call(api_method, error, started)


class MeasuredAsyncWebClient(AsyncWebClient):
    """Bolt's client, for the answers given while a person waits."""

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        started, error = time.perf_counter(), None
        try:
            return await super().api_call(api_method, **kwargs)
        except Exception as failed:
            error = failed
            raise
        finally:
            count_call(api_method, error, started)
