"""HubSpot out: Baton's decisions written to the contact through the outbox, once each, with
HubSpot's limits honoured and what a person must fix told once in triage."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.admin import list_leads
from bot.app import Baton
from bot.jobs.passes import run_job
from bot.services.reassign import reassign_lead
from bot.services.touch import log_touch
from storage.rows import OutboxRow
from tests.fakes.crm import HubSpotHarness, hubspot_harness
from tests.fakes.slack import button_value
from tests.handlers.test_crm_hubspot_in import (
    handoffs,
    lead_row,
    sales_ready_contact,
    turned_sales_ready,
)
from tests.handlers.test_slack_handoff import EMEA, MANAGER, REP, TRIAGE, accept

REP_EMAIL = "person.u0emearep2@example.com"  # the Slack stand-in's email for the rep
MARKETING_OWNER = "mia@acme.example"


@pytest.fixture
def crm(baton: Baton) -> Iterator[HubSpotHarness]:
    with hubspot_harness(baton, marketing_owner=MARKETING_OWNER) as harness:
        yield harness


def accepted_lead(crm: HubSpotHarness) -> tuple[str, str]:
    """A contact taken in and accepted for the rep in Slack: (contact id, lead id)."""
    contact_id = sales_ready_contact(crm)
    turned_sales_ready(crm, contact_id)
    crm.settle()
    accept(crm.slack, handoffs(crm)[0])
    crm.slack.wait_until(lambda: lead_row(crm, contact_id).status == "accepted")
    return contact_id, lead_row(crm, contact_id).short_id


def notes(crm: HubSpotHarness, contact_id: str) -> list[str]:
    return [n["hs_note_body"] for n in crm.hubspot.written("notes", contact_id)]


def test_accepting_sets_the_contacts_owner_and_status_and_writes_the_managers_note(
    crm: HubSpotHarness,
) -> None:
    owner = crm.hubspot.add_owner(REP_EMAIL, "Rita", "Rep")
    contact_id, short_id = accepted_lead(crm)
    crm.settle()
    contact = crm.hubspot.properties_of("contacts", contact_id)
    assert (contact["hubspot_owner_id"], contact["hs_lead_status"]) == (owner, "IN_PROGRESS")
    [note] = notes(crm, contact_id)
    assert "Big account; call Jane" in note
    assert "follow up by phone" in note and "2026-11-27" in note and short_id in note
    [written] = crm.hubspot.written("notes", contact_id)
    assert written["hubspot_owner_id"] == owner


def test_a_rep_with_no_hubspot_user_is_told_once_in_triage_and_in_leads_list(
    crm: HubSpotHarness,
) -> None:
    contact_id, short_id = accepted_lead(crm)
    crm.settle()
    [notice] = crm.slack.standin.messages(TRIAGE)
    text = notice["text"] + str(notice["blocks"])
    assert f"no HubSpot user has the email {REP_EMAIL}" in text
    assert f"add {REP_EMAIL} as a HubSpot user" in text
    assert len(crm.crm_rows("blocked")) == 1
    listed = list_leads(crm.baton, status=None, limit=10)
    line = next(line for line in listed.splitlines() if short_id in line)
    assert "CRM: 1 waiting" in line and f"add {REP_EMAIL} as a HubSpot user" in line
    # Fixed in HubSpot: the next try (5 minutes on) goes through, and nobody is told again.
    owner = crm.hubspot.add_owner(REP_EMAIL, "Rita", "Rep")
    crm.clock.advance(minutes=6)
    crm.settle()
    assert crm.hubspot.properties_of("contacts", contact_id)["hubspot_owner_id"] == owner
    assert len(notes(crm, contact_id)) == 1
    assert len(crm.slack.standin.messages(TRIAGE)) == 1
    assert "CRM" not in list_leads(crm.baton, status=None, limit=10)


def test_hubspots_rate_limit_is_honoured_and_nothing_is_written_twice(
    crm: HubSpotHarness,
) -> None:
    crm.hubspot.add_owner(REP_EMAIL, "Rita", "Rep")
    crm.hubspot.fail("notes.create", status=429, times=1, retry_after=9)
    contact_id, _ = accepted_lead(crm)
    crm.work()
    [row] = crm.crm_rows("pending")
    assert row.available_at == crm.clock.now() + timedelta(seconds=9)
    crm.slack.deliver_all()
    assert notes(crm, contact_id) == []
    crm.clock.advance(seconds=9)
    crm.settle()
    assert len(notes(crm, contact_id)) == 1


def test_a_note_whose_answer_was_lost_is_found_not_written_again(crm: HubSpotHarness) -> None:
    crm.hubspot.add_owner(REP_EMAIL, "Rita", "Rep")
    contact_id, _ = accepted_lead(crm)
    crm.hubspot.set_latency(1.5, "notes.create")  # longer than Baton waits for an answer
    crm.settle()
    assert crm.hubspot.wait_for(lambda: len(notes(crm, contact_id)) == 1)
    crm.hubspot.set_latency(0.0, "notes.create")
    [row] = crm.crm_rows("pending")
    assert "did not answer" in (row.last_error or "")
    crm.clock.advance(seconds=5)
    crm.settle()
    assert len(notes(crm, contact_id)) == 1
    assert {row.state for row in crm.crm_rows()} == {"sent"}


def test_an_expired_token_is_told_once_with_what_to_do(crm: HubSpotHarness) -> None:
    crm.hubspot.add_owner(REP_EMAIL, "Rita", "Rep")
    accepted_lead(crm)
    crm.hubspot.refuse_token()
    crm.settle()
    [notice] = crm.slack.standin.messages(TRIAGE)
    assert "HUBSPOT_ACCESS_TOKEN" in notice["text"] + str(notice["blocks"])
    assert crm.count(OutboxRow, OutboxRow.state == "blocked") == 1


def test_each_outcome_a_rep_logs_becomes_an_activity_on_the_contact(
    crm: HubSpotHarness,
) -> None:
    crm.hubspot.add_owner(REP_EMAIL, "Rita", "Rep")
    contact_id, short_id = accepted_lead(crm)
    crm.settle()
    answer = crm.slack.command(REP, f"log {short_id} meeting demo booked", channel=EMEA)
    assert answer.status_code == 200
    crm.slack.wait_until(lambda: lead_row(crm, contact_id).status == "meeting")
    crm.settle()
    activity = notes(crm, contact_id)[-1]
    assert "Meeting" in activity and "demo booked" in activity and short_id in activity


def test_a_return_sets_the_configured_status_and_writes_the_reason(crm: HubSpotHarness) -> None:
    contact_id = sales_ready_contact(crm)
    turned_sales_ready(crm, contact_id)
    crm.settle()
    from bot.slack.ids import ActionId

    action, value = button_value(handoffs(crm)[0], "Return")
    view = crm.slack.click_for_view(MANAGER, action, value, EMEA)
    reason = {"type": "static_select", "selected_option": {"value": "not_a_fit"}}
    values = {
        ActionId.REASON_BLOCK: {ActionId.REASON_INPUT: reason},
        ActionId.NOTES_BLOCK: {
            ActionId.NOTES_INPUT: {"type": "plain_text_input", "value": "student, no budget"}
        },
    }
    crm.slack.submit(MANAGER, view, values)
    crm.slack.wait_until(lambda: lead_row(crm, contact_id).status == "returned")
    crm.settle()
    assert crm.hubspot.properties_of("contacts", contact_id)["hs_lead_status"] == "UNQUALIFIED"
    [note] = notes(crm, contact_id)
    assert "Not a fit" in note and "student, no budget" in note


def test_a_leak_and_a_touch_become_tasks_for_marketings_owner(crm: HubSpotHarness) -> None:
    crm.hubspot.add_owner(REP_EMAIL, "Rita", "Rep")
    mia = crm.hubspot.add_owner(MARKETING_OWNER, "Mia", "Marketing")
    contact_id, short_id = accepted_lead(crm)
    crm.settle()
    result = run_job(crm.baton, "leakage", now=crm.clock.now() + timedelta(days=15))
    assert result.fired == {"leakage": 1}, result.summary()
    crm.settle()
    [task] = crm.hubspot.written("tasks", contact_id)
    assert task["hubspot_owner_id"] == mia and task["hs_task_status"] == "NOT_STARTED"
    assert short_id in task["hs_task_subject"]
    log_touch(
        short_id,
        actor="U0MKTG0001",
        by=None,
        reached=True,
        notes="Spoke to Jane: budget next quarter",
        request_key=None,
        uow_factory=crm.baton.uow_factory,
        config=crm.baton.config,
        clock=crm.clock,
    )
    crm.settle()
    touch = crm.hubspot.written("tasks", contact_id)[-1]
    assert touch["hs_task_status"] == "COMPLETED" and touch["hubspot_owner_id"] == mia
    assert "budget next quarter" in touch["hs_task_body"]


def test_a_lead_that_did_not_come_from_the_crm_writes_nothing_to_it(
    crm: HubSpotHarness,
) -> None:
    crm.hubspot.add_owner(REP_EMAIL, "Rita", "Rep")
    crm.slack.intake(
        {"email": "sam@globex.example", "company": "Globex", "country": "DE", "score": 90}
    )
    crm.slack.deliver_all()
    accept(crm.slack, handoffs(crm)[0])
    crm.slack.wait_until(lambda: crm.count(OutboxRow, OutboxRow.kind == "rep_dm") == 1)
    crm.settle()
    assert crm.crm_rows() == []
    assert crm.hubspot.calls == []


def test_a_reassignment_makes_the_new_rep_the_owner(crm: HubSpotHarness) -> None:
    crm.hubspot.add_owner(REP_EMAIL, "Rita", "Rep")
    other = crm.hubspot.add_owner("person.u0emearep1@example.com", "Otto", "Other")
    contact_id, short_id = accepted_lead(crm)
    crm.settle()
    reassign_lead(
        short_id,
        actor=MANAGER,
        rep_id="U0EMEAREP1",
        note="Rita is on leave",
        request_key=None,
        uow_factory=crm.baton.uow_factory,
        config=crm.baton.config,
        clock=crm.clock,
    )
    crm.settle()
    assert crm.hubspot.properties_of("contacts", contact_id)["hubspot_owner_id"] == other
    assert "Reassigned to Otto Other" in notes(crm, contact_id)[-1]
    assert "Rita is on leave" in notes(crm, contact_id)[-1]


def test_a_missing_permission_is_told_once_with_the_scope_to_add(crm: HubSpotHarness) -> None:
    crm.hubspot.add_owner(REP_EMAIL, "Rita", "Rep")
    crm.hubspot.remove_scope("crm.objects.contacts.write")
    accepted_lead(crm)
    crm.settle()
    [notice] = crm.slack.standin.messages(TRIAGE)
    text = notice["text"] + str(notice["blocks"])
    assert "give Baton's HubSpot app crm.objects.contacts.write" in text


def test_healthz_and_metrics_show_the_crms_backlog_and_errors(crm: HubSpotHarness) -> None:
    accepted_lead(crm)  # the rep has no HubSpot user: the work is held back
    crm.settle()
    health = crm.slack.http.get("/healthz").json()
    assert health["crm"]["backlog"] == {"blocked": 1}
    assert "no HubSpot user has the email" in health["crm"]["stuck"][0]["error"]
    assert health["slack"]["undelivered"] == 0
    metrics = crm.slack.http.get("/metrics").text
    assert 'baton_crm_backlog{state="blocked"} 1.0' in metrics
    assert "baton_crm_errors 1.0" in metrics
