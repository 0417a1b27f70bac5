"""The outbox composer on in-memory snapshots: where each kind of work goes, and when it waits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.domain.lead import Lead, LeadStatus
from bot.domain.snapshots import (
    Batch,
    EventLine,
    HandoffRound,
    LeadFacts,
    LeadSnapshot,
    Posted,
)
from bot.services.records import (
    CRM_WORK,
    SLACK_WORK,
    LeadDetail,
    LeadLine,
    LeadPage,
    OutboxItem,
    WorkKind,
)
from bot.slack.calls import SlackCall, Wait
from bot.slack.compose import COMPOSERS, Composer
from config.model import BatonConfig
from tests.fakes.snapshots import FakeSnapshots

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
MANAGER, BACKUP, REP = "U0EMEAMGR1", "U0EMEABK01", "U0EMEAREP1"
EMEA, APAC_MANAGER = "C0EMEA0001", "U0APACMGR1"
CARD = Posted(EMEA, "1700000000.000100")


class NoLeads:
    """A lead reader for a person with no leads and no decisions to make."""

    def open_for_rep(self, rep_id: str) -> list[LeadLine]:
        return []

    def pending_in(self, regions: Sequence[str | None], *, limit: int) -> LeadPage:
        return LeadPage([], 0)

    def detail(self, short_id: str, *, events: int) -> LeadDetail | None:
        return None

    def find(self, text: str, *, limit: int) -> list[LeadLine]:
        return []

    def events_by(self, actor: str, *, since: datetime) -> list[EventLine]:
        return []

    def leads_given(self, rep_id: str, *, since: datetime) -> int:
        return 0


def lead(round_no: int = 1, **changes: Any) -> LeadSnapshot:
    state = Lead("L-7K3Q9", LeadStatus.PENDING, region="emea", handoff_round=round_no)
    return LeadSnapshot(
        id=1,
        lead=replace(state, **changes),
        facts=LeadFacts(email="jane@acme.example", first_name="Jane", company="Acme GmbH"),
        round=HandoffRound(round_no, state.region, posted=None),
        decision=None,
        activity=(),
        batch=None,
    )


def event(event_id: int, kind: str, **changes: Any) -> EventLine:
    base = EventLine(event_id, NOW, kind, MANAGER, 1, "pending", kind, None, None, None, {})
    return replace(base, **changes)


def work(kind: WorkKind, *, round_no: int | None = 1, **fields: Any) -> OutboxItem:
    values: dict[str, Any] = {"lead_id": 1, "batch_id": None, "payload": {}}
    values |= fields
    return OutboxItem(
        id=7, key=f"{kind.value}:1", kind=kind, handoff_round=round_no, attempts=0,
        created_at=NOW, **values,
    )  # fmt: skip


@pytest.fixture
def reads() -> FakeSnapshots:
    return FakeSnapshots()


@pytest.fixture
def composer(reads: FakeSnapshots, example_config: BatonConfig) -> Composer:
    return Composer(reads=reads, leads=NoLeads(), config=example_config, clock=FixedClock(NOW))


def text_of(call: SlackCall | Wait) -> str:
    assert isinstance(call, SlackCall), call
    return str(call.args.get("text")) + str(call.args.get("blocks"))


def test_every_kind_of_slack_work_has_a_composer() -> None:
    assert set(COMPOSERS) == set(SLACK_WORK)
    assert set(WorkKind) == SLACK_WORK | CRM_WORK


def test_a_handoff_goes_to_its_regions_channel_and_refreshes_its_deciders_homes(
    reads: FakeSnapshots, composer: Composer
) -> None:
    reads.add(lead())
    call = composer.call(work(WorkKind.HANDOFF))
    assert isinstance(call, SlackCall)
    assert call.method == "chat.postMessage"
    assert call.args["channel"] == EMEA
    assert call.args["text"].startswith(f"<@{MANAGER}> New lead L-7K3Q9: Jane, Acme GmbH")
    assert call.args["metadata"]["event_payload"] == {"key": "handoff:1"}
    assert call.homes == (MANAGER, BACKUP)


def test_a_batch_lead_waits_for_its_summary_then_goes_in_its_thread(
    reads: FakeSnapshots, composer: Composer
) -> None:
    summary = Batch(3, "emea", "Tech Expo", 40, posted=None)
    reads.add(replace(lead(), batch=summary))
    assert isinstance(composer.call(work(WorkKind.HANDOFF)), Wait)

    reads.add(replace(lead(), batch=replace(summary, posted=CARD)))
    call = composer.call(work(WorkKind.HANDOFF))
    assert isinstance(call, SlackCall)
    assert (call.args["channel"], call.args["thread_ts"]) == (CARD.channel, CARD.ts)
    assert "<@" not in call.args["text"]  # the summary mentioned the manager once


def test_a_note_waits_for_the_handoff_message_then_goes_in_its_thread(
    reads: FakeSnapshots, composer: Composer
) -> None:
    accepted = event(5, "accepted", data={"rep_id": REP}, notes="Big account")
    reads.events[5] = accepted
    decided = replace(lead(), lead=replace(lead().lead, status=LeadStatus.ACCEPTED, rep_id=REP))
    reads.add(replace(decided, decision=accepted))
    note = work(WorkKind.THREAD_NOTE, payload={"event_id": 5})
    assert composer.call(note) == Wait("the handoff message is not posted yet")

    reads.add(replace(decided, decision=accepted, round=HandoffRound(1, "emea", CARD)))
    call = composer.call(note)
    assert isinstance(call, SlackCall)
    assert call.args["thread_ts"] == CARD.ts
    assert f"L-7K3Q9 accepted by <@{MANAGER}> for <@{REP}>" in call.args["text"]


def test_an_earlier_rounds_card_shows_where_the_lead_was_sent(
    reads: FakeSnapshots, composer: Composer
) -> None:
    sent = event(6, "rerouted", data={"to_region": "apac"}, notes="APAC account")
    first = replace(lead(round_no=2), round=HandoffRound(1, "emea", CARD), decision=sent)
    reads.leads[(1, 1)] = first
    call = composer.call(work(WorkKind.HANDOFF_UPDATE, round_no=1))
    assert isinstance(call, SlackCall)
    assert (call.method, call.args["ts"]) == ("chat.update", CARD.ts)
    assert f"Sent to apac by <@{MANAGER}>: APAC account" in text_of(call)
    assert "actions" not in text_of(call)  # no buttons on a round that is over


def test_a_touch_waits_for_the_leakage_task_then_updates_it(
    reads: FakeSnapshots, composer: Composer
) -> None:
    reads.add(lead(status=LeadStatus.ACCEPTED, rep_id=REP))
    reads.events[9] = event(9, "touch", actor="U0MKTG0002", data={"reached": True}, notes="Busy")
    touched = work(WorkKind.TIMER_TOUCH_UPDATE, payload={"event_id": 9})
    assert composer.call(touched) == Wait("the leakage task is not posted yet")

    reads.leakage_tasks[(1, 1)] = Posted("C0MKTG0001", "1700000000.000200")
    call = composer.call(touched)
    assert isinstance(call, SlackCall)
    assert (call.method, call.args["channel"]) == ("chat.update", "C0MKTG0001")
    assert "Touch logged by <@U0MKTG0002>: reached the lead — Busy" in text_of(call)


def test_a_home_refresh_publishes_the_home_as_it_stands(composer: Composer) -> None:
    call = composer.call(work(WorkKind.HOME_REFRESH, lead_id=None, payload={"user": REP}))
    assert isinstance(call, SlackCall)
    assert (call.method, call.args["user_id"]) == ("views.publish", REP)
    assert "*Your open leads* (0)" in str(call.args["view"])
    assert "No open leads right now." in str(call.args["view"])


def test_work_about_a_lead_that_is_not_stored_is_an_error(composer: Composer) -> None:
    with pytest.raises(LookupError, match="lead 1 is not stored"):
        composer.call(work(WorkKind.REP_DM))
