"""An incoming lead, as intake and CSV import take it, and how it is checked."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import accumulate, chain, count, repeat
from operator import mul, sub
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails

from bot.domain.facts import source_name
from bot.services.countries import iso_country

MAX_BATCH = 1000
MAX_SCORE = 100  # scores are 0 to 100, as the lead definition's minimum scores are
# A lead nests four levels deep ({"leads": [{"activity": [{...}]}]}); unknown fields may
# nest a little more. Anything deeper is refused, and the parser's recursion guard stops
# anything far deeper part way.
MAX_DEPTH = 64
# Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
# A string, or the rest of the text after a quote that is never closed: every quote starts a
# match, so the search never starts again inside a string (which would take quadratic time).
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
OPENING_AS_ONE = bytes.maketrans(b"[{]}", b"\x01\x01\x00\x00")


class NotJson(ValueError):
    """Not a JSON document Baton reads; the message says why, after the document's name."""


def read_json(body: bytes) -> Any:
    """Parse a JSON document, refusing one that nests deeper than MAX_DEPTH."""
    too_deep = NotJson(f"nests deeper than {MAX_DEPTH} levels")
    encoding = json.detect_encoding(body)
    try:
        document = _DECODER.decode(body.decode(encoding, "surrogatepass"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        # A broken body that also nests too deep is refused for its depth.
        if nests_deeper_than(body, MAX_DEPTH):
            raise too_deep from None
        raise NotJson(f"is not valid JSON: {error}") from None
    except RecursionError:
        # The parser's own guard, which a body far deeper than MAX_DEPTH meets.
        raise too_deep from None
    # Parsed from UTF-8, the document nests exactly as deep as the byte-wise count tells,
    # and walking its lists and objects costs a fraction of counting on every byte.
    if encoding.startswith("utf-8"):
        deep = document_deeper_than(document, MAX_DEPTH)
    else:
        deep = nests_deeper_than(body, MAX_DEPTH)
    if deep:
        raise too_deep
    return document


def document_deeper_than(document: Any, limit: int) -> bool:
    """Whether the lists and dicts of a parsed JSON document nest deeper than `limit`."""
    level = [document] if isinstance(document, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        inside = list(
            chain.from_iterable([v.values() if isinstance(v, dict) else v for v in level])
        )
        # Most levels hold no list or dict at all; telling so by their types is quicker.
        if not any(issubclass(kind, (dict, list)) for kind in set(map(type, inside))):
            return False
        level = [v for v in inside if isinstance(v, (dict, list))]
    return False


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether the arrays and objects of a JSON text nest deeper than `limit`.

    Brackets inside strings do not count. The text is not parsed: this tells the depth of
    a body the parser refused, and of one in UTF-16 or UTF-32.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    structure = JSON_STRING.sub(b"", body).translate(None, NOT_BRACKETS)
    opened = accumulate(structure.translate(OPENING_AS_ONE))
    # After k brackets, o of them opening, the depth is o - (k - o).
    return max(map(sub, map(mul, repeat(2), opened), count(1)), default=0) > limit


def _json_int(digits: str) -> int | Decimal:
    try:
        return int(digits)
    except ValueError:
        # Python turns at most 4,300 digits into an int; as a Decimal the number can still
        # be refused as out of range for the field that holds it.
        return Decimal(digits)


# One decoder for every body: what json.loads(body, parse_int=_json_int) builds each time.
_DECODER = json.JSONDecoder(parse_int=_json_int)


def _text_or_none(value: Any) -> Any:
    # Text first: nearly every value is, and this runs for every text field of every lead.
    if isinstance(value, str):
        if "\x00" in value:
            # PostgreSQL cannot store it, so no database is given it.
            raise ValueError("must not contain a NUL character (\\u0000)")
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("must be text")
    if isinstance(value, int | float | Decimal):
        return str(value)
    raise ValueError("must be text")


def _required_text(value: Any) -> Any:
    text = _text_or_none(value)
    if text is None:
        raise ValueError("is required")
    return text


# Optional text, trimmed (blank is None), of at most so many characters.
_TRIMMED = BeforeValidator(_text_or_none)
Text40 = Annotated[Annotated[str, StringConstraints(max_length=40)] | None, _TRIMMED]
Text100 = Annotated[Annotated[str, StringConstraints(max_length=100)] | None, _TRIMMED]
Text200 = Annotated[Annotated[str, StringConstraints(max_length=200)] | None, _TRIMMED]
Text300 = Annotated[Annotated[str, StringConstraints(max_length=300)] | None, _TRIMMED]
Text2000 = Annotated[Annotated[str, StringConstraints(max_length=2000)] | None, _TRIMMED]
Text10000 = Annotated[Annotated[str, StringConstraints(max_length=10_000)] | None, _TRIMMED]


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Annotated[str, BeforeValidator(_required_text), Field(min_length=1, max_length=100)]
    at: datetime | None = None
    detail: Text2000 = None

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class LeadIn(BaseModel):
    """One lead as sent to intake; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    email: Annotated[str, BeforeValidator(_required_text), Field(max_length=320)]
    first_name: Text200 = None
    last_name: Text200 = None
    company: Text300 = None
    title: Text300 = None
    phone: Text100 = None
    country: Text100 = None
    state: Text100 = None
    postal_code: Text40 = None
    region: Text100 = None
    campaign: Text200 = None
    source: Text100 = None
    score: float | None = Field(default=None, ge=0, le=MAX_SCORE)
    notes: Text10000 = None
    activity: list[ActivityIn] = Field(default_factory=list, max_length=200)
    external_id: Text200 = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("is not an email address")
        return value.lower()

    @field_validator("score", mode="before")
    @classmethod
    def _score(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            try:
                value = float(value)
            except ValueError:
                raise ValueError("must be a number") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("campaign", "region")
    @classmethod
    def _lower_slug(cls, value: str | None) -> str | None:
        return value.lower() if value else value

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        return source_name(value) if value else value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return iso_country(value) if value else value

    def facts(self) -> dict[str, Any]:
        """Every field but the activity: what model_dump(exclude={"activity"}) gives."""
        # The fields are plain values (text, a number, None), so a copy of the instance's
        # dict is that dump, at a tenth of its cost, paid for every lead of every request.
        facts = self.__dict__.copy()
        del facts["activity"]
        return facts


@dataclass(frozen=True)
class FieldError:
    position: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.position, "field": self.field, "error": self.reason}


def check_leads(
    raw: Sequence[Any], *, known_region: Callable[[str], bool]
) -> tuple[list[LeadIn], list[FieldError]]:
    """Validate every lead; return the good ones and every problem of the bad ones."""
    if all(isinstance(item, dict) and _unknown_region(item, known_region) is None for item in raw):
        # One validation of the whole list costs half of one a lead (it never leaves
        # pydantic's core between leads); a list with a bad lead is told lead by lead.
        try:
            return _LEAD_LIST.validate_python(raw), []
        except ValidationError:
            pass
    leads: list[LeadIn] = []
    errors: list[FieldError] = []
    for position, item in enumerate(raw):
        lead, problems = check_lead(item, position, known_region=known_region)
        errors.extend(problems)
        if lead is not None:
            leads.append(lead)
    return leads, errors


def check_lead(
    item: Any, position: int, *, known_region: Callable[[str], bool]
) -> tuple[LeadIn | None, list[FieldError]]:
    if not isinstance(item, dict):
        return None, [FieldError(position, "", "a lead must be a JSON object")]
    named = _unknown_region(item, known_region)
    unknown_region = (
        [] if named is None else [FieldError(position, "region", f"no region named “{named}”")]
    )
    try:
        lead = LeadIn.model_validate(item)
    except ValidationError as error:
        problems = [FieldError(position, _path(e["loc"]), _reason(e)) for e in error.errors()]
        return None, problems + unknown_region
    if unknown_region:
        return None, unknown_region
    return lead, []


def _unknown_region(item: dict[str, Any], known_region: Callable[[str], bool]) -> str | None:
    """The region the lead names, trimmed and in lower case, when no region has that name."""
    region = item.get("region")
    named = region.strip().lower() if isinstance(region, str) and "\x00" not in region else ""
    return named if named and not known_region(named) else None


_LEAD_LIST = TypeAdapter(list[LeadIn])


def _path(location: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in location:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif not (isinstance(part, str) and part.startswith(("function-", "constrained-"))):
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _reason(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return "is required"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
