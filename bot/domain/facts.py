"""A lead's facts: what marketing knows of the person besides their email and external id."""

from __future__ import annotations

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
