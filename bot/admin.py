"""What `baton lead show`, `baton leads list` and `baton config check` print."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.app import Baton
from bot.slack.api_errors import error_code, fix_for
from config.model import BatonConfig
from storage.queries import lead_detail, lead_list

FACTS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "phone",
    "country",
    "state",
    "postal_code",
)
MORE = (
    "campaign",
    "source",
    "score",
    "region",
    "rep_id",
    "feedback_due_at",
    "qualification_reason",
    "route_reason",
)


def describe_lead(baton: Baton, short_id: str) -> str | None:
    with baton.database.reading() as session:
        detail = lead_detail(session, short_id)
    if detail is None:
        return None
    lead = detail["lead"]
    lines = [f"{lead.short_id}  {lead.status}  round {lead.handoff_round}"]
    lines += [
        f"  {name}: {getattr(lead, name)}"
        for name in FACTS + MORE
        if getattr(lead, name) is not None
    ]
    lines.append("events:")
    for event in detail["events"]:
        extra = " ".join(str(x) for x in (event.reason_code, event.amount, event.notes) if x)
        lines.append(
            f"  {event.at:%Y-%m-%d %H:%M} {event.actor:<12} {event.kind:<16} → {event.status_after} {extra}"
        )
    lines.append("slack:")
    for round_row in detail["rounds"]:
        where = (
            f"{round_row.channel} ts {round_row.message_ts}"
            if round_row.message_ts
            else "not posted yet"
        )
        lines.append(f"  round {round_row.round_no} ({round_row.region or 'triage'}): {where}")
    for work in detail["work"]:
        error = f" — {work.last_error}" if work.last_error else ""
        lines.append(f"  {work.kind:<16} {work.state:<8} tries {work.attempts}{error}")
    return "\n".join(lines)


def list_leads(baton: Baton, *, status: str | None, limit: int) -> str:
    with baton.database.reading() as session:
        rows = lead_list(session, status=status, limit=limit)
    if not rows:
        return "no leads" + (f" with status {status}" if status else "")
    lines = [f"{'ID':<8} {'STATUS':<12} {'REGION':<14} {'REP':<12} {'RECEIVED':<17} SLACK"]
    for row in rows:
        lead = row["lead"]
        slack = "delivered" if not row["waiting"] else f"{row['waiting']} waiting"
        if row["error"]:
            slack += f": {row['error']}"
        if row["crm_waiting"]:
            # A CRM error a person must fix says what to do, as Slack's do.
            slack += f"; CRM: {row['crm_waiting']} waiting"
            slack += f": {row['crm_error']}" if row["crm_error"] else ""
        received = f"{lead.created_at:%Y-%m-%d %H:%M}"
        lines.append(
            f"{lead.short_id:<8} {lead.status:<12} {lead.region or 'triage':<14} {lead.rep_id or '-':<12} {received:<17} {slack}"
        )
    return "\n".join(lines)


# The values .env.example ships with: a copy not yet filled in.
PLACEHOLDER_TOKENS = frozenset({"xoxb-your-bot-token"})


class SlackUnusable(Exception):
    """Slack cannot be checked at all: the token is refused or Slack is out of reach."""


def check_token(client: WebClient, token: str) -> str:
    """Check the bot token with auth.test first; say whose it is, or raise SlackUnusable."""
    if token in PLACEHOLDER_TOKENS or not token.startswith("xox"):
        raise SlackUnusable(
            "SLACK_BOT_TOKEN is still a placeholder: set it to the app's Bot User OAuth Token "
            "(xoxb-…, api.slack.com/apps → OAuth & Permissions)"
        )
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        code = error_code(error)
        raise SlackUnusable(f"Slack refused SLACK_BOT_TOKEN: {code} — {fix_for(code)}") from None
    except (SlackClientError, OSError) as error:
        raise SlackUnusable(unreachable(client, error)) from None
    return f"Slack: the token is Baton's (@{answer.get('user')} in {answer.get('team')})."


def unreachable(client: WebClient, error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    return f"cannot reach Slack at {client.base_url}: {reason}"


def check_slack(config: BatonConfig, client: WebClient) -> list[str]:
    """Name every configured user or channel Slack does not know, and channels Baton is not in."""
    try:
        return _check_slack(config, client)
    except SlackApiError:
        raise
    except (SlackClientError, OSError) as error:
        raise SlackUnusable(unreachable(client, error)) from None


def _check_slack(config: BatonConfig, client: WebClient) -> list[str]:
    problems = []
    for user in sorted(_users(config)):
        try:
            client.users_info(user=user)
        except SlackApiError as error:
            problems.append(f"user {user}: {error_code(error)}")
    for channel in sorted(_channels(config)):
        try:
            info = client.conversations_info(channel=channel)["channel"]
        except SlackApiError as error:
            problems.append(f"channel {channel}: {error_code(error)}")
            continue
        if not info.get("is_member"):
            problems.append(
                f"channel {channel} (#{info.get('name')}): Baton is not in it — /invite @Baton"
            )
    return problems


def _users(config: BatonConfig) -> set[str]:
    users = set(config.marketing.users) | set(config.triage.deciders)
    for region in config.regions:
        users |= {region.manager, *region.reps} | ({region.backup} if region.backup else set())
    return users


def _channels(config: BatonConfig) -> set[str]:
    return {config.marketing.channel, config.triage.channel} | {
        r.channel for r in config.regions if r.channel
    }
