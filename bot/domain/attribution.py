"""Attribution: which campaign and source a lead counts for in the report."""

from __future__ import annotations

from enum import StrEnum


class Attribution(StrEnum):
    """Which campaign and source a lead counts for.

    first: the ones it arrived with; last: its last touch before its latest acceptance (its
    latest touch, if never accepted); any: every campaign and source it ever touched
    ("campaign influence"), so a lead counts in several groups and the groups overlap.
    """

    FIRST = "first"
    LAST = "last"
    ANY = "any"


ATTRIBUTION_LABELS = {
    Attribution.FIRST: "first touch",
    Attribution.LAST: "last touch before acceptance",
    Attribution.ANY: "campaign influence (every touch)",
}

OVERLAP_NOTE = (
    "Campaign influence: a lead counts in every campaign and source it touched, so these "
    "groups overlap and add up to more than the total, which counts each lead once."
)
