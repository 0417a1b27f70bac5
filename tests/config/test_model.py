import copy
from collections.abc import Callable
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from bot.domain.workingtime import WorkingCalendar
from config.model import BatonConfig, ConfigError, load_config

EXAMPLE = Path(__file__).parents[2] / "config" / "baton.yaml"

VALID: dict[str, Any] = {
    "currency": "EUR",
    "marketing": {"channel": "C0MKTG0001", "users": ["U0MKTG0001"]},
    "triage": {"channel": "C0TRIAGE01", "deciders": ["U0MKTG0001"]},
    "lead_definition": {
        "min_score": 50,
        "required_fields": ["email", "company"],
        "allowed_sources": [],
        "source_rules": {
            "trade_show": {"min_score": None, "required_fields": ["email", "company"]},
        },
    },
    "sla": {"handoff_hours": 4, "escalation_hours": 8},
    "campaigns": [
        {"name": "webinar", "cost": 100, "starts": "2026-03-01", "ends": "2026-03-31"},
    ],
    "regions": [
        {
            "name": "emea",
            "manager": "U0EMEAMGR1",
            "reps": ["U0EMEAREP1"],
            "timezone": "Europe/Berlin",
            "match": {"countries": ["DE"]},
        },
        {
            "name": "apac",
            "manager": "U0APACMGR1",
            "reps": ["U0APACREP1"],
            "timezone": "Asia/Singapore",
            "match": {"countries": ["SG"]},
        },
    ],
}


def write_config(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def config_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    change(data)
    return data


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == "\n".join(raised.value.problems)
    return list(raised.value.problems)


def test_the_example_config_loads() -> None:
    config = load_config(EXAMPLE)

    assert config.currency == "USD"
    assert [region.name for region in config.regions] == ["emea", "americas-east", "apac"]
    assert len({region.timezone for region in config.regions}) == 3
    assert config.regions[0].channel is not None
    assert config.region("apac") is not None
    assert config.region("apac").channel is None  # type: ignore[union-attr]
    assert config.lead_definition.source_rules["trade_show"].min_score is None
    assert {campaign.cost for campaign in config.campaigns} >= {Decimal(0)}
    assert config.leakage_days_for("trade_show") == 21


def test_the_example_calendars_build() -> None:
    for region in load_config(EXAMPLE).regions:
        assert isinstance(region.calendar(), WorkingCalendar)


def test_a_minimal_config_loads_with_the_defaults(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path / "baton.yaml", VALID))

    region = config.regions[0]
    assert region.working_days == ("mon", "tue", "wed", "thu", "fri")
    assert region.working_hours == ("09:00-17:00",)
    assert region.backup is None and region.channel is None and region.holidays == ()
    assert config.sla.leakage_days == 14
    assert config.sla.snooze_max_working_days == 2
    assert config.campaigns[0].source is None


def test_a_region_gives_its_working_calendar(tmp_path: Path) -> None:
    data = config_with(
        lambda d: d["regions"][0].update(
            working_days=["Mon", "wed", "sat"],
            working_hours=["13:00-17:30", "08:00-12:00"],
            holidays=["2026-12-25"],
        )
    )

    calendar = load_config(write_config(tmp_path / "baton.yaml", data)).regions[0].calendar()

    assert calendar == WorkingCalendar(
        timezone="Europe/Berlin",
        working_days=frozenset({0, 2, 5}),
        working_hours=((time(8), time(12)), (time(13), time(17, 30))),
        holidays=frozenset({date(2026, 12, 25)}),
    )


def test_lookups_answer_from_the_config(tmp_path: Path) -> None:
    data = config_with(lambda d: d["sla"].update(leakage_days_by_source={"trade_show": 21}))
    config = load_config(write_config(tmp_path / "baton.yaml", data))

    assert config.region("APAC") is config.regions[1]
    assert config.region("nowhere") is None
    assert config.campaign("webinar") is config.campaigns[0]
    assert config.campaign("nothing") is None
    assert config.leakage_days_for("trade_show") == 21
    assert config.leakage_days_for("webinar") == 14
    assert config.leakage_days_for(None) == 14
    assert config.is_marketing("U0MKTG0001")
    assert not config.is_marketing("U0EMEAMGR1")
    assert config.is_triage_decider("U0MKTG0001")
    assert not config.is_triage_decider("U0EMEAREP1")


