"""A lead's facts: what marketing knows of the person besides their email and external id."""

from __future__ import annotations

import re
from functools import lru_cache

# Every fact a lead stores, in the order they are stored and shown.
FACT_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "title",
    "phone",
    "country",
    "state",
    "postal_code",
    "campaign",
    "source",
    "score",
    "notes",
)
# The fields a lead definition may require: the email and every fact but free-text notes.
LEAD_FIELDS = ("email", *(name for name in FACT_FIELDS if name != "notes"))


_NOT_A_NAME = re.compile(r"[\s\-_]+")


# Sources are few, and every lead of every request names one.
@lru_cache(maxsize=1024)
def source_name(written: str) -> str:
    """A source as one name however it is written: `Trade Show`, `trade-show` are trade_show."""
    return _NOT_A_NAME.sub("_", written.strip().casefold()).strip("_") or written.strip()
