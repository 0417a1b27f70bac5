"""Short ids: drawn five bits to a character, the lowest first, and read back as typed."""

from __future__ import annotations

import pytest

from bot.domain.shortid import ALPHABET, new_short_id, parse_short_id


@pytest.mark.parametrize(
    ("number", "short_id"),
    [
        (0, "L-00000"),
        (1, "L-10000"),
        (32, "L-01000"),
        (31 << 20, "L-0000Z"),
        ((1 << 25) - 1, "L-ZZZZZ"),
        (1 << 25 | 5, "L-50000"),  # bits past the 25th are not used
    ],
)
def test_a_short_id_spells_its_number_five_bits_to_a_character(number: int, short_id: str) -> None:
    assert new_short_id(lambda bits: number) == short_id


def test_every_character_spells_its_five_bits() -> None:
    for number in range(0, 1 << 25, 4099):
        expected = "L-" + "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(5))
        assert new_short_id(lambda bits, number=number: number) == expected


def test_a_drawn_short_id_reads_back_as_itself() -> None:
    short_id = new_short_id()
    assert parse_short_id(short_id.lower()) == short_id
