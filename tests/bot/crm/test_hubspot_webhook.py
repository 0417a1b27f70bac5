import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from baton_devkit.hubspot_standin import sign_webhook

from bot.crm.hubspot_webhook import (
    WebhookRefused,
    called_url,
    parse_events,
    signed_uri,
    verify_signature_v3,
)

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
URL = "https://baton.example.com/crm/hubspot/webhook"
EVENTS = [
    {
        "eventId": 1,
        "subscriptionId": 12345,
        "portalId": 62515,
        "appId": 54321,
        "occurredAt": 1795426200000,
        "subscriptionType": "contact.propertyChange",
        "attemptNumber": 0,
        "objectId": 123,
        "changeSource": "CRM",
        "propertyName": "lifecyclestage",
        "propertyValue": "salesqualifiedlead",
    },
    {
        "eventId": 2,
        "subscriptionId": 12346,
        "portalId": 62515,
        "appId": 54321,
        "occurredAt": 1795426201000,
        "subscriptionType": "deal.creation",
        "attemptNumber": 0,
        "objectId": 456,
        "changeFlag": "CREATED",
        "changeSource": "CRM",
    },
]
BODY = json.dumps(EVENTS).encode()


def millis(at: datetime) -> str:
    return str(int(at.timestamp() * 1000))


def hubspot_signature(
    method: str, uri: str, body: bytes, timestamp: str, secret: str = SECRET
) -> str:
    """Sign as HubSpot's docs say: HMAC-SHA256 of method + URI + body + timestamp, base64."""
    source = (method + uri + body.decode("utf-8") + timestamp).encode("utf-8")
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def verify(*, url=URL, body=BODY, method="POST", signature=None, timestamp=None, now=NOW):
    timestamp = millis(NOW) if timestamp is None else timestamp
    if signature is None:
        signature = hubspot_signature("POST", URL, BODY, timestamp)
    verify_signature_v3(
        secret=SECRET,
        method=method,
        url=url,
        body=body,
        signature=signature,
        timestamp=timestamp,
        now=now,
    )


def refusal(**request) -> str:
    with pytest.raises(WebhookRefused) as raised:
        verify(**request)
    return str(raised.value)


def test_a_request_signed_as_hubspot_signs_is_accepted() -> None:
    verify()


def test_the_development_kit_signs_as_hubspot_does() -> None:
    headers = sign_webhook(
        secret=SECRET, method="POST", uri=URL, body=BODY, timestamp_ms=int(millis(NOW))
    )

    assert headers["X-HubSpot-Signature-v3"] == hubspot_signature("POST", URL, BODY, millis(NOW))
    verify(
        signature=headers["X-HubSpot-Signature-v3"],
        timestamp=headers["X-HubSpot-Request-Timestamp"],
    )


def test_the_listed_escapes_are_read_decoded_as_hubspot_signs_them() -> None:
    plain = URL + "?portal=62515&at=2026-11-23T09:30&who=ana@acme.example&tags=(a,b);c!*$'"
    sent = (
        URL + "?portal=62515&at=2026-11-23T09%3A30&who=ana%40acme.example"
        "&tags=%28a%2cb%29%3Bc%21%2A%24%27"
    )
    signature = hubspot_signature("POST", plain, BODY, millis(NOW))

    assert signed_uri(sent) == plain
    verify(url=sent, signature=signature)


def test_other_escapes_stay_as_they_were_sent() -> None:
    sent = URL + "?name=Jane%20Doe&and=%26"
    signature = hubspot_signature("POST", sent, BODY, millis(NOW))

    assert signed_uri(sent) == sent
    verify(url=sent, signature=signature)


def test_behind_a_proxy_the_public_url_is_what_hubspot_signed() -> None:
    seen = "http://10.0.0.7:3000/crm/hubspot/webhook?portal=62515"

    called = called_url(seen, "https://baton.example.com/")

    assert called == "https://baton.example.com/crm/hubspot/webhook?portal=62515"
    assert called_url(seen, None) == seen
    signature = hubspot_signature("POST", called, BODY, millis(NOW))
    verify(url=called, signature=signature)
    assert refusal(url=seen, signature=signature) == "the signature does not match"


