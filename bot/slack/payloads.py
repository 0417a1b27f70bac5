"""Slack's requests read once, into typed records: a click with the reference its button
carries, a modal's submission with its values, a slash command, an event.

A request that passed the signature check may still hold fields that are missing or not what
Slack sends (a form from an older Baton, a hand-made request): reading it raises
PayloadError, which Baton's error handler turns into a refusal, never a server error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SlackBody = dict[str, Any]
R = TypeVar("R")
T = TypeVar("T")


class PayloadError(ValueError):
    """A request whose fields are missing or malformed; the message names what, for a person."""


@dataclass(frozen=True)
class Asker:
    """Who acted, and the channel to answer them in (None: answer them by DM)."""

    user: str
    channel: str | None = None


def asker_of(body: Mapping[str, Any]) -> Asker | None:
    """Who sent this command or interaction and where to answer them; None for events or
    when the request does not say who."""
    user = _text(body.get("user_id")) or _text(_field(body.get("user"), "id"))
    if user is None:
        return None
    channel = (
        _text(body.get("channel_id"))
        or _text(_field(body.get("channel"), "id"))
        or _text(_field(body.get("container"), "channel_id"))
        or _metadata_channel(body.get("view"))
    )
    return Asker(user, channel)


def _metadata_channel(view: Any) -> str | None:
    """A modal opened from a channel remembers it in its metadata (see OutcomeRef)."""
    try:
        metadata = json.loads(_text(_field(view, "private_metadata")) or "null")
    except ValueError:
        return None
    return _text(_field(metadata, "channel"))


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# Slack's shapes: only the fields Baton reads (Slack adds others as it pleases).
class _Shape(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Option(_Shape):
    value: str


class _Action(_Shape):
    value: str | None = None
    selected_option: _Option | None = None


class _Actions(_Shape):
    trigger_id: str
    actions: list[_Action] = Field(min_length=1)


class InputState(_Shape):
    """What a person entered in one input of a modal."""

    value: str | None = None
    selected_option: _Option | None = None
    selected_user: str | None = None
    selected_date: date | None = None


class _State(_Shape):
    values: dict[str, dict[str, InputState]]


class _View(_Shape):
    id: str | None = None
    private_metadata: str
    state: _State


class _Submission(_Shape):
    trigger_id: str | None = None
    view: _View


class _Command(_Shape):
    trigger_id: str = Field(min_length=1)
    text: str = ""


class _HomeEvent(_Shape):
    user: str = Field(min_length=1)
    tab: str | None = None


class _EventBody(_Shape):
    event: _HomeEvent


@dataclass(frozen=True)
class Click(Generic[R]):
    """A button clicked (or an overflow option chosen), with the reference it carries."""

    asker: Asker
    trigger_id: str
    ref: R


@dataclass(frozen=True)
class FormValues:
    """A submitted modal's inputs, keyed by block id and then action id."""

    inputs: Mapping[str, Mapping[str, InputState]]

    def text(self, block: str, action: str) -> str | None:
        """Text typed in, stripped; None when there is none."""
        value = self._input(block, action).value
        return value.strip() or None if value else None

    def choice(self, block: str, action: str, read: Callable[[str], T]) -> T | None:
        """The chosen option's value read by `read`; None when nothing was chosen."""
        option = self._input(block, action).selected_option
        if option is None:
            return None
        try:
            return read(option.value)
        except ValueError:
            message = f"the form's choice “{option.value[:40]}” is not one of its own"
            raise PayloadError(message) from None

    def required(self, block: str, action: str, read: Callable[[str], T]) -> T:
        """Like `choice`, for an input Slack does not let a person leave empty."""
        chosen = self.choice(block, action, read)
        if chosen is None:
            raise PayloadError("the form is missing a choice it requires")
        return chosen

    def person(self, block: str, action: str) -> str | None:
        return self._input(block, action).selected_user

    def day(self, block: str, action: str) -> date | None:
        return self._input(block, action).selected_date

    def _input(self, block: str, action: str) -> InputState:
        return self.inputs.get(block, {}).get(action) or InputState()


@dataclass(frozen=True)
class Submission(Generic[R]):
    """A modal submitted, with the reference its metadata carries and what was entered."""

    asker: Asker
    # The view's id: Slack sends a double-clicked submit twice, and it changes a lead once.
    request_id: str
    ref: R
    values: FormValues


@dataclass(frozen=True)
class SlashCommand:
    asker: Asker
    trigger_id: str
    text: str


@dataclass(frozen=True)
class HomeOpened:
    user: str
    tab: str | None


def read_click(body: Mapping[str, Any], read_ref: Callable[[str], R]) -> Click[R]:
    """A click on one of Baton's buttons; `read_ref` reads the reference in its value."""
    asker = _asker(body, "click")
    shape = _validate(_Actions, body, "click")
    action = shape.actions[0]
    value = action.selected_option.value if action.selected_option else action.value
    return Click(asker, shape.trigger_id, _ref(read_ref, value, "button"))


def read_submission(body: Mapping[str, Any], read_ref: Callable[[str], R]) -> Submission[R]:
    """A modal Baton opened, submitted; `read_ref` reads the reference in its metadata."""
    asker = _asker(body, "form")
    shape = _validate(_Submission, body, "form")
    request_id = shape.view.id or shape.trigger_id
    if not request_id:
        raise PayloadError("the form has no id")
    ref = _ref(read_ref, shape.view.private_metadata, "form")
    return Submission(asker, request_id, ref, FormValues(shape.view.state.values))


def read_command(body: Mapping[str, Any]) -> SlashCommand:
    asker = _asker(body, "command")
    shape = _validate(_Command, body, "command")
    return SlashCommand(asker, shape.trigger_id, shape.text)


def read_home_opened(body: Mapping[str, Any]) -> HomeOpened:
    event = _validate(_EventBody, body, "event").event
    return HomeOpened(event.user, event.tab)


def _asker(body: Mapping[str, Any], what: str) -> Asker:
    asker = asker_of(body)
    if asker is None:
        raise PayloadError(f"the {what} does not say who sent it")
    return asker


ShapeT = TypeVar("ShapeT", bound=_Shape)


def _validate(shape: type[ShapeT], body: Mapping[str, Any], what: str) -> ShapeT:
    try:
        return shape.model_validate(body)
    except ValidationError:
        raise PayloadError(f"the {what} is missing fields or holds malformed ones") from None


def _ref(read_ref: Callable[[str], R], text: str | None, what: str) -> R:
    try:
        return read_ref(text or "")
    except ValueError:
        # A pydantic ValidationError is a ValueError too.
        raise PayloadError(f"the {what} does not carry a reference Baton gave it") from None
