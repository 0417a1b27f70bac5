"""More of the handoff in Slack: re-routing, stale buttons, batches, double clicks, restarts,
hostile lead text and a Slack that cannot be reached."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, TypeVar

import httpx
import pytest
from baton_devkit import simulate
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import Baton
from bot.runtime import start_delivery, web_client
from bot.slack.delivery import LEASE, Deliverer
from bot.slack.ids import ActionId, LeadRef
from bot.slack_app import build_bolt
from bot.web import create_web_app
from storage.outbox import SqlOutbox
from storage.rows import EventRow, LeadRow
from tests.conftest import INTAKE_TOKEN
from tests.fakes.server import RunningServer
from tests.fakes.slack import SlackHarness, button_value, has_buttons, slack_harness
from tests.handlers.test_slack_handoff import (
    ACCEPT_VALUES,
    EMEA,
    MANAGER,
    REP,
    accept,
    handed_off,
    lead,
    status_of,
)

T = TypeVar("T")
APAC_MANAGER = "U0APACMGR1"
# Block Kit's limits, which Slack enforces with invalid_blocks.
SECTION_TEXT, FIELD_TEXT, HEADER_TEXT, FALLBACK_TEXT = 3000, 2000, 150, 40_000


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def stored_lead(slack: SlackHarness, short_id: str) -> LeadRow:
    with slack.baton.database.reading() as session:
        return session.scalars(select(LeadRow).where(LeadRow.short_id == short_id)).one()


def event_kinds(slack: SlackHarness, short_id: str) -> list[str]:
    with slack.baton.database.reading() as session:
        query = (
            select(EventRow.kind)
            .join(LeadRow, LeadRow.id == EventRow.lead_id)
            .where(LeadRow.short_id == short_id)
            .order_by(EventRow.id)
        )
        return list(session.scalars(query))


def overflow_value(message: dict[str, Any], label: str) -> str:
    """The value of the option of the message's overflow menu whose text starts with `label`."""
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("type") != "overflow":
                continue
            for option in element["options"]:
                if option["text"]["text"].startswith(label):
                    return option["value"]
    raise AssertionError(f"no overflow option {label!r} in {json.dumps(message['blocks'])[:500]}")


def reroute(slack: SlackHarness, message: dict[str, Any], region: str, note: str) -> None:
    value = overflow_value(message, "Send to another region")
    before = len(slack.standin.views_opened)
    choice = simulate.overflow_choice(MANAGER, ActionId.MORE, value, channel=EMEA)
    assert slack.send(choice).status_code == 200
    view = slack.opened_view(before)
    values = {
        ActionId.REGION_BLOCK: {
            ActionId.REGION_INPUT: {"type": "static_select", "selected_option": {"value": region}}
        },
        ActionId.NOTE_BLOCK: {ActionId.NOTE_INPUT: {"type": "plain_text_input", "value": note}},
    }
    assert slack.submit(MANAGER, view, values).status_code == 200


def rerouted_to_apac(slack: SlackHarness) -> tuple[str, dict[str, Any]]:
    short_id, message = handed_off(slack)
    reroute(slack, message, "apac", "Singapore office buys for them")
    slack.wait_until(lambda: stored_lead(slack, short_id).handoff_round == 2)
    slack.deliver_all()
    return short_id, message


def decided_listener(slack: SlackHarness) -> list[None]:
    """Count the times Baton says it has new Slack work, which every handled decision does."""
    told: list[None] = []
    slack.baton.outbox_listeners.append(lambda: told.append(None))
    return told


def test_sending_a_lead_to_another_region_edits_the_old_message_and_hands_it_to_the_new_manager(
    slack: SlackHarness,
) -> None:
    short_id, message = rerouted_to_apac(slack)
    [old] = [m for m in slack.standin.messages(EMEA) if m["ts"] == message["ts"]]
    assert not has_buttons(old)
    assert f"Sent to apac by <@{MANAGER}>" in str(old["blocks"])
    assert "Singapore office buys for them" in str(old["blocks"])
    thread = slack.standin.thread(EMEA, message["ts"])
    assert any(f"{short_id} sent to apac" in m["text"] for m in thread[1:])
    [dm] = slack.standin.messages(APAC_MANAGER)
    assert short_id in dm["text"]
    _action, value = button_value(dm, "Accept")
    assert LeadRef.loads(value).round == 2
    button_value(dm, "Return")
    row = stored_lead(slack, short_id)
    assert (row.status, row.region, row.handoff_round) == ("pending", "apac", 2)