@pytest.mark.parametrize(
    "request_change",
    [
        {"body": BODY.replace(b"salesqualifiedlead", b"customer")},
        {"url": URL + "?x=1"},
        {"method": "PUT"},
        {"signature": hubspot_signature("POST", URL, BODY, millis(NOW), secret="another-secret")},
        {
            "timestamp": millis(NOW - timedelta(seconds=1)),
            "signature": hubspot_signature("POST", URL, BODY, millis(NOW)),
        },
        {"signature": "not base64!"},
        {"body": b"\xff\xfe not utf-8"},
    ],
    ids=["tampered body", "other url", "other method", "wrong secret", "other timestamp",
         "garbage signature", "body not utf-8"],
)  # fmt: skip
def test_anything_changed_after_signing_is_refused(request_change) -> None:
    assert refusal(**request_change) == "the signature does not match"


def test_a_request_older_than_five_minutes_is_refused_even_when_signed() -> None:
    sent = NOW - timedelta(minutes=5, seconds=1)
    timestamp = millis(sent)
    signature = hubspot_signature("POST", URL, BODY, timestamp)

    reason = refusal(signature=signature, timestamp=timestamp)

    assert reason == "the request is older than five minutes"


def test_a_request_just_inside_five_minutes_is_accepted() -> None:
    timestamp = millis(NOW - timedelta(minutes=4, seconds=59))

    verify(signature=hubspot_signature("POST", URL, BODY, timestamp), timestamp=timestamp)


@pytest.mark.parametrize(
    ("signature", "timestamp", "reason"),
    [
        ("", None, "no X-HubSpot-Signature-v3 header"),
        (None, "", "no valid X-HubSpot-Request-Timestamp header"),
        (None, "yesterday", "no valid X-HubSpot-Request-Timestamp header"),
        (None, "9" * 40, "no valid X-HubSpot-Request-Timestamp header"),
    ],
)
def test_missing_or_broken_headers_are_refused(signature, timestamp, reason) -> None:
    assert refusal(signature=signature, timestamp=timestamp) == reason


def test_a_batch_of_events_is_read() -> None:
    change, deal = parse_events(BODY)

    assert (change.subscription_type, change.object_type, change.object_id) == (
        "contact.propertyChange",
        "contact",
        "123",
    )
    assert (change.property_name, change.property_value) == ("lifecyclestage", "salesqualifiedlead")
    assert change.occurred_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert (deal.object_type, deal.property_name, deal.property_value) == ("deal", None, None)


def test_hubspot_sending_an_event_again_gives_it_the_same_key() -> None:
    retried = [event | {"attemptNumber": 3} for event in EVENTS]

    first, second = parse_events(BODY), parse_events(json.dumps(retried).encode())

    assert [e.key for e in first] == [e.key for e in second]
    assert first[0].key != first[1].key
    assert first[0].key == "hubspot:contact.propertyChange:123:lifecyclestage:1795426200000:1"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "the body is not valid JSON"),
        (b"{}", "the body is not a list of events"),
        (b"[1]", "event [0] is not an object"),
        (json.dumps([{**EVENTS[0], "objectId": None}]).encode(), "event [0] has a bad"),
        (json.dumps([{"eventId": 1}]).encode(), "event [0] lacks a valid 'objectId'"),
        (json.dumps([{**EVENTS[0], "occurredAt": "soon"}]).encode(), "event [0] lacks a valid"),
        (json.dumps([{**EVENTS[0], "occurredAt": 10**20}]).encode(), "event [0] has a bad"),
        (b"[" * 100 + b"]" * 100, "the body nests deeper than 64 levels"),
        (json.dumps([EVENTS[0]] * 1001).encode(), "more than 1000 events"),
    ],
)
def test_a_body_that_is_not_a_batch_of_events_is_refused_with_a_reason(body, reason) -> None:
    with pytest.raises(ValueError) as raised:
        parse_events(body)

    assert str(raised.value).startswith(reason)
