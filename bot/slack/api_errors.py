"""What Slack's Web API errors mean to an admin: what to fix, and which stop all delivery."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

# Errors a person must fix in Slack or in Baton's config; retrying soon will not help.
FIXES = {
    "not_in_channel": "invite Baton to the channel (/invite @Baton)",
    "channel_not_found": "check the channel ID in the config, and that Baton can see the channel",
    "is_archived": "unarchive the channel or point the config at another one",
    "user_not_found": "check the user ID in the config",
    "cannot_dm_bot": "the configured user is a bot; name a person in the config",
    "user_disabled": "the configured user is deactivated; name someone else in the config",
    "missing_scope": "add the missing scope from manifest.yml and reinstall the app",
    "not_authed": "set SLACK_BOT_TOKEN",
    "invalid_auth": "SLACK_BOT_TOKEN is not valid: install the app again and update the token",
    "token_revoked": "SLACK_BOT_TOKEN was revoked: install the app again and update the token",
    "account_inactive": "the bot's token belongs to a deleted or deactivated app: reinstall it",
    "app_uninstalled": "Baton was uninstalled from the workspace: install the app again",
}
# Errors that say the token itself is no good: every call fails alike until it is replaced.
TOKEN_ERRORS = frozenset(
    {"not_authed", "invalid_auth", "token_revoked", "account_inactive", "app_uninstalled"}
)
# Errors on Slack's side: trying again later is the fix.
SLACK_SIDE = frozenset({"fatal_error", "internal_error", "service_unavailable", "request_timeout"})
UNKNOWN_FIX = "see the error; Baton keeps the work and retries every few minutes"


def fix_for(code: str) -> str:
    return FIXES.get(code, UNKNOWN_FIX)


def error_code(error: SlackApiError) -> str:
    """Slack's error code for a refused call, or its HTTP status when it gave none."""
    return str(error.response.get("error") or f"HTTP {error.response.status_code}")


def outcome(error: BaseException | None) -> str:
    """A call's result as a metric label: ok, Slack's error code, 429, 5xx or network."""
    if error is None:
        return "ok"
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        if status == 429:
            return "429"
        if status >= 500:
            return "5xx"
        return error_code(error)
    return "network"


def network_reason(error: BaseException) -> str:
    """A network error in a few words: urllib wraps the socket's reason."""
    reason = getattr(error, "reason", None)
    return str(reason if reason is not None else error) or type(error).__name__
