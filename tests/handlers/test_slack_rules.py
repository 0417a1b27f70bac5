"""Changing the lead definition in Slack, through Slack's own protocol: `/lead rules`, the
propose modal, the proposal posted to marketing and the managers with its backtest in the
thread, Approve and Reject…, and every refusal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Baton
from bot.domain.definitions import rules_of
from bot.domain.proposals import Proposal, ProposalStatus
from bot.slack.ids import ActionId, ProposalRef
from storage.definitions import SqlRules
from storage.rows import LeadRow
from tests.fakes.slack import SlackHarness, button_value, has_buttons, slack_harness
from tests.handlers.test_slack_lead import say, shown

MARKETING, EMEA, AMERICAS = "C0MKTG0001", "C0EMEA0001", "C0AMEAST01"
MARKETER, OTHER_MARKETER = "U0MKTG0001", "U0MKTG0002"
MANAGER, APAC_MANAGER, REP = "U0EMEAMGR1", "U0APACMGR1", "U0EMEAREP2"
STRICTER = """lead_definition:
  min_score: 70
  required_fields: [email, company]
  source_rules:
    trade_show:
      min_score: null
      required_fields: [email, first_name, last_name, company]
"""


@pytest.fixture
def slack(baton: Baton) -> Iterator[SlackHarness]:
    baton.live_definition()  # stored as Baton starts serving
    with slack_harness(baton) as harness:
        yield harness


def text_input(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def propose_modal(slack: SlackHarness, user: str) -> dict[str, Any]:
    before = len(slack.standin.views_opened)
    assert slack.command(user, "rules propose", channel=MARKETING).status_code == 200
    return slack.opened_view(before)


def propose(
    slack: SlackHarness, user: str = MARKETER, rules: str = STRICTER, why: str = "Too many returns"
) -> Any:
    view = propose_modal(slack, user)
    values = {
        ActionId.RULES_TEXT_BLOCK: {ActionId.RULES_TEXT_INPUT: text_input(rules)},
        ActionId.RULES_WHY_BLOCK: {ActionId.RULES_WHY_INPUT: text_input(why)},
    }
    return slack.submit(user, view, values)


def proposed(slack: SlackHarness, user: str = MARKETER) -> str:
    """Propose the stricter rules and wait for Baton's answer; Slack gets the ack first."""
    before = len(slack.standin.ephemerals(user))
    assert propose(slack, user).status_code == 200
    return answer_to(slack, user, before)


def posted(slack: SlackHarness, channel: str) -> dict[str, Any]:
    """The proposal's post in `channel` (or a user's DMs), as it stands now."""
    [post] = [
        m
        for m in slack.standin.messages(channel)
        if ": proposal " in m["text"] and m.get("thread_ts") in (None, m["ts"])
    ]
    return post


def replies(slack: SlackHarness, channel: str) -> list[str]:
    post = posted(slack, channel)
    return [shown(m) for m in slack.standin.thread(channel, post["ts"])[1:]]


def answer_to(slack: SlackHarness, user: str, before: int) -> str:
    assert slack.standin.wait_for(lambda: len(slack.standin.ephemerals(user)) > before)
    return shown(slack.standin.ephemerals(user)[-1])


def click(slack: SlackHarness, user: str, label: str, channel: str = EMEA) -> str:
    """Click the proposal's button in `channel` as `user`; return what only they are shown."""
    action, value = button_value(posted(slack, channel), label)
    before = len(slack.standin.ephemerals(user))
    assert slack.click(user, action, value, channel).status_code == 200
    return answer_to(slack, user, before)


def click_ref(slack: SlackHarness, user: str, proposal: int) -> str:
    """Click Approve on a proposal's button as Slack would send it."""
    value = ProposalRef(proposal=proposal).dumps()
    before = len(slack.standin.ephemerals(user))
    assert slack.click(user, ActionId.RULES_APPROVE, value, EMEA).status_code == 200
    return answer_to(slack, user, before)


def proposal(slack: SlackHarness, number: int = 1) -> Proposal:
    found = slack.baton.rules_reader.proposals()
    return next(p for p in found if p.id == number)


def lead_in(slack: SlackHarness, email: str, score: int) -> tuple[str, int | None]:
    answer = slack.intake({"email": email, "company": "Acme", "country": "DE", "score": score})
    assert answer.status_code == 202
    with slack.baton.database.reading() as session:
        row = session.execute(
            select(LeadRow.status, LeadRow.definition_version).where(LeadRow.email == email)
        ).one()
    return row[0], row[1]


