"""The Block Kit builders: valid for Slack, safe with hostile lead data, right about decisions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.domain.lead import ReturnReason
from bot.slack import blockkit as kit
from bot.slack import blocks as b
from bot.slack.ids import ActionId, LeadRef, choice_value, read_choice
from bot.slack.text import cut, date_for_people, escape, mention, plain, when
from bot.slack.views import LeadView

MANAGER = "U0MANAGER1"
REP = "U0REP00001"
DUE = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)

BASE = LeadView(
    short_id="L-7K3Q9",
    status="pending",
    round=1,
    name="Jane Doe",
    title="Head of IT",
    company="Acme GmbH",
    email="jane.doe@acme.example",
    phone="+49 30 1234567",
    country="DE",
    state="BE",
    campaign="Trade show Berlin",
    source="trade_show",
    score=72.5,
    qualification_reason="score 72.5 is at least 60",
    route_reason="country DE matches emea",
    region="emea",
    activity=(
        ("page_visit", "2026-11-20T10:00:00+00:00", "/pricing"),
        ("form_fill", None, "demo request"),
    ),
    notes="Met at the booth.\nWants a demo.",
    timezone="Europe/Berlin",
)
ACCEPTED = replace(
    BASE,
    status="accepted",
    decided_by=MANAGER,
    rep_id=REP,
    comment="Mid-size manufacturer.\nCall before Friday.",
    method="phone",
    feedback_due_at=DUE,
)
RETURNED = replace(
    BASE,
    status="returned",
    decided_by=MANAGER,
    return_reason=ReturnReason.NOT_A_FIT.value,
    return_notes="Student, no budget",
)
REROUTED = replace(
    BASE, status="pending", round=2, decided_by=MANAGER, rerouted_to="apac", reroute_note="HQ"
)

# Strings that come from a lead (or a person typing in a modal); all of them are untrusted.
UNTRUSTED_FIELDS = (
    "name",
    "title",
    "company",
    "email",
    "phone",
    "country",
    "state",
    "campaign",
    "source",
    "qualification_reason",
    "route_reason",
    "notes",
    "comment",
    "return_notes",
    "reroute_note",
    "return_reason",
    "rerouted_to",
    "activity",
)
INJECTIONS = ("<!channel>", "<!here>", "<@U123>", "<https://evil.example|click>")


def with_field(view: LeadView, field: str, value: str) -> LeadView:
    if field == "activity":
        return replace(view, activity=((value, value, value), ("visit", None, value)))
    return replace(view, **{field: value})


def every_message(view: LeadView) -> dict[str, dict[str, Any]]:
    return {
        "handoff pending": b.handoff_message(view, mention=MANAGER),
        "handoff accepted": b.handoff_message(replace_decision(view, ACCEPTED), mention=None),
        "handoff returned": b.handoff_message(replace_decision(view, RETURNED), mention=None),
        "handoff rerouted": b.handoff_message(replace_decision(view, REROUTED), mention=None),
        "batch summary": b.batch_summary(
            view.campaign or "Import", view.region, 42, [f"L-{i:05d}" for i in range(42)], MANAGER
        ),
        "rep dm": b.rep_dm(replace_decision(view, ACCEPTED), manager=MANAGER),
        "accepted note": b.accepted_note(replace_decision(view, ACCEPTED)),
        "returned note": b.returned_note(replace_decision(view, RETURNED)),
        "rerouted note": b.rerouted_note(replace_decision(view, REROUTED)),
        "activity note": b.activity_note(view, view.activity),
        "returned notice": b.returned_notice(replace_decision(view, RETURNED)),
        "owner dm": b.owner_activity_dm(view, upsell=False),
        "upsell dm": b.owner_activity_dm(view, upsell=True),
        "setup notice": b.setup_notice("channel_not_found for <#C0EMEA>", "Invite Baton."),
        "ephemeral": b.ephemeral("Type `/lead help`."),
    }


def every_modal(view: LeadView) -> dict[str, dict[str, Any]]:
    return {
        "accept": b.accept_modal(
            view,
            reps=[REP, "U0REP00002"],
            suggested_rep=REP,
            suggestion_reason="fewest open leads in emea",
            due_date=date(2026, 11, 27),
            ref=view.ref,
        ),
        "return": b.return_modal(view, ref=view.ref),
        "reroute": b.reroute_modal(view, regions=["emea", "apac", "amer"], ref=view.ref),
    }


DECISION = ("status", "round", "decided_by", "rep_id", "method", "feedback_due_at")
DECISION_TEXTS = ("comment", "return_reason", "return_notes", "rerouted_to", "reroute_note")


def replace_decision(view: LeadView, decided: LeadView) -> LeadView:
    """`view`'s lead with `decided`'s decision; texts `view` sets itself are kept."""
    changes = {name: getattr(decided, name) for name in DECISION}
    changes |= {name: getattr(view, name) or getattr(decided, name) for name in DECISION_TEXTS}
    return replace(view, **changes)


def texts(message: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (type, text) in a message or view: mrkdwn, plain_text and the fallback."""
    if isinstance(message.get("text"), str):
        yield "fallback", message["text"]
    yield from _walk(message.get("blocks", []))


