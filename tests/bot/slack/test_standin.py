import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.client import RemoteDisconnected

import pytest
from baton_devkit.standin import SlackStandIn
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

EMEA, AMER, QUIET = "C0EMEA", "C0AMER", "C0QUIET"
ANA, BEN = "U0ANA", "U0BEN"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))
CARD = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Lead* L-7K3Q9"}}]
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Accept"}, "blocks": []}
HOME = {"type": "home", "blocks": CARD}


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    channels = {EMEA: "sales-emea", AMER: "sales-amer", QUIET: "quiet"}
    users = {ANA: "Ana Lopez", BEN: "Ben Okafor"}
    with SlackStandIn(channels=channels, users=users, member_channels={EMEA, AMER}) as standin:
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(base_url=slack.url, token="xoxb-test", retry_handlers=[])


def error_of(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


def test_a_message_posted_to_a_channel_is_stored_and_recorded(slack, client):
    answer = client.chat_postMessage(channel=EMEA, text="New lead", blocks=CARD)

    assert answer["channel"] == EMEA
    [stored] = slack.messages(EMEA)
    assert stored["ts"] == answer["ts"]
    assert (stored["text"], stored["blocks"], stored["user"]) == ("New lead", CARD, "UBATONBOT")
    [call] = slack.calls_to("chat.postMessage")
    assert call.args["blocks"] == CARD
    assert (call.status, call.token) == (200, "xoxb-test")


def test_a_message_to_a_user_goes_to_a_dm_channel_stable_per_user(slack, client):
    first = client.chat_postMessage(channel=ANA, text="You have a lead")
    second = client.chat_postMessage(channel=ANA, text="Another")
    opened = client.conversations_open(users=ANA)

    assert first["channel"].startswith("D")
    assert first["channel"] == second["channel"] == opened["channel"]["id"]
    assert first["channel"] == slack.dm_channel(ANA)
    assert [m["text"] for m in slack.messages(ANA)] == ["You have a lead", "Another"]


def test_timestamps_strictly_increase(client):
    stamps = [client.chat_postMessage(channel=EMEA, text=str(n))["ts"] for n in range(5)]

    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    assert [float(ts) for ts in stamps] == sorted({float(ts) for ts in stamps})


def test_thread_replies_join_the_root_and_stay_out_of_the_history(slack, client):
    root = client.chat_postMessage(channel=EMEA, text="handoff")["ts"]
    reply = client.chat_postMessage(channel=EMEA, text="reminder", thread_ts=root)["ts"]
    client.chat_postMessage(channel=EMEA, text="outcome", thread_ts=reply)

    assert [m["text"] for m in slack.thread(EMEA, root)] == ["handoff", "reminder", "outcome"]
    assert all(m["thread_ts"] == root for m in slack.thread(EMEA, root)[1:])
    history = client.conversations_history(channel=EMEA)["messages"]
    assert [(m["text"], m["reply_count"]) for m in history] == [("handoff", 2)]
    replies = client.conversations_replies(channel=EMEA, ts=root)["messages"]
    assert [m["text"] for m in replies] == ["handoff", "reminder", "outcome"]


def test_an_update_edits_the_message_in_place(slack, client):
    ts = client.chat_postMessage(channel=EMEA, text="pending", blocks=CARD)["ts"]

    answer = client.chat_update(channel=EMEA, ts=ts, text="accepted by Ana", blocks=[])

    assert answer["ts"] == ts
    [stored] = slack.messages(EMEA)
    assert (stored["text"], stored["blocks"]) == ("accepted by Ana", [])
    assert stored["edited"]["user"] == "UBATONBOT"


def test_only_the_bots_own_stored_messages_can_be_updated(slack, client):
    typed = slack.add_message(EMEA, "a person wrote this", user=ANA)

    assert error_of(lambda: client.chat_update(channel=EMEA, ts=typed, text="x")).response[
        "error"
    ] == ("cant_update_message")
    missing = error_of(lambda: client.chat_update(channel=EMEA, ts="1600000000.000100", text="x"))
    assert missing.response["error"] == "message_not_found"


def test_a_deleted_message_leaves_the_channel(slack, client):
    ts = client.chat_postMessage(channel=EMEA, text="oops")["ts"]

    client.chat_delete(channel=EMEA, ts=ts)

    assert slack.messages(EMEA) == []


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"channel": QUIET, "text": "hi"}, "not_in_channel"),
        ({"channel": "C0NOWHERE", "text": "hi"}, "channel_not_found"),
        pytest.param(
            {"channel": EMEA},
            "no_text",
            marks=pytest.mark.filterwarnings("ignore:The top-level `text`"),
        ),
        ({"channel": EMEA, "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": EMEA, "text": "hi", "blocks": [{"text": "no"}]}, "invalid_blocks"),
        ({"channel": EMEA, "text": "hi", "thread_ts": "1600000000.000100"}, "thread_not_found"),
        ({"channel": EMEA, "text": "hi", "metadata": {"payload": 1}}, "invalid_metadata_format"),
    ],
)
def test_a_bad_post_answers_slacks_error_and_stores_nothing(slack, client, arguments, error):
    assert error_of(lambda: client.chat_postMessage(**arguments)).response["error"] == error
    assert slack.messages() == []


