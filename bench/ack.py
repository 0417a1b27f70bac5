"""How long Slack waits for Baton's ack while Slack itself is slow, against a bare Bolt app.

Serves the real web app (Bolt at /slack/events, the outbox worker running, as `baton serve`
does) in its own process, against the Slack stand-in, and puts a few pending leads in Slack
through intake. Then, with the stand-in answering every call in 300 ms, 50 keep-alive
connections send Slack-signed requests, and each is timed until its HTTP response arrives,
under two loads:

  bursts     all 50 at once every 250 ms, each wave landing while the previous wave's slow
             Slack calls are still running; the targets are checked here;
  saturated  each connection sends again as soon as it is answered (50 always in flight),
             which shows throughput: by Little's law p50 ≈ 50 / (requests per second).

and two kinds of request:

  accept   the Accept button of a pending lead, clicked by the region's manager;
  command  a `/lead help` slash command, when Baton has a /lead listener; without one Bolt
           answers 404 (no ack), and the Return button is measured instead.

The baseline, in the same run: a bare Bolt AsyncApp on the same Starlette adapter, in a
FastAPI route as Baton's, whose listeners only ack and then call the (slow) stand-in. Both
apps are served at once, each in its own process, and take turns, round after round. The
clients run in a third process and the stand-in in this one.

    python bench/ack.py [--postgres URL] [--quick] [--no-sqlite] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from baton_devkit import simulate
from baton_devkit.standin import SlackStandIn
from fastapi import FastAPI, Request, Response
from harness import (
    DEFAULT_POSTGRES,
    KeepAliveConnection,
    nothing,
    percentile,
    scratch_database,
    served,
    serving_baton,
)
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.ids import ActionId
from config.model import BatonConfig, load_config

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "baton.yaml"
SECRET, TOKEN, INTAKE = "bench-signing-secret", "xoxb-bench", "bench-intake-token"
CONCURRENCY = 50
WAVE_INTERVAL = 0.25
WAVES_PER_ROUND = 5
BURSTS, SATURATED = "bursts", "saturated"
BATON, BARE = "baton", "bare Bolt"
ACCEPT = "accept"
SLACK_LATENCY = 0.3
TARGET_P99_MS = 100.0
TARGET_RATIO = 2.0


@dataclass(frozen=True)
class Click:
    """A button a manager can click: who, where, and the button's action id and value."""

    user: str
    channel: str
    message_ts: str
    action_id: str
    value: str


