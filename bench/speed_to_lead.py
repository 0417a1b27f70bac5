"""Speed to lead: from intake's 202 to the handoff message reaching Slack, at a steady pace,
against the time Slack's own posting pace allows for the same leads.

Writes a config with 20 regions, each with its own channel and country, and serves Baton
(web app, Bolt and the real outbox worker on the system clock, as `baton serve` runs them) in
its own process against the Slack stand-in. Sends 20 single-lead requests a second, the
regions taking turns, so that each channel gets one lead a second: Slack's pace for posting
to one channel. Each lead's time is from its 202 arriving at the client to its handoff's
chat.postMessage arriving at the stand-in (both on this machine's monotonic clock).

The baseline, for the same leads: the wait Slack's pace alone imposes, a post a second a
channel on average: each lead posted as soon as it was taken in, or at its channel's next
one-second slot, slots following on from the last while posts keep coming (the pace Baton
keeps). Each round also shows the p50 of each quarter of the leads, Baton's and the pace's.

Rounds of 30 seconds (15 with --quick) on the same server, one after the other. Goals:
p99 ≤ 1 s, and the last quarter's p50 at most 1.5 × the first quarter's (each the median
of the rounds).

    python bench/speed_to_lead.py [--postgres URL] [--quick] [--rounds N] [--no-sqlite]
                                  [--no-postgres] [--rate N] [--slack-latency SECONDS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import (
    REGIONS,
    SLACK_PACE,
    Goal,
    Scorecard,
    arguments,
    backends,
    interleave,
    scratch_database,
    send_at_pace,
    served,
    serving_baton,
    speed_to_lead,
    standin_for_regions,
    warm_up_delivery,
    write_regions_config,
)

P99_GOAL = Goal("speed to lead p99, 20 leads/s over 20 regions", "≤ 1,000 ms", 1000.0, ratio=False)
DRIFT_GOAL = Goal("speed to lead, last quarter's p50 over the first's", "≤ 1.5", 1.5, ratio=False)
PACE = "Slack's pace allows"


def main() -> int:
    def more(parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--rate", type=float, default=20.0, help="leads per second (20)")
        parser.add_argument(
            "--slack-latency", type=float, default=0.0, help="seconds the stand-in takes a call"
        )

    args = arguments(__doc__, more)
    seconds = 15 if args.quick else 30
    rounds = args.rounds or (2 if args.quick else 3)
    print(
        f"speed to lead: {args.rate:g} leads/s for {seconds} s a round, {rounds} rounds, over "
        f"{REGIONS} regions (one channel each), one lead per request; Slack stand-in latency "
        f"{args.slack_latency * 1000:.0f} ms, Slack's pace a post every {SLACK_PACE:g} s a channel",
        flush=True,
    )
    card = Scorecard("speed to lead")
    with tempfile.TemporaryDirectory() as folder:
        config = write_regions_config(Path(folder))
        for backend in backends(args):
            run_backend(card, backend, args, config, seconds, rounds)
    return card.summary()


def run_backend(
    card: Scorecard, backend: str, args: Any, config: Path, seconds: int, rounds: int
) -> None:
    print(f"\n{backend}", flush=True)
    with (
        standin_for_regions() as standin,
        scratch_database(backend, postgres=args.postgres, name="speed") as database,
    ):
        url = database.url
        database.dispose()
        with served(
            baton_app, database_url=url, slack_api_url=standin.url, config=str(config)
        ) as base_url:
            warm_up_delivery(base_url, standin, 0)
            standin.set_latency(args.slack_latency)
            first = [1]  # the next lead's number: every lead has an email of its own

            def run(_: int) -> dict[str, float]:
                sent = send_at_pace(
                    base_url, rate=args.rate, first=first[0], until=lambda at: at >= seconds
                )
                first[0] += len(sent)
                found = speed_to_lead(sent, standin, database, timeout=120)
                print(found.describe(), flush=True)
                time.sleep(SLACK_PACE * 1.5)  # every channel free again before the next round
                return found.figures()

            figures = interleave(rounds, {"Baton": run}, warm_up=False)
    baton = figures["Baton"]
    card.judge(
        P99_GOAL, backend, ("Baton", baton["p99 ms"]), (PACE, baton["pace p99 ms"]), unit="ms"
    )
    card.judge(DRIFT_GOAL, backend, ("Baton", baton["drift"]), unit="×")


def baton_app(database_url: str, slack_api_url: str, config: str) -> tuple[Any, Any]:
    """What `baton serve` runs but the scheduler: web app, Bolt and the outbox worker."""
    return serving_baton(
        deliver=True,
        database_url=database_url,
        slack_api_url=slack_api_url,
        baton_config=Path(config),
    )


if __name__ == "__main__":
    sys.exit(main())