def test_joining_a_channel_lets_the_bot_post_there(slack, client):
    client.conversations_join(channel=QUIET)

    client.chat_postMessage(channel=QUIET, text="now I can")

    assert client.conversations_info(channel=QUIET)["channel"]["is_member"] is True
    assert "UBATONBOT" in client.conversations_members(channel=QUIET)["members"]


def test_a_429_with_retry_after_reaches_the_sdk_with_the_header(slack, client):
    slack.fail("chat.postMessage", status=429, retry_after=7)

    raised = error_of(lambda: client.chat_postMessage(channel=EMEA, text="handoff"))

    assert raised.response.status_code == 429
    assert raised.response.headers["Retry-After"] == "7"
    assert raised.response["error"] == "ratelimited"
    assert slack.messages(EMEA) == []
    client.chat_postMessage(channel=EMEA, text="handoff")
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]


def test_a_500_fails_the_given_number_of_calls_to_any_method(slack, client):
    slack.fail("*", status=500, times=2)

    statuses = [error_of(client.auth_test).response.status_code for _ in range(2)]

    assert statuses == [500, 500]
    assert client.auth_test()["user_id"] == "UBATONBOT"


def test_an_injected_error_answers_200_with_ok_false(slack, client):
    slack.fail("views.publish", error="missing_scope")

    raised = error_of(lambda: client.views_publish(user_id=ANA, view=HOME))

    assert (raised.response.status_code, raised.response["error"]) == (200, "missing_scope")
    assert slack.views_published(ANA) == []


def test_latency_slows_only_the_given_method(slack, client):
    slack.set_latency(0.3, "chat.postMessage")

    started = time.monotonic()
    client.auth_test()
    fast = time.monotonic() - started
    client.chat_postMessage(channel=EMEA, text="slow")
    slow = time.monotonic() - started - fast

    assert slow >= 0.3 > fast


def test_a_slow_call_is_counted_as_being_answered_until_its_answer(slack, client):
    slack.set_latency(0.3, "views.publish")
    publishing = threading.Thread(target=lambda: client.views_publish(user_id=ANA, view=HOME))
    publishing.start()

    assert slack.wait_for(lambda: slack.answering("views.publish") == 1)
    assert slack.views_published(ANA) == []
    publishing.join(timeout=5)

    assert (slack.answering("views.publish"), len(slack.views_published(ANA))) == (0, 1)


