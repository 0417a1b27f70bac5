"""Deal amounts as people type them: `12500`, `$12,500`, `12.5k`, `€8k`, `EUR 1.2m`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
CODES = frozenset({"USD", "EUR", "GBP", "CHF", "CAD", "AUD", "SGD", "JPY", "SEK", "NOK", "DKK"})
MULTIPLIERS = {"": 1, "K": 1_000, "M": 1_000_000}
LARGEST = Decimal("99999999999999.99")  # what a Numeric(16, 2) column holds
CENT = Decimal("0.01")
EXAMPLES = "12500, $12,500, 12.5k or €8k"

_CODE = "|".join(sorted(CODES))
_SHAPE = re.compile(
    rf"^(?P<pre>[$€£]|(?:{_CODE})(?=[\d.,]))?"
    r"(?P<number>[\d.,]*\d[\d.,]*)"
    rf"(?P<suffix>[KM])?(?P<post>[$€£]|{_CODE})?$"
)
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+$|^\d{1,3}(?:\.\d{3}){2,}$")


class AmountError(ValueError):
    """Text that is not an amount; the message says how to type one."""


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None  # as typed; None when no currency was given


def looks_like_amount(text: str) -> bool:
    """Whether a word was meant as an amount (so a mistake in it is an error, not a note)."""
    word = text.strip().upper()
    if word[:1] in SYMBOLS:
        return True
    for prefix in CODES:
        if word.startswith(prefix):
            word = word[len(prefix) :]
            break
    return word[:1].isdigit() or (word[:1] in ".," and word[1:2].isdigit())


def is_currency(text: str) -> bool:
    return text.strip().upper() in CODES or text.strip() in SYMBOLS


def parse_money(text: str) -> Money:
    """Read an amount with an optional currency and k/m suffix; raise AmountError if it is none."""
    word = "".join(text.split()).upper()
    match = _SHAPE.match(word)
    if match is None or (match["pre"] and match["post"]):
        raise AmountError(f"“{text.strip()}” is not an amount: type it like {EXAMPLES}.")
    number = _number(match["number"], text)
    amount = number * MULTIPLIERS[match["suffix"] or ""]
    if amount > LARGEST:
        raise AmountError(f"“{text.strip()}” is too large for an amount.")
    currency = match["pre"] or match["post"]
    return Money(amount.quantize(CENT), SYMBOLS.get(currency, currency) if currency else None)


def parse_amount(text: str) -> Decimal:
    """The amount in `text`, to the cent."""
    return parse_money(text).amount


def _number(digits: str, typed: str) -> Decimal:
    commas, dots = digits.count(","), digits.count(".")
    if _GROUPED.match(digits):
        plain = digits.replace(",", "").replace(".", "")
    elif commas and dots:
        # Both marks: the last one is the decimal point, the other groups thousands.
        decimal_mark = "," if digits.rfind(",") > digits.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        whole, _, cents = digits.rpartition(decimal_mark)
        grouped = re.match(rf"^\d{{1,3}}(?:{re.escape(grouping)}\d{{3}})+$", whole)
        if not grouped or not cents.isdigit():
            raise AmountError(f"“{typed.strip()}” is not an amount: type it like {EXAMPLES}.")
        plain = whole.replace(grouping, "") + "." + cents
    elif commas == 1 and len(digits.partition(",")[2]) in (1, 2):
        plain = digits.replace(",", ".")  # 8,5k: a decimal comma
    elif commas == 0 and dots <= 1:
        plain = digits
    else:
        raise AmountError(f"“{typed.strip()}” is not an amount: type it like {EXAMPLES}.")
    try:
        return Decimal(plain)
    except InvalidOperation:
        raise AmountError(f"“{typed.strip()}” is not an amount: type it like {EXAMPLES}.") from None
