"""Shared fixtures: a real database (SQLite and PostgreSQL), a clock, the example config."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from bot.app import Baton, build_baton
from bot.clock import FixedClock
from config.model import BatonConfig, load_config
from config.settings import Settings, load_settings
from storage.db import Database, open_database
from storage.rows import Base

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "config" / "baton.yaml"
# The server the tests use: they only connect to this database to create (and at the end
# drop) databases of their own, so a shared one is never written to.
POSTGRES_URL = os.environ.get(
    "BATON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_REQUIRED = os.environ.get("BATON_TEST_REQUIRE_POSTGRES") == "1"
INTAKE_TOKEN = "test-intake-token-0123456789"
MONDAY_MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if POSTGRES_REQUIRED or _postgres_reachable():
        return
    skip = pytest.mark.skip(reason=f"PostgreSQL is not reachable at {POSTGRES_URL}")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def _postgres_reachable() -> bool:
    try:
        with psycopg.connect(_libpq_url(POSTGRES_URL), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="session")
def postgres_database_url(worker_id: str) -> Iterator[str]:
    """A database of this test worker's own on the PostgreSQL server, migrated once."""
    name = f"baton_test_{worker_id}_{uuid.uuid4().hex[:6]}"
    admin = _libpq_url(POSTGRES_URL)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def migrated_postgres(postgres_database_url: str) -> Iterator[Database]:
    database = open_database(postgres_database_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: a fresh SQLite file, or the worker's PostgreSQL database."""
    if request.param == "sqlite":
        database = open_database(f"sqlite:///{tmp_path / 'baton.db'}")
        database.upgrade()
        yield database
        database.dispose()
        return
    database = request.getfixturevalue("migrated_postgres")
    empty_database(database)
    yield database


def empty_database(database: Database) -> None:
    """Empty every table; fail, naming who holds them, rather than wait for a lock for ever."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    try:
        with database.engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '20s'"))
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    except Exception as error:
        with database.engine.connect() as connection:
            holders = connection.execute(text(HOLDERS)).all()
        raise AssertionError(f"could not empty the test database; still open: {holders}") from error


HOLDERS = """
SELECT pid, state, application_name, left(query, 200) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@pytest.fixture(scope="session")
def example_config() -> BatonConfig:
    return load_config(EXAMPLE_CONFIG)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_MORNING)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        env_file=None,
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        baton_config=EXAMPLE_CONFIG,
        baton_intake_token=INTAKE_TOKEN,
    )


@pytest.fixture
def baton(
    settings: Settings, database: Database, clock: FixedClock, example_config: BatonConfig
) -> Baton:
    return build_baton(settings, clock=clock, database=database, config=example_config)
