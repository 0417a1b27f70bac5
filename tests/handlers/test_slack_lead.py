"""`/lead` over signed HTTP against the running app: every subcommand and every mistake."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Baton
from bot.slack.ids import ActionId
from storage.rows import EventRow, LeadRow
from tests.fakes.slack import SlackHarness, button_value, slack_harness
from tests.handlers.test_slack_handoff import (
    ACCEPT_VALUES,
    BACKUP,
    EMEA,
    MANAGER,
    MARKETING,
    REP,
    handed_off,
    status_of,
)

OTHER_REP = "U0EMEAREP1"  # a rep of the same region, not the lead's
MARKETER = "U0MKTG0001"
NOT_IN = "C0NOTIN001"  # a channel Baton is not in


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    with slack_harness(baton) as harness:
        yield harness


def accepted(
    slack: SlackHarness, *, due: str = "2026-11-27", **fields: Any
) -> tuple[str, dict[str, Any]]:
    """A lead accepted by the manager for REP, its handoff message and the rep's DM delivered."""
    short_id, message = handed_off(slack, **fields)
    values = {**ACCEPT_VALUES, ActionId.DUE_BLOCK: {ActionId.DUE_INPUT: {"selected_date": due}}}
    action_id, value = button_value(message, "Accept")
    slack.submit(MANAGER, slack.click_for_view(MANAGER, action_id, value, EMEA), values)
    slack.wait_until(lambda: status_of(slack, short_id) == "accepted")
    slack.deliver_all()
    return short_id, message


