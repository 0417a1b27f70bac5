"""Qualification against the agreed lead definition, and routing to a region."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

TRIAGE = "triage"


# Read-only members: the config's models and a definition version's frozen rules both fit.
class SourceRule(Protocol):
    @property
    def min_score(self) -> int | None: ...
    @property
    def required_fields(self) -> Sequence[str]: ...


class LeadDefinition(Protocol):
    @property
    def min_score(self) -> int | None: ...
    @property
    def required_fields(self) -> Sequence[str]: ...
    @property
    def allowed_sources(self) -> Sequence[str]: ...
    @property
    def source_rules(self) -> Mapping[str, SourceRule]: ...


class RegionMatch(Protocol):
    @property
    def countries(self) -> Sequence[str]: ...
    @property
    def states(self) -> Sequence[str]: ...
    @property
    def postal_prefixes(self) -> Sequence[str]: ...


class RoutableRegion(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def match(self) -> RegionMatch: ...


@dataclass(frozen=True)
class Qualification:
    sales_ready: bool
    reason: str


@dataclass(frozen=True)
class Route:
    region: str | None
    reason: str

    @property
    def label(self) -> str:
        return self.region or TRIAGE


def qualify(facts: Mapping[str, Any], definition: LeadDefinition) -> Qualification:
    """Decide whether a lead is sales-ready, and say why."""
    source = _clean(facts.get("source"))
    if definition.allowed_sources and source not in definition.allowed_sources:
        allowed = ", ".join(definition.allowed_sources)
        return Qualification(False, f"source “{source or 'none'}” is not one of {allowed}")
    rule = definition.source_rules.get(source) if source else None
    min_score = rule.min_score if rule else definition.min_score
    required = rule.required_fields if rule else definition.required_fields
    missing = [name for name in required if not is_given(facts.get(name))]
    if missing:
        return Qualification(False, "missing " + ", ".join(missing))
    score = facts.get("score")
    if min_score is not None:
        if score is None:
            return Qualification(False, f"no score (needs {min_score})")
        if score < min_score:
            return Qualification(False, f"score {_num(score)} is below {min_score}")
        return Qualification(True, f"score {_num(score)} ≥ {min_score}" + _fields_note(required))
    return Qualification(True, f"{source or 'lead'} rule: required fields present")


def why_nurture(facts: Mapping[str, Any], definition: LeadDefinition) -> str:
    """Why a lead that is not sales-ready stays nurture, in words that group alike leads:
    "no score, and source “badge” has no rule", "score below 60", "missing company"."""
    verdict = qualify(facts, definition)
    source = _clean(facts.get("source"))
    rule = definition.source_rules.get(source) if source else None
    if verdict.reason.startswith("no score"):
        if rule is not None:
            return f"no score (source “{source}” needs {rule.min_score})"
        return f"no score, and source “{source}” has no rule" if source else "no score, no source"
    if verdict.reason.startswith("score "):
        needed = rule.min_score if rule else definition.min_score
        return f"score below {needed}"
    return verdict.reason


def is_given(value: Any) -> bool:
    """Whether a fact counts as filled in: present, and not blank text."""
    if isinstance(value, str):
        return not value.isspace() and value != ""
    return value is not None


# Everything `route` reads of a lead.
ROUTING_FIELDS = ("region", "country", "state", "postal_code")


def route(facts: Mapping[str, Any], regions: Sequence[RoutableRegion]) -> Route:
    """Pick the lead's region: the one it names, else the first that matches, else triage."""
    named = _clean(facts.get("region"))
    if named:
        return Route(named.lower(), "named in the lead")
    for region in regions:
        reason = matches(facts, region.match)
        if reason:
            return Route(region.name, reason)
    return Route(None, "no region matched")


def matches(facts: Mapping[str, Any], match: RegionMatch) -> str | None:
    """Say why the lead matches, or None; every criterion the region gives must hold."""
    checks = [
        ("country", _upper(facts.get("country")), match.countries, _equals),
        ("state", _upper(facts.get("state")), match.states, _equals),
        ("postal code", _upper(facts.get("postal_code")), match.postal_prefixes, _prefixed),
    ]
    reasons = []
    for label, value, wanted, test in checks:
        if not wanted:
            continue
        if value is None or not test(value, wanted):
            return None
        reasons.append(f"{label} {value}")
    return ", ".join(reasons) or None


def _equals(value: str, wanted: Sequence[str]) -> bool:
    return value in _upper_set(tuple(wanted))


def _prefixed(value: str, wanted: Sequence[str]) -> bool:
    return value.replace(" ", "").startswith(_compact_prefixes(tuple(wanted)))


# A region's criteria are few and fixed, and every lead is compared with them.
@cache
def _upper_set(wanted: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w.upper() for w in wanted)


@cache
def _compact_prefixes(wanted: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.upper().replace(" ", "") for p in wanted)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _upper(value: Any) -> str | None:
    value = _clean(value)
    return str(value).upper() if value is not None else None


def _num(score: float) -> str:
    return f"{score:g}"


def _fields_note(required: Sequence[str]) -> str:
    return ", required fields present" if required else ""
