"""`baton jobs list` and `baton jobs run`, and `baton serve` refusing a second scheduler."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from baton_devkit.local import standin_for

from bot.app import build_baton
from bot.cli import main
from bot.clock import FixedClock
from bot.services.intake import take_leads
from bot.services.leadin import LeadIn
from config.model import load_config
from config.settings import load_settings
from storage.db import open_database
from storage.scheduler_lock import hold_scheduler_lock
from tests.bot.test_cli import baton_says, database_file  # noqa: F401  (a fixture)
from tests.conftest import EXAMPLE_CONFIG

MANAGER = "U0EMEAMGR1"


def a_pending_lead(path: Path) -> str:
    """A lead taken in on Monday 17 November 2025 at 09:00 in Berlin, its handoff queued."""
    database = open_database(f"sqlite:///{path}")
    database.upgrade()
    baton = build_baton(
        load_settings(env_file=None, database_url=f"sqlite:///{path}", baton_config=EXAMPLE_CONFIG),
        clock=FixedClock(datetime.fromisoformat("2025-11-17T09:00+01:00")),
        database=database,
    )
    lead = LeadIn.model_validate(
        {"email": "jane@acme.example", "company": "Acme", "country": "DE", "score": 90}
    )
    [result] = take_leads(
        [lead], uow_factory=baton.uow_factory, clock=baton.clock, routing=baton.routing
    )
    database.dispose()
    return result.id


def test_jobs_list_shows_every_job_and_its_schedule(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = baton_says(capsys, "jobs", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["JOB", "SCHEDULE", "LAST", "RUN", "RESULT", "NEXT", "RUN"]
    assert [line.split()[0] for line in lines[1:5]] == [
        "handoff-sla",
        "followups",
        "nextsteps",
        "leakage",
    ]
    assert lines[1].split()[1:6] == ["every", "5", "minutes", "never", "—"]
    assert lines[4].split()[1:3] == ["every", "hour"]
    assert "when `baton serve` or `baton socket` runs" in lines[1]


def test_jobs_list_shows_the_crm_sync_schedule_the_config_sets(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = database_file.with_name("baton.yaml")
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8")
        + "\ncrm:\n  provider: salesforce\n  sync_every_minutes: 30\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("BATON_CONFIG", str(config))
    code, out, _ = baton_says(capsys, "jobs", "list")
    assert code == 0
    [crm_sync] = [line for line in out.splitlines() if line.startswith("crm-sync ")]
    assert crm_sync.split()[1:4] == ["every", "30", "minutes"]


def test_jobs_run_as_of_a_time_queues_the_work_and_says_what_fired(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    short_id = a_pending_lead(database_file)
    code, out, _ = baton_says(
        capsys, "jobs", "run", "handoff-sla", "--now", "2025-11-17T14:00+01:00"
    )
    assert code == 0
    assert out.splitlines() == [
        "handoff-sla as of 2025-11-17T13:00:00+00:00: 1 handoff_sla; 1 message",
        f"  {short_id}  handoff_sla  due 2025-11-17 13:00 UTC  → {MANAGER}",
        "This run was real: what fired is recorded and will not fire again, and its Slack "
        "messages are queued. Use --dry-run to see what a pass would fire without doing it.",
        "The serving process delivers the Slack messages (or run again with --deliver).",
    ]
    code, out, _ = baton_says(capsys, "jobs", "run", "handoff-sla", "--now", "2025-11-17T13:05")
    assert out.startswith("handoff-sla as of 2025-11-17T13:05:00+00:00: nothing due")
    _, out, _ = baton_says(capsys, "jobs", "list")
    assert "ok: nothing due" in out.splitlines()[1]


def test_jobs_run_with_deliver_sends_the_reminders_itself(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a_pending_lead(database_file)
    with standin_for(load_config(EXAMPLE_CONFIG)) as standin:
        monkeypatch.setenv("SLACK_API_URL", standin.url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
        code, out, _ = baton_says(
            capsys, "jobs", "run", "handoff-sla", "--now", "2025-11-17T14:00+01:00", "--deliver"
        )
        assert code == 0
        assert out.splitlines()[-1] == "Slack work delivered."
        [dm] = standin.messages(MANAGER)
        assert dm["text"] == "⏰ 1 lead waiting for your decision"


@pytest.mark.parametrize(
    ("argv", "code", "said"),
    [
        (["jobs", "run", "digests"], 1, "no job named “digests”: one of handoff-sla, followups"),
        (["jobs", "run"], 1, "name the job to run"),
        (["jobs", "run", "leakage", "--deliver"], 2, "SLACK_BOT_TOKEN"),
    ],
    ids=["unknown", "unnamed", "deliver-without-token"],
)
def test_jobs_run_says_what_to_type_instead(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
    said: str,
) -> None:
    got, _, err = baton_says(capsys, *argv)
    assert got == code
    assert said in err


def test_a_time_that_is_not_iso_8601_is_refused(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["jobs", "run", "leakage", "--now", "next tuesday"])
    assert refused.value.code == 2
    assert "is not an ISO-8601 time" in capsys.readouterr().err


def test_serve_refuses_to_run_a_second_scheduler_on_one_sqlite_file(
    database_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    database = open_database(f"sqlite:///{database_file}")
    database.upgrade()
    lock = hold_scheduler_lock(database)
    try:
        code, _, err = baton_says(capsys, "serve")
    finally:
        lock.release()
        database.dispose()
    assert code == 1
    assert "another Baton process already runs the scheduler on baton.db" in err
