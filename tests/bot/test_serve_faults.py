"""`baton serve` as a process, with its store failing under it and its database late to start.

The process's file-size limit (RLIMIT_FSIZE, set from outside with prlimit) makes every write
to its SQLite files fail at COMMIT, as a full disk does: SQLite has the transaction in memory
until then. This is the fault that once answered 202 for a lead that was never stored.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLE_CONFIG, INTAKE_TOKEN, empty_database
from tests.fakes.proxy import proxy_before
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, standin_for

BATON = Path(sys.executable).with_name("baton")
AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ignore_file_size_signal() -> None:
    # Past its file-size limit a process gets SIGXFSZ, which kills it; a full disk does not.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def output_of(process: subprocess.Popen) -> str:
    """What a serving process said, once it is stopped: for a failed assertion's message."""
    process.send_signal(signal.SIGTERM)
    return str(process.communicate(timeout=30)[0])


@contextmanager
def serving(tmp_path: Path, slack_url: str, **env: str) -> Iterator[tuple[subprocess.Popen, str]]:
    port = free_port()
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'baton.db'}",
        "BATON_CONFIG": str(EXAMPLE_CONFIG),
        "BATON_INTAKE_TOKEN": INTAKE_TOKEN,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        **env,
    }
    process = subprocess.Popen(
        [str(BATON), "serve"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=ignore_file_size_signal,
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(http: httpx.Client, process: subprocess.Popen, seconds: float) -> None:
    for _ in range(int(seconds / 0.1)):
        if process.poll() is not None:
            raise AssertionError(f"baton serve ended: {process.stdout.read()}")  # type: ignore[union-attr]
        try:
            if http.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        # Waiting for another process to come up: there is no clock of ours to move.
        threading.Event().wait(0.1)
    raise AssertionError("baton serve did not become healthy")


def lead(n: int) -> dict[str, Any]:
    return {"email": f"p{n}@acme.example", "company": "Acme", "country": "DE", "score": 80}


def limit_file_size(pid: int, size: int) -> None:
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))


def test_a_commit_that_fails_is_a_503_never_a_202_and_serve_recovers_by_itself(
    tmp_path: Path, example_config: Any
) -> None:
    with (
        standin_for(example_config) as standin,
        serving(tmp_path, standin.url) as (process, url),
        httpx.Client(base_url=url, timeout=10, headers=AUTH) as http,
    ):
        wait_until_healthy(http, process, seconds=30)
        assert http.post("/intake/leads", json=lead(1)).status_code == 202

        limit_file_size(process.pid, 1)  # nothing more reaches the disk
        refused = http.post("/intake/leads", json=lead(2))
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "30"
        reason = refused.json()["error"]
        assert reason.startswith("the database refused the write: ")
        # The write lock was handed back: the next write fails at once for the same reason.
        assert http.post("/intake/leads", json=lead(2)).json()["error"] == reason
        health = http.get("/healthz")
        assert health.status_code == 503 and health.json()["writes"].startswith("failing: ")

        limit_file_size(process.pid, resource.RLIM_INFINITY)
        stored = http.post("/intake/leads", json=lead(2))
        assert stored.status_code == 202
        assert stored.json()["leads"][0]["result"] == "created"
        wait_until_healthy(http, process, seconds=5)
        # The outbox worker carried on by itself: each stored lead's handoff, once.
        assert standin.wait_for(lambda: len(standin.calls_to("chat.postMessage")) >= 2, 60)
        posted = [c.args["text"] for c in standin.calls_to("chat.postMessage")]
        assert len(posted) == 2


@pytest.mark.postgres
def test_serve_waits_for_a_database_that_comes_up_late(
    tmp_path: Path, example_config: Any, postgres_database_url: str, migrated_postgres: Any
) -> None:
    empty_database(migrated_postgres)  # the worker's database: nothing an earlier test left
    proxy, url = proxy_before(postgres_database_url)
    proxy.cut()
    try:
        with (
            standin_for(example_config) as standin,
            serving(tmp_path, standin.url, DATABASE_URL=url, BATON_DATABASE_WAIT="60") as (
                process,
                base,
            ),
            httpx.Client(base_url=base, timeout=10, headers=AUTH) as http,
        ):
            first = process.stdout.readline()  # type: ignore[union-attr]
            assert "cannot reach postgresql+psycopg://postgres@127.0.0.1:" in first
            assert "trying again in" in first
            proxy.reopen()
            wait_until_healthy(http, process, seconds=30)
            answer = http.post("/intake/leads", json=lead(1))
            if answer.status_code != 202:
                print(output_of(process))  # shown whole with the failure
            assert answer.status_code == 202, answer.text
    finally:
        proxy.close()


def test_serve_gives_up_on_an_unreachable_database_in_one_line_with_status_2(
    tmp_path: Path,
) -> None:
    port = free_port()
    result = subprocess.run(
        [str(BATON), "serve"],
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": f"postgresql://baton:s3cret@127.0.0.1:{port}/baton",
            "BATON_DATABASE_WAIT": "1",
            "BATON_CONFIG": str(EXAMPLE_CONFIG),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        f"baton: cannot reach the database postgresql+psycopg://baton:***@127.0.0.1:{port}/baton: "
        "Connection refused (tried for 1 s)"
    )
    assert "s3cret" not in result.stderr
    retries = [line for line in result.stderr.splitlines() if "trying again in" in line]
    assert retries  # it did try again before giving up
