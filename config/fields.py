"""The config's vocabulary: Slack ids, codes, names and times, each validated as it is read."""

from __future__ import annotations

import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from bot.domain.crm import CrmProvider
from bot.domain.facts import LEAD_FIELDS, source_name
from bot.domain.workingtime import parse_hours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_USER_ID = re.compile(r"[UW][A-Z0-9]{8,}")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{8,}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_REGION_NAME = re.compile(r"[a-z0-9-]+")
_CRM_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def problem(reason: str, value: Any = None) -> PydanticCustomError:
    # Custom errors keep pydantic from prefixing "Value error, " to the reason, and the
    # context keeps braces in a bad value from being read as a template.
    if value is None:
        return PydanticCustomError("baton_config", reason)
    return PydanticCustomError("baton_config", reason + ", got {value}", {"value": repr(value)})


def _user_id(value: str) -> str:
    if not _USER_ID.fullmatch(value):
        raise problem("not a Slack user ID (U… or W…)", value)
    return value


def _channel_id(value: str) -> str:
    if not _CHANNEL_ID.fullmatch(value):
        raise problem("not a Slack channel ID (C… or G…)", value)
    return value


def _currency(value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise problem("not an ISO 4217 currency code (3 capital letters, such as USD)", value)
    return value


def _country(value: str) -> str:
    code = value.upper()
    if not _COUNTRY.fullmatch(code):
        raise problem("not an ISO 3166 alpha-2 country code (such as DE)", value)
    return code


def _postal_prefix(value: Any) -> Any:
    if not isinstance(value, str):
        raise problem("postal prefixes must be quoted strings so leading zeros are kept", value)
    return value


def _lead_field(value: str) -> str:
    if value not in LEAD_FIELDS:
        raise problem(f"not a lead field (one of: {', '.join(LEAD_FIELDS)})", value)
    return value


def _weekday(value: str) -> str:
    day = value.lower()
    if day not in WEEKDAYS:
        raise problem(f"not a weekday (one of: {', '.join(WEEKDAYS)})", value)
    return day


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        reason = "unknown time zone (expected an IANA name such as Europe/Berlin)"
        raise problem(reason, value) from None
    return value


def _hours(value: str) -> str:
    try:
        parse_hours(value)
    except ValueError as error:
        raise problem(str(error)) from None
    return value


def at_least_one(items: tuple[Any, ...]) -> tuple[Any, ...]:
    # Checked after the items, not as min_length: pydantic would also count the bad items
    # as missing and report the list as too short.
    if not items:
        raise problem("needs at least one entry")
    return items


def _region_name(value: str) -> str:
    if not _REGION_NAME.fullmatch(value):
        raise problem("not a lowercase name of letters a-z, digits and '-'", value)
    return value


def _crm_provider(value: str) -> str:
    if value not in CRM_PROVIDERS:
        raise problem(f"not a CRM Baton works with ({' or '.join(CRM_PROVIDERS)})", value)
    return value


def _crm_field(value: str) -> str:
    # Field names go into Salesforce queries, so nothing but a name gets through.
    if not _CRM_FIELD.fullmatch(value):
        raise problem("not a CRM field name (letters, digits and _)", value)
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise problem("not an email address", value)
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
SlackUserIds = Annotated[tuple[SlackUserId, ...], AfterValidator(at_least_one)]
# A source is one name however it is written (Trade Show, trade-show: trade_show), as leads
# name it at intake.
Source = Annotated[Text, AfterValidator(source_name)]
CrmProviderName = Annotated[Text, AfterValidator(_crm_provider)]
CrmFieldName = Annotated[Text, AfterValidator(_crm_field)]
Email = Annotated[Text, AfterValidator(_email)]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
