"""The YAML config file: routing, SLAs and the lead definition, validated on load."""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import date, time
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from bot.domain.workingtime import WorkingCalendar, parse_hours
from config.crm import CrmConfig
from config.fields import (
    WEEKDAYS,
    CountryCode,
    CurrencyCode,
    Frozen,
    LeadField,
    PostalPrefix,
    RegionName,
    SlackChannelId,
    SlackUserId,
    SlackUserIds,
    Source,
    Text,
    TimeZoneName,
    Weekday,
    WorkingHours,
    at_least_one,
    problem,
)


class ConfigError(Exception):
    """The config file cannot be used; `problems` holds one "file: field: reason" line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class Marketing(Frozen):
    channel: SlackChannelId = Field(
        description="Gets returned-lead notices, leakage tasks, digests."
    )
    users: SlackUserIds = Field(description="Who counts as marketing.")


class Triage(Frozen):
    channel: SlackChannelId = Field(description="Where leads that match no region are posted.")
    deciders: SlackUserIds = Field(description="Who may decide on triage leads.")


class SourceRule(Frozen):
    """The lead definition for one source; it replaces the general one for that source."""

    min_score: int | None = Field(ge=0, le=100, description="None: no score needed.")
    required_fields: tuple[LeadField, ...]


class LeadDefinition(Frozen):
    min_score: int | None = Field(ge=0, le=100, description="None: no score needed.")
    required_fields: tuple[LeadField, ...]
    allowed_sources: tuple[Source, ...] = Field(default=(), description="Empty: any source.")
    source_rules: dict[Source, SourceRule] = Field(default_factory=dict)

    @field_validator("source_rules")
    @classmethod
    def _rules_name_allowed_sources(
        cls, rules: dict[str, SourceRule], info: ValidationInfo
    ) -> dict[str, SourceRule]:
        allowed = info.data.get("allowed_sources") or ()
        strangers = [source for source in rules if allowed and source not in allowed]
        if strangers:
            raise problem(f"no such source in allowed_sources: {', '.join(strangers)}")
        return rules


class SLA(Frozen):
    handoff_hours: int = Field(default=4, gt=0, description="Working hours in pending.")
    escalation_hours: int = Field(default=8, gt=0, validate_default=True)
    leakage_days: int = Field(default=14, gt=0, description="Calendar days after acceptance.")
    leakage_days_by_source: dict[Source, Annotated[int, Field(gt=0)]] = Field(default_factory=dict)
    snooze_max_working_days: int = Field(default=2, ge=1, le=2)

    @field_validator("escalation_hours")
    @classmethod
    def _escalation_after_handoff(cls, hours: int, info: ValidationInfo) -> int:
        handoff = info.data.get("handoff_hours")
        if handoff is not None and hours <= handoff:
            raise problem(f"must be greater than handoff_hours ({handoff})", hours)
        return hours


class Campaign(Frozen):
    name: Text
    cost: Decimal = Field(ge=0)
    starts: date
    ends: date
    source: Source | None = None

    @field_validator("ends")
    @classmethod
    def _ends_after_start(cls, ends: date, info: ValidationInfo) -> date:
        starts = info.data.get("starts")
        if starts is not None and ends < starts:
            raise problem(f"must not be before starts ({starts.isoformat()})", ends.isoformat())
        return ends


class RegionMatch(Frozen):
    """What leads a region takes.

    Every criterion that is given (a non-empty list) must hold: the lead's country is one of
    `countries`, its state one of `states`, its postal code starts with one of
    `postal_prefixes` (compared upper-case, ignoring spaces). A lead without the field a
    criterion asks about does not match. A region that gives no criterion matches no lead by
    itself: leads reach it only by naming it or by being sent there.
    """

    countries: tuple[CountryCode, ...] = ()
    states: tuple[Text, ...] = ()
    postal_prefixes: tuple[PostalPrefix, ...] = ()


class Region(Frozen):
    name: RegionName
    manager: SlackUserId
    backup: SlackUserId | None = None
    reps: SlackUserIds
    channel: SlackChannelId | None = Field(
        default=None, description="None: handoffs go to the manager as a DM."
    )
    timezone: TimeZoneName
    working_days: Annotated[tuple[Weekday, ...], AfterValidator(at_least_one)] = WEEKDAYS[:5]
    working_hours: Annotated[tuple[WorkingHours, ...], AfterValidator(at_least_one)] = (
        "09:00-17:00",
    )
    holidays: tuple[date, ...] = ()
    match: RegionMatch

    @field_validator("backup")
    @classmethod
    def _backup_is_someone_else(cls, backup: str | None, info: ValidationInfo) -> str | None:
        if backup is not None and backup == info.data.get("manager"):
            raise problem("the backup must be someone other than the manager", backup)
        return backup

    @field_validator("working_hours")
    @classmethod
    def _hours_do_not_overlap(cls, intervals: tuple[str, ...]) -> tuple[str, ...]:
        ordered = sorted((parse_hours(text), text) for text in intervals)
        for (earlier, earlier_text), (later, later_text) in pairwise(ordered):
            if later[0] < earlier[1]:
                raise problem(f"working hours overlap: {earlier_text} and {later_text}")
        return intervals

    def calendar(self) -> WorkingCalendar:
        """Return the region's working calendar."""
        hours: tuple[tuple[time, time], ...] = tuple(
            sorted(parse_hours(text) for text in self.working_hours)
        )
        return WorkingCalendar(
            timezone=self.timezone,
            working_days=frozenset(WEEKDAYS.index(day) for day in self.working_days),
            working_hours=hours,
            holidays=frozenset(self.holidays),
        )


