"""A lead's story before its current round, in words: how the last round ended and what
brought the lead back. Shared by its card and marketing's notices."""

from __future__ import annotations

from bot.domain.lead import ReturnReason
from bot.slack import blockkit as kit
from bot.slack import text as t
from bot.slack.blockkit import NOTE
from bot.slack.views import Before

TRIAGE = "triage"


def before_text(before: Before, timezone: str) -> str:
    """`*Before this round*`, then how it ended and how it came back, one line each."""
    return "\n".join(
        ["*Before this round*", ended_line(before, timezone), *back_lines(before, timezone)]
    )


def ended_line(before: Before, timezone: str) -> str:
    when = t.date_for_people(before.ended_at, timezone)
    if before.ended_how == "returned":
        said = f"↩️ Returned by {kit.who(before.ended_by)} on {when}: {reason_label(before.reason)}"
    else:
        said = f"❌ Lost by {kit.who(before.ended_by)} on {when}"
    return f"{said} — {kit.one(before.notes, NOTE)}" if before.notes else said


def back_lines(before: Before, timezone: str) -> list[str]:
    if before.back_at is None:
        return []
    when = t.date_for_people(before.back_at, timezone)
    match before.back_how:
        case "requalified":
            said = f"🔁 Back on {when}: it came back and qualified again"
        case "requeued":
            said = f"🔁 Back on {when}: {kit.who(before.back_by)} sent it back to sales"
        case _:
            said = f"➡️ Sent on {when} by {kit.who(before.back_by)}"
    return [f"{said} — {kit.one(before.back_note, NOTE)}" if before.back_note else said]


def reason_label(code: str | None) -> str:
    if not code:
        return "no reason given"
    try:
        return ReturnReason(code).label
    except ValueError:
        return kit.one(code)
