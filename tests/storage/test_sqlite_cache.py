"""Each SQLite connection's page cache: what BATON_SQLITE_CACHE_MIB sets."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot.app import build_baton
from config.settings import load_settings
from tests.conftest import EXAMPLE_CONFIG


def cache_sizes(tmp_path: Path, **settings: object) -> tuple[int, int]:
    baton = build_baton(
        load_settings(
            env_file=None,
            database_url=f"sqlite:///{tmp_path / 'baton.db'}",
            baton_config=EXAMPLE_CONFIG,
            **settings,
        )
    )
    try:
        sizes = []
        for engine in (baton.database.engine, baton.database.read_engine):
            with engine.connect() as connection:
                sizes.append(connection.execute(text("PRAGMA cache_size")).scalar_one())
        return sizes[0], sizes[1]
    finally:
        baton.database.dispose()


def test_each_connection_gets_8_mib_of_page_cache_by_default(tmp_path: Path) -> None:
    assert cache_sizes(tmp_path) == (-8 * 1024, -8 * 1024)  # negative: KiB, as SQLite counts


def test_the_page_cache_is_a_setting(tmp_path: Path) -> None:
    assert cache_sizes(tmp_path, baton_sqlite_cache_mib=64) == (-64 * 1024, -64 * 1024)
