"""The `/lead` command's text, read into a command; a mistake says what to type instead."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.domain.amounts import AmountError, is_currency, looks_like_amount, parse_money
from bot.domain.lead import LeadError, Outcome, ReturnReason
from bot.domain.shortid import parse_short_id
from bot.slack import text as t

EXAMPLE_ID = "L-7K3Q9"
OUTCOMES = ", ".join(o.value for o in Outcome)
OUTCOME_ALIASES = {
    "attempt": Outcome.ATTEMPTED,
    "connect": Outcome.CONNECTED,
    "meet": Outcome.MEETING,
    "opp": Outcome.OPPORTUNITY,
    "returned": Outcome.RETURN,
}
WITH_AMOUNT = frozenset({Outcome.OPPORTUNITY, Outcome.WON})
REASON_ALIASES = {
    "fit": ReturnReason.NOT_A_FIT,
    "no_fit": ReturnReason.NOT_A_FIT,
    "not_fit": ReturnReason.NOT_A_FIT,
    "bad_data": ReturnReason.BAD_CONTACT_DATA,
    "bad_contact": ReturnReason.BAD_CONTACT_DATA,
    "nurture": ReturnReason.NOT_READY,
    "dup": ReturnReason.DUPLICATE,
    "dupe": ReturnReason.DUPLICATE,
    "competitor": ReturnReason.COMPETITOR_OR_PARTNER,
    "partner": ReturnReason.COMPETITOR_OR_PARTNER,
}
_NEXT = re.compile(r"(?i)(?<!\S)next:(\S*)")
# Slack escapes what a person types (the command's `should_escape`): a picked person arrives
# as `<@U…|name>`, an address as `<mailto:…|…>` or `<https://…|…>`.
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>$")
_SLACK_LINK = re.compile(r"<(?:mailto:)?([^<>@|][^<>|]*)(?:\|([^<>]*))?>")


def reason_word(reason: ReturnReason) -> str:
    """How a person types a return reason: `not-a-fit`."""
    return reason.value.replace("_", "-")


REASONS = ", ".join(reason_word(r) for r in ReturnReason)


class CommandError(LeadError):
    """`/lead` text that is not a command; the message says what to type instead."""


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Mine:
    pass


@dataclass(frozen=True)
class Rules:
    pass


@dataclass(frozen=True)
class ProposeRules:
    """`/lead rules propose`: the modal to propose a change to the lead definition."""


@dataclass(frozen=True)
class Show:
    short_id: str


@dataclass(frozen=True)
class Find:
    text: str


@dataclass(frozen=True)
class Undo:
    short_id: str


@dataclass(frozen=True)
class OpenLogForm:
    short_id: str


@dataclass(frozen=True)
class Log:
    short_id: str
    outcome: Outcome
    amount: Decimal | None = None
    currency: str | None = None
    notes: str | None = None
    next_step: str | None = None
    return_reason: ReturnReason | None = None


@dataclass(frozen=True)
class Reassign:
    short_id: str
    rep_id: str
    note: str | None = None


@dataclass(frozen=True)
class Report:
    words: tuple[str, ...]  # a region and a period, in any order; told apart by the config


LeadCommand = (
    Help | Mine | Rules | ProposeRules | Show | Find | Undo | OpenLogForm | Log | Reassign | Report
)


def parse(text: str) -> LeadCommand:
    """Read what followed `/lead`."""
    verb, rest = _split(_unescaped(text))
    match verb.lower():
        case "" | "help" | "?":
            return Help()
        case "mine" | "my":
            return Mine()
        case "rules" | "rule":
            return _rules(rest)
        case "show":
            return Show(_one_id(rest, "show"))
        case "find" | "search":
            if not rest.strip():
                raise CommandError(
                    "Say what to look for: `/lead find jane@acme.example` or `/lead find Acme`."
                )
            return Find(rest.strip())
        case "undo":
            return Undo(_one_id(rest, "undo"))
        case "log":
            return _log(rest)
        case "report" | "reports":
            return Report(tuple(rest.split()))
        case "reassign" | "move":
            return _reassign(rest)
        case "return":
            word, after = _split(rest)
            short_id = _lead_id(word, f"/lead return {EXAMPLE_ID} REASON [notes]")
            return _return(short_id, after)
    if verb.upper().startswith("L-") and parse_short_id(verb):
        return Show(parse_short_id(verb) or "")  # `/lead L-7K3Q9` is forgiven as `show`
    raise CommandError(f"There is no `/lead {_shown(verb)}`. {usage()}")


def _rules(rest: str) -> Rules | ProposeRules:
    match rest.strip().lower():
        case "":
            return Rules()
        case "propose" | "change":
            return ProposeRules()
    raise CommandError(
        "`/lead rules` shows the lead definition; `/lead rules propose` proposes a change."
    )


def usage() -> str:
    return "Type `/lead help` for what `/lead` can do."


def _log(rest: str) -> LeadCommand:
    first, after = _split(rest)
    if not first:
        raise CommandError(
            f"Which lead? `/lead log {EXAMPLE_ID} meeting` (or `/lead log {EXAMPLE_ID}` for a form)."
        )
    second, tail = _split(after)
    if parse_short_id(first) is None and parse_short_id(second) and _outcome_or_none(first):
        first, second = second, first  # `/lead log meeting L-7K3Q9` is forgiven
    short_id = _lead_id(first, f"/lead log {EXAMPLE_ID} OUTCOME [amount] [notes] [next:DATE]")
    if not second:
        return OpenLogForm(short_id)
    outcome = _outcome_or_none(second)
    if outcome is None:
        raise CommandError(
            f"“{_shown(second)}” is not an outcome. Type one of {OUTCOMES}, "
            f"e.g. `/lead log {short_id} meeting next:friday`."
        )
    if outcome is Outcome.RETURN:
        return _return(short_id, tail)
    tail, next_step = _next_step(tail)
    amount, currency = None, None
    if outcome in WITH_AMOUNT:
        amount, currency, tail = _amount(tail, short_id, outcome)
    return Log(short_id, outcome, amount, currency, tail.strip() or None, next_step)


def _reassign(rest: str) -> Reassign:
    example = f"/lead reassign {EXAMPLE_ID} @rep [note]"
    word, after = _split(rest)
    short_id = _lead_id(word, example)
    who, note = _split(after)
    found = _MENTION.match(who) or re.match(r"^([UW][A-Z0-9]{2,20})$", who)
    if found is None:
        said = f"“{_shown(who)}” is not a person Slack filled in. " if who else "To whom? "
        raise CommandError(f"{said}Mention the rep: `/lead reassign {short_id} @rep [note]`.")
    return Reassign(short_id, found.group(1), note.strip() or None)


def _unescaped(text: str) -> str:
    """What the person typed, with Slack's links and entities undone (mentions stay)."""
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _return(short_id: str, rest: str) -> Log:
    rest, next_step = _next_step(rest)
    if next_step is not None:
        raise CommandError("A returned lead has no next step; leave out `next:`.")
    word, notes = _split(rest)
    reason = _reason_or_none(word)
    if reason is None:
        said = f"“{_shown(word)}” is not a return reason. " if word else "Give a reason. "
        raise CommandError(
            f"{said}Type one of {REASONS}, "
            f"e.g. `/lead return {short_id} not-a-fit student, no budget`."
        )
    if reason is ReturnReason.OTHER and not notes.strip():
        raise CommandError(f"Say why in the notes: `/lead return {short_id} other NOTES`.")
    return Log(short_id, Outcome.RETURN, notes=notes.strip() or None, return_reason=reason)


