"""The reassign and nudge builders, and links to a lead's card: valid Block Kit, safe with hostile
text, a link only where it is an https address Slack gave."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack import blockkit as kit
from bot.slack import blocks as b
from bot.slack import blocks_reassign as br
from bot.slack.ids import ActionId, LeadRef
from bot.slack.views import LeadView
from tests.bot.slack.test_blocks import (
    ACCEPTED,
    BASE,
    INJECTIONS,
    MANAGER,
    REP,
    UNTRUSTED_FIELDS,
    assert_valid_message,
    assert_valid_modal,
    parsed_texts,
    replace_decision,
    with_field,
)

OTHER = "U0REP00002"
LINK = "https://acme.slack.com/archives/C0EMEA0001/p1700000000000100"


def built(view: LeadView, note: str | None = "Ana covers Munich") -> dict[str, dict[str, Any]]:
    accepted = replace_decision(view, ACCEPTED)
    return {
        "reassigned dm": b.rep_dm(
            accepted, manager=MANAGER, handed_by=MANAGER, from_rep=REP, note=note
        ),
        "reassigned note": br.reassigned_note(accepted, by=MANAGER, from_rep=REP, note=note),
        "unassigned dm": br.unassigned_dm(accepted, by=MANAGER, to_rep=OTHER, note=note),
        "nudged note": br.nudged_note(accepted, by=MANAGER),
        "nudge dm": br.nudge_dm(accepted, by=MANAGER),
        "reassigned answer": br.reassigned_answer(view.short_id, to_rep=OTHER, from_rep=REP),
        "nudged answer": br.nudged_answer(view.short_id, rep_id=REP),
        "modal": br.reassign_modal(accepted, rep_id=REP, reps=[REP, OTHER]),
    }


def assert_valid(message: dict[str, Any]) -> None:
    if "type" in message:
        assert_valid_modal(message)
    else:
        assert_valid_message(message)


@pytest.mark.parametrize("name", list(built(BASE)))
def test_every_new_message_and_modal_is_valid_block_kit(name: str) -> None:
    assert_valid(built(BASE)[name])
    assert_valid(built(BASE, note=None)[name])


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("field", UNTRUSTED_FIELDS)
def test_no_lead_field_or_note_can_mention_anyone_or_forge_a_link(field: str, payload: str) -> None:
    hostile = with_field(BASE, field, f"x {payload} y")
    for name, message in built(hostile, note=f"note {payload}").items():
        for text in parsed_texts(message):
            assert "<!" not in text, (name, text)
            assert "<@U123" not in text, (name, text)
            assert "<http" not in text, (name, text)
        assert_valid(message)


def test_the_reassigned_rep_gets_the_original_comment_and_the_note_escaped() -> None:
    dm = built(replace(BASE, link=LINK), note="<!channel> call *today*")["reassigned dm"]
    assert dm["text"] == (
        f"👋 <@{MANAGER}> gave you <{LINK}|L-7K3Q9>: Jane Doe, Acme GmbH (it was with <@{REP}>)"
    )
    shown = parsed_texts(dm)
    assert f"*Comment from <@{MANAGER}>*\n>Mid-size manufacturer.\n>Call before Friday." in shown
    assert f"*Note from <@{MANAGER}>*\n>&lt;!channel&gt; call ∗today∗" in shown
    [log] = [e for blk in dm["blocks"] for e in blk.get("elements", []) if "action_id" in e]
    assert log["action_id"] == ActionId.LOG_OUTCOME


def test_the_modal_carries_the_lead_and_asks_for_the_rep_and_an_optional_note() -> None:
    modal = built(BASE)["modal"]
    assert modal["callback_id"] == ActionId.REASSIGN_MODAL
    assert LeadRef.loads(modal["private_metadata"]) == LeadRef(lead="L-7K3Q9", round=1)
    inputs = [blk for blk in modal["blocks"] if blk["type"] == "input"]
    assert [(i["block_id"], i.get("optional", False)) for i in inputs] == [
        (ActionId.REASSIGN_REP_BLOCK, False),
        (ActionId.REASSIGN_NOTE_BLOCK, True),
    ]


@given(st.text(max_size=60))
def test_a_link_is_made_only_of_an_https_address_that_cannot_break_out(url: str) -> None:
    shown = kit.lead_link("L-7K3Q9", url)
    if shown != "L-7K3Q9":
        assert shown.startswith("<https://") and shown.endswith("|L-7K3Q9>")
        inner = shown[1 : -len("|L-7K3Q9>")]
        assert not any(c in inner for c in "<>|") and not any(c.isspace() for c in inner)


@pytest.mark.parametrize(
    "url",
    [
        "http://acme.slack.com/archives/C1/p1",
        "https://x.example/|<!channel>",
        "https://x.example/ <@U123>",
        "javascript:alert(1)",
        "",
        None,
    ],
)
def test_anything_but_a_clean_https_address_is_no_link(url: str | None) -> None:
    assert kit.lead_link("L-7K3Q9", url) == "L-7K3Q9"


def test_a_thread_reply_permalink_keeps_its_query_with_the_ampersand_escaped() -> None:
    url = "https://acme.slack.com/archives/C1/p2?thread_ts=1.2&cid=C1"
    assert kit.lead_link("L-7K3Q9", url) == (
        "<https://acme.slack.com/archives/C1/p2?thread_ts=1.2&amp;cid=C1|L-7K3Q9>"
    )