def _walk(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node["type"], node["text"]
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def parsed_texts(message: dict[str, Any]) -> list[str]:
    """The texts Slack parses for mentions and links (plain_text is shown as typed)."""
    return [text for kind, text in texts(message) if kind != "plain_text"]


def assert_valid_blocks(blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        # to_dict() runs every validator of the block and its elements; equality shows that
        # slack_sdk understood every key we sent.
        assert Block.parse(block).to_dict() == block
        for field in block.get("fields", []):
            assert len(field["text"]) <= kit.FIELD
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(element["text"]) <= kit.CONTEXT for element in block["elements"])
    for _, text in _walk(blocks):
        assert text.strip()


def assert_valid_message(message: dict[str, Any]) -> None:
    assert set(message) == {"text", "blocks"}
    assert message["text"].strip()
    assert 1 <= len(message["blocks"]) <= kit.MAX_BLOCKS
    assert_valid_blocks(message["blocks"])


def assert_valid_modal(view: dict[str, Any]) -> None:
    assert View(**view).to_dict() == view
    assert_valid_blocks(view["blocks"])


def actions(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def input_element(view: dict[str, Any], block_id: ActionId) -> dict[str, Any]:
    (block,) = [block for block in view["blocks"] if block.get("block_id") == block_id]
    return block["element"]


# Validity -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(every_message(BASE)))
def test_every_message_is_valid_block_kit(name: str) -> None:
    assert_valid_message(every_message(BASE)[name])


@pytest.mark.parametrize("name", list(every_modal(BASE)))
def test_every_modal_is_a_valid_view(name: str) -> None:
    modal = every_modal(BASE)[name]
    assert_valid_modal(modal)
    assert LeadRef.loads(modal["private_metadata"]) == BASE.ref


def test_a_bare_lead_with_only_an_email_still_makes_valid_messages() -> None:
    bare = LeadView(
        short_id="L-00000",
        status="pending",
        round=1,
        name=None,
        title=None,
        company=None,
        email="x@y.example",
        phone=None,
        country=None,
        state=None,
        campaign=None,
        source=None,
        score=None,
        qualification_reason=None,
        route_reason=None,
        region=None,
        activity=(),
        notes="   ",
        timezone="UTC",
    )
    for message in every_message(bare).values():
        assert_valid_message(message)
    for modal in every_modal(bare).values():
        assert_valid_modal(modal)


# Untrusted text -------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("field", UNTRUSTED_FIELDS)
def test_a_lead_field_can_never_mention_anyone_or_forge_a_link(field: str, payload: str) -> None:
    hostile = with_field(BASE, field, f"x {payload} y")
    built = {**every_message(hostile), **every_modal(hostile)}
    for name, message in built.items():
        for text in parsed_texts(message):
            assert "<!" not in text, (name, text)
            assert "<@U123" not in text, (name, text)
            assert "<http" not in text, (name, text)
        if "type" in message:
            assert_valid_modal(message)
        else:
            assert_valid_message(message)


@pytest.mark.parametrize("field", UNTRUSTED_FIELDS)
def test_a_hostile_field_is_shown_escaped_where_it_appears(field: str) -> None:
    hostile = replace_decision(with_field(BASE, field, "<!channel> & <@U123>"), ACCEPTED)
    shown = {
        "comment": b.rep_dm(hostile, manager=MANAGER),
        "return_notes": b.returned_notice(replace_decision(hostile, RETURNED)),
        "reroute_note": b.rerouted_note(replace_decision(hostile, REROUTED)),
        "rerouted_to": b.rerouted_note(replace_decision(hostile, REROUTED)),
        "return_reason": b.returned_notice(replace_decision(hostile, RETURNED)),
    }.get(field, b.handoff_message(hostile, mention=None))
    assert any("&lt;!channel&gt; &amp; &lt;@U123&gt;" in text for text in parsed_texts(shown))


@pytest.mark.parametrize("line", INJECTIONS)
def test_raw_activity_lines_are_escaped_too(line: str) -> None:
    note = b.activity_note(BASE, [f"visit · {line}"])
    assert_valid_message(note)
    assert not any(
        "<!" in text or "<@U123" in text or "<http" in text for text in parsed_texts(note)
    )
    assert escape(line) in note["blocks"][0]["text"]["text"]


@pytest.mark.parametrize(
    ("person", "shown"),
    [("", "someone"), ("system", "system"), ("<!channel>", "&lt;!channel&gt;")],
)
def test_someone_who_is_not_a_user_id_is_named_and_never_mentioned(person: str, shown: str) -> None:
    for message in (
        b.rep_dm(ACCEPTED, manager=person),
        b.handoff_message(replace(ACCEPTED, decided_by=person or None), mention=None),
        b.handoff_message(BASE, mention=person or "nobody"),
    ):
        assert_valid_message(message)
        assert not any("<!" in text for text in parsed_texts(message))
    assert f"👋 {shown} accepted" in b.rep_dm(ACCEPTED, manager=person)["text"]


def test_the_people_baton_names_are_real_mentions() -> None:
    message = b.handoff_message(ACCEPTED, mention=None)
    decision = message["blocks"][-1]["text"]["text"]
    assert f"<@{MANAGER}>" in decision and f"<@{REP}>" in decision


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here>", "&lt;!here&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("&lt;@U123&gt;", "&amp;lt;@U123&amp;gt;"),
        ("***", "∗∗∗"),
        ("```", "ˋˋˋ"),
        ("*bold* _it_ ~st~", "∗bold∗ ˍitˍ ∼st∼"),
        ("jane_doe@acme.example", "jane_doe@acme.example"),
        ("a*b~c", "a*b~c"),
        ("hi @channel and @Here", "hi @\u2060channel and @\u2060Here"),
        ("jane@here.example", "jane@here.example"),
    ],
)
def test_escape_neutralises_mentions_links_and_markup(raw: str, shown: str) -> None:
    assert escape(raw) == shown