def _amount(tail: str, short_id: str, outcome: Outcome) -> tuple[Decimal | None, str | None, str]:
    first, after = _split(tail)
    second, rest = _split(after)
    if is_currency(first) and looks_like_amount(second):
        first, after = first + second, rest  # `EUR 8000`
    elif looks_like_amount(first) and is_currency(second):
        first, after = first + second, rest  # `8000 EUR`
    if not looks_like_amount(first):
        return None, None, tail
    try:
        money = parse_money(first)
    except AmountError as error:
        raise CommandError(
            f"{error} E.g. `/lead log {short_id} {outcome.value} 12.5k notes`."
        ) from None
    return money.amount, money.currency, after


def _next_step(text: str) -> tuple[str, str | None]:
    found = _NEXT.findall(text)
    if not found:
        return text, None
    if len(found) > 1 or not found[0]:
        raise CommandError(
            "Give one next step, joined to its date: `next:2026-12-01`, `next:tomorrow` "
            "or `next:friday`."
        )
    return _NEXT.sub("", text), found[0]


def _outcome_or_none(word: str) -> Outcome | None:
    word = word.strip().lower()
    try:
        return Outcome(word)
    except ValueError:
        return OUTCOME_ALIASES.get(word)


def _reason_or_none(word: str) -> ReturnReason | None:
    word = word.strip().lower().replace("-", "_")
    try:
        return ReturnReason(word)
    except ValueError:
        return REASON_ALIASES.get(word)


def _one_id(rest: str, verb: str) -> str:
    word, extra = _split(rest)
    short_id = _lead_id(word, f"/lead {verb} {EXAMPLE_ID}")
    if extra.strip():
        raise CommandError(f"`/lead {verb}` takes one lead id, like `/lead {verb} {short_id}`.")
    return short_id


def _lead_id(word: str, example: str) -> str:
    if not word:
        raise CommandError(f"Which lead? Type `{example}`.")
    short_id = parse_short_id(word)
    if short_id is None:
        raise CommandError(
            f"“{_shown(word)}” is not a lead id: ids look like {EXAMPLE_ID}. "
            "`/lead find EMAIL-OR-COMPANY` finds a lead's id."
        )
    return short_id


def _split(text: str) -> tuple[str, str]:
    """The first word and the rest, as typed."""
    parts = text.strip().split(None, 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ((parts[0], "") if parts else ("", ""))


def _shown(word: str) -> str:
    """A person's word quoted back to them: short, and unable to format or mention."""
    return t.cut(t.escape(t.one_line(word)), 40)
