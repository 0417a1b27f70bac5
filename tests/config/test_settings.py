from pathlib import Path

import pytest

from config.settings import Settings, SettingsError, load_settings

VARIABLES = [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_the_defaults_need_no_environment() -> None:
    settings = load_settings(env_file=None)

    assert settings.database_url == "sqlite:///baton.db"
    assert settings.baton_config == Path("config/baton.yaml")
    assert (settings.host, settings.port, settings.log_level) == ("0.0.0.0", 3000, "INFO")
    assert settings.slack_bot_token is None
    assert settings.slack_api_url is None
    assert settings.baton_intake_token is None
    assert settings.baton_report_token is None


def test_every_setting_is_described() -> None:
    assert all(field.description for field in Settings.model_fields.values())


def test_the_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0-abc")
    monkeypatch.setenv("BATON_CONFIG", "/etc/baton/baton.yaml")
    monkeypatch.setenv("BATON_INTAKE_TOKEN", "intake-secret")
    monkeypatch.setenv("BATON_REPORT_TOKEN", "report-secret")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("HOST", "127.0.0.1")

    settings = load_settings(env_file=None)

    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1-2-abc"
    assert settings.slack_app_token is not None
    assert settings.slack_app_token.get_secret_value() == "xapp-1-A0-abc"
    assert settings.baton_intake_token is not None
    assert settings.baton_intake_token.get_secret_value() == "intake-secret"
    assert settings.baton_config == Path("/etc/baton/baton.yaml")
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)


def test_secrets_do_not_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://baton:hunter2@db/baton")

    shown = repr(load_settings(env_file=None))

    assert "very-secret" not in shown
    assert "hunter2" not in shown


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\nLOG_LEVEL=debug\nSOMETHING_ELSE=ignored\n"
    )

    settings = load_settings()

    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-dotenv"
    assert settings.log_level == "DEBUG"


def test_the_environment_wins_over_the_dotenv_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "baton.env").write_text("PORT=4000\nHOST=10.0.0.1\n")
    monkeypatch.setenv("PORT", "5000")

    settings = load_settings(env_file=str(tmp_path / "baton.env"))

    assert (settings.host, settings.port) == ("10.0.0.1", 5000)


def test_no_env_file_means_the_dotenv_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=4000\n")

    assert load_settings(env_file=None).port == 3000


def test_a_missing_dotenv_file_is_fine() -> None:
    assert load_settings(env_file="no-such.env").port == 3000


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    monkeypatch.setenv("DATABASE_URL", "")

    settings = load_settings(env_file=None)

    assert settings.slack_bot_token is None
    assert settings.database_url == "sqlite:///baton.db"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://baton:pw@db:5432/baton", "postgresql+psycopg://baton:pw@db:5432/baton"),
        ("postgresql://baton:pw@db/baton", "postgresql+psycopg://baton:pw@db/baton"),
        ("postgresql+psycopg://baton@db/baton", "postgresql+psycopg://baton@db/baton"),
        ("sqlite:///baton.db", "sqlite:///baton.db"),
        ("sqlite:////var/lib/baton/baton.db", "sqlite:////var/lib/baton/baton.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_urls_are_rewritten_for_the_psycopg_driver(
    monkeypatch: pytest.MonkeyPatch, given: str, used: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)

    assert load_settings(env_file=None).database_url == used


@pytest.mark.parametrize(
    "url", ["mysql://baton@db/baton", "baton.db", "postgres://", "http://db/baton"]
)
def test_a_malformed_database_url_is_refused(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert str(raised.value) == (
        "DATABASE_URL is malformed: expected a sqlite:// or postgresql:// URL"
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN is not a bot token (xoxb-…)"),
        ("SLACK_BOT_TOKEN", "xapp-1-A0-abc", "SLACK_BOT_TOKEN is not a bot token (xoxb-…)"),
        (
            "SLACK_APP_TOKEN",
            "xoxb-1-2-abc",
            "SLACK_APP_TOKEN is not an app-level token (xapp-…)",
        ),
    ],
)
def test_a_token_of_the_wrong_kind_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert str(raised.value) == message
    assert value not in str(raised.value)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("https://slack.com/api/", "https://slack.com/api/"),
        ("http://127.0.0.1:8765/api", "http://127.0.0.1:8765/api/"),
        ("  http://localhost:9000 ", "http://localhost:9000/"),
    ],
)
def test_the_slack_api_url_ends_with_a_slash(
    monkeypatch: pytest.MonkeyPatch, given: str, used: str
) -> None:
    monkeypatch.setenv("SLACK_API_URL", given)

    assert load_settings(env_file=None).slack_api_url == used


