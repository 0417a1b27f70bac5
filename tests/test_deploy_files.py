"""deploy/: the Grafana dashboard and the Prometheus alert rules parse, and every metric they
name is one `GET /metrics` serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Baton
from bot.web import create_web_app

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
METRIC = re.compile(r"\b((?:baton|process|python)_[a-z_]+)\b")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


def served_names(baton: Baton) -> set[str]:
    """Every sample name /metrics serves, or would once its labels have values."""
    with TestClient(create_web_app(baton)) as http:
        text = http.get("/metrics").text
    names = set()
    for family in text_string_to_metric_families(text):
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def alert_rules() -> list[dict]:
    rules = yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def test_the_dashboard_shows_only_metrics_baton_serves(baton: Baton) -> None:
    served = served_names(baton)
    named = {name for expr in dashboard_expressions() for name in METRIC.findall(expr)}

    assert named - served == set()
    # The figures an operator looks at first are on it.
    assert {
        "baton_http_requests_total",
        "baton_slack_ack_seconds_bucket",
        "baton_slack_api_calls_total",
        "baton_outbox_oldest_waiting_seconds",
        "baton_job_passes_total",
        "baton_timer_fires_total",
        "process_resident_memory_bytes",
    } <= named


def test_the_two_alerts_watch_the_oldest_waiting_work_and_failing_jobs(baton: Baton) -> None:
    served = served_names(baton)
    rules = {rule["alert"]: rule for rule in alert_rules()}

    assert set(rules) == {"BatonSlackWorkWaiting", "BatonJobFailing"}
    for rule in rules.values():
        assert set(METRIC.findall(rule["expr"])) <= served
        assert rule["annotations"]["summary"]
    assert rules["BatonSlackWorkWaiting"]["expr"].endswith(
        "baton_outbox_oldest_waiting_seconds) > 600"
    )
    assert 'result="failed"' in rules["BatonJobFailing"]["expr"]
