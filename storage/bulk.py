"""Inserts of many rows that skip SQLAlchemy's handling of each row's parameters.

SQLAlchemy Core spends more time building and converting the parameters of a large
executemany, row by row and name by name, than the database spends storing the rows. Here
the statement is compiled once per dialect with positional parameters and each column's
type conversion looked up once, so each row costs one tuple; the driver's executemany does
the rest. The same column types convert the values, so the stored rows are the ones Core
would have stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

Convert = Callable[[Any], Any] | None
_Compiled = tuple[str, tuple[str, ...], tuple[Convert, ...]]


def _converted(values: list[Any], convert: Convert) -> list[Any]:
    if convert is None:
        return values
    # Most rows of one insert share their times (now) and codes: convert each value once.
    cache: dict[Any, Any] = {None: None}
    try:
        return [cache[v] if v in cache else _remember(cache, v, convert) for v in values]
    except TypeError:  # values that cannot be keys (JSON documents): each converted, but
        empty = {dict: convert({}), list: convert([])}  # most of them are empty
        return [
            None if v is None else empty[type(v)] if type(v) in empty and not v else convert(v)
            for v in values
        ]


def _remember(cache: dict[Any, Any], value: Any, convert: Callable[[Any], Any]) -> Any:
    converted = cache[value] = convert(value)
    return converted


class BulkInsert:
    """An insert of rows that all give the same columns (every column the insert needs)."""

    def __init__(self, statement: Insert | Callable[[str], Insert]) -> None:
        # A statement, or a function of the dialect's name for dialect-specific inserts.
        self._statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def run(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        sql, names, converters = self._for(connection.dialect, tuple(rows[0]))
        columns = [
            _converted([row[name] for row in rows], convert)
            for name, convert in zip(names, converters, strict=True)
        ]
        connection.exec_driver_sql(sql, list(zip(*columns, strict=True)))

    def _for(self, dialect: Dialect, columns: tuple[str, ...]) -> _Compiled:
        found = self._compiled.get((dialect.name, columns))
        if found is None:
            found = self._compiled[dialect.name, columns] = self._compile(dialect, columns)
        return found

    def _compile(self, dialect: Dialect, columns: tuple[str, ...]) -> _Compiled:
        statement = self._statement
        if not isinstance(statement, Insert):
            statement = statement(dialect.name)
        positional = dialect if dialect.positional else type(dialect)(paramstyle="format")
        compiled = statement.compile(dialect=positional, column_keys=list(columns))
        names = tuple(compiled.positiontup or ())
        unknown = set(names) - set(columns)
        if unknown:
            raise ValueError(f"the insert needs values for {sorted(unknown)} too")
        table: Table = statement.table  # type: ignore[assignment]
        converters = tuple(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        )
        return compiled.string, names, converters