def test_marketings_proposal_approved_by_a_manager_decides_new_leads_from_then_on(
    slack: SlackHarness,
) -> None:
    assert lead_in(slack, "before@acme.example", 60) == ("pending", 1)
    view = propose_modal(slack, MARKETER)
    prefilled = view["blocks"][1]["element"]["initial_value"]
    assert prefilled.startswith("lead_definition:\n  min_score: 50\n")
    told = proposed(slack)
    assert "Proposal 1 is posted to marketing and the regional managers" in told
    slack.deliver_all()

    # Posted to marketing and to each region's channel, or its manager's DMs.
    for where in (MARKETING, EMEA, AMERICAS, APAC_MANAGER):
        post = posted(slack, where)
        assert post["text"].endswith(": proposal 1")
        assert "proposes a new lead definition" in shown(post)
        assert "minimum score: 50 → 70" in shown(post) and "Too many returns" in shown(post)
        assert "Waiting for a sales manager" in shown(post)
        assert has_buttons(post)
        [backtest] = replies(slack, where)
        assert "Raising the minimum score to 70 would have held back 1 of 1 leads" in backtest
    assert f"<@{MANAGER}>" in posted(slack, EMEA)["text"]

    answer = click(slack, MANAGER, "Approve")
    assert "Approved: proposal 1 is version 2, live from now." in answer
    slack.deliver_all()
    for where in (MARKETING, EMEA, APAC_MANAGER):
        post = posted(slack, where)
        assert not has_buttons(post) and "Live as version 2" in shown(post)
        assert f"<@{MANAGER}> approved it for sales: it is version 2" in replies(slack, where)[-1]

    assert lead_in(slack, "after@acme.example", 60) == ("nurture", 2)
    assert lead_in(slack, "strong@acme.example", 75) == ("pending", 2)
    with slack.baton.database.reading() as session:
        kept = session.execute(
            select(LeadRow.status, LeadRow.definition_version).where(
                LeadRow.email == "before@acme.example"
            )
        ).one()
    assert tuple(kept) == ("pending", 1)  # the earlier lead keeps the version that qualified it
    text = shown(say(slack, REP, "rules"))
    assert "Version 2" in text and "at least 70" in text and "version 1 from" in text
    # The report compares the versions: one lead qualified by version 1, two by version 2.
    report = shown(say(slack, MARKETER, "report definition"))
    assert "*By definition*" in report
    assert "*version 1* — 1 received · 100% sales-ready" in report
    assert "*version 2* — 2 received · 50% sales-ready" in report


def test_lead_rules_shows_the_live_version_and_the_proposal_waiting(slack: SlackHarness) -> None:
    text = shown(say(slack, REP, "rules"))
    assert "Version 1" in text and "proposed by the config file" in text
    assert "No change is waiting" in text
    proposed(slack)
    slack.deliver_all()
    text = shown(say(slack, REP, "rules"))
    assert "*Waiting for approval*" in text and "Proposal 1 by <@U0MKTG0001>" in text
    assert "waiting for a sales manager" in text


REFUSED_TO_PROPOSE = "Only marketing or a sales manager"


def test_a_rep_cannot_open_the_propose_modal(slack: SlackHarness) -> None:
    before = len(slack.standin.views_opened)
    answer = say(slack, REP, "rules propose", channel=MARKETING)
    assert REFUSED_TO_PROPOSE in shown(answer)
    assert len(slack.standin.views_opened) == before


@pytest.mark.parametrize(
    ("rules", "why", "block", "said"),
    [
        (
            "lead_definition:\n  min_score: 150\n  required_fields: [email]\n",
            "x",
            ActionId.RULES_TEXT_BLOCK,
            "lead_definition.min_score: input should be less than",
        ),
        ("lead_definition: [\n", "x", ActionId.RULES_TEXT_BLOCK, "invalid YAML"),
        ("min_score: 60\n", "x", ActionId.RULES_TEXT_BLOCK, "no lead_definition section"),
        (STRICTER, " ", ActionId.RULES_WHY_BLOCK, "Say why the definition should change"),
    ],
    ids=["score-out-of-range", "bad-yaml", "no-section", "no-why"],
)
def test_a_mistake_in_the_propose_modal_is_shown_under_its_input_and_nothing_is_stored(
    slack: SlackHarness, rules: str, why: str, block: str, said: str
) -> None:
    answer = propose(slack, rules=rules, why=why)
    assert answer.status_code == 200
    assert answer.json()["response_action"] == "errors"
    assert said in answer.json()["errors"][block]
    assert slack.baton.rules_reader.proposals() == []


def test_every_refusal_is_told_to_whoever_clicked_and_changes_nothing(
    slack: SlackHarness,
) -> None:
    proposed(slack)
    slack.deliver_all()
    # A stranger: neither marketing nor a sales manager.
    assert "Only marketing or a sales manager" in click(slack, REP, "Approve")
    # A second approval by the same side, and the proposer approving again.
    answer = click(slack, OTHER_MARKETER, "Approve", MARKETING)
    assert "Marketing approved proposal 1 already (<@U0MKTG0001>)" in answer
    assert "it now needs a sales manager's approval" in answer
    assert "You approved proposal 1 already" in click(slack, MARKETER, "Approve", MARKETING)
    # A second proposal while one is open.
    propose_before = len(slack.standin.ephemerals(OTHER_MARKETER))
    assert slack.command(OTHER_MARKETER, "rules propose", channel=MARKETING).status_code == 200
    assert "is still open: approve or reject it first" in answer_to(
        slack, OTHER_MARKETER, propose_before
    )
    assert proposal(slack).status is ProposalStatus.MARKETING_APPROVED
    assert [a.by for a in proposal(slack).approvals] == [MARKETER]

    click(slack, MANAGER, "Approve")
    # Approving a proposal that has ended.
    assert "Proposal 1 is already live, as version 2." in click_ref(slack, APAC_MANAGER, 1)
    assert slack.baton.rules_reader.live().number == 2  # type: ignore[union-attr]


