"""Schema migrations on SQLite and PostgreSQL, and the refusal to run on a schema that is not ours."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from storage.db import MIGRATIONS, Database, SchemaError, open_database
from storage.rows import Base
from tests.conftest import POSTGRES_URL


def migrations_config(database: Database | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if database is not None:
        config.set_main_option("sqlalchemy.url", database.url)
    return config


SCRIPTS = ScriptDirectory.from_config(migrations_config())
HEAD = SCRIPTS.get_current_head()
FIRST = [r.revision for r in SCRIPTS.walk_revisions()][-1]


@pytest.fixture
def scratch_postgres_url() -> Iterator[str]:
    """A database of its own on the PostgreSQL server, dropped afterwards."""
    name = f"baton_scratch_{uuid.uuid4().hex[:10]}"
    admin = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with nothing in it: a SQLite file not yet created, or a new PostgreSQL one."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'baton.db'}"
    else:
        url = request.getfixturevalue("scratch_postgres_url")
    database = open_database(url)
    yield database
    database.dispose()


def table_names(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_migrating_an_empty_database_reaches_the_head_revision_with_every_table(
    blank: Database,
) -> None:
    assert blank.schema_revision() is None
    blank.upgrade()
    assert HEAD
    assert blank.schema_revision() == blank.head_revision() == HEAD
    assert {t.name for t in Base.metadata.sorted_tables} <= table_names(blank)
    blank.ensure_schema(create_embedded=False)


def test_the_migrated_schema_matches_the_models(blank: Database) -> None:
    blank.upgrade()
    with blank.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrating_twice_changes_nothing(blank: Database) -> None:
    blank.upgrade()
    before = table_names(blank)
    blank.upgrade()
    assert table_names(blank) == before
    assert blank.schema_revision() == HEAD


def test_a_new_sqlite_file_is_created_and_migrated_when_allowed(tmp_path: Path) -> None:
    path = tmp_path / "data" / "new.db"
    path.parent.mkdir()
    database = open_database(f"sqlite:///{path}")
    try:
        database.ensure_schema(create_embedded=True)
        assert path.exists()
        assert database.schema_revision() == HEAD
    finally:
        database.dispose()


def test_a_new_sqlite_file_is_not_migrated_unless_allowed(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with pytest.raises(SchemaError, match="run `baton db upgrade`"):
            database.ensure_schema(create_embedded=False)
        assert table_names(database) == set()
    finally:
        database.dispose()


@pytest.mark.postgres
def test_postgresql_is_never_created_implicitly(scratch_postgres_url: str) -> None:
    database = open_database(scratch_postgres_url)
    try:
        with pytest.raises(SchemaError, match="run `baton db upgrade`"):
            database.ensure_schema(create_embedded=True)
        assert table_names(database) == set()
    finally:
        database.dispose()


def stamp_unknown_revision(database: Database) -> None:
    database.upgrade()
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffffdeadbeef'"))


def tables_without_a_version(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE leads (id INTEGER PRIMARY KEY, email TEXT)"))


def first_revision_only(database: Database) -> None:
    if FIRST == HEAD:
        pytest.skip("there is only one migration")
    with database.engine.begin() as connection:
        config = migrations_config(database)
        config.attributes["connection"] = connection
        command.upgrade(config, FIRST)


@pytest.mark.parametrize(
    "make_out_of_date",
    [stamp_unknown_revision, tables_without_a_version, first_revision_only],
    ids=["unknown-revision", "tables-without-version", "older-revision"],
)
def test_a_schema_that_is_not_at_head_is_refused_with_what_to_run(
    blank: Database, make_out_of_date: Callable[[Database], None]
) -> None:
    make_out_of_date(blank)
    with pytest.raises(SchemaError) as refused:
        blank.ensure_schema(create_embedded=True)
    assert "run `baton db upgrade`" in str(refused.value)
    assert f"needs {HEAD}" in str(refused.value)
