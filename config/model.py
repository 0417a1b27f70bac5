"""The YAML config file: routing, SLAs and the lead definition, validated on load."""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import date, time
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from bot.domain.crm import CrmProvider
from bot.domain.crm_rules import DEFAULTS as CRM_DEFAULTS
from bot.domain.crm_rules import CrmRules, rules_for
from bot.domain.facts import LEAD_FIELDS
from bot.domain.lead import Outcome
from bot.domain.workingtime import WorkingCalendar, parse_hours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_USER_ID = re.compile(r"[UW][A-Z0-9]{8,}")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{8,}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_REGION_NAME = re.compile(r"[a-z0-9-]+")
_CRM_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class ConfigError(Exception):
    """The config file cannot be used; `problems` holds one "file: field: reason" line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def _problem(reason: str, value: Any = None) -> PydanticCustomError:
    # Custom errors keep pydantic from prefixing "Value error, " to the reason, and the
    # context keeps braces in a bad value from being read as a template.
    if value is None:
        return PydanticCustomError("baton_config", reason)
    return PydanticCustomError("baton_config", reason + ", got {value}", {"value": repr(value)})


def _user_id(value: str) -> str:
    if not _USER_ID.fullmatch(value):
        raise _problem("not a Slack user ID (U… or W…)", value)
    return value


def _channel_id(value: str) -> str:
    if not _CHANNEL_ID.fullmatch(value):
        raise _problem("not a Slack channel ID (C… or G…)", value)
    return value


def _currency(value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise _problem("not an ISO 4217 currency code (3 capital letters, such as USD)", value)
    return value


def _country(value: str) -> str:
    code = value.upper()
    if not _COUNTRY.fullmatch(code):
        raise _problem("not an ISO 3166 alpha-2 country code (such as DE)", value)
    return code


def _postal_prefix(value: Any) -> Any:
    if not isinstance(value, str):
        raise _problem("postal prefixes must be quoted strings so leading zeros are kept", value)
    return value


def _lead_field(value: str) -> str:
    if value not in LEAD_FIELDS:
        raise _problem(f"not a lead field (one of: {', '.join(LEAD_FIELDS)})", value)
    return value


def _weekday(value: str) -> str:
    day = value.lower()
    if day not in WEEKDAYS:
        raise _problem(f"not a weekday (one of: {', '.join(WEEKDAYS)})", value)
    return day


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        reason = "unknown time zone (expected an IANA name such as Europe/Berlin)"
        raise _problem(reason, value) from None
    return value


def _hours(value: str) -> str:
    try:
        parse_hours(value)
    except ValueError as error:
        raise _problem(str(error)) from None
    return value


def _at_least_one(items: tuple[Any, ...]) -> tuple[Any, ...]:
    # Checked after the items, not as min_length: pydantic would also count the bad items
    # as missing and report the list as too short.
    if not items:
        raise _problem("needs at least one entry")
    return items


def _region_name(value: str) -> str:
    if not _REGION_NAME.fullmatch(value):
        raise _problem("not a lowercase name of letters a-z, digits and '-'", value)
    return value


def _crm_provider(value: str) -> str:
    if value not in CRM_PROVIDERS:
        raise _problem(f"not a CRM Baton works with ({' or '.join(CRM_PROVIDERS)})", value)
    return value


def _crm_field(value: str) -> str:
    # Field names go into Salesforce queries, so nothing but a name gets through.
    if not _CRM_FIELD.fullmatch(value):
        raise _problem("not a CRM field name (letters, digits and _)", value)
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise _problem("not an email address", value)
    return value.lower()


CRM_PROVIDERS = tuple(provider.value for provider in CrmProvider)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
SlackUserId = Annotated[Text, AfterValidator(_user_id)]
SlackChannelId = Annotated[Text, AfterValidator(_channel_id)]
CurrencyCode = Annotated[Text, AfterValidator(_currency)]
CountryCode = Annotated[Text, AfterValidator(_country)]
PostalPrefix = Annotated[Text, BeforeValidator(_postal_prefix)]
LeadField = Annotated[Text, AfterValidator(_lead_field)]
Weekday = Annotated[Text, AfterValidator(_weekday)]
TimeZoneName = Annotated[Text, AfterValidator(_time_zone)]
WorkingHours = Annotated[Text, AfterValidator(_hours)]
RegionName = Annotated[Text, AfterValidator(_region_name)]
SlackUserIds = Annotated[tuple[SlackUserId, ...], AfterValidator(_at_least_one)]
Source = Text
CrmProviderName = Annotated[Text, AfterValidator(_crm_provider)]
CrmFieldName = Annotated[Text, AfterValidator(_crm_field)]
Email = Annotated[Text, AfterValidator(_email)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Marketing(_Frozen):
    channel: SlackChannelId = Field(
        description="Gets returned-lead notices, leakage tasks, digests."
    )
    users: SlackUserIds = Field(description="Who counts as marketing.")


class Triage(_Frozen):
    channel: SlackChannelId = Field(description="Where leads that match no region are posted.")
    deciders: SlackUserIds = Field(description="Who may decide on triage leads.")


class SourceRule(_Frozen):
    """The lead definition for one source; it replaces the general one for that source."""

    min_score: int | None = Field(ge=0, le=100, description="None: no score needed.")
    required_fields: tuple[LeadField, ...]


class LeadDefinition(_Frozen):
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
            raise _problem(f"no such source in allowed_sources: {', '.join(strangers)}")
        return rules


class SLA(_Frozen):
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
            raise _problem(f"must be greater than handoff_hours ({handoff})", hours)
        return hours


class Campaign(_Frozen):
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
            raise _problem(f"must not be before starts ({starts.isoformat()})", ends.isoformat())
        return ends


class RegionMatch(_Frozen):
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


class Region(_Frozen):
    name: RegionName
    manager: SlackUserId
    backup: SlackUserId | None = None
    reps: SlackUserIds
    channel: SlackChannelId | None = Field(
        default=None, description="None: handoffs go to the manager as a DM."
    )
    timezone: TimeZoneName
    working_days: Annotated[tuple[Weekday, ...], AfterValidator(_at_least_one)] = WEEKDAYS[:5]
    working_hours: Annotated[tuple[WorkingHours, ...], AfterValidator(_at_least_one)] = (
        "09:00-17:00",
    )
    holidays: tuple[date, ...] = ()
    match: RegionMatch

    @field_validator("backup")
    @classmethod
    def _backup_is_someone_else(cls, backup: str | None, info: ValidationInfo) -> str | None:
        if backup is not None and backup == info.data.get("manager"):
            raise _problem("the backup must be someone other than the manager", backup)
        return backup

    @field_validator("working_hours")
    @classmethod
    def _hours_do_not_overlap(cls, intervals: tuple[str, ...]) -> tuple[str, ...]:
        ordered = sorted((parse_hours(text), text) for text in intervals)
        for (earlier, earlier_text), (later, later_text) in pairwise(ordered):
            if later[0] < earlier[1]:
                raise _problem(f"working hours overlap: {earlier_text} and {later_text}")
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


class CrmSalesReady(_Frozen):
    """Which records become leads: those whose `field` is (or becomes) one of `values`."""

    field: CrmFieldName | None = Field(default=None, description="None: the provider's.")
    values: Annotated[tuple[Text, ...], AfterValidator(_at_least_one)] | None = None


class CrmStatuses(_Frozen):
    """The status Baton writes into `field` on each decision; null writes none."""

    field: CrmFieldName | None = Field(default=None, description="None: the provider's.")
    accepted: Text | None = None
    returned: Text | None = None
    won: Text | None = None
    lost: Text | None = None


class CrmDealStages(_Frozen):
    """Which deal stages mean an opportunity, a win and a loss; others are ignored."""

    opportunity: tuple[Text, ...] | None = None
    won: Annotated[tuple[Text, ...], AfterValidator(_at_least_one)] | None = None
    lost: Annotated[tuple[Text, ...], AfterValidator(_at_least_one)] | None = None


class CrmConfig(_Frozen):
    """The CRM bridge. Every key but `provider` has a default per provider that works as is."""

    provider: CrmProviderName
    sales_ready: CrmSalesReady = CrmSalesReady()
    fields: dict[LeadField, CrmFieldName | None] = Field(
        default_factory=dict,
        description="Baton's lead field -> the CRM's; over the provider's, null removing one.",
    )
    statuses: CrmStatuses = CrmStatuses()
    deal_stages: CrmDealStages = CrmDealStages()
    marketing_owner: Email | None = Field(
        default=None,
        description="The CRM user (by email) who gets leakage and customer-service tasks.",
    )
    sync_every_minutes: int = Field(
        default=5, ge=1, le=1440, description="How often crm-sync asks Salesforce for changes."
    )

    @field_validator("fields")
    @classmethod
    def _email_stays_mapped(cls, fields: dict[str, str | None]) -> dict[str, str | None]:
        if "email" in fields and fields["email"] is None:
            raise _problem("email cannot be left out: every lead needs one")
        return fields

    @model_validator(mode="after")
    def _stages_mean_one_thing(self) -> CrmConfig:
        meanings: dict[str, list[str]] = {}
        for stage, outcome in self._stage_lists().items():
            for name in outcome:
                meanings.setdefault(name, []).append(stage)
        twice = sorted(f"{name} ({' and '.join(m)})" for name, m in meanings.items() if len(m) > 1)
        if twice:
            raise _problem(f"deal_stages: a stage means one thing, got {', '.join(twice)}")
        return self

    def _stage_lists(self) -> dict[str, tuple[str, ...]]:
        defaults = CRM_DEFAULTS[CrmProvider(self.provider)].stages
        given = self.deal_stages
        return {
            outcome.value: getattr(given, outcome.value)
            if getattr(given, outcome.value) is not None
            else defaults[outcome]
            for outcome in (Outcome.OPPORTUNITY, Outcome.WON, Outcome.LOST)
        }

    def rules(self) -> CrmRules:
        """Return the bridge's rules: the provider's defaults with this section over them."""
        statuses = self.statuses
        return rules_for(
            CrmProvider(self.provider),
            fields=self.fields,
            sales_ready_field=self.sales_ready.field,
            sales_ready_values=self.sales_ready.values,
            status_field=statuses.field,
            statuses={
                name: getattr(statuses, name)
                for name in statuses.model_fields_set
                if name != "field"
            },
            stages={Outcome(name): stages for name, stages in self._stage_lists().items()},
            marketing_owner=self.marketing_owner,
        )


class BatonConfig(_Frozen):
    currency: CurrencyCode
    marketing: Marketing
    triage: Triage
    lead_definition: LeadDefinition
    sla: SLA = SLA()
    campaigns: tuple[Campaign, ...] = ()
    regions: Annotated[tuple[Region, ...], AfterValidator(_at_least_one)] = Field(
        description="In matching order."
    )
    crm: CrmConfig | None = Field(default=None, description="None: no CRM bridge.")

    @field_validator("campaigns", "regions")
    @classmethod
    def _names_are_unique(cls, items: tuple[Campaign | Region, ...]) -> Any:
        names = [item.name for item in items]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise _problem(f"names must be unique, repeated: {', '.join(repeated)}")
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
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"{path}: cannot read the file: {error}"]) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: builds plain data only
    except yaml.YAMLError as error:
        raise ConfigError([f"{path}: {_yaml_problem(error)}"]) from None
    if data is None:
        raise ConfigError([f"{path}: the file is empty"])
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping of keys such as currency and regions"])
    try:
        return BatonConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(
            [f"{path}: {_field_path(e['loc'])}: {_reason(e)}" for e in error.errors()]
        ) from None


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
