"""The Slack app manifest asks for exactly what Baton's code uses.

The scopes are derived from the Web API methods the product calls (found in its source), so a
new call without its scope, or a scope whose last call went away, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "handlers", "storage", "config")

# The bot-token scopes each method needs for the conversations Baton uses: public and private
# channels (`C…`/`G…` in the config) and DMs with one person; never group DMs. From Slack's
# Web API reference, where a method accepts one scope per conversation type.
SCOPES_BY_METHOD: dict[str, frozenset[str]] = {
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.delete": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),  # Slack: "Requires scope: none"
    "views.open": frozenset(),
    "views.push": frozenset(),
    "views.update": frozenset(),
    "views.publish": frozenset(),
    "auth.test": frozenset(),
    "conversations.open": frozenset({"im:write"}),
    "conversations.history": frozenset({"channels:history", "groups:history", "im:history"}),
    "conversations.replies": frozenset({"channels:history", "groups:history", "im:history"}),
    "conversations.info": frozenset({"channels:read", "groups:read"}),
    # users:read.email: the CRM bridge matches a rep to their CRM user by email.
    "users.info": frozenset({"users:read", "users:read.email"}),
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "files.completeUploadExternal": frozenset({"files:write"}),
}
# slack_sdk methods that are several Web API calls.
SDK_HELPERS = {"files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}
SLASH_COMMAND_SCOPE = "commands"
# Events that need no listener of their own before their handling lands elsewhere: the
# subscription must exist so Slack tells Baton its token is gone.
TOKEN_EVENTS = {"app_uninstalled", "tokens_revoked"}

# Baton reaches Slack through a `client` (slack_sdk's WebClient or Bolt's), through a
# SlackCall that the outbox worker sends with api_call, or through api_call itself.
_CLIENT_CALL = re.compile(r"\bclient\.([a-z]+)_(\w+)\(")
_SLACK_CALL = re.compile(r"\bSlackCall\(\s*\"([a-z]+\.[A-Za-z.]+)\"")
_API_CALL = re.compile(r"\bapi_call\(\s*\"([a-z]+\.[A-Za-z.]+)\"")
_HELPER = re.compile(r"\"(" + "|".join(SDK_HELPERS) + r")\"")
_EVENT = re.compile(r"\.event\(\s*\"(\w+)\"")
_COMMAND = re.compile(r"\.command\(\s*\"(/[\w-]+)\"")


def product_source() -> str:
    return "\n".join(
        path.read_text() for folder in PRODUCT for path in sorted((ROOT / folder).rglob("*.py"))
    )


def called_methods(source: str) -> set[str]:
    methods: set[str] = set()
    for family, name in _CLIENT_CALL.findall(source):
        sdk_name = f"{family}_{name}"
        if sdk_name == "api_call":
            continue  # its method is a string, found below
        methods.update(SDK_HELPERS.get(sdk_name, (f"{family}.{name.replace('_', '.')}",)))
    methods.update(_SLACK_CALL.findall(source))
    methods.update(_API_CALL.findall(source))
    for helper in _HELPER.findall(source):
        methods.update(SDK_HELPERS[helper])
    return methods


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_the_product_calls_only_methods_whose_scopes_are_known() -> None:
    methods = called_methods(product_source())

    # What the source is known to call today; finding none would mean the search is broken.
    assert {"chat.postMessage", "chat.update", "views.open", "users.info"} <= methods
    assert methods - set(SCOPES_BY_METHOD) == set(), "add each new method with its scopes"


def test_the_app_asks_for_exactly_the_scopes_of_the_methods_baton_calls() -> None:
    source = product_source()
    needed = {scope for method in called_methods(source) for scope in SCOPES_BY_METHOD[method]}
    if _COMMAND.search(source):
        needed.add(SLASH_COMMAND_SCOPE)
    asked = manifest()["oauth_config"]["scopes"]["bot"]

    assert len(asked) == len(set(asked))
    assert sorted(asked) == sorted(needed)
    assert "user" not in manifest()["oauth_config"]["scopes"]


def test_the_app_asks_for_no_scope_baton_does_without() -> None:
    asked = set(manifest()["oauth_config"]["scopes"]["bot"])

    # Baton posts only where it was invited (it reads emails only to match reps to CRM users).
    assert {"chat:write.public", "mpim:history", "mpim:write"} & asked == set()
    # Reading history is only for finding its own earlier post after a lost answer.
    history = {scope for scope in asked if scope.endswith(":history")}
    if history:
        assert {"conversations.history", "conversations.replies"} & called_methods(product_source())


def test_every_scope_says_what_it_is_for() -> None:
    lines = (ROOT / "manifest.yml").read_text().splitlines()
    start = lines.index("    bot:")
    for number, line in enumerate(lines[start + 1 :], start + 1):
        if not line.startswith("      "):
            break
        if line.strip().startswith("- "):
            commented = "#" in line or lines[number - 1].strip().startswith("#")
            assert commented, f"{line.strip()} says not what it is for"


def test_the_events_subscribed_are_those_baton_listens_to_and_the_token_events() -> None:
    handled = set(_EVENT.findall(product_source()))
    subscribed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])

    assert "app_home_opened" in handled
    assert subscribed == handled | TOKEN_EVENTS


def test_slack_reaches_baton_at_one_url_for_events_the_command_and_interactivity() -> None:
    app = manifest()
    settings = app["settings"]
    commands = {c["command"]: c["url"] for c in app["features"]["slash_commands"]}
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *commands.values(),
    ]

    assert set(commands) == set(_COMMAND.findall(product_source())) == {"/lead"}
    assert settings["interactivity"]["is_enabled"] is True
    assert all(url.endswith("/slack/events") for url in urls)
    assert len(set(urls)) == 1


def test_nobody_can_write_to_baton_in_a_messages_tab_it_would_not_read() -> None:
    app_home = manifest()["features"]["app_home"]
    subscribed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])

    assert "message.im" not in subscribed
    assert app_home["home_tab_enabled"] is True
    assert not app_home["messages_tab_enabled"] or app_home["messages_tab_read_only_enabled"]


def test_the_header_tells_how_to_switch_to_socket_mode_from_the_value_it_has() -> None:
    text = (ROOT / "manifest.yml").read_text()
    header = text[: text.index("display_information:")]

    assert manifest()["settings"]["socket_mode_enabled"] is False
    assert "socket_mode_enabled" in header and "to true" in header
    assert "baton socket" in header
    assert "keep socket_mode_enabled" not in header