# Limits -------------------------------------------------------------------------------------


def test_four_thousand_character_fields_are_cut_and_every_message_stays_valid() -> None:
    long = replace(
        ACCEPTED,
        **{field: "W" * 4000 for field in UNTRUSTED_FIELDS if field != "activity"},
        activity=tuple(("visit", None, "D" * 4000) for _ in range(30)),
    )
    for message in every_message(long).values():
        assert_valid_message(message)
    for modal in every_modal(long).values():
        assert_valid_modal(modal)
    handoff = b.handoff_message(long, mention=None)
    header = handoff["blocks"][0]["text"]["text"]
    assert len(header) == kit.HEADER and header.endswith("…")
    fields = handoff["blocks"][1]["fields"]
    assert all(field["text"].endswith("…") for field in fields[:7])
    activity = [t for _, t in texts(handoff) if t.startswith("*Recent activity*")]
    assert activity and activity[0].count("\n•") == b.ACTIVITY_SHOWN


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("a longer sentence", 10, "a longer…"),
        ("ab &amp; cd", 6, "ab…"),
        ("ab &lt;cd", 7, "ab…"),
        ("ab &gt;", 7, "ab &gt;"),
    ],
)
def test_cut_keeps_within_the_limit_and_never_splits_an_entity(
    text: str, limit: int, expected: str
) -> None:
    assert cut(text, limit) == expected
    assert len(cut(text, limit)) <= limit


