"""HubSpot in: signed webhooks to the running app, contacts taken in as leads, deals closing
the loop, every failure; against the HubSpot and Slack stand-ins and a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.app import Baton
from bot.domain.report_data import report_json
from bot.report_output import as_table
from bot.services.report import ReportQuery, closed_loop_report
from storage.rows import CrmLinkRow, EventRow, LeadRow, OutboxRow
from tests.fakes.crm import CLIENT_SECRET, HubSpotHarness, contact_event, hubspot_harness
from tests.fakes.slack import button_value
from tests.handlers.test_intake_live_definition import raise_min_score
from tests.handlers.test_slack_handoff import EMEA, MANAGER, REP, TRIAGE, accept

JANE = {
    "email": "jane@acme.example",
    "firstname": "Jane",
    "lastname": "Doe",
    "company": "Acme GmbH",
    "jobtitle": "CTO",
    "country": "DE",
    "hubspotscore": "80",
    "hs_analytics_source": "OFFLINE",
}


@pytest.fixture
def crm(baton: Baton) -> Iterator[HubSpotHarness]:
    with hubspot_harness(baton) as harness:
        yield harness


def sales_ready_contact(crm: HubSpotHarness, **changes: str) -> str:
    return crm.hubspot.add_contact(**(JANE | {"lifecyclestage": "salesqualifiedlead"} | changes))


def turned_sales_ready(crm: HubSpotHarness, contact_id: str, event_id: int = 1) -> None:
    answer = crm.post_events([contact_event(event_id, contact_id, at=crm.clock.now())])
    assert answer.status_code == 200, answer.text


def lead_row(crm: HubSpotHarness, contact_id: str) -> LeadRow:
    with crm.baton.database.reading() as session:
        return session.scalars(select(LeadRow).where(LeadRow.external_id == contact_id)).one()


def handoffs(crm: HubSpotHarness) -> list[dict]:
    return [m for m in crm.slack.standin.messages(EMEA) if not m.get("thread_ts")]


def test_a_contact_turned_sales_ready_reaches_its_manager_in_slack(crm: HubSpotHarness) -> None:
    contact_id = sales_ready_contact(crm)
    turned_sales_ready(crm, contact_id)
    crm.settle()
    lead = lead_row(crm, contact_id)
    assert (lead.status, lead.region, lead.email) == ("pending", "emea", "jane@acme.example")
    [message] = handoffs(crm)
    assert f"<@{MANAGER}>" in message["text"] and lead.short_id in message["text"]
    button_value(message, "Accept")
    assert crm.count(CrmLinkRow, CrmLinkRow.record_id == contact_id) == 1


def test_the_webhook_answers_before_hubspot_is_read(crm: HubSpotHarness) -> None:
    contact_id = sales_ready_contact(crm)
    turned_sales_ready(crm, contact_id)
    assert crm.hubspot.calls_to("contacts.read") == []
    assert [row.state for row in crm.crm_rows()] == ["pending"]


def test_the_same_event_twice_changes_nothing(crm: HubSpotHarness) -> None:
    contact_id = sales_ready_contact(crm)
    turned_sales_ready(crm, contact_id)
    crm.settle()
    crm.clock.advance(seconds=90)
    event = contact_event(1, contact_id, at=crm.clock.now() - timedelta(seconds=90))
    assert crm.post_events([event]).status_code == 200  # HubSpot's retry, signed anew
    crm.settle()
    assert len(crm.hubspot.calls_to("contacts.read")) == 1
    assert crm.count(LeadRow) == 1 and len(handoffs(crm)) == 1


def test_a_contact_not_sales_ready_is_left_alone(crm: HubSpotHarness) -> None:
    contact_id = crm.hubspot.add_contact(**(JANE | {"lifecyclestage": "lead"}))
    event = contact_event(7, contact_id, at=crm.clock.now(), kind="contact.creation")
    assert crm.post_events([event]).status_code == 200
    crm.settle()
    assert crm.count(LeadRow) == 0
    assert [row.state for row in crm.crm_rows()] == ["sent"]


def test_changes_that_cannot_make_a_lead_are_not_even_stored(crm: HubSpotHarness) -> None:
    contact_id = sales_ready_contact(crm)
    events = [
        contact_event(1, contact_id, at=crm.clock.now(), name="phone", value="+49 30 1234"),
        contact_event(2, contact_id, at=crm.clock.now(), value="marketingqualifiedlead"),
    ]
    answer = crm.post_events(events)
    assert answer.json() == {"received": 2, "stored": 0}
    assert crm.crm_rows() == []


def test_a_request_older_than_five_minutes_is_refused_and_nothing_stored(
    crm: HubSpotHarness,
) -> None:
    contact_id = sales_ready_contact(crm)
    old = crm.clock.now() - timedelta(minutes=5, seconds=1)
    answer = crm.post_events([contact_event(1, contact_id, at=old)], signed_at=old)
    assert answer.status_code == 401
    assert "older than five minutes" in answer.json()["error"]
    assert crm.crm_rows() == []


@pytest.mark.parametrize(
    ("secret", "uri"),
    [("another-secret", None), (CLIENT_SECRET, "https://elsewhere.example/crm/hubspot/webhook")],
)
def test_a_request_hubspot_did_not_sign_for_this_url_is_refused(
    crm: HubSpotHarness, secret: str, uri: str | None
) -> None:
    contact_id = sales_ready_contact(crm)
    event = contact_event(1, contact_id, at=crm.clock.now())
    answer = crm.post_events([event], secret=secret, uri=uri)
    assert (answer.status_code, answer.json()) == (401, {"error": "the signature does not match"})
    assert crm.crm_rows() == []


def test_only_the_v3_signature_is_accepted(crm: HubSpotHarness) -> None:
    answer = crm.slack.http.post(
        "/crm/hubspot/webhook",
        content=b"[]",
        headers={"X-HubSpot-Signature": "abc", "X-HubSpot-Signature-Version": "v2"},
    )
    assert (answer.status_code, answer.json()) == (
        401,
        {"error": "no X-HubSpot-Signature-v3 header"},
    )


def test_behind_a_proxy_the_signature_is_over_the_public_url(crm: HubSpotHarness) -> None:
    public = "https://baton.example.com"
    crm.baton.settings = crm.baton.settings.model_copy(update={"baton_public_url": public})
    contact_id = sales_ready_contact(crm)
    event = contact_event(1, contact_id, at=crm.clock.now())
    assert crm.post_events([event]).status_code == 401  # signed over the URL Baton sees
    answer = crm.post_events([event], uri=f"{public}/crm/hubspot/webhook")
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"eventId": 1}, "the body is not a list of events"),
        ([{"eventId": 1, "objectId": 5}], "event [0] lacks a valid 'subscriptionType'"),
        ("[", "the body is not valid JSON"),
    ],
)
def test_a_signed_body_that_is_not_a_batch_of_events_is_refused(
    crm: HubSpotHarness, body: object, error: str
) -> None:
    import json

    from baton_devkit.hubspot_standin import sign_webhook

    text = body if isinstance(body, str) else json.dumps(body)
    headers = sign_webhook(
        secret=CLIENT_SECRET,
        method="POST",
        uri=f"{crm.slack.url}/crm/hubspot/webhook",
        body=text,
        timestamp_ms=int(crm.clock.now().timestamp() * 1000),
    )
    answer = crm.slack.http.post("/crm/hubspot/webhook", content=text, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(error)
    assert crm.crm_rows() == []


def test_a_body_over_one_mebibyte_is_refused_declared_or_streamed(
    crm: HubSpotHarness,
) -> None:
    events = [contact_event(n, str(n), at=crm.clock.now()) for n in range(1, 8000)]
    declared = crm.post_events(events)
    assert declared.status_code == 413
    assert declared.json()["error"] == "the body is larger than 1 MiB"

    def streamed() -> Iterator[bytes]:  # chunked: no length declared up front
        yield b"["
        for _ in range(2048):
            yield b"{}," * 342
        yield b"{}]"

    chunked = crm.slack.http.post("/crm/hubspot/webhook", content=streamed())
    assert chunked.status_code == 413
    assert crm.crm_rows() == []


def test_without_the_client_secret_the_webhook_says_what_to_set(crm: HubSpotHarness) -> None:
    crm.baton.settings = crm.baton.settings.model_copy(update={"hubspot_client_secret": None})
    answer = crm.post_events([])
    assert answer.status_code == 503
    assert "HUBSPOT_CLIENT_SECRET" in answer.json()["error"]


def test_without_a_crm_section_there_is_no_hubspot_webhook(crm: HubSpotHarness) -> None:
    crm.baton.config = crm.baton.config.model_copy(update={"crm": None})
    assert crm.post_events([]).status_code == 404


def test_hubspot_rate_limiting_is_waited_out_as_it_asks(crm: HubSpotHarness) -> None:
    contact_id = sales_ready_contact(crm)
    crm.hubspot.fail("contacts.read", status=429, times=1, retry_after=7)
    turned_sales_ready(crm, contact_id)
    crm.work()
    [row] = crm.crm_rows()
    assert row.state == "pending" and "429" in (row.last_error or "")
    assert row.available_at == crm.clock.now() + timedelta(seconds=7)
    crm.clock.advance(seconds=7)
    crm.settle()
    assert lead_row(crm, contact_id).status == "pending"
    assert len(handoffs(crm)) == 1


def test_a_hubspot_outage_keeps_the_event_until_hubspot_answers(crm: HubSpotHarness) -> None:
    contact_id = sales_ready_contact(crm)
    crm.hubspot.fail("contacts.read", status=500, times=2)
    turned_sales_ready(crm, contact_id)
    for _ in range(3):
        crm.work()
        crm.clock.advance(seconds=5)
    crm.settle()
    assert len(crm.hubspot.calls_to("contacts.read")) == 3
    assert len(handoffs(crm)) == 1


def test_a_deleted_contact_is_told_once_in_triage_with_what_to_do(crm: HubSpotHarness) -> None:
    first, second = sales_ready_contact(crm), sales_ready_contact(crm, email="jo@acme.example")
    crm.hubspot.delete("contacts", first)
    crm.hubspot.delete("contacts", second)
    answer = crm.post_events(
        [contact_event(1, first, at=crm.clock.now()), contact_event(2, second, at=crm.clock.now())]
    )
    assert answer.status_code == 200
    crm.settle()
    assert {row.state for row in crm.crm_rows()} == {"blocked"}
    notices = crm.slack.standin.messages(TRIAGE)
    assert len(notices) == 2  # one for each contact: each is its own thing to restore
    assert "no longer exists" in notices[0]["text"] + str(notices[0]["blocks"])
    crm.clock.advance(minutes=6)
    crm.settle()
    assert len(crm.slack.standin.messages(TRIAGE)) == 2


def test_a_closed_won_deal_closes_the_accepted_lead_with_its_amount(
    crm: HubSpotHarness,
) -> None:
    contact_id = sales_ready_contact(crm)
    turned_sales_ready(crm, contact_id)
    crm.settle()
    accept(crm.slack, handoffs(crm)[0])
    crm.slack.wait_until(lambda: lead_row(crm, contact_id).status == "accepted")
    crm.settle()
    deal_id = crm.hubspot.add_deal(
        contacts=[contact_id], dealname="Acme platform", dealstage="closedwon", amount="12500"
    )
    event = contact_event(9, deal_id, at=crm.clock.now(), kind="deal.creation")
    assert crm.post_events([event]).status_code == 200
    crm.settle()
    lead = lead_row(crm, contact_id)
    assert lead.status == "won"
    with crm.baton.database.reading() as session:
        [won] = session.scalars(
            select(EventRow).where(EventRow.lead_id == lead.id, EventRow.kind == "outcome")
        ).all()
    assert (won.actor, won.reason_code, won.amount) == ("crm", "won", Decimal("12500.00"))
    assert won.data["deal_id"] == deal_id and won.data["source"] == "crm"
    thread = crm.slack.standin.thread(EMEA, handoffs(crm)[0]["ts"])
    assert any("won" in (m["text"] + str(m.get("blocks"))).lower() for m in thread[1:])
    # The same deal again (HubSpot's retry of another event about it) changes nothing.
    change = contact_event(10, deal_id, at=crm.clock.now(), name="amount", value="12500")
    crm.post_events([change | {"subscriptionType": "deal.propertyChange"}])
    crm.settle()
    assert crm.count(EventRow, EventRow.actor == "crm") == 1


def test_a_deal_on_a_lead_no_rep_has_accepted_waits_and_is_recorded_when_one_does(
    crm: HubSpotHarness,
) -> None:
    contact_id = sales_ready_contact(crm)
    turned_sales_ready(crm, contact_id)
    crm.settle()
    deal_id = crm.hubspot.add_deal(contacts=[contact_id], dealstage="qualifiedtobuy")
    crm.post_events([contact_event(3, deal_id, at=crm.clock.now(), kind="deal.creation")])
    crm.settle()
    assert lead_row(crm, contact_id).status == "pending"
    assert crm.count(EventRow, EventRow.actor == "crm") == 0
    assert crm.count(OutboxRow, OutboxRow.state == "blocked") == 0
    # The deal closes in the CRM before the manager gets to the lead.
    crm.hubspot.change("deals", deal_id, dealstage="closedwon", amount="8000")
    crm.post_events([contact_event(4, deal_id, at=crm.clock.now(), kind="deal.creation")])
    crm.settle()
    assert crm.count(EventRow, EventRow.actor == "crm") == 0

    accept(crm.slack, handoffs(crm)[0])
    crm.slack.wait_until(lambda: lead_row(crm, contact_id).status == "won")
    crm.settle()
    lead = lead_row(crm, contact_id)
    with crm.baton.database.reading() as session:
        kinds = session.scalars(
            select(EventRow.kind).where(EventRow.lead_id == lead.id).order_by(EventRow.id)
        ).all()
        [won] = session.scalars(select(EventRow).where(EventRow.actor == "crm")).all()
    assert kinds[-2:] == ["accepted", "outcome"]
    assert (won.reason_code, won.amount) == ("won", Decimal("8000.00"))
    thread = crm.slack.standin.thread(EMEA, handoffs(crm)[0]["ts"])
    assert any("won" in (m["text"] + str(m.get("blocks"))).lower() for m in thread[1:])
    # Told again, the deal is not recorded twice.
    crm.post_events([contact_event(5, deal_id, at=crm.clock.now(), kind="deal.creation")])
    crm.settle()
    assert crm.count(EventRow, EventRow.actor == "crm") == 1


def test_the_reps_won_and_the_crms_closed_won_deal_count_once_in_the_report(
    crm: HubSpotHarness,
) -> None:
    contact_id = sales_ready_contact(crm)
    typed_only = sales_ready_contact(crm, email="jo@acme.example")
    turned_sales_ready(crm, contact_id)
    turned_sales_ready(crm, typed_only, event_id=2)
    crm.settle()
    for message in handoffs(crm):
        accept(crm.slack, message)
    crm.slack.wait_until(lambda: lead_row(crm, typed_only).status == "accepted")
    crm.slack.wait_until(lambda: lead_row(crm, contact_id).status == "accepted")
    for record, amount in ((contact_id, "9000"), (typed_only, "5000")):
        short_id = lead_row(crm, record).short_id
        crm.slack.command(REP, f"log {short_id} won {amount}", channel=EMEA)
        crm.slack.wait_until(lambda record=record: lead_row(crm, record).status == "won")
    deal_id = crm.hubspot.add_deal(contacts=[contact_id], dealstage="closedwon", amount="12500")
    crm.post_events([contact_event(9, deal_id, at=crm.clock.now(), kind="deal.creation")])
    crm.settle()
    report = closed_loop_report(
        ReportQuery(), reader=crm.baton.report_reader, config=crm.baton.config, clock=crm.clock
    )
    total = report_json(report)["total"]
    assert (total["leads"]["received"], total["leads"]["won"]) == (2, 2)
    assert total["revenue"] == total["revenue"] | {
        "won": "17500.00",
        "won_from_crm": "12500.00",
        "won_typed_by_reps": "5000.00",
    }
    # The rep's typed amount is kept in the lead's events.
    with crm.baton.database.reading() as session:
        typed = session.scalars(
            select(EventRow.amount).where(EventRow.kind == "outcome", EventRow.actor == REP)
        ).all()
    assert sorted(typed) == [Decimal("5000.00"), Decimal("9000.00")]
    table = as_table(report)
    assert "of it CRM" in table and "12,500" in table


def test_a_contact_is_qualified_by_the_version_live_when_it_is_taken_in(
    crm: HubSpotHarness,
) -> None:
    first = sales_ready_contact(crm)
    turned_sales_ready(crm, first)
    crm.settle()
    assert (lead_row(crm, first).status, lead_row(crm, first).definition_version) == ("pending", 1)

    raise_min_score(crm.baton, 90)  # approved while the CRM worker runs
    second = sales_ready_contact(crm, email="john@acme.example")
    turned_sales_ready(crm, second, event_id=2)
    crm.settle()
    lead = lead_row(crm, second)
    assert (lead.status, lead.definition_version) == ("nurture", 2)
