"""Schema migrations on SQLite and PostgreSQL, and the refusal to run on a schema that is not ours."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.domain.lead_summary import Stage
from storage.db import MIGRATIONS, Database, SchemaError, open_database
from storage.rows import Base, EventRow, LeadRow, LeadSummaryRow
from storage.summaries import read_summaries, rebuild_summaries
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


def upgrade_to(database: Database, revision: str) -> None:
    with database.engine.begin() as connection:
        config = migrations_config(database)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


ARRIVED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CAME_BACK = ARRIVED + timedelta(days=20)
# A lead kept in nurture when it arrived that came back sales-ready three weeks later, and
# one that was sales-ready at once: as the tables stood before versions.
OLD_LEADS = [
    {"id": 1, "short_id": "L-AAAAA", "email": "back@example.com", "status": "pending"},
    {"id": 2, "short_id": "L-BBBBB", "email": "ready@example.com", "status": "pending"},
]
OLD_EVENTS = [
    (1, 1, ARRIVED, "received", "received", "nurture", 0),
    (2, 1, CAME_BACK, "qualified", "nurture", "pending", 1),
    (3, 1, CAME_BACK, "handoff_started", "nurture", "pending", 1),
    (4, 2, ARRIVED, "received", "received", "pending", 1),
]


def store_old_history(database: Database) -> None:
    leads, events = LeadRow.__table__, EventRow.__table__
    with database.engine.begin() as connection:
        for lead in OLD_LEADS:
            connection.execute(
                leads.insert().values(
                    **lead, handoff_round=1, priority=0, created_at=ARRIVED, updated_at=CAME_BACK
                )
            )
        for event_id, lead_id, at, kind, before, after, round_no in OLD_EVENTS:
            connection.execute(
                events.insert().values(
                    id=event_id,
                    lead_id=lead_id,
                    at=at,
                    kind=kind,
                    actor="intake",
                    handoff_round=round_no,
                    status_before=before,
                    status_after=after,
                    data={},
                )
            )


def test_leads_stored_before_versions_keep_their_summaries_and_learn_which_came_back(
    blank: Database,
) -> None:
    upgrade_to(blank, "0006")
    store_old_history(blank)
    with blank.engine.begin() as connection:  # the summaries as 0006's code wrote them
        for lead_id, last_event_id in ((1, 3), (2, 4)):
            connection.execute(
                LeadSummaryRow.__table__.insert().values(
                    lead_id=lead_id,
                    received_at=ARRIVED,
                    stages=int(Stage.SALES_READY),
                    accept_stamp="kept",
                    last_event_id=last_event_id,
                )
            )
    upgrade_to(blank, "head")
    with blank.engine.connect() as connection:
        summaries = read_summaries(connection)
    assert summaries[1]["came_back_at"] == CAME_BACK
    assert summaries[2]["came_back_at"] is None
    assert {s["definition_version"] for s in summaries.values()} == {None}
    assert {s["accept_stamp"] for s in summaries.values()} == {"kept"}
    with blank.engine.begin() as connection:
        rebuild_summaries(connection, calendars=None)
        rebuilt = read_summaries(connection)
    assert {n: s["came_back_at"] for n, s in rebuilt.items()} == {1: CAME_BACK, 2: None}


def test_leads_stored_before_summaries_get_them_when_migrated(blank: Database) -> None:
    upgrade_to(blank, "0003")
    store_old_history(blank)
    upgrade_to(blank, "head")
    with blank.engine.connect() as connection:
        summaries = read_summaries(connection)
    assert sorted(summaries) == [1, 2]
    assert summaries[1]["came_back_at"] == CAME_BACK
    assert summaries[1]["received_at"] == ARRIVED