def test_plain_text_is_cut_but_not_escaped() -> None:
    assert plain("<b> & c" * 20, 12) == "<b> & c<b>…"


# Decisions ----------------------------------------------------------------------------------


def test_a_pending_lead_has_accept_and_return_buttons_and_a_way_to_another_region() -> None:
    message = b.handoff_message(BASE, mention=MANAGER)
    accept, give_back, more = actions(message)
    assert accept["text"]["text"].startswith("Accept") and accept["style"] == "primary"
    assert give_back["text"]["text"].startswith("Return")
    assert (accept["action_id"], give_back["action_id"]) == (ActionId.ACCEPT, ActionId.RETURN)
    assert LeadRef.loads(accept["value"]) == LeadRef(lead="L-7K3Q9", round=1)
    assert LeadRef.loads(give_back["value"]) == BASE.ref
    (option,) = more["options"]
    assert option["text"]["text"] == "Send to another region…"
    assert read_choice(option["value"]) == (ActionId.REROUTE, BASE.ref)


def test_a_pending_lead_mentions_its_manager_first_and_names_the_lead_in_the_fallback() -> None:
    message = b.handoff_message(BASE, mention=MANAGER)
    assert message["blocks"][0]["text"]["text"] == f"<@{MANAGER}> a new lead is waiting for you"
    assert message["blocks"][1]["text"]["text"] == "🔔 New lead L-7K3Q9: Jane Doe, Acme GmbH"
    assert "L-7K3Q9" in message["text"] and "Jane Doe" in message["text"]
    assert "Acme GmbH" in message["text"]


@pytest.mark.parametrize(
    ("decided", "shown"),
    [
        (ACCEPTED, f"✅ Accepted by <@{MANAGER}> for <@{REP}> · Phone · feedback due Fri 27 Nov"),
        (RETURNED, f"↩️ Returned by <@{MANAGER}>: Not a fit — Student, no budget"),
        (REROUTED, f"➡️ Sent to apac by <@{MANAGER}>: HQ"),
        (replace(ACCEPTED, status="won"), " · now won"),
        (replace(RETURNED, return_reason="other", return_notes=None), ": Other"),
    ],
)
def test_a_decided_lead_shows_the_decision_and_no_buttons(decided: LeadView, shown: str) -> None:
    message = b.handoff_message(decided, mention=None)
    assert actions(message) == []
    assert shown in message["blocks"][-1]["text"]["text"]
    assert not message["blocks"][0]["text"]["text"].startswith("🔔")


@pytest.mark.parametrize(
    ("build", "shown"),
    [
        (lambda: b.accepted_note(ACCEPTED), f"✅ L-7K3Q9 accepted by <@{MANAGER}> for <@{REP}>"),
        (lambda: b.returned_note(RETURNED), f"↩️ L-7K3Q9 returned by <@{MANAGER}>: Not a fit"),
        (lambda: b.rerouted_note(REROUTED), f"➡️ L-7K3Q9 sent to apac by <@{MANAGER}>: HQ"),
        (
            lambda: b.returned_notice(RETURNED),
            f"↩️ L-7K3Q9 Jane Doe, Acme GmbH was returned by <@{MANAGER}>: Not a fit",
        ),
        (lambda: b.owner_activity_dm(BASE, upsell=False), "Acme GmbH's Jane is back: page visit"),
        (lambda: b.owner_activity_dm(BASE, upsell=True), "💰 Customer Acme GmbH's Jane is back"),
        (lambda: b.activity_note(BASE, BASE.activity[:1]), "• Fri 20 Nov — page visit: /pricing"),
        (
            lambda: b.batch_summary("Trade show Berlin", "EMEA", 42, ["L-1"], None),
            "📦 Trade show Berlin: 42 leads for EMEA — each card is in this thread",
        ),
        (lambda: b.rep_dm(ACCEPTED, manager=MANAGER), f"👋 <@{MANAGER}> accepted L-7K3Q9"),
    ],
)
def test_short_messages_say_what_happened(build: Callable[[], dict], shown: str) -> None:
    message = build()
    assert any(shown in text for text in parsed_texts(message))


