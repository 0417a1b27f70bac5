"""Short lead ids people can type: `L-` and five Crockford base-32 characters."""

import os
import re
import struct
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


class RandomBits:
    """Random numbers of up to 32 bits from the system's generator, read 4 KiB at a time.

    Intake draws an id for every lead it takes, and a read of the system's generator costs
    more than the rest of the drawing. A process forked from this one reads afresh, so that
    the two never draw the same numbers.
    """

    NUMBERS_A_READ = 1024

    def __init__(self, read: Callable[[int], bytes] = os.urandom) -> None:
        self._read = read
        self._numbers: list[int] = []
        os.register_at_fork(after_in_child=self._numbers.clear)

    def __call__(self, bits: int) -> int:
        if not 0 < bits <= 32:
            raise ValueError("32 random bits at most are drawn at once")
        while True:
            try:
                number = self._numbers.pop()  # one step under the interpreter lock: thread-safe
            except IndexError:
                read = self._read(4 * self.NUMBERS_A_READ)
                self._numbers.extend(struct.unpack(f"<{len(read) // 4}I", read))
            else:
                return number >> (32 - bits)


_RANDOM_BITS = RandomBits()


def new_short_id(randbits: Callable[[int], int] = _RANDOM_BITS) -> str:
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
