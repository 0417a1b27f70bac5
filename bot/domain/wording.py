"""How numbers are worded to people, the same in every message, report and chart."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

_VOWELS = frozenset("aeiou")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """A count and its noun: 1 lead, 2 leads, 1 opportunity, 12,345 opportunities."""
    if n == 1:
        return f"1 {noun}"
    return f"{n:,} {plural or plural_of(noun)}"


def plural_of(noun: str) -> str:
    """The plural of a regular English noun: leads, opportunities, days, matches."""
    if noun.endswith("y") and len(noun) > 1 and noun[-2] not in _VOWELS:
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def whole_percent(share: float | Fraction | Decimal) -> int:
    """A share (0.2857…) as a whole percentage, halves rounded up: 2 of 7 is 29."""
    if isinstance(share, float) and not math.isfinite(share):
        raise ValueError("a share must be a finite number")
    if isinstance(share, Fraction):
        # Half up on the exact value: a share is never rounded twice.
        return int((share * 100 + Fraction(1, 2)) // 1) if share >= 0 else -whole_percent(-share)
    # A rate is stored to a few decimal places: read as written, not as its binary float.
    exact = Decimal(str(share)) if isinstance(share, float) else share
    return int((exact * 100).quantize(Decimal(1), ROUND_HALF_UP))


def percent(part: int, whole: int) -> int | None:
    """`part` of `whole` as a whole percentage (None of nothing): 2 of 7 is 29."""
    return whole_percent(Fraction(part, whole)) if whole else None