def test_a_client_that_gives_up_on_a_slow_slack_times_out(slack):
    slack.set_latency(5)
    impatient = WebClient(base_url=slack.url, token="xoxb-test", retry_handlers=[], timeout=0.2)

    with pytest.raises(TimeoutError):
        impatient.auth_test()


def test_a_dropped_answer_raises_in_the_sdk_but_the_message_is_posted(slack, client):
    slack.drop_response("chat.postMessage")

    with pytest.raises(RemoteDisconnected):
        client.chat_postMessage(channel=EMEA, text="handoff")

    assert [m["text"] for m in slack.messages(EMEA)] == ["handoff"]
    assert slack.calls_to("chat.postMessage")[0].status == 0


def test_metadata_round_trips_through_the_history(client):
    metadata = {"event_type": "lead_handoff", "event_payload": {"lead_id": "L-7K3Q9"}}
    client.chat_postMessage(channel=EMEA, text="handoff", metadata=metadata)

    with_it = client.conversations_history(channel=EMEA, include_all_metadata=True)
    without_it = client.conversations_history(channel=EMEA)

    assert with_it["messages"][0]["metadata"] == metadata
    assert "metadata" not in without_it["messages"][0]


def test_the_history_is_newest_first_and_pages(client):
    for n in range(3):
        client.chat_postMessage(channel=EMEA, text=f"lead {n}")

    first = client.conversations_history(channel=EMEA, limit=2)
    rest = client.conversations_history(
        channel=EMEA, limit=2, cursor=first["response_metadata"]["next_cursor"]
    )

    assert [m["text"] for m in first["messages"]] == ["lead 2", "lead 1"]
    assert first["has_more"] is True
    assert [m["text"] for m in rest["messages"]] == ["lead 0"]


def test_form_posts_have_their_json_fields_decoded(slack, client):
    params = {"channel": EMEA, "text": "form", "blocks": json.dumps(CARD)}

    client.api_call("chat.postMessage", params=params)

    assert slack.calls_to("chat.postMessage")[0].args["blocks"] == CARD
    assert slack.messages(EMEA)[0]["blocks"] == CARD


@pytest.mark.parametrize(
    ("token", "error"),
    [(None, "not_authed"), ("not-a-token", "invalid_auth"), ("xoxb-revoked", "token_revoked")],
)
def test_a_bad_token_is_refused(slack, token, error):
    slack.revoke_token("xoxb-revoked")
    unauthorised = WebClient(base_url=slack.url, token=token, retry_handlers=[])

    assert error_of(unauthorised.auth_test).response["error"] == error


def test_an_unknown_method_is_answered_as_such(client):
    raised = error_of(lambda: client.api_call("leads.teleport"))

    assert raised.response["error"] == "unknown_method"


def test_views_opened_and_published_are_recorded(slack, client):
    opened = client.views_open(trigger_id="123.456.abc", view=MODAL)["view"]
    client.views_publish(user_id=ANA, view=HOME)
    republished = client.views_publish(user_id=ANA, view=HOME)["view"]

    assert opened["id"].startswith("V")
    assert slack.views_opened == [opened]
    assert [v["blocks"] for v in slack.views_published(ANA)] == [CARD, CARD]
    assert republished["id"] == slack.views_published(ANA)[0]["id"]


def test_a_modal_needs_a_live_trigger(slack, client):
    slack.expire_trigger("old.trigger")

    missing = error_of(lambda: client.api_call("views.open", json={"view": MODAL}))
    expired = error_of(lambda: client.views_open(trigger_id="old.trigger", view=MODAL))

    assert (missing.response["error"], expired.response["error"]) == (
        "invalid_arguments",
        "expired_trigger_id",
    )
    assert slack.views_opened == []


def test_a_modal_is_updated_by_its_id(slack, client):
    opened = client.views_open(trigger_id="1.2.3", view=MODAL)["view"]
    changed = MODAL | {"blocks": CARD}

    client.views_update(view_id=opened["id"], view=changed, hash=opened["hash"])

    assert slack.view(opened["id"])["blocks"] == CARD
    stale = error_of(lambda: client.views_update(view_id=opened["id"], view=MODAL, hash="0.0"))
    assert stale.response["error"] == "hash_conflict"


