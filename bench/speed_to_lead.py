"""Speed to lead: from intake's 202 to the handoff message reaching Slack, at a steady pace.

Writes a config with 20 regions, each with its own channel and country, and serves Baton
(web app, Bolt and the real outbox worker on the system clock, as `baton serve` runs them) in
its own process against the Slack stand-in. Sends 20 single-lead requests a second for
30 seconds (10 with --quick), the regions taking turns, so that each channel gets one lead a
second: Slack's pace for posting to one channel. Each lead's time is from its 202 arriving
at the client to its handoff's chat.postMessage arriving at the stand-in (the stand-in's
recorded call time; both clocks are this machine's monotonic clock).

    python bench/speed_to_lead.py [--postgres URL] [--quick] [--no-sqlite] [--no-postgres]
                                  [--rate N] [--slack-latency SECONDS]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from baton_devkit.standin import Call, SlackStandIn
from harness import DEFAULT_POSTGRES, percentile, scratch_database, served, serving_baton
from sqlalchemy import select

from storage.rows import LeadRow, OutboxRow

SECRET, TOKEN, INTAKE = "bench-signing-secret", "xoxb-bench", "bench-intake-token"
REGIONS = 20
COUNTRIES = [
    "DE",
    "FR",
    "GB",
    "IT",
    "ES",
    "NL",
    "BE",
    "AT",
    "CH",
    "SE",
    "NO",
    "DK",
    "FI",
    "PL",
    "PT",
    "IE",
    "US",
    "CA",
    "SG",
    "JP",
]  # one per region
TARGET_P99_SECONDS = 1.0
CLIENT_THREADS = 8
# Turns the outbox's wall-clock times into this machine's monotonic clock, the stand-in's.
WALL_MINUS_MONOTONIC = time.time() - time.monotonic()


@dataclass
class Sent:
    """One lead as the client saw it: when its request left and when its 202 arrived."""

    number: int
    channel: str
    sent_at: float
    answered_at: float = 0.0
    short_id: str = ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--quick", action="store_true", help="10 seconds instead of 30")
    parser.add_argument("--rate", type=float, default=20.0, help="leads per second (default 20)")
    parser.add_argument(
        "--slack-latency", type=float, default=0.0, help="seconds the stand-in takes per call"
    )
    args = parser.parse_args()
    seconds = 10 if args.quick else 30
    print(
        f"{args.rate:g} leads/s for {seconds} s over {REGIONS} regions (one channel each), "
        f"one lead per request; Slack stand-in latency {args.slack_latency * 1000:.0f} ms"
    )
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder) / "baton.yaml"
        config_path.write_text(config_yaml(), encoding="utf-8")
        for backend, skip in (("sqlite", args.no_sqlite), ("postgresql", args.no_postgres)):
            if not skip:
                ok &= run_backend(backend, args, config_path, seconds)
    return 0 if ok else 1


def run_backend(backend: str, args: argparse.Namespace, config_path: Path, seconds: int) -> bool:
    with (
        standin_for_regions() as standin,
        scratch_database(backend, postgres=args.postgres, name="speed") as database,
    ):
        url = database.url
        database.dispose()
        with served(
            baton_app, database_url=url, slack_api_url=standin.url, config_path=str(config_path)
        ) as base_url:
            warm_up(base_url, standin)
            standin.set_latency(args.slack_latency)
            sent = send_at_pace(base_url, rate=args.rate, count=int(args.rate * seconds))
            delivered = standin.wait_for(
                lambda: len(handoff_calls(standin)) >= len(sent) + 1, timeout=120
            )
        with database.reading() as session:
            rows = session.execute(select(LeadRow.short_id, LeadRow.id))
            ids = {short_id: row_id for short_id, row_id in rows}
            work = session.execute(
                select(OutboxRow.lead_id, OutboxRow.delivered_at, OutboxRow.last_error).where(
                    OutboxRow.kind == "handoff"
                )
            ).all()
            taken = {
                lead_id: at.timestamp() - WALL_MINUS_MONOTONIC for lead_id, at, _ in work if at
            }
            errors = Counter(error for _, _, error in work if error)
    posts = handoff_calls(standin)
    latencies, from_request, to_worker, in_worker, wrong_channel = [], [], [], [], 0
    for lead in sent:
        lead_id = ids[lead.short_id]
        call = posts.get(lead_id)
        if call is None:
            continue
        latencies.append(call.at - lead.answered_at)
        from_request.append(call.at - lead.sent_at)
        to_worker.append(taken[lead_id] - lead.answered_at)
        in_worker.append(call.at - taken[lead_id])
        wrong_channel += call.args.get("channel") != lead.channel
    answers = [lead.answered_at - lead.sent_at for lead in sent]
    p99 = percentile(latencies, 99)
    met = delivered and not wrong_channel and p99 <= TARGET_P99_SECONDS
    print(f"\n{backend}")
    print(
        f"  {len(latencies):,} of {len(sent):,} handoffs posted"
        + (f"; {wrong_channel} to the wrong channel" if wrong_channel else "")
    )
    print(f"  202 → Slack     {_figures(latencies)}")
    print(f"  request → Slack {_figures(from_request)}")
    print(f"  request → 202   {_figures(answers)}")
    print("  where 202 → Slack goes (the outbox row's delivered_at: when its last try began)")
    print(f"    202 → the worker's last try begins  {_figures(to_worker)}")
    print(f"    its last try → Slack                {_figures(in_worker)}")
    print(f"  202 → Slack, p50 of each quarter of the run  {_quarters(latencies)}")
    for error, count in errors.most_common(3):
        print(f"  {count} handoffs failed a try first: {error[:100]}")
    print(f"  target    p99 ≤ {TARGET_P99_SECONDS:.0f} s: {'met' if met else 'MISSED'}")
    return met


def _quarters(seconds: list[float]) -> str:
    """The p50 of each quarter of the leads in the order sent: does latency hold steady?"""
    quarter = max(1, len(seconds) // 4)
    parts = [seconds[i * quarter : (i + 1) * quarter] for i in range(4)]
    return ", ".join(f"{percentile([s * 1000 for s in part], 50):.0f}" for part in parts) + " ms"


def _figures(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"p50 {percentile(ms, 50):7.1f} ms  p99 {percentile(ms, 99):7.1f} ms  max {max(ms):7.1f} ms"
    )


def send_at_pace(base_url: str, *, rate: float, count: int) -> list[Sent]:
    """Send lead n at start + n / rate, whatever the answers to earlier requests are doing."""
    local = threading.local()
    clients: list[httpx.Client] = []
    failures: list[str] = []

    def post(lead: Sent) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {INTAKE}"}, timeout=30
            )
            clients.append(client)
        lead.sent_at = time.monotonic()
        answer = client.post("/intake/leads", json=lead_document(lead.number))
        lead.answered_at = time.monotonic()
        if answer.status_code != 202:
            failures.append(f"{answer.status_code}: {answer.text[:300]}")
            return
        lead.short_id = answer.json()["leads"][0]["id"]

    sent = [Sent(n, channel_of(n % REGIONS), 0.0) for n in range(count)]
    pause = threading.Event()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        start = time.monotonic() + 0.1
        for lead in sent:
            pause.wait(max(0.0, start + lead.number / rate - time.monotonic()))
            pool.submit(post, lead)
    for client in clients:
        client.close()
    if failures:
        raise RuntimeError(f"intake failed: {failures[0]}")
    return sent


def warm_up(base_url: str, standin: SlackStandIn) -> None:
    """One lead through intake and delivery first, so that the first measured one is not cold."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {INTAKE}"}) as client:
        lead = lead_document(-1)
        answer = client.post("/intake/leads", json=lead)
        if answer.status_code != 202:
            raise RuntimeError(f"intake answered {answer.status_code}: {answer.text[:300]}")
    if not standin.wait_for(lambda: len(handoff_calls(standin)) >= 1, timeout=30):
        raise RuntimeError("the warm-up lead's handoff did not reach the Slack stand-in")
    time.sleep(1.5)  # the warm-up's channel is free again before the run