def test_countries_are_upper_cased_and_norway_stays_a_country(tmp_path: Path) -> None:
    path = tmp_path / "baton.yaml"
    everything_but_regions = {key: value for key, value in VALID.items() if key != "regions"}
    path.write_text(
        yaml.safe_dump(everything_but_regions, sort_keys=False)
        + "regions:\n"
        + "  - name: nordics\n"
        + "    manager: U0NORDMGR1\n"
        + "    reps: [U0NORDREP1]\n"
        + "    timezone: Europe/Oslo\n"
        + "    match: {countries: [se, NO], states: [ON]}\n"
    )

    match = load_config(path).regions[0].match

    assert match.countries == ("SE", "NO")
    assert match.states == ("ON",)


def test_the_config_cannot_be_changed_once_loaded(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path / "baton.yaml", VALID))

    with pytest.raises(pydantic.ValidationError):
        config.regions[0].manager = "U0SOMEONE1"  # type: ignore[misc]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Return a change that sets the value at a dotted path, where digits index lists."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        for part in parents:
            data = data[part]
        data[last] = value  # type: ignore[index]

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        for part in parents:
            data = data[part]
        del data[last]  # type: ignore[arg-type]

    return change


BAD_CONFIGS = [
    ("unknown key at the top", _set("colour", "blue"), "colour: unknown key"),
    (
        "unknown nested key",
        _set("regions.0.manger", "U0EMEAMGR1"),
        "regions[0].manger: unknown key",
    ),
    ("missing key", _drop("regions.1.reps"), "regions[1].reps: required key is missing"),
    (
        "user ID of the wrong shape",
        _set("regions.1.manager", "bob"),
        "regions[1].manager: not a Slack user ID (U… or W…), got 'bob'",
    ),
    (
        "channel name instead of ID",
        _set("marketing.channel", "#marketing"),
        "marketing.channel: not a Slack channel ID (C… or G…), got '#marketing'",
    ),
    (
        "user ID where a channel belongs",
        _set("regions.0.channel", "U0EMEAMGR1"),
        "regions[0].channel: not a Slack channel ID (C… or G…)",
    ),
    (
        "lower-case user ID in a list",
        _set("triage.deciders", ["U0MKTG0001", "u0mktg0002"]),
        "triage.deciders[1]: not a Slack user ID (U… or W…)",
    ),
    (
        "unknown time zone",
        _set("regions.0.timezone", "Europe/Atlantis"),
        "regions[0].timezone: unknown time zone (expected an IANA name such as Europe/Berlin)",
    ),
    (
        "overlapping working hours",
        _set("regions.0.working_hours", ["09:00-12:00", "11:00-17:00"]),
        "regions[0].working_hours: working hours overlap: 09:00-12:00 and 11:00-17:00",
    ),
    (
        "working hours that end before they start",
        _set("regions.1.working_hours", ["17:00-09:00"]),
        "regions[1].working_hours[0]: working hours must start before they end",
    ),
    (
        "working hours that are not times",
        _set("regions.0.working_hours", ["9 to 5"]),
        "regions[0].working_hours[0]: working hours must look like 09:00-17:00",
    ),
    (
        "unknown weekday",
        _set("regions.0.working_days", ["monday"]),
        "regions[0].working_days[0]: not a weekday (one of: mon, tue, wed, thu, fri, sat, sun)",
    ),
    (
        "escalation before the handoff reminder",
        _set("sla.escalation_hours", 4),
        "sla.escalation_hours: must be greater than handoff_hours (4), got 4",
    ),
    (
        "handoff reminder after the default escalation",
        _set("sla", {"handoff_hours": 10}),
        "sla.escalation_hours: must be greater than handoff_hours (10), got 8",
    ),
    ("zero handoff hours", _set("sla.handoff_hours", 0), "sla.handoff_hours: input should be"),
    (
        "snooze longer than two working days",
        _set("sla.snooze_max_working_days", 3),
        "sla.snooze_max_working_days: input should be less than or equal to 2",
    ),
    (
        "duplicate region names",
        _set("regions.1.name", "emea"),
        "regions: names must be unique, repeated: emea",
    ),
    (
        "duplicate campaign names",
        _set("campaigns", [VALID["campaigns"][0], VALID["campaigns"][0]]),
        "campaigns: names must be unique, repeated: webinar",
    ),
    (
        "region name that is not a slug",
        _set("regions.0.name", "EMEA North"),
        "regions[0].name: not a lowercase name of letters a-z, digits and '-'",
    ),
    (
        "backup who is the manager",
        _set("regions.0.backup", "U0EMEAMGR1"),
        "regions[0].backup: the backup must be someone other than the manager",
    ),
    (
        "region without reps",
        _set("regions.0.reps", []),
        "regions[0].reps: needs at least one entry",
    ),
    (
        "country that is not alpha-2",
        _set("regions.0.match.countries", ["DEU"]),
        "regions[0].match.countries[0]: not an ISO 3166 alpha-2 country code",
    ),
    (
        "unquoted postal prefix",
        _set("regions.0.match.postal_prefixes", [10]),
        "regions[0].match.postal_prefixes[0]: postal prefixes must be quoted strings",
    ),
    (
        "unknown match criterion",
        _set("regions.0.match.cities", ["Berlin"]),
        "regions[0].match.cities: unknown key",
    ),
    (
        "currency in lower case",
        _set("currency", "usd"),
        "currency: not an ISO 4217 currency code (3 capital letters, such as USD), got 'usd'",
    ),
    (
        "score above 100",
        _set("lead_definition.min_score", 101),
        "lead_definition.min_score: input should be less than or equal to 100",
    ),
    (
        "unknown lead field",
        _set("lead_definition.required_fields", ["email", "budget"]),
        "lead_definition.required_fields[1]: not a lead field (one of: email, first_name",
    ),
    (
        "source rule for a source that is not allowed",
        _set("lead_definition.allowed_sources", ["webinar"]),
        "lead_definition.source_rules: no such source in allowed_sources: trade_show",
    ),
    (
        "source rule missing a key",
        _drop("lead_definition.source_rules.trade_show.required_fields"),
        "lead_definition.source_rules.trade_show.required_fields: required key is missing",
    ),
    (
        "negative campaign cost",
        _set("campaigns.0.cost", -1),
        "campaigns[0].cost: input should be greater than or equal to 0",
    ),
    (
        "campaign that ends before it starts",
        _set("campaigns.0.ends", "2026-02-01"),
        "campaigns[0].ends: must not be before starts (2026-03-01), got '2026-02-01'",
    ),
    ("no regions", _set("regions", []), "regions: needs at least one entry"),
    (
        "section that is not a mapping",
        _set("marketing", ["C0MKTG0001"]),
        "marketing: expected a mapping of keys",
    ),
    (
        "list that is a string",
        _set("marketing.users", "U0MKTG0001"),
        "marketing.users: expected a list",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [pytest.param(change, expected, id=case) for case, change, expected in BAD_CONFIGS],
)
def test_a_bad_config_is_refused_naming_file_field_and_reason(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    path = write_config(tmp_path / "baton.yaml", config_with(change))

    problems = problems_of(path)

    assert any(problem.startswith(f"{path}: {expected}") for problem in problems), problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["currency"] = "dollars"
        data["regions"][0]["timezone"] = "Mars/Olympus_Mons"
        data["regions"][1]["manager"] = "apac-boss"

    path = write_config(tmp_path / "baton.yaml", config_with(change))

    problems = problems_of(path)

    assert [problem.split(": ")[1] for problem in problems] == [
        "currency",
        "regions[0].timezone",
        "regions[1].manager",
    ]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    assert problems_of(path) == [f"{path}: no such file"]


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "baton.yaml"
    path.write_text("currency: USD\nmarketing:\n  channel: C0MKTG0001\n  users: [U0MKTG0001\n")

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}: line 5, column 1: invalid YAML: ")


def test_a_key_given_twice_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "baton.yaml"
    path.write_text("currency: USD\ncurrency: EUR\n")

    assert problems_of(path) == [
        f"{path}: line 2, column 1: invalid YAML: found duplicate key 'currency'"
    ]


def test_an_impossible_date_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "baton.yaml"
    path.write_text("currency: USD\nholiday: 2026-02-30\n")

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}: line 2, column 10: invalid YAML: '2026-02-30' is not")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("# nothing but a comment\n", "the file is empty"),
        ("- currency: USD\n", "expected a mapping of keys such as currency and regions"),
    ],
)
def test_a_file_without_settings_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "baton.yaml"
    path.write_text(text)

    assert problems_of(path) == [f"{path}: {message}"]


def test_the_config_models_accept_their_own_dump(tmp_path: Path) -> None:
    config = load_config(EXAMPLE)

    assert BatonConfig.model_validate(config.model_dump()) == config