@pytest.mark.parametrize("url", ["slack.com/api", "ftp://slack.com/api/", "https://"])
def test_a_slack_api_url_that_is_not_http_is_refused(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("SLACK_API_URL", url)

    with pytest.raises(SettingsError, match=r"^SLACK_API_URL is malformed: expected an http"):
        load_settings(env_file=None)


@pytest.mark.parametrize("port", ["0", "65536", "-1", "http", "80.5"])
def test_a_port_outside_1_to_65535_is_refused(monkeypatch: pytest.MonkeyPatch, port: str) -> None:
    monkeypatch.setenv("PORT", port)

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert str(raised.value) == "PORT is malformed: expected a port number from 1 to 65535"


def test_the_sqlite_page_cache_is_8_mib_a_connection_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings(env_file=None).baton_sqlite_cache_mib == 8
    monkeypatch.setenv("BATON_SQLITE_CACHE_MIB", " 64 ")
    assert load_settings(env_file=None).baton_sqlite_cache_mib == 64


@pytest.mark.parametrize("size", ["0", "1025", "-8", "lots", "8.5", "8MiB"])
def test_a_sqlite_page_cache_outside_1_to_1024_mib_is_refused(
    monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    monkeypatch.setenv("BATON_SQLITE_CACHE_MIB", size)

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert str(raised.value) == (
        "BATON_SQLITE_CACHE_MIB is malformed: expected a whole number of MiB from 1 to 1024"
    )


@pytest.mark.parametrize(("given", "used"), [("debug", "DEBUG"), ("Warning", "WARNING")])
def test_the_log_level_is_case_insensitive(
    monkeypatch: pytest.MonkeyPatch, given: str, used: str
) -> None:
    monkeypatch.setenv("LOG_LEVEL", given)

    assert load_settings(env_file=None).log_level == used


def test_an_unknown_log_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "verbose")

    with pytest.raises(SettingsError, match=r"^LOG_LEVEL is not a logging level \(DEBUG, INFO"):
        load_settings(env_file=None)


def test_every_bad_setting_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "oracle://db")
    monkeypatch.setenv("PORT", "none")

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert str(raised.value).splitlines() == [
        "DATABASE_URL is malformed: expected a sqlite:// or postgresql:// URL",
        "PORT is malformed: expected a port number from 1 to 65535",
    ]


def test_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "5000")

    settings = load_settings(env_file=None, port=6000, database_url="postgres://db/baton")

    assert settings.port == 6000
    assert settings.database_url == "postgresql+psycopg://db/baton"


def test_overrides_are_validated_too() -> None:
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN is not a bot token"):
        load_settings(env_file=None, slack_bot_token="not-a-token")


def test_an_unknown_override_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="slack_token"):
        load_settings(env_file=None, slack_token="xoxb-1")


def test_require_names_what_the_command_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    settings = load_settings(env_file=None)

    with pytest.raises(SettingsError) as raised:
        settings.require("serve", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")

    assert str(raised.value) == "SLACK_SIGNING_SECRET is required for `baton serve`"


def test_require_names_every_missing_variable() -> None:
    settings = load_settings(env_file=None)

    with pytest.raises(SettingsError) as raised:
        settings.require("socket", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")

    assert str(raised.value).splitlines() == [
        "SLACK_BOT_TOKEN is required for `baton socket`",
        "SLACK_APP_TOKEN is required for `baton socket`",
    ]


def test_require_passes_when_everything_is_set() -> None:
    settings = load_settings(env_file=None, slack_bot_token="xoxb-1", slack_app_token="xapp-1")

    settings.require("socket", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")


def test_require_refuses_a_name_that_is_not_a_setting() -> None:
    with pytest.raises(ValueError, match="SLACK_TOKEN"):
        load_settings(env_file=None).require("serve", "SLACK_TOKEN")