def test_a_stale_proposal_cannot_be_approved(slack: SlackHarness, baton: Baton) -> None:
    proposed(slack)
    slack.deliver_all()
    # Another process stored a proposal against version 1 just as version 2 went live.
    stale = proposal(slack)
    click(slack, MANAGER, "Approve")
    with SqlRules(baton.database).changing() as rules:
        rules.add_proposal(
            Proposal(
                id=None,
                rules=rules_of(baton.config.lead_definition),
                why="back to how it was",
                proposed_by=OTHER_MARKETER,
                proposed_at=stale.proposed_at,
                base_version=1,
                status=ProposalStatus.PROPOSED,
            )
        )
    answer = click_ref(slack, MANAGER, 2)
    assert (
        "Proposal 2 was made against version 1, and version 2 is live now: it can no longer "
        "be approved." in answer
    )
    assert proposal(slack, 2).status is ProposalStatus.PROPOSED
    assert slack.baton.rules_reader.live().number == 2  # type: ignore[union-attr]


def test_reject_asks_for_a_reason_and_everyone_who_saw_the_proposal_is_told(
    slack: SlackHarness,
) -> None:
    proposed(slack)
    slack.deliver_all()
    # A stranger is refused before any modal opens.
    before = len(slack.standin.views_opened)
    assert "Only marketing or a sales manager" in click(slack, REP, "Reject…")
    assert len(slack.standin.views_opened) == before

    action, value = button_value(posted(slack, EMEA), "Reject…")
    view = slack.click_for_view(MANAGER, action, value, EMEA)
    empty = {ActionId.REASON_BLOCK: {ActionId.REASON_INPUT: text_input(" ")}}
    refused = slack.submit(MANAGER, view, empty).json()
    assert refused["response_action"] == "errors"
    assert "Say why you reject it" in refused["errors"][ActionId.REASON_BLOCK]
    assert proposal(slack).is_open

    told = len(slack.standin.ephemerals(MANAGER))
    reason = {ActionId.REASON_BLOCK: {ActionId.REASON_INPUT: text_input("Kills trade shows")}}
    assert slack.submit(MANAGER, view, reason).status_code == 200
    assert "Rejected proposal 1; everyone who saw it is told why." in answer_to(
        slack, MANAGER, told
    )
    slack.deliver_all()
    for where in (MARKETING, EMEA, AMERICAS, APAC_MANAGER):
        post = posted(slack, where)
        assert not has_buttons(post) and "Rejected by <@U0EMEAMGR1>" in shown(post)
        assert "rejected it" in replies(slack, where)[-1]
        assert "Kills trade shows" in replies(slack, where)[-1]
    assert proposal(slack).status is ProposalStatus.REJECTED
    # Approving it now is refused, and says why it ended.
    assert "Proposal 1 was rejected by <@U0EMEAMGR1>: Kills trade shows" in click_ref(
        slack, MARKETER, 1
    )
    assert slack.baton.rules_reader.live().number == 1  # type: ignore[union-attr]


def test_a_form_slack_sends_twice_proposes_and_rejects_once(slack: SlackHarness) -> None:
    view = propose_modal(slack, MARKETER)
    values = {
        ActionId.RULES_TEXT_BLOCK: {ActionId.RULES_TEXT_INPUT: text_input(STRICTER)},
        ActionId.RULES_WHY_BLOCK: {ActionId.RULES_WHY_INPUT: text_input("Too many returns")},
    }
    assert slack.submit(MARKETER, view, values).status_code == 200
    answer_to(slack, MARKETER, 0)
    assert slack.submit(MARKETER, view, values).status_code == 200
    slack.deliver_all()
    assert len(slack.baton.rules_reader.proposals()) == 1
    # Not told it is "still open": the second form is known for the same one.
    assert not slack.standin.wait_for(lambda: len(slack.standin.ephemerals(MARKETER)) > 1, 1.0)

    action, value = button_value(posted(slack, EMEA), "Reject…")
    reject = slack.click_for_view(MANAGER, action, value, EMEA)
    reason = {ActionId.REASON_BLOCK: {ActionId.REASON_INPUT: text_input("Not now")}}
    assert slack.submit(MANAGER, reject, reason).status_code == 200
    answer_to(slack, MANAGER, 0)
    assert slack.submit(MANAGER, reject, reason).status_code == 200
    slack.deliver_all()
    assert proposal(slack).status is ProposalStatus.REJECTED
    # Not told that it "was rejected" already.
    assert not slack.standin.wait_for(lambda: len(slack.standin.ephemerals(MANAGER)) > 1, 1.0)
    assert sum("rejected it" in reply for reply in replies(slack, EMEA)) == 1
