"""Every id Baton gives Slack (actions, callbacks, blocks) and the lead reference they carry."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ActionId(StrEnum):
    """Action, callback and block ids shared by the builders and the listeners."""

    ACCEPT = "lead_accept"
    RETURN = "lead_return"
    MORE = "lead_more"
    REROUTE = "reroute"
    ACCEPT_MODAL = "accept_modal"
    RETURN_MODAL = "return_modal"
    REROUTE_MODAL = "reroute_modal"
    LOG_OUTCOME = "lead_log_outcome"
    REP_BLOCK = "rep_block"
    REP_INPUT = "rep_input"
    COMMENT_BLOCK = "comment_block"
    COMMENT_INPUT = "comment_input"
    METHOD_BLOCK = "method_block"
    METHOD_INPUT = "method_input"
    DUE_BLOCK = "due_block"
    DUE_INPUT = "due_input"
    REASON_BLOCK = "reason_block"
    REASON_INPUT = "reason_input"
    NOTES_BLOCK = "notes_block"
    NOTES_INPUT = "notes_input"
    REGION_BLOCK = "region_block"
    REGION_INPUT = "region_input"
    NOTE_BLOCK = "note_block"
    NOTE_INPUT = "note_input"
    OUTCOME_MODAL = "outcome_modal"
    OUTCOME_BLOCK = "outcome_block"
    OUTCOME_INPUT = "outcome_input"
    AMOUNT_BLOCK = "amount_block"
    AMOUNT_INPUT = "amount_input"
    NEXT_STEP_BLOCK = "next_step_block"
    NEXT_STEP_INPUT = "next_step_input"
    SNOOZE = "timer_snooze"
    SNOOZE_MODAL = "snooze_modal"
    SNOOZE_DAYS_BLOCK = "snooze_days_block"
    SNOOZE_DAYS_INPUT = "snooze_days_input"
    SNOOZE_REASON_BLOCK = "snooze_reason_block"
    SNOOZE_REASON_INPUT = "snooze_reason_input"
    TOUCH = "lead_touch"
    TOUCH_MODAL = "touch_modal"
    TOUCH_BY_BLOCK = "touch_by_block"
    TOUCH_BY_INPUT = "touch_by_input"
    TOUCH_REACHED_BLOCK = "touch_reached_block"
    TOUCH_REACHED_INPUT = "touch_reached_input"
    TOUCH_NOTES_BLOCK = "touch_notes_block"
    TOUCH_NOTES_INPUT = "touch_notes_input"
    RULES_APPROVE = "rules_approve"
    RULES_REJECT = "rules_reject"
    RULES_PROPOSE_MODAL = "rules_propose_modal"
    RULES_REJECT_MODAL = "rules_reject_modal"
    RULES_TEXT_BLOCK = "rules_text_block"
    RULES_TEXT_INPUT = "rules_text_input"
    RULES_WHY_BLOCK = "rules_why_block"
    RULES_WHY_INPUT = "rules_why_input"
    NUDGE = "lead_nudge"
    REASSIGN = "lead_reassign"
    REASSIGN_MODAL = "reassign_modal"
    REASSIGN_REP_BLOCK = "reassign_rep_block"
    REASSIGN_REP_INPUT = "reassign_rep_input"
    REASSIGN_NOTE_BLOCK = "reassign_note_block"
    REASSIGN_NOTE_INPUT = "reassign_note_input"
    SEND_BACK = "lead_send_back"
    SEND_BACK_MODAL = "send_back_modal"
    KEEP_NURTURING = "lead_keep_nurturing"
    ASK_WHY = "lead_ask_why"
    ASK_WHY_MODAL = "ask_why_modal"
    QUESTION_BLOCK = "question_block"
    QUESTION_INPUT = "question_input"


class LeadRef(BaseModel):
    """Which lead and handoff round a button or modal is about; a stale round is refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lead: str = Field(min_length=1, max_length=20)
    round: int = Field(ge=0)

    def dumps(self) -> str:
        return self.model_dump_json()

    @classmethod
    def loads(cls, text: str) -> LeadRef:
        """Read a reference back; raises pydantic's ValidationError for anything else."""
        return cls.model_validate_json(text)


# An overflow option has only a value, so the value names the choice and carries the ref.
_CHOICE_SEPARATOR = " "


def choice_value(choice: ActionId, ref: LeadRef) -> str:
    """The value of an overflow option: the choice, then the lead reference."""
    return f"{choice}{_CHOICE_SEPARATOR}{ref.dumps()}"


def read_choice(value: str) -> tuple[ActionId, LeadRef]:
    """Split an overflow option's value; raises ValueError when it is not one of ours."""
    choice, _, ref = value.partition(_CHOICE_SEPARATOR)
    return ActionId(choice), LeadRef.loads(ref)


class OutcomeRef(BaseModel):
    """The lead an outcome modal is about, and where its answer goes (None: a DM)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lead: str = Field(min_length=1, max_length=20)
    channel: str | None = Field(default=None, max_length=40)
    timezone: str = Field(default="UTC", max_length=64)  # the lead's, for "today"

    def dumps(self) -> str:
        return self.model_dump_json()

    @classmethod
    def loads(cls, text: str) -> OutcomeRef:
        return cls.model_validate_json(text)


class TimerRef(BaseModel):
    """Which fired reminder a Snooze button or modal is about."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fire: int = Field(ge=1)
    lead: str = Field(min_length=1, max_length=20)

    def dumps(self) -> str:
        return self.model_dump_json()

    @classmethod
    def loads(cls, text: str) -> TimerRef:
        return cls.model_validate_json(text)


class ProposalRef(BaseModel):
    """Which proposal to change the lead definition an Approve or Reject button is about."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    proposal: int = Field(ge=1)
    channel: str | None = Field(default=None, max_length=40)  # the reject modal's: to answer in

    def dumps(self) -> str:
        return self.model_dump_json()

    @classmethod
    def loads(cls, text: str) -> ProposalRef:
        return cls.model_validate_json(text)


class ProposeRef(BaseModel):
    """The propose modal: where it was opened from, so the answer goes there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str | None = Field(default=None, max_length=40)

    def dumps(self) -> str:
        return self.model_dump_json()

    @classmethod
    def loads(cls, text: str) -> ProposeRef:
        return cls.model_validate_json(text)
