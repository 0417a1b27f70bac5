"""Block Kit for reps: valid for Slack, and safe with hostile lead data and hostile notes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.domain.lead import LeadStatus, Outcome
from bot.services.desk import Desk, Week
from bot.services.outcomes import Logged, OutcomeForm, Undone
from bot.services.records import EventLine, LeadDetail, LeadLine
from bot.slack import blocks_rep as r
from bot.slack.home import home_view
from bot.slack.ids import ActionId, OutcomeRef
from bot.slack.lines import format_amount, lead_line, waited_for
from bot.slack.views import OutcomeNote
from config.model import BatonConfig
from tests.bot.slack.test_blocks import (
    ACCEPTED,
    INJECTIONS,
    assert_valid_blocks,
    assert_valid_message,
    assert_valid_modal,
    parsed_texts,
)

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
REP, MANAGER = "U0REP00001", "U0MANAGER1"
ZONES = {None: "UTC", "emea": "Europe/Berlin"}


def line(**changes: Any) -> LeadLine:
    base = LeadLine(
        id=1,
        short_id="L-7K3Q9",
        status=LeadStatus.MEETING,
        email="jane@acme.example",
        name="Jane Doe",
        company="Acme GmbH",
        region="emea",
        rep_id=REP,
        feedback_due_at=NOW + timedelta(days=3),
        next_step_at=NOW + timedelta(days=1),
        priority=1,
        waiting_since=NOW - timedelta(hours=5),
        last_activity="page view: visited pricing",
        handoff_round=1,
    )
    return replace(base, **changes)


def event(kind: str, **changes: Any) -> EventLine:
    base = EventLine(
        id=1,
        at=NOW,
        kind=kind,
        actor=REP,
        handoff_round=1,
        status_before="accepted",
        status_after="meeting",
        reason_code="meeting",
        amount=None,
        notes="went well",
        data={},
    )
    return replace(base, **changes)


def desk(lines: list[LeadLine], waiting: list[LeadLine]) -> Desk:
    week = Week(
        since=NOW - timedelta(days=1), leads_given=2, outcomes=3, won=1, won_amount=Decimal(5000)
    )
    return Desk(
        user=REP,
        now=NOW,
        timezone="Europe/Berlin",
        zones=ZONES,
        currency="USD",
        mine=lines,
        waiting=waiting,
        is_decider=bool(waiting),
        is_rep=True,
        week=week,
    )


EVENTS = [
    event("received", actor="intake", reason_code="sales-ready"),
    event("accepted", actor=MANAGER, data={"rep_id": REP}, notes="call Jane"),
    event("outcome", amount=Decimal("12500"), data={"currency": "EUR"}),
    event("correction", reason_code="won"),
    event("returned", reason_code="not_a_fit"),
    event("rerouted", data={"to_region": "apac"}),
    event("activity", actor="intake"),
]


def every_message(lead: LeadLine, *, notes: str = "went well") -> dict[str, dict[str, Any]]:
    events = [replace(e, notes=notes) for e in EVENTS]
    detail = LeadDetail(lead, "CTO", "+49", "DE", "webinar", "web", 80.0, MANAGER, events)
    note = OutcomeNote(REP, Outcome.WON, "meeting", "won", Decimal(12500), None, notes, NOW)
    kept = replace(note, outcome=Outcome.ATTEMPTED, status_after="meeting", amount=None)
    return {
        "help": r.help_message(),
        "mine": r.mine_message(desk([lead, replace(lead, priority=0)], [lead])),
        "mine empty": r.mine_message(desk([], [])),
        "show": r.show_message(detail, zones=ZONES, currency="USD"),
        "find": r.find_message("acme", [lead, lead]),
        "find nothing": r.find_message("<!channel>", []),
        "logged": r.logged_message(
            Logged(
                "L-7K3Q9",
                Outcome.MEETING,
                LeadStatus.ACCEPTED,
                LeadStatus.MEETING,
                NOW,
                "Europe/Berlin",
            ),
            currency="USD",
        ),
        "logged kept": r.logged_message(
            Logged("L-7K3Q9", Outcome.ATTEMPTED, LeadStatus.MEETING, LeadStatus.MEETING),
            currency="USD",
        ),
        "undone": r.undone_message(Undone("L-7K3Q9", Outcome.WON, LeadStatus.MEETING)),
        "outcome note": r.outcome_note(ACCEPTED, note, currency="USD"),
        "kept note": r.outcome_note(ACCEPTED, kept, currency="USD"),
        "correction note": r.outcome_note(ACCEPTED, replace(note, corrected=True), currency="USD"),
        "withdrawn return": r.return_withdrawn_notice(ACCEPTED, actor=REP),
    }


@pytest.mark.parametrize("name", list(every_message(line())))
def test_every_message_is_valid_block_kit(name: str) -> None:
    assert_valid_message(every_message(line())[name])


def test_the_rules_message_is_valid_and_worded_from_the_config(example_config: BatonConfig) -> None:
    regions = [(x.name, x.timezone, ", ".join(x.working_hours)) for x in example_config.regions]
    message = r.rules_message(example_config.lead_definition, example_config.sla, regions=regions)
    assert_valid_message(message)
    assert "a score of at least 50" in str(message["blocks"])


def test_the_outcome_modal_is_a_valid_view_with_every_outcome() -> None:
    form = OutcomeForm(
        "L-7K3Q9", "Jane Doe", "Acme GmbH", "jane@acme.example", LeadStatus.ACCEPTED, "UTC"
    )
    ref = OutcomeRef(lead="L-7K3Q9", channel="C0EMEA0001", timezone="Europe/Berlin")
    modal = r.outcome_modal(form, ref=ref, today=date(2026, 11, 24))
    assert_valid_modal(modal)
    assert modal["callback_id"] == ActionId.OUTCOME_MODAL
    assert OutcomeRef.loads(modal["private_metadata"]) == ref
    [outcomes] = [b for b in modal["blocks"] if b.get("block_id") == ActionId.OUTCOME_BLOCK]
    assert [o["value"] for o in outcomes["element"]["options"]] == [o.value for o in Outcome]


def test_the_home_tab_is_a_valid_view_even_with_more_leads_than_it_shows() -> None:
    many = [line(id=i, short_id=f"L-{i:05d}") for i in range(120)]
    view = home_view(desk(many, many))
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    assert_valid_blocks(view["blocks"])
    assert "and 80 more" in str(view["blocks"])


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("field", ["name", "company", "email", "last_activity", "region", "notes"])
def test_hostile_text_can_never_mention_anyone_or_forge_a_link(field: str, payload: str) -> None:
    hostile = line() if field == "notes" else line(**{field: f"x {payload} y"})
    messages = every_message(hostile, notes=f"x {payload} y")
    messages["home"] = home_view(desk([hostile], [hostile]))
    for name, message in messages.items():
        for text in parsed_texts(message):
            assert payload not in text, (name, text)


def test_a_line_flags_overdue_leads_and_leads_that_are_back() -> None:
    overdue = line(feedback_due_at=NOW - timedelta(hours=1))
    text = lead_line(overdue, desk([overdue], []))
    assert text.startswith("⚠️ *L-7K3Q9* Jane Doe, Acme GmbH · meeting")
    assert "*due Tue 24 Nov (overdue)*" in text
    assert "🔥 back: page view: visited pricing" in text
    assert "🔥" not in lead_line(line(priority=0), desk([], []))


@pytest.mark.parametrize(
    ("waited", "shown"),
    [
        (timedelta(minutes=5), "5 min"),
        (timedelta(hours=3, minutes=59), "3 h"),
        (timedelta(days=3), "3 days"),
    ],
)
def test_waiting_time_is_said_simply(waited: timedelta, shown: str) -> None:
    assert waited_for(NOW - waited, NOW) == shown


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("12500"), "USD 12,500"),
        (Decimal("950.5"), "USD 950.50"),
        (Decimal("1200000.00"), "USD 1,200,000"),
    ],
)
def test_amounts_are_shown_with_the_currency(amount: Decimal, shown: str) -> None:
    assert format_amount(amount, "USD") == shown


def test_a_lead_in_its_second_round_shows_where_each_round_went() -> None:
    history = [
        event("received", actor="intake", handoff_round=1, region="emea"),
        event("rerouted", actor=MANAGER, handoff_round=1, data={"to_region": "apac"}, notes=None),
        event("handoff_started", actor=MANAGER, handoff_round=2, region="apac", notes=None),
        event("handoff_started", actor="intake", handoff_round=3, region=None, notes=None),
    ]
    detail = LeadDetail(line(), "CTO", "+49", "DE", "webinar", "web", 80.0, MANAGER, history)
    shown = str(r.show_message(detail, zones=ZONES, currency="USD")["blocks"])
    assert "handed off to apac (round 2)" in shown
    assert "handed off to triage (round 3)" in shown
