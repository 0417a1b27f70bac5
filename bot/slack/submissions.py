"""What a person entered in each of Baton's modals, read from its submission into a record.

The input ids are the ones the modal builders use (`ActionId`). An input Slack requires but
the submission lacks, or a choice that is not one of the modal's, raises PayloadError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.lead import FollowUpMethod, Outcome, ReturnReason
from bot.slack.blocks import TRIAGE
from bot.slack.ids import ActionId
from bot.slack.payloads import FormValues, PayloadError

REACHED = "reached"  # the touch modal's option for "the lead was reached"


@dataclass(frozen=True)
class AcceptValues:
    rep_id: str | None
    comment: str | None
    method: FollowUpMethod
    due_date: date


def accept_values(values: FormValues) -> AcceptValues:
    due_date = values.day(ActionId.DUE_BLOCK, ActionId.DUE_INPUT)
    if due_date is None:
        raise PayloadError("the form is missing its due date")
    return AcceptValues(
        rep_id=values.person(ActionId.REP_BLOCK, ActionId.REP_INPUT),
        comment=values.text(ActionId.COMMENT_BLOCK, ActionId.COMMENT_INPUT),
        method=values.required(ActionId.METHOD_BLOCK, ActionId.METHOD_INPUT, FollowUpMethod),
        due_date=due_date,
    )


@dataclass(frozen=True)
class ReturnValues:
    reason: ReturnReason
    notes: str | None


def return_values(values: FormValues) -> ReturnValues:
    return ReturnValues(
        reason=values.required(ActionId.REASON_BLOCK, ActionId.REASON_INPUT, ReturnReason),
        notes=values.text(ActionId.NOTES_BLOCK, ActionId.NOTES_INPUT),
    )


@dataclass(frozen=True)
class RerouteValues:
    region: str | None  # None: triage
    note: str | None


def reroute_values(values: FormValues) -> RerouteValues:
    region = values.required(ActionId.REGION_BLOCK, ActionId.REGION_INPUT, str)
    return RerouteValues(
        region=None if region == TRIAGE else region,
        note=values.text(ActionId.NOTE_BLOCK, ActionId.NOTE_INPUT),
    )


@dataclass(frozen=True)
class OutcomeValues:
    outcome: Outcome
    amount: str | None  # as typed: the listener reads it, and says what is wrong with it
    next_step: date | None
    return_reason: ReturnReason | None
    notes: str | None


def outcome_values(values: FormValues) -> OutcomeValues:
    return OutcomeValues(
        outcome=values.required(ActionId.OUTCOME_BLOCK, ActionId.OUTCOME_INPUT, Outcome),
        amount=values.text(ActionId.AMOUNT_BLOCK, ActionId.AMOUNT_INPUT),
        next_step=values.day(ActionId.NEXT_STEP_BLOCK, ActionId.NEXT_STEP_INPUT),
        return_reason=values.choice(ActionId.REASON_BLOCK, ActionId.REASON_INPUT, ReturnReason),
        notes=values.text(ActionId.NOTES_BLOCK, ActionId.NOTES_INPUT),
    )


@dataclass(frozen=True)
class SnoozeValues:
    days: int
    reason: str | None


def snooze_values(values: FormValues) -> SnoozeValues:
    return SnoozeValues(
        days=values.required(ActionId.SNOOZE_DAYS_BLOCK, ActionId.SNOOZE_DAYS_INPUT, int),
        reason=values.text(ActionId.SNOOZE_REASON_BLOCK, ActionId.SNOOZE_REASON_INPUT),
    )


@dataclass(frozen=True)
class TouchValues:
    by: str | None
    reached: bool
    notes: str | None


def touch_values(values: FormValues) -> TouchValues:
    reached = values.required(ActionId.TOUCH_REACHED_BLOCK, ActionId.TOUCH_REACHED_INPUT, str)
    return TouchValues(
        by=values.person(ActionId.TOUCH_BY_BLOCK, ActionId.TOUCH_BY_INPUT),
        reached=reached == REACHED,
        notes=values.text(ActionId.TOUCH_NOTES_BLOCK, ActionId.TOUCH_NOTES_INPUT),
    )


@dataclass(frozen=True)
class ReassignValues:
    rep_id: str | None
    note: str | None


def reassign_values(values: FormValues) -> ReassignValues:
    return ReassignValues(
        rep_id=values.person(ActionId.REASSIGN_REP_BLOCK, ActionId.REASSIGN_REP_INPUT),
        note=values.text(ActionId.REASSIGN_NOTE_BLOCK, ActionId.REASSIGN_NOTE_INPUT),
    )


def question_value(values: FormValues) -> str | None:
    """The question of the Ask why… modal (None: left empty)."""
    return values.text(ActionId.QUESTION_BLOCK, ActionId.QUESTION_INPUT)
