"""Deal amounts as people type them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.amounts import AmountError, Money, looks_like_amount, parse_amount, parse_money

READ = [
    ("12500", "12500.00", None),
    ("$12,500", "12500.00", "USD"),
    ("12.5k", "12500.00", None),
    ("12.5K", "12500.00", None),
    ("€8k", "8000.00", "EUR"),
    ("£950.50", "950.50", "GBP"),
    ("USD12500", "12500.00", "USD"),
    ("eur 8000", "8000.00", "EUR"),
    ("8000EUR", "8000.00", "EUR"),
    ("8000 chf", "8000.00", "CHF"),
    ("1.2m", "1200000.00", None),
    ("$1.25M", "1250000.00", "USD"),
    ("1,234,567", "1234567.00", None),
    ("1.234.567", "1234567.00", None),
    ("1,234.56", "1234.56", None),
    ("1.234,56", "1234.56", None),
    ("8,5k", "8500.00", None),
    ("0", "0.00", None),
    (".5k", "500.00", None),
    ("12 500", "12500.00", None),
    ("12.555", "12.56", None),
]


@pytest.mark.parametrize(("typed", "amount", "currency"), READ)
def test_an_amount_is_read_as_people_type_it(typed: str, amount: str, currency: str | None) -> None:
    assert parse_money(typed) == Money(Decimal(amount), currency)
    assert parse_amount(typed) == Decimal(amount)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "k",
        "$",
        "€",
        "12.5.3k",
        "1,2,3",
        "12,5000",
        "$12x",
        "-500",
        "12kk",
        "$8k€",
        "1e5",
        "1.234,5,6",
    ],
)
def test_what_is_not_an_amount_is_refused_with_how_to_type_one(typed: str) -> None:
    with pytest.raises(AmountError, match=r"12500, \$12,500, 12.5k or €8k|too large"):
        parse_money(typed)


def test_an_amount_too_large_for_the_ledger_is_refused() -> None:
    with pytest.raises(AmountError, match="too large"):
        parse_money("999999999999m")


@pytest.mark.parametrize(
    ("word", "meant"),
    [
        ("12k", True),
        ("$x", True),
        ("€", True),
        ("EUR8", True),
        (".5k", True),
        ("EUR", False),
        ("Q3", False),
        ("k", False),
        ("budget", False),
    ],
)
def test_a_word_meant_as_an_amount_is_recognised(word: str, meant: bool) -> None:
    assert looks_like_amount(word) is meant
