"""A first run as a new admin makes it: `baton config check` on the .env copied from the
example, `baton jobs run --dry-run`, and `baton jobs start-from` over a database with history."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from baton_devkit.local import standin_for

from bot.cli import main
from config.model import BatonConfig
from tests.bot.test_cli import BATON_VARIABLES, baton_says, database_file  # noqa: F401
from tests.bot.test_cli_jobs import a_pending_lead
from tests.bot.test_serve_faults import free_port
from tests.conftest import EXAMPLE_CONFIG, ROOT
from tests.fakes.slack import BOT_TOKEN

MANAGER = "U0EMEAMGR1"


@pytest.fixture
def copied_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory as the README's first steps leave it: .env copied from .env.example."""
    monkeypatch.chdir(tmp_path)
    for name in BATON_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    (tmp_path / "config").mkdir()
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "config" / "baton.yaml")
    return tmp_path


def test_config_check_on_the_example_env_says_the_token_is_a_placeholder_in_one_line(
    copied_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = baton_says(capsys, "config", "check")

    assert code == 2
    assert "OK (3 regions, 3 campaigns)" in out
    assert "Traceback" not in out + err
    assert err.splitlines() == [
        "baton: SLACK_BOT_TOKEN is still a placeholder: set it to the app's Bot User OAuth "
        "Token (xoxb-…, api.slack.com/apps → OAuth & Permissions)"
    ]


def test_config_check_with_a_refused_token_says_so_once_and_asks_nothing_else(
    database_file: Path,  # noqa: F811
    example_config: BatonConfig,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with standin_for(example_config) as standin:
        standin.revoke_token(BOT_TOKEN)
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("SLACK_API_URL", standin.url)
        code, _, err = baton_says(capsys, "config", "check")
        asked = [call.method for call in standin.calls]

    assert code == 2
    assert err.splitlines() == [
        "baton: Slack refused SLACK_BOT_TOKEN: token_revoked — SLACK_BOT_TOKEN was revoked: "
        "install the app again and update the token"
    ]
    assert asked == ["auth.test"]  # not one refusal per configured user


def test_config_check_with_slack_out_of_reach_says_so_in_one_line(
    database_file: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/api/"
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", nowhere)

    code, _, err = baton_says(capsys, "config", "check")

    assert code == 2
    [line] = err.splitlines()
    assert line.startswith(f"baton: cannot reach Slack at {nowhere}: ")
    assert "Connection refused" in line


def test_config_check_with_a_good_token_says_whose_it_is_then_checks_the_config(
    database_file: Path,  # noqa: F811
    example_config: BatonConfig,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with standin_for(example_config) as standin:
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("SLACK_API_URL", standin.url)
        code, out, _ = baton_says(capsys, "config", "check")
        first = standin.calls[0].method

    assert code == 0
    assert first == "auth.test"
    assert "Slack: the token is Baton's (@baton in Baton Demo)." in out.splitlines()


# jobs run --dry-run and start-from ------------------------------------------------------------


def test_a_dry_run_says_what_would_fire_for_whom_and_records_nothing(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    short_id = a_pending_lead(database_file)
    late = ("--now", "2025-11-17T14:00+01:00")

    code, out, _ = baton_says(capsys, "jobs", "run", "handoff-sla", *late, "--dry-run")
    assert code == 0
    assert out.splitlines() == [
        "handoff-sla as of 2025-11-17T13:00:00+00:00, a dry run (nothing recorded or sent):",
        "would fire 1 handoff_sla; 1 message",
        f"  {short_id}  handoff_sla  due 2025-11-17 13:00 UTC  → {MANAGER}",
    ]
    # Nothing was recorded: a second dry run and then the real one find the same reminder.
    assert baton_says(capsys, "jobs", "run", "handoff-sla", *late, "--dry-run")[1] == out
    _, listed, _ = baton_says(capsys, "jobs", "list")
    assert listed.splitlines()[1].split()[4] == "never"

    code, out, _ = baton_says(capsys, "jobs", "run", "handoff-sla", *late)
    lines = out.splitlines()
    assert lines[:2] == [
        "handoff-sla as of 2025-11-17T13:00:00+00:00: 1 handoff_sla; 1 message",
        f"  {short_id}  handoff_sla  due 2025-11-17 13:00 UTC  → {MANAGER}",
    ]
    assert lines[2].startswith("This run was real: what fired is recorded")
    _, after, _ = baton_says(capsys, "jobs", "run", "handoff-sla", *late, "--dry-run")
    assert after.splitlines()[1] == "nothing due"


def test_a_dry_run_refuses_to_deliver(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = baton_says(capsys, "jobs", "run", "handoff-sla", "--dry-run", "--deliver")
    assert code == 1
    assert err.strip() == "baton: --dry-run sends nothing: leave out --deliver"


def test_timers_started_from_a_time_leave_what_came_due_before_it_alone(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    short_id = a_pending_lead(database_file)  # its reminder came due at 13:00 UTC

    code, out, _ = baton_says(capsys, "jobs", "start-from", "2025-11-17T13:30Z")
    assert code == 0
    assert out.strip() == (
        "Timers start from 2025-11-17T13:30:00+00:00: nothing that came due before it fires "
        "(handoff-sla, followups, nextsteps, leakage)."
    )
    late = ("--now", "2025-11-17T14:00+01:00")
    _, out, _ = baton_says(capsys, "jobs", "run", "handoff-sla", *late, "--dry-run")
    assert out.splitlines()[1] == "nothing due"
    # What comes due after it still fires: the escalation, hours later.
    _, out, _ = baton_says(capsys, "jobs", "run", "handoff-sla", "--now", "2025-11-18T17:00Z")
    assert f"  {short_id}  escalation" in out


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (("jobs", "start-from"), "name the time the timers start from"),
        (("jobs", "start-from", "soon"), "“soon” is not an ISO-8601 time"),
    ],
)
def test_start_from_needs_a_time(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    error: str,
) -> None:
    code, _, err = baton_says(capsys, *argv)
    assert code == 1
    assert error in err
    assert main(["jobs", "list"]) == 0
