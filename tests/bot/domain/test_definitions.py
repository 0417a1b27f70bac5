"""Lead-definition versions: the rules as data, what a change changes, and the config file
beside the live version."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from itertools import product

import pytest

from bot.domain.definitions import (
    CONFIG_FILE,
    Rules,
    SourceRules,
    changes,
    doing_phrase,
    file_check,
    first_version,
    rules_data,
    rules_from_data,
    rules_lines,
    rules_of,
)
from bot.domain.qualification import qualify
from config.model import BatonConfig, LeadDefinition

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIVE = Rules(
    min_score=50,
    required_fields=("email", "company"),
    source_rules={"trade_show": SourceRules(None, ("email", "first_name", "last_name", "company"))},
)


def test_the_config_files_definition_becomes_rules_that_qualify_every_lead_alike(
    example_config: BatonConfig,
) -> None:
    rules = rules_of(example_config.lead_definition)
    assert rules == LIVE
    for source, score, company, first in product(
        ("web", "trade_show", None), (None, 49, 49.99, 50, 80), ("Acme", "  ", None), ("Ada", None)
    ):
        facts = {"email": "a@b.example", "source": source, "score": score}
        facts |= {"company": company, "first_name": first, "last_name": "Lovelace"}
        assert qualify(facts, rules) == qualify(facts, example_config.lead_definition)


def test_rules_stored_as_data_read_back_equal_and_shaped_like_the_config_file() -> None:
    rules = replace(LIVE, allowed_sources=("web", "trade_show"))
    data = rules_data(rules)
    assert rules_from_data(data) == rules
    assert LeadDefinition.model_validate(data) is not None
    assert rules_of(LeadDefinition.model_validate(data)) == rules


def test_rules_are_put_in_words_one_line_each() -> None:
    assert rules_lines(LIVE) == [
        "a score of at least 50; requires email, company",
        "from any source",
        "leads from trade_show: no score needed; requires email, first_name, last_name, company",
    ]


@pytest.mark.parametrize(
    ("new", "doing", "lines"),
    [
        (
            replace(LIVE, min_score=60),
            "Raising the minimum score to 60",
            ["minimum score: 50 → 60"],
        ),
        (
            replace(LIVE, min_score=40, required_fields=("email", "company", "phone")),
            "Lowering the minimum score to 40 and requiring phone",
            ["minimum score: 50 → 40", "requires phone"],
        ),
        (replace(LIVE, min_score=None), "Dropping the minimum score", ["minimum score: 50 → none"]),
        (
            replace(LIVE, required_fields=("email",), allowed_sources=("web", "webinar")),
            "No longer requiring company and allowing only web and webinar",
            ["no longer requires company", "allowed sources: web and webinar only"],
        ),
        (
            replace(LIVE, source_rules={"trade_show": SourceRules(30, ("email",))}),
            "Requiring a score of at least 30 for trade_show and no longer requiring "
            "first_name, last_name and company for trade_show",
            [
                "trade_show minimum score: none → 30",
                "no longer requires first_name, last_name and company for trade_show",
            ],
        ),
        (
            replace(LIVE, source_rules={}),
            "Dropping the rule for trade_show",
            ["no rule for trade_show any more"],
        ),
        (
            replace(LIVE, source_rules={**LIVE.source_rules, "partner": SourceRules(70, ())}),
            "Adding a rule for partner",
            ["new rule for partner: a score of at least 70; requires no field"],
        ),
    ],
)
def test_a_change_of_rules_is_said_as_what_it_does_and_plainly(
    new: Rules, doing: str, lines: list[str]
) -> None:
    found = changes(LIVE, new)
    assert doing_phrase(found) == doing
    assert [change.line for change in found] == lines


def test_allowed_sources_gained_and_lost_are_named() -> None:
    old = replace(LIVE, allowed_sources=("web", "partner"))
    new = replace(LIVE, allowed_sources=("web", "webinar"))
    assert doing_phrase(changes(old, new)) == "Allowing webinar and no longer allowing partner"
    assert doing_phrase(changes(old, LIVE)) == "Allowing any source"


def test_the_same_rules_change_nothing() -> None:
    assert changes(LIVE, rules_from_data(rules_data(LIVE))) == ()
    assert doing_phrase(()) == "The proposal"


def test_version_1_is_the_config_files_definition() -> None:
    version = first_version(LIVE, at=T0)
    assert (version.number, version.rules, version.proposed_by) == (1, LIVE, CONFIG_FILE)
    assert (version.marketing_approver, version.sales_approver) == (None, None)
    assert version.took_effect_at == T0


def test_config_check_says_which_version_is_live_and_whether_the_file_differs() -> None:
    assert file_check(LIVE, None) == [
        "Lead definition: no version yet; the file's becomes version 1 when Baton starts."
    ]
    live = replace(first_version(LIVE, at=T0), number=3, rules=replace(LIVE, min_score=60))
    same = file_check(replace(LIVE, min_score=60), live)
    assert same == [
        "Lead definition: version 3 is live (since 2026-03-02).",
        "The config file's lead_definition is the same as the live version.",
    ]
    differs = file_check(LIVE, live)
    assert differs[0] == "Lead definition: version 3 is live (since 2026-03-02)."
    assert "differs from version 3" in differs[1]
    assert differs[2:] == ["  minimum score: 60 → 50"]
