"""The recycled lead's builders: its story on the card and in notices, marketing's choices and
modals. Valid Block Kit, and safe with hostile text anywhere a person or a lead typed it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.snapshots import EventLine
from bot.slack import blocks as b
from bot.slack import blocks_recycle as br
from bot.slack.ids import ActionId
from bot.slack.views import Before, LeadView
from tests.bot.slack.test_blocks import (
    BASE,
    INJECTIONS,
    MANAGER,
    RETURNED,
    UNTRUSTED_FIELDS,
    assert_valid_message,
    assert_valid_modal,
    parsed_texts,
    replace_decision,
    with_field,
)

MARKETER = "U0MKTG0001"
MONDAY, TUESDAY = datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 11, 24, 9, tzinfo=UTC)


def before(text: str = "Student, no budget") -> Before:
    return Before(
        ended_by=MANAGER,
        ended_at=MONDAY,
        ended_how="returned",
        reason="not_a_fit",
        notes=text,
        back_by=MARKETER,
        back_at=TUESDAY,
        back_how="requeued",
        back_note=text,
    )


def chosen(kind: str, notes: str | None = "She got funding", actor: str = MARKETER) -> EventLine:
    return EventLine(
        id=7,
        at=TUESDAY,
        kind=kind,
        actor=actor,
        handoff_round=1,
        status_before="returned",
        status_after="pending",
        reason_code=None,
        amount=None,
        notes=notes,
        region="emea",
    )


def built(view: LeadView, text: str = "She got funding") -> dict[str, dict[str, Any]]:
    returned = replace(replace_decision(view, RETURNED), before=before(text))
    return {
        "card": b.handoff_message(returned, mention=MANAGER),
        "notice": b.returned_notice(returned, choice=br.notice_choice(returned, None)),
        **{
            f"notice {kind}": b.returned_notice(
                returned, choice=br.notice_choice(returned, chosen(kind, text))
            )
            for kind in ("kept_nurturing", "handoff_started", "qualified")
        },
        "back to sales": br.back_to_sales_notice(returned),
        "ask why note": br.ask_why_note(returned, by=MARKETER, to=MANAGER, question=text),
        "send back modal": br.send_back_modal(returned, regions=["emea", "apac"]),
        "ask why modal": br.ask_why_modal(returned, to=MANAGER),
    }


def assert_valid(message: dict[str, Any]) -> None:
    if "type" in message:
        assert_valid_modal(message)
    else:
        assert_valid_message(message)


@pytest.mark.parametrize("name", list(built(BASE)))
def test_every_message_and_modal_is_valid_block_kit(name: str) -> None:
    assert_valid(built(BASE)[name])


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("field", UNTRUSTED_FIELDS)
def test_nothing_typed_can_mention_anyone_or_forge_a_link(field: str, payload: str) -> None:
    hostile = with_field(BASE, field, f"x {payload} y")
    for name, message in built(hostile, text=f"note {payload}").items():
        for text in parsed_texts(message):
            assert "<!" not in text, (name, text)
            assert "<@U123" not in text, (name, text)
            assert "<http" not in text, (name, text)
        assert_valid(message)


def test_the_round_two_card_tells_who_returned_it_why_and_what_brought_it_back() -> None:
    card = built(BASE, text="<!channel> *budget*")["card"]
    assert (
        "*Before this round*\n"
        f"↩️ Returned by <@{MANAGER}> on Mon 23 Nov: Not a fit — &lt;!channel&gt; ∗budget∗\n"
        f"🔁 Back on Tue 24 Nov: <@{MARKETER}> sent it back to sales — &lt;!channel&gt; ∗budget∗"
    ) in parsed_texts(card)


def test_a_lost_lead_that_came_back_by_itself_says_so() -> None:
    lost = replace(
        before(),
        ended_how="lost",
        reason=None,
        notes=None,
        back_how="requalified",
        back_by="intake",
        back_note="score 90 ≥ 50",
    )
    card = b.handoff_message(replace(BASE, before=lost), mention=None)
    assert (
        "*Before this round*\n"
        f"❌ Lost by <@{MANAGER}> on Mon 23 Nov\n"
        "🔁 Back on Tue 24 Nov: it came back and qualified again — score 90 ≥ 50"
    ) in parsed_texts(card)


def test_the_notice_offers_three_choices_until_one_is_made() -> None:
    messages = built(BASE)
    buttons = [
        (e["text"]["text"], e["action_id"]) for e in messages["notice"]["blocks"][-1]["elements"]
    ]
    assert buttons == [
        ("Send back to sales…", ActionId.SEND_BACK),
        ("Keep nurturing", ActionId.KEEP_NURTURING),
        ("Ask why…", ActionId.ASK_WHY),
    ]
    assert [
        m["blocks"][-1]["text"]["text"] for k, m in messages.items() if k.startswith("notice ")
    ] == [
        f"🌱 <@{MARKETER}> kept it in nurture on Tue 24 Nov — She got funding",
        f"🔁 <@{MARKETER}> sent it back to sales (emea) on Tue 24 Nov — She got funding",
        "🔁 It came back and qualified again on Tue 24 Nov; it is with sales — She got funding",
    ]
