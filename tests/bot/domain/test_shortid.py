"""Short ids: drawn five bits to a character, the lowest first, and read back as typed."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.domain.shortid import ALPHABET, RandomBits, new_short_id, parse_short_id


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


def test_random_bits_take_the_highest_bits_of_each_number_read() -> None:
    reads: list[int] = []

    def read(size: int) -> bytes:
        reads.append(size)
        return bytes(range(4)) * (size // 4)  # each number 0x03020100

    bits = RandomBits(read)
    assert [bits(32), bits(25), bits(8)] == [0x03020100, 0x03020100 >> 7, 0x03]
    assert reads == [4 * RandomBits.NUMBERS_A_READ]  # one read for many numbers
    with pytest.raises(ValueError):
        bits(33)


def test_a_process_forked_after_drawing_reads_afresh() -> None:
    bits = RandomBits()
    bits(25)  # numbers are held now
    ours, theirs = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next numbers, then gone
        os.write(theirs, json.dumps([bits(32) for _ in range(8)]).encode())
        os._exit(0)
    os.close(theirs)
    os.waitpid(child, 0)
    with os.fdopen(ours) as pipe:
        childs = json.loads(pipe.read())
    assert childs != [bits(32) for _ in range(8)]


def test_threads_drawing_short_ids_at_once_never_share_a_number() -> None:
    with ThreadPoolExecutor(4) as pool:
        drawn = list(pool.map(lambda _: new_short_id(), range(20_000)))
    assert len(set(drawn)) > 19_970  # 33 million ids: a few alike by chance (6 expected)