def handoff_calls(standin: SlackStandIn) -> dict[int, Call]:
    """The first chat.postMessage of each lead's first handoff, by lead row id."""
    found: dict[int, Call] = {}
    for call in standin.calls_to("chat.postMessage"):
        key = ((call.args.get("metadata") or {}).get("event_payload") or {}).get("key", "")
        kind, _, rest = key.partition(":")
        if kind == "handoff" and call.status == 200:
            found.setdefault(int(rest.split(":")[0]), call)
    return found


def lead_document(n: int) -> dict[str, Any]:
    return {
        "email": f"person{n}@company{n % 4000}.example",
        "first_name": f"Given{n}",
        "last_name": f"Surname{n}",
        "company": f"Company {n % 4000} Ltd",
        "title": "CTO",
        "score": 80,
        "source": "web",
        "country": COUNTRIES[n % REGIONS],
    }


def region_name(i: int) -> str:
    return f"region-{i + 1:02d}"


def channel_of(i: int) -> str:
    return f"C0REGION{i + 1:02d}"


def manager_of(i: int) -> str:
    return f"U0MANAGER{i + 1:02d}"


def rep_of(i: int) -> str:
    return f"U0REPRES{i + 1:02d}"


def config_yaml() -> str:
    """A config of REGIONS regions, each with its own channel, manager, rep and country."""
    lines = [
        "currency: USD",
        "marketing: {channel: C0MARKETING, users: [U0MARKETER1]}",
        "triage: {channel: C0TRIAGE01, deciders: [U0MARKETER1]}",
        "lead_definition: {min_score: 50, required_fields: [email, company]}",
        "regions:",
    ]
    for i in range(REGIONS):
        lines += [
            f"  - name: {region_name(i)}",
            f"    manager: {manager_of(i)}",
            f"    reps: [{rep_of(i)}]",
            f"    channel: {channel_of(i)}",
            "    timezone: UTC",
            f"    match: {{countries: [{COUNTRIES[i]}]}}",
        ]
    return "\n".join(lines) + "\n"


def standin_for_regions() -> SlackStandIn:
    users = {"U0MARKETER1": "Marketer"}
    users |= {manager_of(i): f"Manager {i + 1}" for i in range(REGIONS)}
    users |= {rep_of(i): f"Rep {i + 1}" for i in range(REGIONS)}
    channels = {"C0MARKETING": "marketing", "C0TRIAGE01": "lead-triage"}
    channels |= {channel_of(i): f"sales-{region_name(i)}" for i in range(REGIONS)}
    return SlackStandIn(users=users, channels=channels)


def baton_app(
    database_url: str, slack_api_url: str, config_path: str
) -> tuple[Any, Callable[[], None]]:
    """What `baton serve` runs: the web app with Bolt, and the outbox worker on the system clock."""
    return serving_baton(
        deliver=True,
        database_url=database_url,
        baton_config=Path(config_path),
        baton_intake_token=INTAKE,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api_url,
    )


if __name__ == "__main__":
    sys.exit(main())
