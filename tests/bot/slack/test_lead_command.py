"""The `/lead` text read into commands; every mistake says what to type instead."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.lead import Outcome, ReturnReason
from bot.slack.lead_command import (
    CommandError,
    Find,
    Help,
    Log,
    Mine,
    OpenLogForm,
    Reassign,
    Rules,
    Show,
    Undo,
    parse,
)

ID = "L-7K3Q9"

READ = [
    ("", Help()),
    ("  HELP ", Help()),
    ("mine", Mine()),
    ("rules", Rules()),
    ("show l-7k3q9", Show(ID)),
    ("show 7K3Q9", Show(ID)),
    ("L-7K3Q9", Show(ID)),
    ("find Acme GmbH", Find("Acme GmbH")),
    ("undo L-7K3Q9", Undo(ID)),
    ("log L-7K3Q9", OpenLogForm(ID)),
    ("log L-7K3Q9 meeting", Log(ID, Outcome.MEETING)),
    ("log meeting L-7K3Q9", Log(ID, Outcome.MEETING)),
    ("log L-7K3Q9 Connected spoke to Jane", Log(ID, Outcome.CONNECTED, notes="spoke to Jane")),
    (
        "log L-7K3Q9 won $12,500 signed! next:friday",
        Log(ID, Outcome.WON, Decimal("12500"), "USD", "signed!", "friday"),
    ),
    (
        "log L-7K3Q9 opp EUR 8k pilot",
        Log(ID, Outcome.OPPORTUNITY, Decimal("8000"), "EUR", "pilot"),
    ),
    (
        "log L-7K3Q9 opportunity 8000 eur pilot",
        Log(ID, Outcome.OPPORTUNITY, Decimal("8000"), "EUR", "pilot"),
    ),
    ("log L-7K3Q9 won call them in Q3", Log(ID, Outcome.WON, notes="call them in Q3")),
    (
        "log L-7K3Q9 meeting 2 people next:2026-12-01",
        Log(ID, Outcome.MEETING, notes="2 people", next_step="2026-12-01"),
    ),
    ("log L-7K3Q9 lost 12k budget cut", Log(ID, Outcome.LOST, notes="12k budget cut")),
    (
        "return L-7K3Q9 not-a-fit student, no budget",
        Log(ID, Outcome.RETURN, notes="student, no budget", return_reason=ReturnReason.NOT_A_FIT),
    ),
    ("return L-7K3Q9 NURTURE", Log(ID, Outcome.RETURN, return_reason=ReturnReason.NOT_READY)),
    (
        "log L-7K3Q9 return bad_contact_data fax",
        Log(ID, Outcome.RETURN, notes="fax", return_reason=ReturnReason.BAD_CONTACT_DATA),
    ),
]


@pytest.mark.parametrize(("text", "command"), READ, ids=[text or "empty" for text, _ in READ])
def test_a_command_is_read_forgivingly(text: str, command: object) -> None:
    assert parse(text) == command


MISTAKES = [
    ("dance", "There is no `/lead dance`. Type `/lead help`"),
    ("show", "Which lead? Type `/lead show L-7K3Q9`."),
    ("show acme", "“acme” is not a lead id: ids look like L-7K3Q9. `/lead find"),
    ("show L-7K3Q9 L-ABCDE", "`/lead show` takes one lead id"),
    ("find", "Say what to look for"),
    ("log", "Which lead?"),
    ("log L-7K3Q9 dance", "“dance” is not an outcome. Type one of attempted, connected, meeting"),
    ("log L-7K3Q9 won 12.5.3k", "“12.5.3k” is not an amount: type it like 12500"),
    ("log L-7K3Q9 won $", "“$” is not an amount"),
    ("log L-7K3Q9 meeting next:", "Give one next step"),
    ("log L-7K3Q9 meeting next:fri next:mon", "Give one next step"),
    ("return", "Which lead? Type `/lead return L-7K3Q9 REASON [notes]`."),
    ("return L-7K3Q9", "Give a reason. Type one of not-a-fit, bad-contact-data, not-ready"),
    ("return L-7K3Q9 rude", "“rude” is not a return reason"),
    ("return L-7K3Q9 other", "Say why in the notes"),
    ("return L-7K3Q9 duplicate next:friday", "A returned lead has no next step"),
    ("undo", "Which lead?"),
    ("show <@U0EMEAMGR1>", "“&lt;@U0EMEAMGR1&gt;” is not a lead id"),
]


@pytest.mark.parametrize(("text", "said"), MISTAKES, ids=[text for text, _ in MISTAKES])
def test_a_mistake_says_what_to_type_instead(text: str, said: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse(text)
    assert said in str(refused.value)


# Slack escapes what a person types: a picked person as `<@U…|name>`, addresses as links.
ESCAPED = [
    (
        "reassign L-7K3Q9 <@U0REP00002|ana> she knows Acme",
        Reassign(ID, "U0REP00002", "she knows Acme"),
    ),
    ("reassign 7k3q9 <@U0REP00002>", Reassign(ID, "U0REP00002")),
    ("move L-7K3Q9 U0REP00002", Reassign(ID, "U0REP00002")),
    ("find <mailto:jane@acme.example|jane@acme.example>", Find("jane@acme.example")),
    ("find <https://acme.example|acme.example>", Find("acme.example")),
    ("find Smith &amp; Sons &lt;EU&gt;", Find("Smith & Sons <EU>")),
]


@pytest.mark.parametrize(("text", "command"), ESCAPED, ids=[t for t, _ in ESCAPED])
def test_escaped_text_reads_as_typed_and_a_mention_names_the_rep(
    text: str, command: object
) -> None:
    assert parse(text) == command


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("reassign", "Which lead? Type `/lead reassign L-7K3Q9 @rep [note]`."),
        ("reassign L-7K3Q9", "To whom? Mention the rep: `/lead reassign L-7K3Q9 @rep [note]`."),
        (
            "reassign L-7K3Q9 @ana",
            "“@ana” is not a person Slack filled in. Mention the rep: "
            "`/lead reassign L-7K3Q9 @rep [note]`.",
        ),
        (
            "reassign L-7K3Q9 <!channel>",
            "“!channel” is not a person Slack filled in. Mention the rep: "
            "`/lead reassign L-7K3Q9 @rep [note]`.",
        ),
    ],
)
def test_a_reassign_without_a_person_says_how_to_name_one(text: str, said: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse(text)
    assert str(refused.value) == said