def test_the_marketing_notice_carries_no_links() -> None:
    notice = b.returned_notice(replace(RETURNED, return_notes="see https://x.example"))
    assert any("see https://x.example" in text for text in parsed_texts(notice))
    assert not any("<http" in text for text in parsed_texts(notice))
    # verbatim: Slack must not turn the address into a link either.
    assert all(element["verbatim"] for element in _mrkdwn_objects(notice["blocks"]))
    assert (
        "Campaign: Trade show Berlin · Source: trade_show"
        in notice["blocks"][-1]["elements"][0]["text"]
    )


def _mrkdwn_objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node
        for value in node.values():
            yield from _mrkdwn_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from _mrkdwn_objects(item)


def test_the_rep_dm_quotes_the_comment_and_offers_to_log_an_outcome() -> None:
    message = b.rep_dm(ACCEPTED, manager=MANAGER)
    assert any(">Mid-size manufacturer.\n>Call before Friday." in t for t in parsed_texts(message))
    assert any("*Feedback due*\nFri 27 Nov" in t for t in parsed_texts(message))
    (log,) = actions(message)
    assert log["action_id"] == ActionId.LOG_OUTCOME and log["text"]["text"] == "Log outcome…"
    assert LeadRef.loads(log["value"]) == ACCEPTED.ref


def test_a_batch_summary_lists_twenty_ids_and_counts_the_rest() -> None:
    ids = [f"L-{i:05d}" for i in range(42)]
    summary = b.batch_summary("Import", None, 42, ids, None)
    listed = summary["blocks"][-1]["elements"][0]["text"]
    assert listed.endswith("L-00019 and 22 more") and "L-00020" not in listed
    assert "for triage" in summary["text"]


# Modals -------------------------------------------------------------------------------------


def test_the_accept_modal_suggests_the_rep_and_defaults_the_due_date() -> None:
    modal = every_modal(BASE)["accept"]
    assert modal["callback_id"] == ActionId.ACCEPT_MODAL
    assert (modal["title"]["text"], modal["submit"]["text"]) == ("Accept lead", "Accept")
    assert modal["close"]["text"] == "Cancel"
    rep = input_element(modal, ActionId.REP_BLOCK)
    assert (rep["type"], rep["initial_user"]) == ("users_select", REP)
    (rep_block,) = [x for x in modal["blocks"] if x.get("block_id") == ActionId.REP_BLOCK]
    assert rep_block["hint"]["text"] == "Suggested: fewest open leads in emea"
    assert input_element(modal, ActionId.DUE_BLOCK)["initial_date"] == "2026-11-27"
    comment = input_element(modal, ActionId.COMMENT_BLOCK)
    assert comment["multiline"] and comment["action_id"] == ActionId.COMMENT_INPUT
    methods = input_element(modal, ActionId.METHOD_BLOCK)["options"]
    assert [o["value"] for o in methods] == ["phone", "email", "linkedin", "meeting"]
    assert not any(x.get("optional") for x in modal["blocks"])


def test_the_accept_modal_without_a_suggestion_leaves_the_rep_open() -> None:
    modal = b.accept_modal(
        BASE,
        reps=[],
        suggested_rep=None,
        suggestion_reason=None,
        due_date=date(2026, 11, 27),
        ref=BASE.ref,
    )
    assert_valid_modal(modal)
    assert "initial_user" not in input_element(modal, ActionId.REP_BLOCK)


