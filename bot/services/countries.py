"""Countries as marketing writes them ("Germany", "DE", "deu") read as ISO 3166 codes."""

from __future__ import annotations

from functools import lru_cache

import pycountry

# Names people write that ISO 3166 does not hold: the United Kingdom's code is GB.
ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
}


class UnknownCountry(ValueError):
    """Not a country's name or ISO code; the message says what to write instead."""


@lru_cache(maxsize=4096)
def iso_country(written: str) -> str:
    """The ISO 3166 alpha-2 code of a country given by its code or its name, any case."""
    text = " ".join(written.split())
    alias = ALIASES.get(text.casefold())
    if alias is not None:
        return alias
    try:
        code: str = pycountry.countries.lookup(text).alpha_2
    except LookupError:
        raise UnknownCountry(
            f"“{text}” is not a country: give its name or ISO code, such as Germany or DE"
        ) from None
    return code
