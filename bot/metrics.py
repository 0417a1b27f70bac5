"""Baton's Prometheus metrics: one registry that `GET /metrics` serves, and the metrics on it.

A module that measures something imports the metric from here, or adds its own to REGISTRY
here. Labels never carry personal data: routes are templates, Slack methods and error codes
are Slack's, jobs and timer kinds are Baton's own names.
"""

from __future__ import annotations

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
)

REGISTRY = CollectorRegistry()
# The process collector's defaults: CPU, memory, open files, start time; and Python's GC.
for default in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(default)

HTTP_REQUESTS = Counter(
    "baton_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "baton_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method",
    ["route", "method"],
    registry=REGISTRY,
)
SLACK_ACK_LATENCY = Histogram(
    "baton_slack_ack_seconds",
    "Time from a Slack request's arrival to its answer (Slack wants it within 3 s)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
    registry=REGISTRY,
)
SLACK_CALLS = Counter(
    "baton_slack_api_calls",
    "Slack Web API calls by method and result: ok, Slack's error code, 429, 5xx or network",
    ["method", "result"],
    registry=REGISTRY,
)
SLACK_CALL_LATENCY = Histogram(
    "baton_slack_api_call_duration_seconds",
    "Time a Slack Web API call took, by method",
    ["method"],
    registry=REGISTRY,
)
TIMER_FIRES = Counter(
    "baton_timer_fires",
    "Timers fired by the scheduled passes, by kind",
    ["kind"],
    registry=REGISTRY,
)
JOB_PASSES = Counter(
    "baton_job_passes",
    "Passes of the scheduled jobs, by job and result: ok, failed, skipped or unavailable",
    ["job", "result"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "baton_job_pass_duration_seconds",
    "How long a pass of a scheduled job took, by job",
    ["job"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
    registry=REGISTRY,
)
