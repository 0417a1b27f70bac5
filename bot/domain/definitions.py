"""The lead definition both teams agreed on, kept as numbered versions.

A version holds the rules qualification applies (minimum score, required fields, allowed
sources, rules per source), why it was made, who proposed it, who approved it for marketing
and for sales, and when it took effect. Version 1 is seeded from the config file; every later
one is a proposal that both teams approved (`bot.domain.proposals`). Each lead records the
version that qualified it, in its row and in the data of each qualification event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.qualification import LeadDefinition

# The key under which a qualification event's data names the version that qualified the lead.
DEFINITION_VERSION = "definition_version"
# Who "proposed" the version seeded from the config file.
CONFIG_FILE = "config"
FIRST = 1


@dataclass(frozen=True)
class SourceRules:
    """The rules for leads of one source: they replace the general score and fields."""

    min_score: int | None
    required_fields: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    """What makes a lead sales-ready; a `LeadDefinition` that qualification takes as it is."""

    min_score: int | None
    required_fields: tuple[str, ...]
    allowed_sources: tuple[str, ...] = ()
    source_rules: Mapping[str, SourceRules] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Sources in a stable order, so that equal rules compare, print and store alike.
        ordered = {name: self.source_rules[name] for name in sorted(self.source_rules)}
        object.__setattr__(self, "source_rules", ordered)


@dataclass(frozen=True)
class DefinitionVersion:
    number: int
    rules: Rules
    why: str
    proposed_by: str  # a Slack user, the command line, or CONFIG_FILE for the seed
    marketing_approver: str | None
    sales_approver: str | None
    took_effect_at: datetime
    proposal_id: int | None = None


def rules_of(definition: LeadDefinition) -> Rules:
    """The rules of any lead definition (the config file's, a proposal's file)."""
    return Rules(
        min_score=definition.min_score,
        required_fields=tuple(definition.required_fields),
        allowed_sources=tuple(definition.allowed_sources),
        source_rules={
            source: SourceRules(rule.min_score, tuple(rule.required_fields))
            for source, rule in definition.source_rules.items()
        },
    )


def rules_data(rules: Rules) -> dict[str, Any]:
    """The rules as plain data, shaped like the config file's `lead_definition` section."""
    return {
        "min_score": rules.min_score,
        "required_fields": list(rules.required_fields),
        "allowed_sources": list(rules.allowed_sources),
        "source_rules": {
            source: {"min_score": rule.min_score, "required_fields": list(rule.required_fields)}
            for source, rule in rules.source_rules.items()
        },
    }


def rules_from_data(data: Mapping[str, Any]) -> Rules:
    """Read back rules written by `rules_data`."""
    return Rules(
        min_score=data["min_score"],
        required_fields=tuple(data["required_fields"]),
        allowed_sources=tuple(data.get("allowed_sources") or ()),
        source_rules={
            source: SourceRules(rule["min_score"], tuple(rule["required_fields"]))
            for source, rule in (data.get("source_rules") or {}).items()
        },
    )


def first_version(rules: Rules, *, at: datetime) -> DefinitionVersion:
    """Version 1: the config file's definition, in effect from when Baton first kept versions."""
    return DefinitionVersion(
        number=FIRST,
        rules=rules,
        why="The lead definition of the config file when Baton began keeping versions.",
        proposed_by=CONFIG_FILE,
        marketing_approver=None,
        sales_approver=None,
        took_effect_at=at,
    )


def rules_lines(rules: Rules) -> list[str]:
    """The rules in words, one line each."""
    lines = [f"{_score(rules.min_score)}; {_fields(rules.required_fields)}"]
    if rules.allowed_sources:
        lines.append("from " + ", ".join(rules.allowed_sources) + " only")
    else:
        lines.append("from any source")
    for source, rule in rules.source_rules.items():
        lines.append(
            f"leads from {source}: {_score(rule.min_score)}; {_fields(rule.required_fields)}"
        )
    return lines


def _score(min_score: int | None) -> str:
    return "no score needed" if min_score is None else f"a score of at least {min_score}"


def _fields(required: Sequence[str]) -> str:
    return "requires " + ", ".join(required) if required else "requires no field"


# What a change of rules changes ------------------------------------------------------------


