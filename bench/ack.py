"""How long Slack waits for Baton's ack while Slack itself is slow, against a bare Bolt app.

Serves the real web app (Bolt at /slack/events, the outbox worker running, as `baton serve`
does) in its own process, against the Slack stand-in, and puts a few pending leads in Slack
through intake. Then, with the stand-in answering every call in 300 ms, 50 keep-alive
connections send Slack-signed requests all at once every 250 ms (each wave landing while the
previous wave's slow Slack calls are still running), and each is timed until its HTTP
response arrives. Two kinds of request:

  accept   the Accept button of a pending lead, clicked by the region's manager (Baton opens
           the Accept modal: a 300 ms views.open);
  command  a `/lead help` slash command (Baton answers with an ephemeral message).

The baseline, in the same run: a bare Bolt AsyncApp on the same Starlette adapter, in a
FastAPI route on uvicorn as Baton's, whose listeners only ack and do nothing else, answering
as soon as they return (process_before_response): the earliest ack Bolt can give. Both apps
are served at once, each in its own process, and take turns, round after round (bare,
Baton, bare, Baton…). The clients run in a third process and the stand-in in this one.

Goal: Baton's ack p99 at most 1.2 × the bare app's (ratio of the medians of each round's p99).

    python bench/ack.py [--postgres URL] [--quick] [--rounds N] [--no-sqlite] [--no-postgres]
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from harness import (
    CONFIG,
    INTAKE_TOKEN,
    SECRET,
    Goal,
    KeepAliveConnection,
    Scorecard,
    SlackStandIn,
    arguments,
    backends,
    button_click,
    interaction_body,
    interleave,
    nothing,
    percentile,
    scratch_database,
    served,
    serving_baton,
    signed_headers,
    slash_command,
    standin_for,
)
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

from config.model import BatonConfig, load_config

CONCURRENCY = 50
WAVE_INTERVAL = 0.25
WAVES_PER_ROUND = 5
SLACK_LATENCY = 0.3
BATON, BARE = "Baton", "bare Bolt"
ACCEPT, COMMAND = "accept", "command"
GOALS = {
    ACCEPT: Goal(
        "ack p99, 50 concurrent clicks, Slack answering in 300 ms",
        "≤ 1.2× the bare app's p99",
        1.2,
    ),
    COMMAND: Goal(
        "ack p99, 50 concurrent `/lead help`, Slack answering in 300 ms",
        "≤ 1.2× the bare app's p99",
        1.2,
    ),
}


@dataclass(frozen=True)
class Click:
    """A button a manager can click: who, where, and the button's action id and value."""

    user: str
    channel: str
    message_ts: str
    action_id: str
    value: str


def main() -> int:
    args = arguments(__doc__)
    rounds = args.rounds or (3 if args.quick else 12)
    config = load_config(CONFIG)
    print(
        f"ack: {CONCURRENCY} requests at once every {WAVE_INTERVAL * 1000:.0f} ms, "
        f"{WAVES_PER_ROUND} waves a round, {rounds} rounds of each app taking turns; "
        f"the Slack stand-in answers every call in {SLACK_LATENCY * 1000:.0f} ms",
        flush=True,
    )
    card = Scorecard("ack")
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as clients:
        for backend in backends(args):
            run_backend(card, backend, args.postgres, config, rounds, clients)
    return card.summary()