class BatonConfig(Frozen):
    currency: CurrencyCode
    marketing: Marketing
    triage: Triage
    lead_definition: LeadDefinition
    sla: SLA = SLA()
    campaigns: tuple[Campaign, ...] = ()
    regions: Annotated[tuple[Region, ...], AfterValidator(at_least_one)] = Field(
        description="In matching order."
    )
    crm: CrmConfig | None = Field(default=None, description="None: no CRM bridge.")

    @field_validator("campaigns", "regions")
    @classmethod
    def _names_are_unique(cls, items: tuple[Campaign | Region, ...]) -> Any:
        names = [item.name for item in items]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise problem(f"names must be unique, repeated: {', '.join(repeated)}")
        return items

    def region(self, name: str) -> Region | None:
        """Return the region called `name`, in any case."""
        wanted = name.strip().lower()
        return next((region for region in self.regions if region.name == wanted), None)

    def campaign(self, name: str) -> Campaign | None:
        wanted = name.strip()
        return next((campaign for campaign in self.campaigns if campaign.name == wanted), None)

    def leakage_days_for(self, source: str | None) -> int:
        """Return the calendar days after acceptance before a lead from `source` leaks."""
        if source is None:
            return self.sla.leakage_days
        return self.sla.leakage_days_by_source.get(source, self.sla.leakage_days)

    def is_marketing(self, user_id: str) -> bool:
        return user_id in self.marketing.users

    def is_triage_decider(self, user_id: str) -> bool:
        return user_id in self.triage.deciders


_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads only true/false as booleans and refuses duplicate keys.

    YAML 1.1 reads `NO` (Norway) and `ON` (Ontario) as booleans, and silently keeps the last
    of two equal keys; both would quietly change the routing.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a date: {error}", node.start_mark
            ) from None


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def load_config(path: Path) -> BatonConfig:
    """Read and validate the config file, raising ConfigError with every problem found."""
    data = _read_mapping(path, "currency and regions")
    try:
        return BatonConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(
            [f"{path}: {_field_path(e['loc'])}: {_reason(e)}" for e in error.errors()]
        ) from None


def load_lead_definition(path: Path) -> LeadDefinition:
    """Read a proposed lead definition: the `lead_definition:` section of a YAML file,
    written as in the config file (other sections, if any, are not read)."""
    return lead_definition_of(_read_text(path), name=str(path))


def lead_definition_of(text: str, *, name: str) -> LeadDefinition:
    """A lead definition from YAML text holding a `lead_definition:` section; ConfigError's
    lines begin with `name`."""
    data = _mapping_of(text, name, "lead_definition")
    if "lead_definition" not in data:
        raise ConfigError(
            [f"{name}: no lead_definition section: write the rules under `lead_definition:`"]
        )
    try:
        return LeadDefinition.model_validate(data["lead_definition"])
    except ValidationError as error:
        raise ConfigError(
            [
                f"{name}: {_field_path(('lead_definition', *e['loc']))}: {_reason(e)}"
                for e in error.errors()
            ]
        ) from None


def _read_mapping(path: Path, keys: str) -> dict[str, Any]:
    return _mapping_of(_read_text(path), str(path), keys)


def _read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"{path}: cannot read the file: {error}"]) from None


def _mapping_of(text: str, name: str, keys: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: builds plain data only
    except yaml.YAMLError as error:
        raise ConfigError([f"{name}: {_yaml_problem(error)}"]) from None
    if data is None:
        raise ConfigError([f"{name}: the file is empty"])
    if not isinstance(data, dict):
        raise ConfigError([f"{name}: expected a mapping of keys such as {keys}"])
    return data


def _yaml_problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: invalid YAML: {error.problem}"
    return f"invalid YAML: {error}"


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":
            path += f".{part}" if path else str(part)
    return path


_REASONS = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key",
    "model_type": "expected a mapping of keys",
    "model_attributes_type": "expected a mapping of keys",
    "dict_type": "expected a mapping",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
}


def _reason(error: ErrorDetails) -> str:
    if error["type"] in _REASONS:
        return _REASONS[error["type"]]
    message = error["msg"]
    if error["type"] == "baton_config":
        return message
    return message[:1].lower() + message[1:]
