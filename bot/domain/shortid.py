"""Short lead ids people can type: `L-` and five Crockford base-32 characters."""

import re
import secrets
from collections.abc import Callable, Collection

# Crockford's alphabet leaves out I, L, O and U so that ids survive being read aloud.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 5
PREFIX = "L-"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SHAPE = re.compile(rf"^(?:L-?)?([{ALPHABET}OIL]{{{LENGTH}}})$")


_BITS = 5  # one character of the 32-letter alphabet
# The two characters of every ten bits (the lower five first): intake draws an id for every
# lead it takes, and two look-ups and a character cost a third of joining five characters.
_PAIRS = tuple(low + high for high in ALPHABET for low in ALPHABET)


def new_short_id(randbits: Callable[[int], int] = secrets.randbits) -> str:
    """Draw a fresh short id: one random number, five bits to a character, lowest first."""
    number = randbits(_BITS * LENGTH)
    return (
        PREFIX + _PAIRS[number & 1023] + _PAIRS[number >> 10 & 1023] + ALPHABET[number >> 20 & 31]
    )


def draw_short_ids(
    short_ids: list[str], indexes: list[int], *, taken: Collection[str], draw: Callable[[], str]
) -> None:
    """Draw a short id at each of `indexes` that has none, one in `taken`, or one an earlier
    index has."""
    seen: set[str] = set()
    for i in indexes:
        short_id = short_ids[i]
        while not short_id or short_id in taken or short_id in seen:
            short_id = draw()
        seen.add(short_id)
        short_ids[i] = short_id


def parse_short_id(text: str) -> str | None:
    """Return the canonical id for what a person typed, or None when it is not an id."""
    match = _SHAPE.match(text.strip().upper())
    if match is None:
        return None
    return PREFIX + match.group(1).translate(_CONFUSABLE)