def run_backend(
    card: Scorecard,
    backend: str,
    postgres: str,
    config: BatonConfig,
    rounds: int,
    clients: ProcessPoolExecutor,
) -> None:
    print(f"\n{backend}", flush=True)
    with (
        standin_for(config) as standin,
        scratch_database(backend, postgres=postgres, name="ack") as database,
    ):
        url = database.url
        database.dispose()
        with (
            served(baton_app, database_url=url, slack_api_url=standin.url) as baton_url,
            served(bare_app) as bare_url,
        ):
            clicks = pending_leads_in_slack(baton_url, standin, config)
            standin.set_latency(SLACK_LATENCY)
            for kind in (ACCEPT, COMMAND):
                print(f"  {kind}", flush=True)

                def turn(url: str, kind: str = kind) -> Callable[[int], dict[str, float]]:
                    def run(_: int) -> dict[str, float]:
                        requests = [request_for(kind, c) for c in cycle(clicks, WAVES_PER_ROUND)]
                        milliseconds, statuses = clients.submit(run_load, url, requests).result()
                        settle(standin)
                        if set(statuses) != {200}:
                            raise RuntimeError(f"{kind} answered {statuses}")
                        return {
                            "p50 ms": percentile(milliseconds, 50),
                            "p99 ms": percentile(milliseconds, 99),
                        }

                    return run

                found = interleave(rounds, {BARE: turn(bare_url), BATON: turn(baton_url)})
                card.judge(
                    GOALS[kind],
                    backend,
                    (BATON, found[BATON]["p99 ms"]),
                    (BARE, found[BARE]["p99 ms"]),
                    unit="ms",
                )
                mine, theirs = found[BATON]["p50 ms"], found[BARE]["p50 ms"]
                ratio = statistics.median(mine) / statistics.median(theirs)
                card.note(
                    f"ack p50, {kind}",
                    backend,
                    f"Baton {min(mine):.1f}–{max(mine):.1f} ms, bare "
                    f"{min(theirs):.1f}–{max(theirs):.1f} ms, ratio of medians {ratio:.2f}",
                )
            standin.set_latency(0)


def cycle(clicks: list[Click], waves: int) -> list[Click]:
    return [clicks[i % len(clicks)] for i in range(CONCURRENCY * waves)]


def settle(standin: SlackStandIn) -> None:
    """Wait until no Slack call has arrived for a while: the last requests' calls are done."""
    count, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < SLACK_LATENCY + 0.2:
        time.sleep(0.1)
        if len(standin.calls) != count:
            count, quiet_since = len(standin.calls), time.monotonic()


def run_load(url: str, requests: list[tuple[bytes, dict[str, str]]]) -> tuple[list[float], dict]:
    return asyncio.run(load(url, requests))


async def load(
    url: str, requests: list[tuple[bytes, dict[str, str]]]
) -> tuple[list[float], dict[int, int]]:
    """Every WAVE_INTERVAL each of CONCURRENCY keep-alive connections sends one request, all
    at once; each request is timed until its whole answer has arrived."""
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

    began = time.perf_counter()
    for wave in range(len(shares[0])):
        await asyncio.sleep(max(0.0, began + wave * WAVE_INTERVAL - time.perf_counter()))
        pairs = zip(connections, shares, strict=True)
        await asyncio.gather(*(send(c, share[wave]) for c, share in pairs if wave < len(share)))
    for connection in connections:
        await connection.close()
    return milliseconds, statuses


def request_for(kind: str, click: Click) -> tuple[bytes, dict[str, str]]:
    if kind == COMMAND:
        body = slash_command(click.user, "help", channel=click.channel)
    else:
        payload = button_click(
            click.user,
            click.action_id,
            click.value,
            channel=click.channel,
            message_ts=click.message_ts,
        )
        body = interaction_body(payload)
    return body, signed_headers(body, SECRET)


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
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {INTAKE_TOKEN}"}) as http:
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


def baton_app(database_url: str, slack_api_url: str) -> tuple[Any, Callable[[], None]]:
    """The app `baton serve` runs: web app, Bolt and the outbox worker."""
    return serving_baton(deliver=True, database_url=database_url, slack_api_url=slack_api_url)


def bare_app() -> tuple[Any, Callable[[], None]]:
    """A Bolt app whose listeners only ack, on the same adapter and server as Baton's.

    It answers as soon as a listener returns (process_before_response), which for a listener
    that only acks is the earliest Bolt can answer: no polling for the ack, no Slack call.
    """

    async def authorize(**_: object) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id=None, bot_token="xoxb-bare")

    bolt = AsyncApp(
        signing_secret=SECRET,
        authorize=authorize,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    @bolt.action(re.compile(".*"))
    async def clicked(ack) -> None:  # type: ignore[no-untyped-def]
        await ack()

    @bolt.command("/lead")
    async def lead_command(ack) -> None:  # type: ignore[no-untyped-def]
        await ack()

    app = FastAPI()
    handler = AsyncSlackRequestHandler(bolt)

    @app.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    return app, nothing


if __name__ == "__main__":
    sys.exit(main())