@pytest.mark.parametrize("clicker", [APAC_MANAGER, MANAGER], ids=["new-manager", "old-manager"])
@pytest.mark.parametrize("button", ["Accept", "Return"])
def test_a_button_from_before_the_reroute_is_refused_and_changes_nothing(
    slack: SlackHarness, clicker: str, button: str
) -> None:
    short_id, message = rerouted_to_apac(slack)
    events_before = event_kinds(slack, short_id)
    action, value = button_value(message, button)
    slack.click(clicker, action, value, EMEA)
    assert slack.standin.wait_for(lambda: bool(slack.standin.ephemerals(clicker)))
    [told] = slack.standin.ephemerals(clicker)
    assert short_id in told["text"]
    assert "moved on" in told["text"]
    assert not slack.standin.views_opened[1:]
    row = stored_lead(slack, short_id)
    assert (row.status, row.region, row.handoff_round) == ("pending", "apac", 2)
    assert event_kinds(slack, short_id) == events_before


def deliver_noting_posts(slack: SlackHarness, channel: str) -> list[datetime]:
    """Deliver everything, half a clock second at a time; return when each post to `channel` went."""
    posted_at: list[datetime] = []
    for _ in range(200):
        while slack.deliverer.run_once():
            pass
        posts = [
            c
            for c in slack.standin.calls_to("chat.postMessage")
            if c.args.get("channel") == channel and c.status == 200
        ]
        posted_at += [slack.clock.now()] * (len(posts) - len(posted_at))
        if not slack.backlog():
            return posted_at
        slack.clock.advance(seconds=0.5)
    raise AssertionError(f"Slack work still undelivered: {slack.backlog()}")


def test_a_batch_of_leads_is_one_message_with_a_card_per_lead_in_its_thread_at_slacks_pace(
    slack: SlackHarness,
) -> None:
    leads = [lead(email=f"buyer{i}@firm{i}.example", company=f"Firm {i} AG") for i in range(12)]
    answer = slack.intake({"leads": leads})
    assert answer.status_code == 202
    short_ids = [result["id"] for result in answer.json()["leads"]]

    posted_at = deliver_noting_posts(slack, EMEA)

    assert len(posted_at) == 13
    gaps = [later - earlier for earlier, later in pairwise(posted_at)]
    assert min(gaps) >= timedelta(seconds=1)
    [summary] = [m for m in slack.standin.messages(EMEA) if not m.get("thread_ts")]
    assert "12 leads" in summary["text"]
    cards = slack.standin.thread(EMEA, summary["ts"])[1:]
    assert sorted(next(i for i in short_ids if i in c["text"]) for c in cards) == sorted(short_ids)
    for card in cards:
        button_value(card, "Accept")
        button_value(card, "Return")

    chosen = cards[3]
    chosen_id = next(i for i in short_ids if i in chosen["text"])
    accept(slack, chosen)
    slack.wait_until(lambda: status_of(slack, chosen_id) == "accepted")
    slack.deliver_all()
    [updated] = [m for m in slack.standin.messages(EMEA) if m["ts"] == chosen["ts"]]
    assert updated["thread_ts"] == summary["ts"]
    assert not has_buttons(updated)
    assert "Accepted" in str(updated["blocks"])
    assert [m for m in slack.standin.messages(EMEA) if not m.get("thread_ts")] == [summary]
    others = {c["ts"] for c in cards} - {chosen["ts"]}
    assert all(has_buttons(m) for m in slack.standin.messages(EMEA) if m["ts"] in others)