def test_the_return_modal_offers_the_six_reasons_and_optional_notes() -> None:
    modal = every_modal(BASE)["return"]
    assert modal["callback_id"] == ActionId.RETURN_MODAL
    reasons = input_element(modal, ActionId.REASON_BLOCK)["options"]
    assert [(o["text"]["text"], o["value"]) for o in reasons] == [
        (reason.label, reason.value) for reason in ReturnReason
    ]
    (notes,) = [x for x in modal["blocks"] if x.get("block_id") == ActionId.NOTES_BLOCK]
    assert notes["optional"] and "Other" in notes["hint"]["text"]


@pytest.mark.parametrize(
    ("region", "regions", "offered"),
    [
        ("emea", ["emea", "apac", "amer"], ["apac", "amer", "triage"]),
        (None, ["emea", "apac"], ["emea", "apac"]),
        ("emea", ["emea"], ["triage"]),
    ],
)
def test_the_reroute_modal_offers_every_other_region(
    region: str | None, regions: list[str], offered: list[str]
) -> None:
    modal = b.reroute_modal(replace(BASE, region=region), regions=regions, ref=BASE.ref)
    assert_valid_modal(modal)
    assert modal["callback_id"] == ActionId.REROUTE_MODAL
    options = input_element(modal, ActionId.REGION_BLOCK)["options"]
    assert [o["value"] for o in options] == offered


def test_the_reroute_modal_says_so_when_there_is_nowhere_to_send() -> None:
    modal = b.reroute_modal(replace(BASE, region=None), regions=[], ref=BASE.ref)
    assert_valid_modal(modal)
    assert "submit" not in modal


def test_modal_errors_answer_a_submission_with_messages_per_block() -> None:
    answer = b.modal_errors({ActionId.NOTES_BLOCK: "Say why when the reason is Other."})
    assert answer == {
        "response_action": "errors",
        "errors": {"notes_block": "Say why when the reason is Other."},
    }


# Ids, mentions, dates -------------------------------------------------------------------------


def test_a_lead_ref_is_compact_json_and_reads_back() -> None:
    ref = LeadRef(lead="L-7K3Q9", round=3)
    assert ref.dumps() == '{"lead":"L-7K3Q9","round":3}'
    assert LeadRef.loads(ref.dumps()) == ref
    assert read_choice(choice_value(ActionId.REROUTE, ref)) == (ActionId.REROUTE, ref)


@pytest.mark.parametrize("bad", ["", "{}", '{"lead":"L-1","round":-1}', "reroute", "[1]"])
def test_a_lead_ref_refuses_what_is_not_one(bad: str) -> None:
    with pytest.raises(ValueError):
        LeadRef.loads(bad)


@pytest.mark.parametrize("user", ["U0MANAGER1", "W012ABCDEF"])
def test_mention_wraps_a_user_id(user: str) -> None:
    assert mention(user) == f"<@{user}>"


@pytest.mark.parametrize("bad", ["", "!channel", "U123>", "<@U123>", "u0lower", "C0CHANNEL"])
def test_mention_refuses_anything_but_a_user_id(bad: str) -> None:
    with pytest.raises(ValueError):
        mention(bad)


@pytest.mark.parametrize(
    ("moment", "tz", "day", "at"),
    [
        (datetime(2026, 11, 27, 16, 0, tzinfo=UTC), "Europe/Berlin", "Fri 27 Nov", "17:00 CET"),
        (datetime(2026, 7, 3, 15, 0, tzinfo=UTC), "Europe/Berlin", "Fri 3 Jul", "17:00 CEST"),
        (datetime(2026, 11, 27, 23, 30, tzinfo=UTC), "Asia/Tokyo", "Sat 28 Nov", "08:30 JST"),
        (datetime(2026, 11, 27, 16, 0), "UTC", "Fri 27 Nov", "16:00 UTC"),
    ],
)
def test_dates_for_people_are_in_the_regions_zone(
    moment: datetime, tz: str, day: str, at: str
) -> None:
    assert date_for_people(moment, tz) == day
    assert when(moment, tz) == f"{day}, {at}"
