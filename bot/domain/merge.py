"""What a stored lead keeps when intake or an import brings the same person again.

A merge never rewrites what a lead is. Its first campaign and source stay: a later one is a
touch of its own (what attribution counts). A value brought for an empty field fills it; a
value that differs from the stored one is kept apart, as offered, never applied. The score
is the one fact that moves: it is marketing's latest measure of the lead, and a lead that
may be qualified again is qualified on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain.facts import FACT_FIELDS

TOUCH_FIELDS = ("campaign", "source")
SCORE = "score"
# Who the person is: compared field by field, filled when empty, otherwise kept.
DETAIL_FIELDS = (
    "email",
    "external_id",
    *(name for name in FACT_FIELDS if name not in (*TOUCH_FIELDS, SCORE)),
)

Touch = tuple[str | None, str | None]  # (campaign, source)


@dataclass(frozen=True)
class FactsMerge:
    """A stored lead's facts with what an intake brings merged in, and what that changed."""

    facts: dict[str, Any]  # the facts to qualify on: stored, empty ones filled, latest score
    filled: dict[str, Any] = field(default_factory=dict)  # empty fields the intake filled
    offered: dict[str, Any] = field(default_factory=dict)  # other values, not applied
    kept: dict[str, Any] = field(default_factory=dict)  # the stored values they differ from
    score: tuple[float | None, float] | None = None  # (before, now) when it moved
    touch: Touch | None = None  # a campaign or source unlike the lead's latest touch

    @property
    def changed(self) -> bool:
        """Whether the intake brought anything the lead did not have."""
        return bool(self.filled or self.offered or self.score or self.touch)

    @property
    def applied(self) -> dict[str, Any]:
        """The fact values to store: the filled fields and a score that moved."""
        return {**self.filled, **({SCORE: self.score[1]} if self.score else {})}

    def details(self, *, with_score: bool) -> dict[str, Any]:
        """The event data of the changed details; empty when nothing changed."""
        data: dict[str, Any] = {}
        if self.filled:
            data["filled"] = self.filled
        if self.offered:
            data["offered"] = self.offered
            data["kept"] = self.kept
        if with_score and self.score:
            data["score"] = list(self.score)
        return data


def merge_facts(
    stored: Mapping[str, Any], incoming: Mapping[str, Any], *, latest_touch: Touch
) -> FactsMerge:
    """Merge what an intake brings (`incoming`, None for what it leaves out) into `stored`.

    `latest_touch` is the campaign and source the lead came through last (its first ones
    when it has no later touch); bringing them again is no new touch.
    """
    facts = dict(stored)
    filled, offered, kept = {}, {}, {}
    for name in DETAIL_FIELDS:
        new, old = incoming.get(name), stored.get(name)
        if new is None or new == old:
            continue
        if old is None:
            filled[name] = facts[name] = new
        else:
            offered[name], kept[name] = new, old
    score = None
    new_score = incoming.get(SCORE)
    if new_score is not None and new_score != stored.get(SCORE):
        score = (stored.get(SCORE), new_score)
        facts[SCORE] = new_score
    return FactsMerge(facts, filled, offered, kept, score, _touch(incoming, latest_touch))


def _touch(incoming: Mapping[str, Any], latest: Touch) -> Touch | None:
    brought = (incoming.get("campaign"), incoming.get("source"))
    if brought == (None, None):
        return None
    same = all(new is None or new == old for new, old in zip(brought, latest, strict=True))
    return None if same else brought


def field_label(name: str) -> str:
    """`first_name` as people read it: first name."""
    return name.replace("_", " ")