def test_a_double_click_on_submit_records_one_decision_without_telling_the_manager_off(
    slack: SlackHarness,
) -> None:
    short_id, message = handed_off(slack)
    action, value = button_value(message, "Accept")
    view = slack.click_for_view(MANAGER, action, value, EMEA)
    handled = decided_listener(slack)

    answers = [slack.submit(MANAGER, view, ACCEPT_VALUES) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    slack.wait_until(lambda: len(handled) == 2)
    assert event_kinds(slack, short_id).count("accepted") == 1
    slack.deliver_all()
    assert len(slack.standin.messages(REP)) == 1
    assert not slack.standin.ephemerals(MANAGER)
    assert not slack.standin.messages(MANAGER)


def fresh_deliverer(slack: SlackHarness) -> Deliverer:
    """A delivery worker as a newly started bot process builds it, on the same database."""
    return Deliverer(
        outbox=SqlOutbox(slack.baton.database),
        client=web_client(slack.baton),
        config=slack.baton.config,
        clock=slack.clock,
        settle=slack.baton.settle_new_leads,
    )


def test_a_bot_restarted_after_its_answers_were_lost_delivers_each_message_exactly_once(
    slack: SlackHarness,
) -> None:
    slack.intake({"leads": [lead(), lead(email="kai@lim.example", country="SG")]})
    slack.standin.drop_response("chat.postMessage", times=2)
    crashed = fresh_deliverer(slack)
    assert crashed.run_once() == 2
    crashed.stop()
    crashed.pool.shutdown()
    assert len(slack.standin.messages(EMEA)) == 1
    assert slack.backlog() == 2

    slack.clock.advance(seconds=LEASE.total_seconds() + 1)
    slack.deliver_all()

    assert len(slack.standin.messages(EMEA)) == 1
    assert len(slack.standin.messages(APAC_MANAGER)) == 1
    assert slack.backlog() == 0


def test_work_claimed_by_a_bot_that_died_waits_for_its_lease_then_goes_out_once(
    slack: SlackHarness,
) -> None:
    slack.intake(lead())
    claimed = SqlOutbox(slack.baton.database).claim_due(
        now=slack.clock.now(), limit=10, lease=LEASE
    )
    assert len(claimed) == 1

    assert slack.deliverer.run_once() == 0
    assert not slack.standin.messages(EMEA)
    slack.clock.advance(seconds=LEASE.total_seconds() + 1)
    slack.deliver_all()

    assert len(slack.standin.messages(EMEA)) == 1


def within_block_kit_limits(message: dict[str, Any]) -> None:
    assert len(message["text"]) <= FALLBACK_TEXT
    for block in message["blocks"]:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= HEADER_TEXT
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= SECTION_TEXT
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= FIELD_TEXT for f in block.get("fields", []))


def test_a_huge_lead_with_a_channel_mention_in_its_notes_arrives_cut_and_harmless(
    slack: SlackHarness,
) -> None:
    company = ("Gigantic & Sons " * 20)[:300]
    notes = "<!channel> call me now <@U0SALESVP1> " + "blah " * 800
    short_id, message = handed_off(slack, company=company, notes=notes, title="T" * 300)

    assert [c.status for c in slack.standin.calls_to("chat.postMessage")] == [200]
    assert short_id in message["text"]
    within_block_kit_limits(message)
    shown = json.dumps(message, ensure_ascii=False)
    assert "…" in shown
    assert "<!channel>" not in shown
    assert "<@U0SALESVP1>" not in shown
    assert "&lt;!channel&gt;" in shown


def test_a_company_name_longer_than_intake_takes_is_refused_naming_the_field(
    slack: SlackHarness,
) -> None:
    answer = slack.intake(lead(company="C" * 4000))
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["company"]
    assert not slack.standin.calls


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


def test_serve_takes_leads_and_answers_health_checks_while_slack_is_unreachable(
    baton: Baton,
) -> None:
    baton.settings = baton.settings.model_copy(
        update={
            "slack_api_url": closed_port_url(),
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_signing_secret": SecretStr("test-signing-secret"),
        }
    )
    deliverer = start_delivery(baton)
    try:
        with RunningServer(create_web_app(baton, build_bolt(baton))) as server:
            http = httpx.Client(base_url=server.url, timeout=10)
            headers = {"Authorization": f"Bearer {INTAKE_TOKEN}"}
            answer = http.post("/intake/leads", json=lead(), headers=headers)
            assert answer.status_code == 202
            short_id = answer.json()["leads"][0]["id"]
            status = until(
                lambda: http.get("/healthz").json(),
                lambda status: any(s["error"] for s in status["slack"]["stuck"]),
            )
            assert http.get("/healthz").status_code == 200
    finally:
        deliverer.stop()
    assert status["database"] == "ok"
    assert status["slack"]["undelivered"] == 1
    [stuck] = status["slack"]["stuck"]
    assert stuck["lead"] == short_id
    assert stuck["error"] == "Slack unreachable: [Errno 111] Connection refused"
    with baton.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(LeadRow)) == 1


def until(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 5.0) -> T:
    """Read until `done` holds: the delivery worker runs in its own thread."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        value = read()
        if done(value):
            return value
        pause.wait(0.02)
    raise AssertionError(f"still not done: {value}")