@dataclass(frozen=True)
class Latencies:
    milliseconds: list[float]
    seconds: float
    statuses: dict[int, int]

    @property
    def p50(self) -> float:
        return percentile(self.milliseconds, 50)

    @property
    def p99(self) -> float:
        return percentile(self.milliseconds, 99)

    @property
    def per_second(self) -> float:
        return len(self.milliseconds) / self.seconds

    def __add__(self, other: Latencies) -> Latencies:
        statuses = dict(self.statuses)
        for status, count in other.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
        return Latencies(
            self.milliseconds + other.milliseconds, self.seconds + other.seconds, statuses
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--quick", action="store_true", help="a smaller run")
    args = parser.parse_args()
    rounds = 2 if args.quick else 8
    config = load_config(CONFIG)
    print(
        f"{CONCURRENCY} connections; per app, kind and load {rounds} rounds of "
        f"{CONCURRENCY * WAVES_PER_ROUND} requests, the apps taking turns; "
        f"the Slack stand-in answers every call in {SLACK_LATENCY * 1000:.0f} ms"
    )
    print(
        f"  {BURSTS}: {CONCURRENCY} requests at once every {WAVE_INTERVAL * 1000:.0f} ms"
        " (the target is checked here)"
    )
    print(f"  {SATURATED}: each connection sends again as soon as it is answered")
    ok = True
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as clients:
        for backend, skip in (("sqlite", args.no_sqlite), ("postgresql", args.no_postgres)):
            if not skip:
                ok &= run_backend(backend, args, config, rounds, clients)
    return 0 if ok else 1


def run_backend(
    backend: str,
    args: argparse.Namespace,
    config: BatonConfig,
    rounds: int,
    clients: ProcessPoolExecutor,
) -> bool:
    with (
        standin_for(config) as standin,
        scratch_database(backend, postgres=args.postgres, name="ack") as database,
    ):
        url = database.url
        database.dispose()
        with (
            served(baton_app, database_url=url, slack_api_url=standin.url) as baton_url,
            served(bare_app, slack_api_url=standin.url) as bare_url,
        ):
            clicks = pending_leads_in_slack(baton_url, standin, config)
            command_status = slash_command_status(baton_url, standin, clicks[0])
            second = "command" if command_status == 200 else "return"
            standin.set_latency(SLACK_LATENCY)
            apps = {BATON: baton_url, BARE: bare_url}
            results = measure(apps, standin, clicks, (ACCEPT, second), rounds, clients)
            standin.set_latency(0)
    print(f"\n{backend}")
    if second == "return":
        print(
            f"  `/lead help` answered {command_status}: Baton has no /lead listener yet and Bolt"
            " does not ack an unhandled command; the Return button is measured instead"
        )
    ok = True
    for kind in (ACCEPT, second):
        print(f"  {kind}")
        for mode in (BURSTS, SATURATED):
            mine, theirs = results[BATON, kind, mode], results[BARE, kind, mode]
            ratio = mine.p99 / theirs.p99
            print(f"    {mode:<9} {BATON:<10} {_figures(mine)}")
            print(f"    {'':<9} {BARE:<10} {_figures(theirs)}")
            line = f"    {'':<9} p99 ratio  {ratio:.2f} × the bare app"
            if mode == BURSTS:
                met = mine.p99 <= TARGET_P99_MS and ratio <= TARGET_RATIO
                ok &= met
                line += (
                    f"; target p99 ≤ {TARGET_P99_MS:.0f} ms and ≤ {TARGET_RATIO:.0f} × bare: "
                    + ("met" if met else "MISSED")
                )
            print(line)
    return ok


def _figures(latencies: Latencies) -> str:
    statuses = ", ".join(f"{count} × {status}" for status, count in latencies.statuses.items())
    return (
        f"p50 {latencies.p50:6.1f} ms  p99 {latencies.p99:6.1f} ms  "
        f"max {max(latencies.milliseconds):6.1f} ms  {latencies.per_second:5.0f} requests/s"
        f"  ({statuses})"
    )


def measure(
    apps: dict[str, str],
    standin: SlackStandIn,
    clicks: list[Click],
    kinds: tuple[str, ...],
    rounds: int,
    clients: ProcessPoolExecutor,
) -> dict[tuple[str, str, str], Latencies]:
    """Time each app, kind of request and load, the apps taking turns round after round.

    Taking turns spreads whatever else this machine is doing over both apps alike. The
    clients run in a process of their own: in this one the stand-in's threads, waking
    together after their 300 ms, would hold up the clients' reading of the answers.
    """
    results: dict[tuple[str, str, str], Latencies] = {}
    for kind in kinds:
        for mode in (BURSTS, SATURATED):
            for url in apps.values():
                clients.submit(run_load, url, requests_for(kind, clicks, 2), mode).result()
                settle(standin)
            for _ in range(rounds):
                for app, url in apps.items():
                    requests = requests_for(kind, clicks, WAVES_PER_ROUND)
                    latencies = clients.submit(run_load, url, requests, mode).result()
                    settle(standin)
                    earlier = results.get((app, kind, mode))
                    results[app, kind, mode] = earlier + latencies if earlier else latencies
    return results


def requests_for(kind: str, clicks: list[Click], waves: int) -> list[tuple[bytes, dict[str, str]]]:
    return [request_for(kind, clicks[i % len(clicks)]) for i in range(CONCURRENCY * waves)]


def settle(standin: SlackStandIn) -> None:
    """Wait until no Slack call has arrived for a while: the last requests' calls are done."""
    count, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < SLACK_LATENCY + 0.2:
        time.sleep(0.1)
        if len(standin.calls) != count:
            count, quiet_since = len(standin.calls), time.monotonic()


def run_load(url: str, requests: list[tuple[bytes, dict[str, str]]], mode: str) -> Latencies:
    return asyncio.run(load(url, requests, mode))


async def load(url: str, requests: list[tuple[bytes, dict[str, str]]], mode: str) -> Latencies:
    """Send the requests over CONCURRENCY keep-alive connections and time each one.

    BURSTS: every WAVE_INTERVAL each connection sends one request, all at once, so each wave
    arrives while the previous wave's slow Slack calls are still running. SATURATED: each
    connection sends its next request as soon as its last is answered.
    """
    connections = [KeepAliveConnection(url) for _ in range(CONCURRENCY)]
    for connection in connections:
        await connection.open()
    shares = [
        [
            connection.request("/slack/events", body, headers)
            for body, headers in requests[i::CONCURRENCY]
        ]
        for i, connection in enumerate(connections)
    ]
    milliseconds: list[float] = []
    statuses: dict[int, int] = {}

    async def send(connection: KeepAliveConnection, request: bytes) -> None:
        started = time.perf_counter()
        status = await connection.send(request)
        milliseconds.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1

    async def back_to_back(connection: KeepAliveConnection, mine: list[bytes]) -> None:
        for request in mine:
            await send(connection, request)

    began = time.perf_counter()
    if mode == SATURATED:
        pairs = zip(connections, shares, strict=True)
        await asyncio.gather(*(back_to_back(c, share) for c, share in pairs))
    else:
        for wave in range(len(shares[0])):
            await asyncio.sleep(max(0.0, began + wave * WAVE_INTERVAL - time.perf_counter()))
            pairs = zip(connections, shares, strict=True)
            await asyncio.gather(*(send(c, share[wave]) for c, share in pairs if wave < len(share)))
    seconds = time.perf_counter() - began
    for connection in connections:
        await connection.close()
    return Latencies(milliseconds, seconds, statuses)


def request_for(kind: str, click: Click) -> tuple[bytes, dict[str, str]]:
    if kind == "command":
        body = slash_command(click.user, click.channel, "help")
    else:
        action_id, value = click.action_id, click.value
        if kind == "return":
            action_id = ActionId.RETURN
        payload = simulate.button_click(
            click.user, action_id, value, channel=click.channel, message_ts=click.message_ts
        )
        body = simulate.interaction_body(payload)
    return body, simulate.signed_headers(body, SECRET)


def slash_command(user: str, channel: str, text: str) -> bytes:
    return urlencode(
        {
            "token": "unused",
            "team_id": "T0BATON",
            "team_domain": "baton-demo",
            "channel_id": channel,
            "channel_name": "sales",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/lead",
            "text": text,
            "api_app_id": "A0BATON",
            "response_url": "http://127.0.0.1:9/commands/unused",
            "trigger_id": f"trigger-{time.monotonic_ns()}",
        }
    ).encode()


def slash_command_status(url: str, standin: SlackStandIn, click: Click) -> int:
    body = slash_command(click.user, click.channel, "help")
    answer = httpx.post(
        f"{url}/slack/events", content=body, headers=simulate.signed_headers(body, SECRET)
    )
    settle(standin)
    return answer.status_code


def pending_leads_in_slack(url: str, standin: SlackStandIn, config: BatonConfig) -> list[Click]:
    """Send each region a few leads, one request each, and wait for their handoff messages."""
    places = {"emea": {"country": "DE"}, "americas-east": {"country": "US", "state": "NY"}}
    places["apac"] = {"country": "SG"}
    leads = [
        {
            "email": f"person{n}-{region.name}@company{n}.example",
            "first_name": f"Given{n}",
            "last_name": f"Surname{n}",
            "company": f"Company {n} Ltd",
            "score": 80,
            "source": "web",
            "campaign": "website-organic-2026",
            **places.get(region.name, {"region": region.name}),
        }
        for region in config.regions
        for n in range(3)
    ]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {INTAKE}"}) as http:
        for lead in leads:
            http.post("/intake/leads", json=lead).raise_for_status()
    posted = standin.wait_for(lambda: len(_handoffs(standin)) >= len(leads), timeout=30)
    if not posted:
        raise RuntimeError("the handoff messages did not reach the Slack stand-in")
    clicks = []
    for region in config.regions:
        where = region.channel or region.manager
        channel = region.channel or standin.dm_channel(region.manager)
        for message in standin.messages(where):
            found = _button(message, "Accept")
            if found:
                clicks.append(Click(region.manager, channel, message["ts"], *found))
    return clicks


def _handoffs(standin: SlackStandIn) -> list[dict[str, Any]]:
    return [m for m in standin.messages() if _button(m, "Accept")]


def _button(message: dict[str, Any], label: str) -> tuple[str, str] | None:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element["text"]["text"].startswith(label):
                return element["action_id"], element["value"]
    return None


def standin_for(config: BatonConfig) -> SlackStandIn:
    """A stand-in workspace that knows every user and channel in the config."""
    users = set(config.marketing.users) | set(config.triage.deciders)
    for region in config.regions:
        users |= {region.manager, *region.reps} | ({region.backup} if region.backup else set())
    channels = {config.marketing.channel: "marketing", config.triage.channel: "lead-triage"}
    channels |= {r.channel: f"sales-{r.name}" for r in config.regions if r.channel}
    return SlackStandIn(users={u: f"Person {u}" for u in users}, channels=channels)


def baton_app(database_url: str, slack_api_url: str) -> tuple[Any, Callable[[], None]]:
    """The app `baton serve` runs: web app, Bolt and the outbox worker."""
    return serving_baton(
        deliver=True,
        database_url=database_url,
        baton_config=CONFIG,
        baton_intake_token=INTAKE,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api_url,
    )


def bare_app(slack_api_url: str) -> tuple[Any, Callable[[], None]]:
    """A Bolt app whose listeners only ack and then call Slack, on the same adapter as Baton's."""

    async def authorize(**_: object) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id=None, bot_token=TOKEN)

    bolt = AsyncApp(
        client=AsyncWebClient(base_url=slack_api_url, timeout=10),
        signing_secret=SECRET,
        authorize=authorize,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Lead"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "A lead"}}],
    }

    @bolt.action(ActionId.ACCEPT)
    @bolt.action(ActionId.RETURN)
    async def clicked(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=json.dumps(modal))

    @bolt.command("/lead")
    async def lead_command(ack, command, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await client.chat_postEphemeral(
            channel=command["channel_id"], user=command["user_id"], text="help"
        )

    app = FastAPI()
    handler = AsyncSlackRequestHandler(bolt)

    @app.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    return app, nothing


if __name__ == "__main__":
    sys.exit(main())