def say(
    slack: SlackHarness,
    user: str,
    text: str,
    *,
    channel: str = EMEA,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """Type `/lead TEXT` and return the answer only `user` sees."""
    before = len(slack.standin.ephemerals(user))
    assert slack.command(user, text, channel=channel, trigger_id=trigger_id).status_code == 200
    assert slack.standin.wait_for(lambda: len(slack.standin.ephemerals(user)) > before)
    return slack.standin.ephemerals(user)[-1]


def shown(answer: dict[str, Any]) -> str:
    """Everything an answer shows: its text and its blocks."""
    return answer["text"] + " " + str(answer["blocks"])


def events_of(slack: SlackHarness, short_id: str) -> list[EventRow]:
    with slack.baton.database.reading() as session:
        return list(
            session.scalars(
                select(EventRow)
                .join(LeadRow, LeadRow.id == EventRow.lead_id)
                .where(LeadRow.short_id == short_id)
                .order_by(EventRow.id)
            )
        )


def lead_row(slack: SlackHarness, short_id: str) -> LeadRow:
    with slack.baton.database.reading() as session:
        return session.scalars(select(LeadRow).where(LeadRow.short_id == short_id)).one()


def thread_texts(slack: SlackHarness, message: dict[str, Any]) -> list[str]:
    return [m["text"] for m in slack.standin.thread(EMEA, message["ts"])[1:]]


def unchanged(slack: SlackHarness, short_id: str) -> tuple[str, int]:
    return lead_row(slack, short_id).status, len(events_of(slack, short_id))


# help, rules, unknown -------------------------------------------------------------------------


def test_help_lists_every_subcommand(slack: SlackHarness) -> None:
    answer = say(slack, REP, "help")
    for sub in ("mine", "show", "find", "log", "undo", "return", "rules", "report"):
        assert f"/lead {sub}" in shown(answer)
    assert say(slack, REP, "")["blocks"] == answer["blocks"]


@pytest.mark.parametrize("text", ["dance", "reportt emea", "logg L-7K3Q9 won"])
def test_an_unknown_subcommand_says_what_to_type_instead(slack: SlackHarness, text: str) -> None:
    answer = say(slack, REP, text)
    assert f"There is no `/lead {text.split()[0]}`" in answer["text"]
    assert "`/lead help`" in answer["text"]


def test_rules_show_the_agreed_lead_definition_and_slas_from_the_config(
    slack: SlackHarness,
) -> None:
    config = slack.baton.config
    text = shown(say(slack, MARKETER, "rules"))
    assert f"at least {config.lead_definition.min_score}" in text
    assert "email, company" in text
    assert "trade_show" in text and "first_name" in text
    assert f"within {config.sla.handoff_hours} working hours" in text
    assert f"after {config.sla.escalation_hours}" in text
    assert f"{config.sla.leakage_days} days after acceptance" in text
    assert "trade_show: 21" in text
    assert "emea: 09:00-12:30, 13:30-17:30 Europe/Berlin" in text


# log ------------------------------------------------------------------------------------------


def test_logging_an_outcome_moves_the_lead_notes_its_thread_updates_its_card_and_confirms(
    slack: SlackHarness,
) -> None:
    short_id, message = accepted(slack)
    answer = say(slack, REP, f"log {short_id.lower()} Meeting demo booked with Jane next:friday")
    assert f"Logged *meeting* on {short_id}: now *meeting*" in answer["text"]
    assert "Next step: Fri 27 Nov" in answer["text"]
    row = lead_row(slack, short_id)
    assert row.status == "meeting"
    assert row.next_step_at == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    event = events_of(slack, short_id)[-1]
    assert (event.kind, event.actor, event.reason_code) == ("outcome", REP, "meeting")
    assert event.notes == "demo booked with Jane"
    assert event.data["next_step_at"].startswith("2026-11-27T09:00")

    slack.deliver_all()
    [note] = [t for t in thread_texts(slack, message) if "logged *meeting*" in t]
    assert f"<@{REP}> logged *meeting* on {short_id}" in note
    assert "next step Fri 27 Nov" in note
    [card] = [m for m in slack.standin.messages(EMEA) if m["ts"] == message["ts"]]
    assert "now meeting" in str(card["blocks"])


@pytest.mark.parametrize("typed", ["ATTEMPTED", "Attempted", "attempt"])
def test_outcomes_are_read_in_any_case(slack: SlackHarness, typed: str) -> None:
    short_id, _ = accepted(slack)
    say(slack, REP, f"log {short_id} {typed} no answer, left a voicemail")
    assert status_of(slack, short_id) == "attempted"


def test_the_status_only_moves_forward_but_every_outcome_is_recorded(slack: SlackHarness) -> None:
    short_id, message = accepted(slack)
    say(slack, REP, f"log {short_id} meeting")
    answer = say(slack, REP, f"log {short_id} attempted called again, no answer")
    assert "stays *meeting*" in answer["text"]
    assert status_of(slack, short_id) == "meeting"
    outcomes = [(e.reason_code, e.status_after) for e in events_of(slack, short_id)[-2:]]
    assert outcomes == [("meeting", "meeting"), ("attempted", "meeting")]
    slack.deliver_all()
    assert any("status stays meeting" in t for t in thread_texts(slack, message))


AMOUNTS = [
    ("12500", Decimal("12500")),
    ("$12,500", Decimal("12500")),
    ("12.5k", Decimal("12500")),
    ("€8k", Decimal("8000")),
    ("EUR 8000", Decimal("8000")),
    ("1.2M", Decimal("1200000")),
    ("£950.50", Decimal("950.50")),
]


def test_amounts_are_read_forgivingly(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    for typed, expected in AMOUNTS:
        say(slack, REP, f"log {short_id} opportunity {typed} pilot for the Berlin plant")
        event = events_of(slack, short_id)[-1]
        assert (event.amount, event.notes) == (expected, "pilot for the Berlin plant"), typed
    assert events_of(slack, short_id)[-3].data["currency"] == "EUR"


@pytest.mark.parametrize("typed", ["12.5.3k", "$12x", "1,2,3", "€"])
def test_a_bad_amount_is_refused_with_how_to_type_one_and_nothing_changes(
    slack: SlackHarness, typed: str
) -> None:
    short_id, _ = accepted(slack)
    before = unchanged(slack, short_id)
    answer = say(slack, REP, f"log {short_id} won {typed} signed")
    assert "is not an amount: type it like 12500, $12,500, 12.5k or €8k" in answer["text"]
    assert unchanged(slack, short_id) == before


def test_won_closes_the_lead_and_a_closed_lead_refuses_further_outcomes(
    slack: SlackHarness,
) -> None:
    short_id, message = accepted(slack)
    say(slack, REP, f"log {short_id} won $48,000 three-year deal")
    assert status_of(slack, short_id) == "won"
    before = unchanged(slack, short_id)
    answer = say(slack, REP, f"log {short_id} meeting follow-up")
    assert f"{short_id} is closed (won)" in answer["text"]
    assert f"`/lead undo {short_id}`" in answer["text"]
    assert unchanged(slack, short_id) == before
    slack.deliver_all()
    assert any("logged *won*" in t and "USD 48,000" in t for t in thread_texts(slack, message))


def test_lost_closes_the_lead_with_its_reason_as_notes(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    say(slack, REP, f"log {short_id} lost went with a competitor")
    assert status_of(slack, short_id) == "lost"
    assert events_of(slack, short_id)[-1].notes == "went with a competitor"
    assert "closed (lost)" in say(slack, MANAGER, f"log {short_id} won 5k")["text"]


def test_a_pending_lead_refuses_outcomes_until_a_manager_accepts_it(slack: SlackHarness) -> None:
    short_id, _ = handed_off(slack)
    before = unchanged(slack, short_id)
    answer = say(slack, MANAGER, f"log {short_id} meeting")
    assert "awaits a manager's decision" in answer["text"]
    assert unchanged(slack, short_id) == before


def test_an_unknown_lead_id_is_refused_with_how_to_find_one(slack: SlackHarness) -> None:
    answer = say(slack, REP, "log L-ZZZZZ meeting")
    assert "There is no lead L-ZZZZZ" in answer["text"]
    assert "`/lead find EMAIL-OR-COMPANY`" in answer["text"]
    assert "not a lead id" in say(slack, REP, "log 12345678 meeting")["text"]
    assert "Which lead?" in say(slack, REP, "log")["text"]


def test_an_unknown_outcome_lists_the_outcomes_and_changes_nothing(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    before = unchanged(slack, short_id)
    answer = say(slack, REP, f"log {short_id} signed 5k")
    assert "“signed” is not an outcome" in answer["text"]
    assert "attempted, connected, meeting, opportunity, won, lost, return" in answer["text"]
    assert unchanged(slack, short_id) == before


def test_someone_else_cannot_log_an_outcome_and_is_told_who_can(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    before = unchanged(slack, short_id)
    answer = say(slack, OTHER_REP, f"log {short_id} meeting")
    assert answer["text"] == (
        f"Only <@{REP}>, <@{MANAGER}> or <@{BACKUP}> can log outcomes on {short_id}."
    )
    assert unchanged(slack, short_id) == before


@pytest.mark.parametrize("who", [MANAGER, BACKUP])
def test_the_manager_or_the_backup_may_log_for_the_rep(slack: SlackHarness, who: str) -> None:
    short_id, _ = accepted(slack)
    say(slack, who, f"log {short_id} connected spoke to Jane at the fair")
    assert status_of(slack, short_id) == "connected"
    assert events_of(slack, short_id)[-1].actor == who


def test_a_next_step_date_can_be_a_day_a_weekday_or_tomorrow(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    say(slack, REP, f"log {short_id} connected next:2026-12-01")
    assert lead_row(slack, short_id).next_step_at == datetime(2026, 12, 1, 8, tzinfo=UTC)
    say(slack, REP, f"log {short_id} connected next:tomorrow")
    assert lead_row(slack, short_id).next_step_at == datetime(2026, 11, 24, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "said"),
    [("next:2026-11-01", "in the past"), ("next:someday", "is not a day"), ("next:", "one next")],
)
def test_a_bad_next_step_is_refused_and_nothing_changes(
    slack: SlackHarness, typed: str, said: str
) -> None:
    short_id, _ = accepted(slack)
    before = unchanged(slack, short_id)
    assert said in say(slack, REP, f"log {short_id} meeting {typed}")["text"]
    assert unchanged(slack, short_id) == before


def test_the_same_command_delivered_twice_logs_once(slack: SlackHarness) -> None:
    short_id, message = accepted(slack)
    text = f"log {short_id} meeting booked"
    same = {"channel": EMEA, "trigger_id": "trigger-delivered-twice"}
    threads = [threading.Thread(target=slack.command, args=(REP, text), kwargs=same)]
    threads.append(threading.Thread(target=slack.command, args=(REP, text), kwargs=same))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    def confirmations() -> list[dict[str, Any]]:
        return [e for e in slack.standin.ephemerals(REP) if "Logged" in e["text"]]

    assert slack.standin.wait_for(lambda: len(confirmations()) >= 1)
    assert not slack.standin.wait_for(lambda: len(confirmations()) >= 2, timeout=1.0)
    assert [e.reason_code for e in events_of(slack, short_id) if e.kind == "outcome"] == ["meeting"]
    slack.deliver_all()
    assert sum("logged *meeting*" in t for t in thread_texts(slack, message)) == 1


def test_an_answer_in_a_channel_baton_is_not_in_comes_as_a_dm(slack: SlackHarness) -> None:
    slack.standin.add_channel(NOT_IN, "elsewhere", bot_is_member=False)
    assert slack.command(REP, "help", channel=NOT_IN).status_code == 200
    assert slack.standin.wait_for(lambda: bool(slack.standin.messages(REP)))
    assert "/lead mine" in str(slack.standin.messages(REP)[-1]["blocks"])


# return ---------------------------------------------------------------------------------------


def test_return_takes_a_reason_code_and_notes_and_tells_marketing_like_a_managers_return(
    slack: SlackHarness,
) -> None:
    short_id, message = accepted(slack)
    answer = say(slack, REP, f"return {short_id} bad-contact-data the phone number is a fax")
    assert "returned to marketing" in answer["text"]
    assert status_of(slack, short_id) == "returned"
    event = events_of(slack, short_id)[-1]
    assert (event.kind, event.reason_code, event.notes) == (
        "returned",
        "bad_contact_data",
        "the phone number is a fax",
    )
    slack.deliver_all()
    notice = slack.standin.messages(MARKETING)[-1]
    assert short_id in notice["text"]
    assert f"returned by <@{REP}>: Bad contact data" in notice["text"]
    assert "the phone number is a fax" in str(notice["blocks"])
    assert any(f"{short_id} returned" in t for t in thread_texts(slack, message))
    assert "closed (returned)" in say(slack, REP, f"log {short_id} meeting")["text"]


def test_log_return_is_the_same_as_return(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    say(slack, REP, f"log {short_id} return duplicate same as L-ABCDE")
    event = events_of(slack, short_id)[-1]
    assert (event.kind, event.reason_code) == ("returned", "duplicate")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{id}", "Give a reason"),
        ("{id} because", "“because” is not a return reason"),
        ("{id} other", "Say why in the notes"),
    ],
)
def test_a_return_without_a_known_reason_lists_the_reasons_and_changes_nothing(
    slack: SlackHarness, text: str, said: str
) -> None:
    short_id, _ = accepted(slack)
    before = unchanged(slack, short_id)
    answer = say(slack, REP, "return " + text.format(id=short_id))
    assert said in answer["text"]
    if "reason" in said:
        assert "not-a-fit, bad-contact-data, not-ready, duplicate" in answer["text"]
    assert unchanged(slack, short_id) == before


# undo -----------------------------------------------------------------------------------------


def test_undo_withdraws_your_last_outcome_with_a_correction_and_the_status_falls_back(
    slack: SlackHarness,
) -> None:
    short_id, message = accepted(slack)
    say(slack, REP, f"log {short_id} connected next:friday")
    say(slack, REP, f"log {short_id} opportunity 20k")
    answer = say(slack, REP, f"undo {short_id}")
    assert f"Withdrew your *opportunity* on {short_id}: it is *connected* again" in answer["text"]
    row = lead_row(slack, short_id)
    assert row.status == "connected"
    assert row.next_step_at == datetime(2026, 11, 27, 8, tzinfo=UTC)
    events = events_of(slack, short_id)
    assert events[-1].kind == "correction"
    assert events[-1].data["corrects_event_id"] == events[-2].id
    assert events[-2].reason_code == "opportunity"  # the withdrawn event itself is kept
    say(slack, REP, f"undo {short_id}")
    assert status_of(slack, short_id) == "accepted"
    assert lead_row(slack, short_id).next_step_at is None
    slack.deliver_all()
    assert any(f"withdrew *opportunity* on {short_id}" in t for t in thread_texts(slack, message))


def test_undo_reopens_a_lead_closed_by_mistake(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    say(slack, REP, f"log {short_id} meeting")
    say(slack, REP, f"log {short_id} lost")
    say(slack, REP, f"undo {short_id}")
    assert status_of(slack, short_id) == "meeting"
    say(slack, REP, f"log {short_id} won 10k")
    assert status_of(slack, short_id) == "won"


def test_undoing_a_return_brings_the_lead_back_and_tells_marketing(slack: SlackHarness) -> None:
    short_id, message = accepted(slack)
    say(slack, REP, f"log {short_id} meeting")
    say(slack, REP, f"return {short_id} not-a-fit wrong company")
    slack.deliver_all()
    say(slack, REP, f"undo {short_id}")
    assert status_of(slack, short_id) == "meeting"
    slack.deliver_all()
    notice = slack.standin.messages(MARKETING)[-1]
    assert short_id in notice["text"] and "back with sales" in notice["text"]
    [card] = [m for m in slack.standin.messages(EMEA) if m["ts"] == message["ts"]]
    assert "Accepted" in str(card["blocks"]) and "now meeting" in str(card["blocks"])


def test_an_outcome_older_than_a_day_cannot_be_undone(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    say(slack, REP, f"log {short_id} meeting")
    slack.clock.advance(hours=24, minutes=1)
    before = unchanged(slack, short_id)
    answer = say(slack, REP, f"undo {short_id}")
    assert "more than a day ago" in answer["text"]
    assert unchanged(slack, short_id) == before


def test_undo_only_withdraws_your_own_outcome(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    say(slack, REP, f"log {short_id} meeting")
    before = unchanged(slack, short_id)
    for who in (MANAGER, OTHER_REP):
        assert (
            f"You have no outcome on {short_id} to undo"
            in say(slack, who, f"undo {short_id}")["text"]
        )
    assert unchanged(slack, short_id) == before


def test_undo_with_nothing_to_undo_or_no_lead_says_so(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    assert "no outcome" in say(slack, REP, f"undo {short_id}")["text"]
    assert "There is no lead L-ZZZZZ" in say(slack, REP, "undo L-ZZZZZ")["text"]
    assert "takes one lead id" in say(slack, REP, f"undo {short_id} please")["text"]


# mine, show, find -----------------------------------------------------------------------------


def test_mine_lists_open_leads_overdue_first_then_by_due_date_then_priority(
    slack: SlackHarness,
) -> None:
    later, _ = accepted(slack, due="2026-12-04", email="a@later.example", company="Later AG")
    soon, _ = accepted(slack, due="2026-11-25", email="b@soon.example", company="Soon AG")
    quiet, _ = accepted(slack, due="2026-11-27", email="c@quiet.example", company="Quiet AG")
    hot, _ = accepted(slack, due="2026-11-27", email="d@hot.example", company="Hot AG")
    overdue, _ = accepted(slack, due="2026-11-24", email="e@late.example", company="Late AG")
    closed, _ = accepted(slack, due="2026-11-24", email="f@won.example", company="Won AG")
    say(slack, REP, f"log {closed} won 1k")
    slack.intake(
        {
            "email": "d@hot.example",
            "activity": [{"type": "page_view", "detail": "visited pricing"}],
        }
    )
    slack.clock.set(datetime(2026, 11, 24, 18, 0, tzinfo=UTC))  # past the 24th's close

    answer = say(slack, REP, "mine")
    lines = [b["text"]["text"] for b in answer["blocks"][1:]]
    order = [next(i for i in (later, soon, quiet, hot, overdue) if i in line) for line in lines]
    assert order == [overdue, soon, hot, quiet, later]
    assert "Your open leads* (5, 1 overdue)" in answer["blocks"][0]["text"]["text"]
    assert lines[0].startswith("⚠️") and "(overdue)" in lines[0]
    assert "🔥 back: page view: visited pricing" in lines[2]
    assert closed not in shown(answer)


def test_mine_with_no_open_leads_says_so_and_shows_a_manager_what_waits(
    slack: SlackHarness,
) -> None:
    short_id, _ = handed_off(slack)
    answer = say(slack, MANAGER, "mine")
    assert "You have no open leads." in shown(answer)
    assert "Waiting for your decision* (1)" in shown(answer)
    assert short_id in shown(answer)


def test_show_gives_the_lead_its_status_owner_due_date_and_history(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    say(slack, REP, f"log {short_id} meeting demo on site next:2026-12-02")
    text = shown(say(slack, OTHER_REP, f"show {short_id}"))  # anyone may read
    assert f"{short_id}* Jane Doe, Acme GmbH — meeting" in text
    assert f"Owner:* <@{REP}>" in text
    assert "Feedback due:* Fri 27 Nov" in text
    assert "Next step:* Wed 2 Dec" in text
    assert "received" in text
    assert f"<@{MANAGER}> accepted it for <@{REP}> — Big account; call Jane" in text
    assert f"<@{REP}> logged *meeting* — demo on site" in text
    assert "There is no lead L-ZZZZZ" in say(slack, REP, "show L-ZZZZZ")["text"]
    assert "Which lead?" in say(slack, REP, "show")["text"]


def test_typing_just_an_id_shows_the_lead(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    assert f"{short_id}* Jane Doe" in shown(say(slack, REP, short_id.lower()))


def test_find_finds_leads_by_email_or_company_for_people_without_the_id(
    slack: SlackHarness,
) -> None:
    short_id, _ = accepted(slack)
    other, _ = handed_off(slack, email="max@globex.example", company="Globex Inc")
    for query in ("jane@acme.example", "ACME", "acme gmbh", "acme.example"):
        text = shown(say(slack, MARKETER, f"find {query}"))
        assert short_id in text and other not in text, query
        assert f"<@{REP}>" in text
    assert other in shown(say(slack, MARKETER, "find globex"))
    assert "No lead matches “Initech”" in say(slack, MARKETER, "find Initech")["text"]
    assert "Say what to look for" in say(slack, MARKETER, "find")["text"]
    assert "No lead matches" in say(slack, MARKETER, "find 100%")["text"]
    # Bolt's own parser takes a form naming "payload" for an interaction.
    assert "No lead matches “payload”" in say(slack, MARKETER, "find payload")["text"]


def test_hostile_text_in_a_command_is_quoted_back_harmlessly(slack: SlackHarness) -> None:
    answer = say(slack, REP, "find <!channel> <@U0EMEAMGR1>")
    assert "<!channel>" not in shown(answer) and "<@U0EMEAMGR1>" not in shown(answer)
    answer = say(slack, REP, "<!here>")
    assert "<!here>" not in shown(answer)


def test_a_log_after_the_lead_went_back_to_pending_is_refused(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    say(slack, REP, f"return {short_id} not-ready next quarter")
    slack.intake({"email": "jane@acme.example", "score": 95})
    slack.deliver_all()
    assert status_of(slack, short_id) == "pending"
    assert "awaits a manager's decision" in say(slack, REP, f"log {short_id} meeting")["text"]
    assert "no outcome" in say(slack, REP, f"undo {short_id}")["text"]


def test_the_rep_dm_gives_the_lead_id(slack: SlackHarness) -> None:
    short_id, _ = accepted(slack)
    assert short_id in slack.standin.messages(REP)[-1]["text"]
