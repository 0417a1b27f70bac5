"""Just enough SOQL for the Salesforce stand-in: the queries Baton sends, parsed and run.

SELECT fields FROM object [WHERE condition AND …] [ORDER BY field [ASC|DESC], …] [LIMIT n],
where a condition compares a field with a literal (=, !=, <, <=, >, >=, [NOT] IN (…)) and a
literal is a quoted string, a number, a date, a dateTime, true, false or null.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_ESCAPES = {"'": "'", "\\": "\\", "n": "\n", "r": "\r", "t": "\t", '"': '"'}


class SoqlError(ValueError):
    """A query Salesforce would refuse; `code` is its errorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    sobject: str
    conditions: tuple[Condition, ...] = ()
    order: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    limit: int | None = None


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str]] = []
        position = 0
        while position < len(text.rstrip()):
            found = _TOKEN.match(text, position)
            if found is None or found.end() == position:
                raise SoqlError("MALFORMED_QUERY", f"unexpected token at: {text[position:][:20]}")
            self.items.append((str(found.lastgroup), found[found.lastgroup or ""]))
            position = found.end()
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "the query ends too early")
        self.at += 1
        return token

    def keyword(self, *words: str) -> bool:
        """Take the keywords if they come next; tell whether they did."""
        ahead = self.items[self.at : self.at + len(words)]
        if [value.upper() for _, value in ahead] == list(words):
            self.at += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.keyword(*words):
            raise SoqlError("MALFORMED_QUERY", f"expected {' '.join(words)}")

    def word(self) -> str:
        kind, value = self.take()
        if kind != "word":
            raise SoqlError("MALFORMED_QUERY", f"expected a name, got {value}")
        return value


def parse(text: str) -> Query:
    """Parse one query; raise SoqlError for anything outside the subset."""
    tokens = _Tokens(text)
    tokens.expect("SELECT")
    fields = [tokens.word()]
    while tokens.peek() == ("punct", ","):
        tokens.take()
        fields.append(tokens.word())
    tokens.expect("FROM")
    sobject = tokens.word()
    conditions: list[Condition] = []
    if tokens.keyword("WHERE"):
        conditions.append(_condition(tokens))
        while tokens.keyword("AND"):
            conditions.append(_condition(tokens))
    order: list[tuple[str, bool]] = []
    if tokens.keyword("ORDER", "BY"):
        order.append(_ordering(tokens))
        while tokens.peek() == ("punct", ","):
            tokens.take()
            order.append(_ordering(tokens))
    limit = None
    if tokens.keyword("LIMIT"):
        kind, value = tokens.take()
        if kind != "number":
            raise SoqlError("MALFORMED_QUERY", "LIMIT takes a number")
        limit = int(value)
    if tokens.peek() is not None:
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: {tokens.take()[1]}")
    return Query(tuple(fields), sobject, tuple(conditions), tuple(order), limit)


def _condition(tokens: _Tokens) -> Condition:
    name = tokens.word()
    negated = tokens.keyword("NOT")
    if tokens.keyword("IN"):
        if tokens.take() != ("punct", "("):
            raise SoqlError("MALFORMED_QUERY", "IN takes a list in parentheses")
        values = [_literal(tokens)]
        while tokens.peek() == ("punct", ","):
            tokens.take()
            values.append(_literal(tokens))
        if tokens.take() != ("punct", ")"):
            raise SoqlError("MALFORMED_QUERY", "unclosed IN list")
        return Condition(name, "NOT IN" if negated else "IN", tuple(values))
    kind, op = tokens.take()
    if negated or kind != "op":
        raise SoqlError("MALFORMED_QUERY", f"expected a comparison after {name}")
    return Condition(name, "!=" if op == "<>" else op, _literal(tokens))


def _ordering(tokens: _Tokens) -> tuple[str, bool]:
    name = tokens.word()
    descending = tokens.keyword("DESC")
    if not descending:
        tokens.keyword("ASC")
    return name, descending


def _literal(tokens: _Tokens) -> Any:
    kind, value = tokens.take()
    if kind == "string":
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), value[1:-1])
    if kind == "datetime":
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "number":
        return Decimal(value)
    if kind == "word" and value.lower() in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[value.lower()]
    raise SoqlError("MALFORMED_QUERY", f"expected a value, got {value}")


def run(
    query: Query, records: Iterable[Mapping[str, Any]], known: Iterable[str]
) -> list[dict[str, Any]]:
    """Select, filter, order and cut `records`; each result holds the selected fields only."""
    names = {name.lower(): name for name in known}

    def field(name: str) -> str:
        found = names.get(name.lower())
        if found is None:
            message = f"No such column '{name}' on entity '{query.sobject}'."
            raise SoqlError("INVALID_FIELD", message)
        return found

    selected = [field(name) for name in query.fields]
    tests = [(field(c.field), c) for c in query.conditions]
    ordering = [(field(name), descending) for name, descending in query.order]
    found = [r for r in records if all(_holds(r.get(n), c) for n, c in tests)]
    for name, descending in reversed(ordering):
        found.sort(key=_key(name), reverse=descending)
    if query.limit is not None:
        found = found[: query.limit]
    return [{name: r.get(name) for name in selected} for r in found]


def _key(name: str) -> Callable[[Mapping[str, Any]], tuple[bool, str]]:
    return lambda record: (record.get(name) is None, str(record.get(name) or ""))


def _holds(value: Any, condition: Condition) -> bool:
    if condition.op in ("IN", "NOT IN"):
        inside = any(_equal(value, v) for v in condition.value)
        return inside if condition.op == "IN" else not inside
    if condition.op == "=":
        return _equal(value, condition.value)
    if condition.op == "!=":
        return not _equal(value, condition.value)
    if value is None or condition.value is None:
        return False
    mine, theirs = _comparable(value, condition.value), condition.value
    return {
        "<": mine < theirs,
        "<=": mine <= theirs,
        ">": mine > theirs,
        ">=": mine >= theirs,
    }[condition.op]


def _equal(value: Any, literal: Any) -> bool:
    if value is None or literal is None:
        return value is None and literal is None
    if isinstance(literal, str):
        return str(value).casefold() == literal.casefold()  # SOQL compares text in any case
    return _comparable(value, literal) == literal


def _comparable(value: Any, literal: Any) -> Any:
    """Read a stored value as the literal's type: Salesforce compares typed values."""
    if isinstance(literal, datetime):
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if isinstance(literal, date):
        return date.fromisoformat(str(value)[:10])
    if isinstance(literal, bool):
        return bool(value)
    if isinstance(literal, Decimal):
        return Decimal(str(value))
    return str(value)
