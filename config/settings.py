"""Settings from the environment and an optional `.env` file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
HUBSPOT_API_URL = "https://api.hubapi.com"
SALESFORCE_API_VERSION = "62.0"

_API_VERSION = re.compile(r"[1-9][0-9]{1,2}\.0")
_URL_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+]*)://(?P<rest>.*)$", re.DOTALL)


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def _invalid(reason: str) -> PydanticCustomError:
    # A custom error keeps pydantic from prefixing "Value error, " to our reason.
    return PydanticCustomError("baton_setting", reason)


class Settings(BaseSettings):
    """Everything Baton reads from its environment, read once at start and passed down."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    slack_bot_token: SecretStr | None = Field(
        default=None,
        description="Bot token (xoxb-…); required by `baton serve` and `baton socket`.",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        description="Verifies that HTTP requests come from Slack; required by `baton serve`.",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        description="App-level token (xapp-…) for Socket Mode; required by `baton socket`.",
    )
    slack_api_url: str | None = Field(
        default=None,
        description="Base URL of the Slack Web API, ending in '/'; unset means Slack's own.",
    )
    database_url: str = Field(
        default="sqlite:///baton.db",
        description="SQLAlchemy URL of the database: SQLite or PostgreSQL.",
        repr=False,  # it may carry the database password
    )
    baton_database_wait: float = Field(
        default=60,
        ge=0,
        description=(
            "Seconds `baton serve` and `baton socket` keep trying to reach the database at "
            "start before they give up."
        ),
    )
    baton_sqlite_cache_mib: int = Field(
        default=8,
        description=(
            "Page cache of each SQLite connection, in MiB (the operating system caches the "
            "file as well); more speeds up large imports into a large store, at the cost of "
            "memory for each connection."
        ),
    )
    baton_config: Path = Field(
        default=Path("config/baton.yaml"),
        description="The YAML file with routing, SLAs and the lead definition.",
    )
    baton_intake_token: SecretStr | None = Field(
        default=None,
        description="Bearer token the intake API requires; unset means intake answers 503.",
    )
    port: int = Field(default=3000, description="TCP port `baton serve` listens on.")
    host: str = Field(default="0.0.0.0", description="Address `baton serve` listens on.")
    baton_report_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for GET /report; unset turns the report API off.",
    )
    log_level: str = Field(
        default="INFO",
        description="Logging level: DEBUG, INFO, WARNING, ERROR or CRITICAL.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`text` for a terminal, `json` for one JSON object per line.",
    )
    baton_public_url: str | None = Field(
        default=None,
        description=(
            "Baton's public base URL as others call it (https://baton.example.com); set it "
            "when a proxy changes the URL Baton sees, so HubSpot's webhook signatures verify."
        ),
    )
    hubspot_access_token: SecretStr | None = Field(
        default=None,
        description="Access token of Baton's HubSpot app; required with crm.provider hubspot.",
    )
    hubspot_client_secret: SecretStr | None = Field(
        default=None,
        description="Client secret of Baton's HubSpot app: verifies HubSpot's webhooks.",
    )
    hubspot_api_url: str = Field(
        default=HUBSPOT_API_URL,
        description="Base URL of HubSpot's API; unset means HubSpot's own.",
    )
    salesforce_instance_url: str | None = Field(
        default=None,
        description="The org's My Domain URL (https://acme.my.salesforce.com).",
    )
    salesforce_client_id: str | None = Field(
        default=None,
        description="Consumer key of the connected app Baton signs in with (client credentials).",
    )
    salesforce_client_secret: SecretStr | None = Field(
        default=None,
        description="Consumer secret of that connected app.",
    )
    salesforce_api_version: str = Field(
        default=SALESFORCE_API_VERSION,
        description="Salesforce REST API version, such as 62.0.",
    )

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_api_url",
        "baton_intake_token",
        "baton_report_token",
        "baton_public_url",
        "hubspot_access_token",
        "hubspot_client_secret",
        "salesforce_instance_url",
        "salesforce_client_id",
        "salesforce_client_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _is_bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise _invalid("is not a bot token (xoxb-…)")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _is_app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise _invalid("is not an app-level token (xapp-…)")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _is_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = value.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _invalid("is malformed: expected an http(s) URL such as https://slack.com/api/")
        # slack_sdk joins method names onto base_url, so it must end with a slash.
        return url if url.endswith("/") else url + "/"

    @field_validator("baton_public_url", "hubspot_api_url", "salesforce_instance_url")
    @classmethod
    def _is_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = value.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise _invalid("is malformed: expected an http(s) URL such as https://example.com")
        return url.rstrip("/")

    @field_validator("hubspot_api_url", "salesforce_api_version", mode="before")
    @classmethod
    def _blank_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[str(info.field_name)].default
        return value

    @field_validator("salesforce_api_version")
    @classmethod
    def _is_api_version(cls, value: str) -> str:
        version = value.strip().removeprefix("v")
        if not _API_VERSION.fullmatch(version):
            raise _invalid("is malformed: expected a version such as 62.0")
        return version

    @field_validator("database_url")
    @classmethod
    def _is_database_url(cls, value: str) -> str:
        url = value.strip()
        found = _URL_SCHEME.match(url)
        if found is None:
            raise _invalid("is malformed: expected a sqlite:// or postgresql:// URL")
        scheme, rest = found["scheme"].lower(), found["rest"]
        dialect = scheme.split("+", 1)[0]
        if dialect == "sqlite":
            return url
        if dialect in ("postgres", "postgresql") and rest:
            # Hosting providers hand out postgres:// URLs; the installed driver is psycopg 3.
            if scheme in ("postgres", "postgresql"):
                return f"postgresql+psycopg://{rest}"
            if dialect == "postgresql":
                return url
        raise _invalid("is malformed: expected a sqlite:// or postgresql:// URL")

    @field_validator("port", mode="before")
    @classmethod
    def _is_port(cls, value: Any) -> int:
        try:
            port = int(str(value).strip())
        except ValueError:
            raise _invalid("is malformed: expected a port number from 1 to 65535") from None
        if not 1 <= port <= 65535:
            raise _invalid("is malformed: expected a port number from 1 to 65535")
        return port

    @field_validator("baton_sqlite_cache_mib", mode="before")
    @classmethod
    def _is_cache_size(cls, value: Any) -> int:
        reason = "is malformed: expected a whole number of MiB from 1 to 1024"
        try:
            mib = int(str(value).strip())
        except ValueError:
            raise _invalid(reason) from None
        if not 1 <= mib <= 1024:
            raise _invalid(reason)
        return mib

    @field_validator("host")
    @classmethod
    def _is_host(cls, value: str) -> str:
        if not value.strip():
            raise _invalid("is empty: expected an address such as 0.0.0.0")
        return value.strip()

    @field_validator("log_format", mode="before")
    @classmethod
    def _is_log_format(cls, value: Any) -> str:
        chosen = str(value).strip().lower()
        if chosen not in ("text", "json"):
            raise _invalid("is not a log format (text or json)")
        return chosen

    @field_validator("log_level", mode="before")
    @classmethod
    def _is_log_level(cls, value: Any) -> str:
        level = str(value).strip().upper()
        if level not in LOG_LEVELS:
            raise _invalid(f"is not a logging level ({', '.join(LOG_LEVELS)})")
        return level

    def require(self, command: str, *names: str) -> None:
        """Raise SettingsError naming every variable `command` needs that is not set."""
        missing = []
        for name in names:
            field = name.lower()
            if field not in type(self).model_fields:
                raise ValueError(f"{name} is not a Baton setting")
            if getattr(self, field) is None:
                missing.append(f"{name} is required for `baton {command}`")
        if missing:
            raise SettingsError("\n".join(missing))


def load_settings(env_file: str | None = ".env", **overrides: Any) -> Settings:
    """Read the settings from the environment, `env_file` when it exists, and `overrides`."""
    unknown = sorted(set(overrides) - set(Settings.model_fields))
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(unknown)}")
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in problem["loc"]).upper() or "settings"
        if problem["type"] == "baton_setting":
            lines.append(f"{name} {problem['msg']}")
        else:
            reason = problem["msg"]
            lines.append(f"{name} is malformed: {reason[:1].lower()}{reason[1:]}")
    return "\n".join(lines)
