"""Inserts of many rows that skip SQLAlchemy's handling of each row's parameters.

SQLAlchemy Core spends more time building and converting the parameters of a large
executemany, row by row and name by name, than the database spends storing the rows. Here
rows are plain tuples in an order named once, the statement is compiled once per dialect
with positional parameters, and only the columns whose type converts values are converted,
a column at a time; the driver's executemany does the rest. The same column types convert
the values, so the stored rows are the ones Core would have stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

Convert = Callable[[Any], Any]
# The SQL, how to put a row's values in its parameters' order (None: already in it), and
# the converter of each column that has one, by position.
_Compiled = tuple[
    str, Callable[[tuple[Any, ...]], tuple[Any, ...]] | None, tuple[tuple[int, Convert], ...]
]


def _converted(values: Sequence[Any], convert: Convert) -> Sequence[Any]:
    # Most rows of one insert share their times (now) and codes: convert each value once.
    cache: dict[Any, Any] = {None: None}
    try:
        return [cache[v] if v in cache else _remember(cache, v, convert) for v in values]
    except TypeError:  # values that cannot be keys (JSON documents): each converted, but
        empty: dict[type, Any] = {dict: convert({}), list: convert([])}  # most are empty
        return [
            None if v is None else empty[type(v)] if type(v) in empty and not v else convert(v)
            for v in values
        ]


def _with_format_parameters(dialect: Dialect) -> Dialect:
    """The dialect, speaking positional `%s` parameters (as psycopg's executemany takes)."""
    make: Callable[..., Dialect] = type(dialect)
    return make(paramstyle="format")


def _remember(cache: dict[Any, Any], value: Any, convert: Callable[[Any], Any]) -> Any:
    converted = cache[value] = convert(value)
    return converted


class BulkInsert:
    """An insert of rows given as tuples of the values of `columns`, in that order."""

    def __init__(self, statement: Insert | Callable[[str], Insert], columns: Sequence[str]) -> None:
        # A statement, or a function of the dialect's name for dialect-specific inserts.
        self._statement = statement
        self.columns = tuple(columns)
        self._compiled: dict[str, _Compiled] = {}

    def run(self, connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        sql, reorder, converters = self._for(connection.dialect)
        values: Sequence[tuple[Any, ...]] = rows if reorder is None else list(map(reorder, rows))
        if converters:
            columns: list[Sequence[Any]] = list(zip(*values, strict=True))
            for index, convert in converters:
                columns[index] = _converted(columns[index], convert)
            values = list(zip(*columns, strict=True))
        connection.exec_driver_sql(sql, values)

    def rows_of(self, dicts: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Rows for `run` from dicts that hold (at least) every column."""
        return list(map(itemgetter(*self.columns), dicts))

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        statement = self._statement
        if not isinstance(statement, Insert):
            statement = statement(dialect.name)
        positional = dialect if dialect.positional else _with_format_parameters(dialect)
        compiled = statement.compile(dialect=positional, column_keys=list(self.columns))
        names = tuple(compiled.positiontup or ())
        if set(names) != set(self.columns) or len(names) != len(self.columns):
            missing, extra = set(names) - set(self.columns), set(self.columns) - set(names)
            raise ValueError(f"the insert needs {sorted(missing)}; it takes no {sorted(extra)}")
        order = [self.columns.index(name) for name in names]
        reorder = None if order == list(range(len(order))) else itemgetter(*order)
        table: Table = statement.table  # type: ignore[assignment]  # the stubs: any table-like clause
        converters = tuple(
            (index, convert)
            for index, name in enumerate(names)
            if (convert := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        )
        return compiled.string, reorder, converters


def insert_or_skip(table: type[Any], conflict: str, columns: Sequence[str]) -> BulkInsert:
    """A many-row insert into `table` (a mapped class) that skips a row whose `conflict`
    column is already taken."""

    def statement(dialect: str) -> Insert:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        return insert(table).on_conflict_do_nothing(index_elements=[conflict])

    return BulkInsert(statement, columns)
