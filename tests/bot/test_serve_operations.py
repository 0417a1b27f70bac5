"""`baton serve` as an operator runs it: its log lines (JSON) and its metrics, read from the
running process against the Slack stand-in, while Slack refuses, revokes or goes away."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from baton_devkit import simulate
from baton_devkit.standin import SlackStandIn
from prometheus_client.parser import text_string_to_metric_families

from config.model import BatonConfig
from tests.bot.test_cli_jobs import a_pending_lead
from tests.bot.test_serve_faults import AUTH, lead, serving, wait_until_healthy
from tests.fakes.proxy import CuttableProxy
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, standin_for

EMEA = "C0EMEA0001"
TRIAGE = "C0TRIAGE01"


class LogLines:
    """Every line the process writes, read as it comes; each must be one JSON object."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.raw: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            with self._changed:
                self.raw.append(line.rstrip("\n"))
                self._changed.notify_all()

    @property
    def lines(self) -> list[dict[str, Any]]:
        with self._changed:
            return [json.loads(line) for line in self.raw]

    def where(self, **fields: Any) -> list[dict[str, Any]]:
        return [line for line in self.lines if all(line.get(k) == v for k, v in fields.items())]

    def saying(self, text: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if text in line["event"]]

    def wait_for(self, found: Callable[[], Any], seconds: float = 20) -> Any:
        with self._changed:
            self._changed.wait_for(lambda: bool(found()), seconds)
        result = found()
        assert result, f"not logged in {seconds} s; the log:\n" + "\n".join(self.raw[-40:])
        return result


@contextmanager
def served(tmp_path: Path, slack_url: str) -> Iterator[tuple[httpx.Client, LogLines]]:
    with (
        serving(tmp_path, slack_url, LOG_FORMAT="json") as (process, url),
        httpx.Client(base_url=url, timeout=10, headers=AUTH) as http,
    ):
        logs = LogLines(process)
        wait_until_healthy(http, process, seconds=30)
        yield http, logs


