"""How HubSpot's CRM search filters and sorts objects, for the HubSpot stand-in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

DATE_PROPERTIES = frozenset(
    {"createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_createdate", "closedate"}
)


def sort_key(name: str, value: Any) -> tuple[int, Any]:
    if value is None:
        return (1, "")
    if name in DATE_PROPERTIES:
        return (0, _moment(value))
    try:
        return (0, float(value))
    except ValueError:
        return (0, str(value))


def _moment(value: Any) -> float:
    """Read a date property or filter value: milliseconds since the epoch, or ISO 8601."""
    text = str(value)
    if text.isdigit():
        return int(text) / 1000
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def matches(properties: Mapping[str, Any], groups: list[dict[str, Any]]) -> bool:
    """Whether an object's properties pass any of the filter groups (each filter in a group)."""
    if not groups:
        return True
    return any(all(_holds(properties, f) for f in g.get("filters") or []) for g in groups)


def _holds(properties: Mapping[str, Any], rule: dict[str, Any]) -> bool:
    name, operator = rule["propertyName"], rule["operator"]
    value = properties.get(name)
    if operator == "HAS_PROPERTY":
        return value not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return value in (None, "")
    if operator in ("IN", "NOT_IN"):
        inside = str(value).lower() in {str(v).lower() for v in rule.get("values") or []}
        return inside if operator == "IN" else not inside
    if value is None:
        return operator == "NEQ"
    mine, theirs = sort_key(name, value)[1], sort_key(name, rule.get("value"))[1]
    if type(mine) is not type(theirs):
        mine, theirs = str(mine), str(theirs)
    compare = {
        "EQ": mine == theirs,
        "NEQ": mine != theirs,
        "GT": mine > theirs,
        "GTE": mine >= theirs,
        "LT": mine < theirs,
        "LTE": mine <= theirs,
    }
    return compare[operator]