def test_a_png_uploaded_with_files_upload_v2_arrives_in_the_thread(slack, client):
    root = client.chat_postMessage(channel=EMEA, text="weekly digest")["ts"]

    answer = client.files_upload_v2(
        channel=EMEA, content=PNG, filename="chart.png", initial_comment="chart", thread_ts=root
    )

    [uploaded] = slack.files(EMEA)
    assert answer["file"]["id"] == uploaded["id"]
    assert (uploaded["content"], uploaded["mimetype"]) == (PNG, "image/png")
    [_, shared] = slack.thread(EMEA, root)
    assert (shared["text"], shared["files"][0]["name"]) == ("chart", "chart.png")


def test_ephemeral_messages_are_kept_apart_from_the_channel(slack, client):
    client.chat_postEphemeral(channel=EMEA, user=ANA, text="Type /lead show L-7K3Q9")

    assert [e["text"] for e in slack.ephemerals(ANA)] == ["Type /lead show L-7K3Q9"]
    assert slack.messages(EMEA) == []


@pytest.mark.parametrize(
    ("method", "arguments", "expected"),
    [
        ("users.info", {"user": ANA}, ("user", "real_name", "Ana Lopez")),
        ("users.lookupByEmail", {"email": "ben.okafor@example.com"}, ("user", "id", BEN)),
        ("team.info", {}, ("team", "id", "T0BATON")),
        ("bots.info", {"bot": "B0BATONBOT"}, ("bot", "user_id", "UBATONBOT")),
        ("conversations.info", {"channel": EMEA}, ("channel", "name", "sales-emea")),
    ],
)
def test_lookups_describe_the_workspace(client, method, arguments, expected):
    key, field, value = expected

    assert client.api_call(method, params=arguments)[key][field] == value


def test_an_unknown_user_is_not_found(client):
    assert error_of(lambda: client.users_info(user="U0NOBODY")).response["error"] == (
        "user_not_found"
    )


def test_reactions_and_permalinks_point_at_stored_messages(slack, client):
    ts = client.chat_postMessage(channel=EMEA, text="handoff")["ts"]

    client.reactions_add(channel=EMEA, timestamp=ts, name="white_check_mark")
    link = client.chat_getPermalink(channel=EMEA, message_ts=ts)["permalink"]

    assert slack.messages(EMEA)[0]["reactions"][0]["name"] == "white_check_mark"
    assert link.endswith(f"/archives/{EMEA}/p{ts.replace('.', '')}")


def test_wait_for_sees_a_call_made_by_a_background_worker(slack, client):
    worker = threading.Thread(target=lambda: client.chat_postMessage(channel=AMER, text="later"))
    slack.set_latency(0.1, "chat.postMessage")

    worker.start()

    assert slack.wait_for(lambda: len(slack.messages(AMER)) == 1)
    worker.join()
    assert slack.wait_for(lambda: False, timeout=0.05) is False


def test_the_async_client_talks_to_it_too(slack):
    async def post() -> str:
        client = AsyncWebClient(base_url=slack.url, token="xoxb-test", retry_handlers=[])
        answer = await client.chat_postMessage(channel=EMEA, text="async", blocks=CARD)
        history = await client.conversations_history(channel=EMEA, limit=1)
        return history["messages"][0]["ts"] == answer["ts"]

    assert asyncio.run(post()) is True
    assert slack.messages(EMEA)[0]["blocks"] == CARD


def test_reset_calls_forgets_calls_but_keeps_messages(slack, client):
    client.chat_postMessage(channel=EMEA, text="kept")

    slack.reset_calls()

    assert slack.calls == []
    assert len(slack.messages(EMEA)) == 1