def metrics(http: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = http.get("/metrics")
    assert answer.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def sample(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def test_one_json_line_per_thing_that_happened_with_the_ids_as_fields(
    tmp_path: Path, example_config: BatonConfig
) -> None:
    old = a_pending_lead(tmp_path / "baton.db")  # long overdue: the first pass fires for it
    with standin_for(example_config) as standin, served(tmp_path, standin.url) as (http, logs):
        taken = http.post("/intake/leads", json=lead(1) | {"source": "webinar"})
        assert taken.status_code == 202
        short_id = taken.json()["leads"][0]["id"]

        posted = logs.wait_for(
            lambda: logs.where(
                event=f"handoff posted: {short_id} in {EMEA}, ts {ts(standin, short_id)}"
            )
        )
        [received] = logs.where(lead=short_id, result="created")
        assert (received["region"], received["source"], received["level"]) == (
            "emea",
            "webinar",
            "info",
        )
        assert (posted[0]["lead"], posted[0]["channel"]) == (short_id, EMEA)
        assert posted[0]["ts"] == ts(standin, short_id)
        fired = logs.wait_for(lambda: logs.where(lead=old, timer="handoff_sla"))
        assert fired[0]["job"] == "handoff-sla" and fired[0]["level"] == "info"
        [done] = logs.wait_for(lambda: logs.saying("job handoff-sla as of"))
        assert done["fired"] == {"handoff_sla": 1, "escalation": 1} and done["seconds"] >= 0

        body = b'{"type":"event_callback","event":{"text":"call jane.doe@acme.example"}}'
        forged = http.post(
            "/slack/events", content=body, headers=simulate.signed_headers(body, "not-the-secret")
        )
        assert forged.status_code == 401
        [refused] = logs.wait_for(lambda: logs.saying("refused a request to /slack/events"))
        assert refused["level"] == "warning"

    everything = "\n".join(logs.raw)
    assert "Traceback" not in everything
    assert "jane.doe@acme.example" not in everything and "p1@acme.example" not in everything
    loggers = {line["logger"] for line in logs.lines}
    assert {"uvicorn.error", "bot.services.intake", "bot.slack.delivery"} <= loggers
    assert not logs.where(path="/healthz")  # the health checks' polling is not logged


def ts(standin: SlackStandIn, short_id: str) -> str | None:
    found = [m for m in standin.messages(EMEA) if short_id in json.dumps(m)]
    return found[0]["ts"] if found else None


def test_metrics_from_a_running_serve(tmp_path: Path, example_config: BatonConfig) -> None:
    a_pending_lead(tmp_path / "baton.db")
    with standin_for(example_config) as standin, served(tmp_path, standin.url) as (http, logs):
        assert http.post("/intake/leads", json=lead(1)).status_code == 202
        body = simulate.slash_command("U0EMEAMGR1", "help", channel=EMEA)
        assert (
            http.post(
                "/slack/events", content=body, headers=simulate.signed_headers(body, SIGNING_SECRET)
            ).status_code
            == 200
        )
        logs.wait_for(lambda: logs.saying("timer fired"))
        logs.wait_for(lambda: logs.saying("job handoff-sla as of"))
        standin.wait_for(lambda: len(standin.calls_to("chat.postMessage")) >= 3, 20)
        found = metrics(http)

    assert (
        sample(
            found, "baton_http_requests_total", route="/intake/leads", method="POST", status="202"
        )
        == 1
    )
    assert (
        sample(
            found, "baton_http_request_duration_seconds_count", route="/intake/leads", method="POST"
        )
        == 1
    )
    assert (sample(found, "baton_slack_ack_seconds_count") or 0) >= 1
    assert (
        sample(found, "baton_slack_api_calls_total", method="chat.postMessage", result="ok") or 0
    ) >= 1
    assert (sample(found, "baton_timer_fires_total", kind="handoff_sla") or 0) == 1
    assert sample(found, "baton_job_passes_total", job="handoff-sla", result="ok") == 1
    assert sample(found, "baton_job_pass_duration_seconds_count", job="handoff-sla") == 1
    assert sample(found, "baton_outbox_oldest_waiting_seconds") is not None
    assert sample(found, "baton_slack_delivery_paused") == 0
    assert (sample(found, "process_resident_memory_bytes") or 0) > 0
    assert ("baton_database_up", frozenset()) in found
    # No label carries a lead's id, a person or an address.
    labels = " ".join(v for (_, pairs) in found for _, v in pairs)
    assert "L-" not in labels and "@" not in labels and "U0EMEA" not in labels


def test_a_revoked_token_pauses_delivery_once_and_a_valid_one_resumes_it(
    tmp_path: Path, example_config: BatonConfig
) -> None:
    with standin_for(example_config) as standin, served(tmp_path, standin.url) as (http, logs):
        standin.revoke_token(BOT_TOKEN)
        event = {
            "type": "event_callback",
            "event_id": "Ev0REVOKED",
            "event": {"type": "tokens_revoked", "tokens": {"bot": ["UBATONBOT"]}},
        }
        raw = json.dumps(event).encode()
        headers = simulate.signed_headers(raw, SIGNING_SECRET) | {
            "Content-Type": "application/json"
        }
        assert http.post("/slack/events", content=raw, headers=headers).status_code == 200
        [paused] = logs.wait_for(lambda: logs.saying("Slack delivery paused"))
        assert paused["level"] == "error" and paused["error"] == "token_revoked"
        health = http.get("/healthz").json()["slack"]
        assert health["delivery"] == "paused" and "token_revoked" in health["reason"]

        short_id = http.post("/intake/leads", json=lead(1)).json()["leads"][0]["id"]
        # Baton asks Slack now and then whether the token works again: each answer is no.
        standin.wait_for(lambda: len(standin.calls_to("auth.test")) >= 3, 20)
        assert len(logs.saying("Slack delivery paused")) == 1
        assert not standin.messages(EMEA)

        standin.restore_token(BOT_TOKEN)
        [resumed] = logs.wait_for(lambda: logs.saying("Slack delivery resumed"), 40)
        assert resumed["level"] == "error" and resumed["cleared"] is True
        logs.wait_for(lambda: logs.where(lead=short_id, channel=EMEA))
        assert http.get("/healthz").json()["slack"]["delivery"] == "running"
        # Nothing stale reaches triage about a token that works again.
        assert not [m for m in standin.messages(TRIAGE) if "refused" in m.get("text", "")]
    assert "Traceback" not in "\n".join(logs.raw)


def test_slack_out_of_reach_is_one_warning_per_backoff_step_and_never_a_traceback(
    tmp_path: Path, example_config: BatonConfig
) -> None:
    with standin_for(example_config) as standin:
        host, port = standin.root.removeprefix("http://").split(":")
        proxy = CuttableProxy((host, int(port)))
        try:
            proxy.cut()
            with served(tmp_path, f"http://127.0.0.1:{proxy.port}/api/") as (http, logs):
                short_id = http.post("/intake/leads", json=lead(1)).json()["leads"][0]["id"]
                logs.wait_for(lambda: len(logs.saying("Slack unreachable")) >= 3)
                steps = [line["retry_in"] for line in logs.saying("Slack unreachable")]
                assert steps[:3] == [1.0, 2.0, 4.0]
                assert all(line["level"] == "warning" for line in logs.saying("Slack unreachable"))
                stuck = http.get("/healthz").json()["slack"]
                reason = stuck["unreachable"]["reason"]
                assert reason and "\n" not in reason
                assert stuck["stuck"][0]["error"] == f"Slack unreachable: {reason}"

                proxy.reopen()
                logs.wait_for(lambda: logs.saying("Slack reachable again"), 40)
                logs.wait_for(lambda: logs.where(lead=short_id, channel=EMEA))
                assert "unreachable" not in http.get("/healthz").json()["slack"]
        finally:
            proxy.close()
        assert len(standin.messages(EMEA)) == 1
    assert "Traceback" not in "\n".join(logs.raw)