@dataclass(frozen=True)
class RuleChange:
    """One difference between two sets of rules, in two wordings.

    `doing` heads a sentence about its effect ("raising the minimum score to 60 would have…");
    `line` says it plainly beside the other differences ("minimum score: 50 → 60").
    """

    doing: str
    line: str


def changes(old: Rules, new: Rules) -> tuple[RuleChange, ...]:
    """What changes from `old` to `new`, general rules first, then each source's."""
    found = [*_score_change(old.min_score, new.min_score, "")]
    found += _field_changes(old.required_fields, new.required_fields, "")
    found += _source_changes(old.allowed_sources, new.allowed_sources)
    for source in sorted(set(old.source_rules) | set(new.source_rules)):
        before, after = old.source_rules.get(source), new.source_rules.get(source)
        if before is None and after is not None:
            rule = f"{_score(after.min_score)}; {_fields(after.required_fields)}"
            found.append(
                RuleChange(f"adding a rule for {source}", f"new rule for {source}: {rule}")
            )
        elif after is None and before is not None:
            found.append(
                RuleChange(f"dropping the rule for {source}", f"no rule for {source} any more")
            )
        elif before is not None and after is not None:
            found += _score_change(before.min_score, after.min_score, source)
            found += _field_changes(before.required_fields, after.required_fields, source)
    return tuple(found)


def _score_change(old: int | None, new: int | None, source: str) -> list[RuleChange]:
    if old == new:
        return []
    whose = f"the {source} minimum score" if source else "the minimum score"
    line = f"{source + ' ' if source else ''}minimum score: {_shown(old)} → {_shown(new)}"
    if new is None:
        doing = f"dropping {whose}"
    elif old is None:
        doing = f"requiring a score of at least {new}" + (f" for {source}" if source else "")
    else:
        doing = f"{'raising' if new > old else 'lowering'} {whose} to {new}"
    return [RuleChange(doing, line)]


def _shown(score: int | None) -> str:
    return "none" if score is None else str(score)


def _field_changes(old: Sequence[str], new: Sequence[str], source: str) -> list[RuleChange]:
    found = []
    where = f" for {source}" if source else ""
    added = [name for name in new if name not in old]
    dropped = [name for name in old if name not in new]
    if added:
        names = _and(added)
        found.append(RuleChange(f"requiring {names}{where}", f"requires {names}{where}"))
    if dropped:
        names = _and(dropped)
        found.append(
            RuleChange(f"no longer requiring {names}{where}", f"no longer requires {names}{where}")
        )
    return found


def _source_changes(old: Sequence[str], new: Sequence[str]) -> list[RuleChange]:
    if set(old) == set(new):
        return []
    if not new:
        return [RuleChange("allowing any source", "allowed sources: any")]
    if not old:
        names = _and(new)
        return [RuleChange(f"allowing only {names}", f"allowed sources: {names} only")]
    found = []
    added = [name for name in new if name not in old]
    dropped = [name for name in old if name not in new]
    if added:
        names = _and(added)
        found.append(RuleChange(f"allowing {names}", f"allows {names}"))
    if dropped:
        names = _and(dropped)
        found.append(RuleChange(f"no longer allowing {names}", f"no longer allows {names}"))
    return found


def _and(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def doing_phrase(found: Sequence[RuleChange]) -> str:
    """The changes as the subject of a sentence: "Raising the minimum score to 60 and requiring phone"."""
    if not found:
        return "The proposal"
    text = _and([change.doing for change in found])
    return text[:1].upper() + text[1:]


# The config file beside the live version ---------------------------------------------------


def file_check(file_rules: Rules, live: DefinitionVersion | None) -> list[str]:
    """What `baton config check` says about the lead definition: the live version, and
    whether the config file's definition differs from it (the file only seeds version 1)."""
    if live is None:
        return ["Lead definition: no version yet; the file's becomes version 1 when Baton starts."]
    found = changes(live.rules, file_rules)
    head = f"Lead definition: version {live.number} is live (since {live.took_effect_at:%Y-%m-%d})."
    if not found:
        return [head, "The config file's lead_definition is the same as the live version."]
    return [
        head,
        f"The config file's lead_definition differs from version {live.number} (live → file); "
        "Baton applies the live version, which changes by a proposal both teams approve:",
        *(f"  {change.line}" for change in found),
    ]
