"""Inserts of many rows that skip SQLAlchemy's handling of each row's parameters.

SQLAlchemy Core spends more time building and converting the parameters of a large
executemany, row by row and name by name, than the database spends storing the rows. Here
rows are plain tuples in an order named once, the statement is compiled once per dialect
with positional parameters, and only the columns whose type converts values are converted,
a column at a time; the driver's executemany does the rest. The same column types convert
the values, so the stored rows are the ones Core would have stored.

On PostgreSQL many rows are copied instead (COPY … FROM STDIN): an executemany, even
pipelined, is a statement a row for the server to parse, plan and answer, and for psycopg
to send, where a copy is one stream. Rows that must skip a conflict are copied into a
temporary table of the session first, and moved from it by one INSERT … SELECT … ON
CONFLICT DO NOTHING, which can also return what it added.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import psycopg
from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

# Below this many rows an executemany (pipelined by psycopg) is as quick as a copy, whose
# staging table and stream cost round trips of their own.
COPY_FROM = 50

Convert = Callable[[Any], Any]
# The SQL, how to put a row's values in its parameters' order (None: already in it), and
# the converter of each column that has one, by position.
_Compiled = tuple[
    str, Callable[[tuple[Any, ...]], tuple[Any, ...]] | None, tuple[tuple[int, Convert], ...]
]


@dataclass(frozen=True)
class _Copy:
    """How rows reach a PostgreSQL table by COPY: the statements, and the converter of each
    column that has one, by position in the rows given."""

    copy: str
    converters: tuple[tuple[int, Convert], ...]
    # For rows that skip a conflict: the staging table's creation, and the statement that
    # moves its rows into the table (to which a RETURNING clause may be added).
    stage: str | None = None
    move: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # each column's name in SQL


def _converted(values: Sequence[Any], convert: Convert) -> Sequence[Any]:
    # Most rows of one insert share their times (now) and codes: convert each value once.
    cache: dict[Any, Any] = {None: None}
    try:
        return [cache[v] if v in cache else _remember(cache, v, convert) for v in values]
    except TypeError:  # values that cannot be keys (JSON documents): each converted once
        empty: dict[type, Any] = {dict: convert({}), list: convert([])}  # most are empty
        # Leads planned alike share one document (one object), converted once by identity:
        # `values` holds every document, so no identity is reused meanwhile.
        by_id: dict[int, Any] = {}
        return [
            None
            if v is None
            else empty[type(v)]
            if type(v) in empty and not v
            else by_id[id(v)]
            if id(v) in by_id
            else _remember_by_id(by_id, v, convert)
            for v in values
        ]


def _with_format_parameters(dialect: Dialect) -> Dialect:
    """The dialect, speaking positional `%s` parameters (as psycopg's executemany takes)."""
    make: Callable[..., Dialect] = type(dialect)
    return make(paramstyle="format")


def _remember(cache: dict[Any, Any], value: Any, convert: Callable[[Any], Any]) -> Any:
    converted = cache[value] = convert(value)
    return converted


def _remember_by_id(by_id: dict[int, Any], value: Any, convert: Callable[[Any], Any]) -> Any:
    converted = by_id[id(value)] = convert(value)
    return converted


class BulkInsert:
    """An insert of rows given as tuples of the values of `columns`, in that order."""

    def __init__(
        self,
        statement: Insert | Callable[[str], Insert],
        columns: Sequence[str],
        *,
        skipping: str | None = None,
    ) -> None:
        # A statement, or a function of the dialect's name for dialect-specific inserts;
        # `skipping`: the column whose conflict the statement skips (ON CONFLICT DO NOTHING).
        self._statement = statement
        self.columns = tuple(columns)
        self._skipping = skipping
        self._compiled: dict[str, _Compiled] = {}
        self._copies: dict[str, _Copy] = {}

    def run(self, connection: Connection, rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert the rows; how many were added as the driver counts them (-1: not counted,
        when they were copied)."""
        if not rows:
            return 0
        if self.copies(connection, rows):
            self._copy(connection, rows, returning=())
            return -1
        sql, reorder, converters = self._for(connection.dialect)
        values: Sequence[tuple[Any, ...]] = rows if reorder is None else list(map(reorder, rows))
        result = connection.exec_driver_sql(sql, _with_converted(values, converters))
        return int(result.rowcount)

    def copies(self, connection: Connection, rows: Sequence[tuple[Any, ...]]) -> bool:
        """Whether `run` copies these rows (many rows, on PostgreSQL)."""
        return len(rows) >= COPY_FROM and connection.dialect.name == "postgresql"

    def added(
        self, connection: Connection, rows: Sequence[tuple[Any, ...]], returning: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        """Insert rows that `copies`, skipping conflicts; the `returning` columns of each row
        added."""
        if self._skipping is None or not self.copies(connection, rows):
            raise ValueError("only a copy that skips conflicts returns the rows it added")
        return self._copy(connection, rows, returning=returning)

    def rows_of(self, dicts: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Rows for `run` from dicts that hold (at least) every column."""
        return list(map(itemgetter(*self.columns), dicts))

    def _copy(
        self, connection: Connection, rows: Sequence[tuple[Any, ...]], *, returning: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        plan = self._copy_plan(connection.dialect)
        values = _with_converted(rows, plan.converters)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        statement = plan.copy
        try:
            if plan.stage is not None and plan.move is not None:
                statement = plan.stage
                cursor.execute(statement)
                statement = plan.copy
                with cursor.copy(statement) as copy:
                    for number, row in enumerate(values):
                        copy.write_row((number, *row))
                statement = plan.move
                if returning:
                    names = ", ".join(plan.columns[name] for name in returning)
                    statement = f"{statement} RETURNING {names}"
                cursor.execute(statement)
                return list(cursor.fetchall()) if returning else []
            with cursor.copy(statement) as copy:
                for row in values:
                    copy.write_row(row)
            return []
        except psycopg.Error as error:
            # Told as SQLAlchemy tells a failed statement: its events (storage faults), its
            # exceptions (a twin refused), the connection dropped when it is cut.
            connection._handle_dbapi_exception(error, statement, None, cursor, None)
        finally:
            cursor.close()

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        return found

    def _table(self, dialect: Dialect) -> tuple[Insert, Table]:
        statement = self._statement
        if not isinstance(statement, Insert):
            statement = statement(dialect.name)
        table: Table = statement.table  # type: ignore[assignment]  # the stubs: any table-like clause
        return statement, table

    def _compile(self, dialect: Dialect) -> _Compiled:
        statement, table = self._table(dialect)
        positional = dialect if dialect.positional else _with_format_parameters(dialect)
        compiled = statement.compile(dialect=positional, column_keys=list(self.columns))
        names = tuple(compiled.positiontup or ())
        if set(names) != set(self.columns) or len(names) != len(self.columns):
            missing, extra = set(names) - set(self.columns), set(self.columns) - set(names)
            raise ValueError(f"the insert needs {sorted(missing)}; it takes no {sorted(extra)}")
        order = [self.columns.index(name) for name in names]
        reorder = None if order == list(range(len(order))) else itemgetter(*order)
        return compiled.string, reorder, converters_of(table, names, dialect)

    def _copy_plan(self, dialect: Dialect) -> _Copy:
        found = self._copies.get(dialect.name)
        if found is None:
            self._for(dialect)  # checks the columns against the statement's
            found = self._copies[dialect.name] = self._plan_copy(dialect)
        return found

    def _plan_copy(self, dialect: Dialect) -> _Copy:
        _, table = self._table(dialect)
        quote = dialect.identifier_preparer.quote
        sql_of = {key: quote(column.name) for key, column in table.c.items()}
        names = ", ".join(sql_of[key] for key in self.columns)
        target = dialect.identifier_preparer.format_table(table)
        converters = converters_of(table, self.columns, dialect)
        if self._skipping is None:
            return _Copy(f"COPY {target} ({names}) FROM STDIN", converters, columns=sql_of)
        # One staging table a session, emptied by each move and at each commit; its first
        # column numbers the rows, so that they are inserted (and take their ids) in order.
        staging = quote(f"staged_{table.name}")
        return _Copy(
            f"COPY pg_temp.{staging} (copy_order, {names}) FROM STDIN",
            converters,
            stage=(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "
                f"SELECT 0 AS copy_order, {names} FROM {target} WITH NO DATA"
            ),
            move=(
                f"WITH staged AS (DELETE FROM pg_temp.{staging} RETURNING *) "
                f"INSERT INTO {target} ({names}) SELECT {names} FROM staged "
                f"ORDER BY copy_order ON CONFLICT ({sql_of[self._skipping]}) DO NOTHING"
            ),
            columns=sql_of,
        )


def converters_of(
    table: Table, names: Sequence[str], dialect: Dialect
) -> tuple[tuple[int, Convert], ...]:
    """The converter of each of these columns that has one (as SQLAlchemy binds its values
    for the driver), by position in `names`."""
    return tuple(
        (index, convert)
        for index, name in enumerate(names)
        if (convert := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    )


def _with_converted(
    rows: Sequence[tuple[Any, ...]], converters: tuple[tuple[int, Convert], ...]
) -> Sequence[tuple[Any, ...]]:
    if not converters:
        return rows
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for index, convert in converters:
        columns[index] = _converted(columns[index], convert)
    return list(zip(*columns, strict=True))


def insert_or_skip(table: type[Any], conflict: str, columns: Sequence[str]) -> BulkInsert:
    """A many-row insert into `table` (a mapped class) that skips a row whose `conflict`
    column is already taken."""

    def statement(dialect: str) -> Insert:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        return insert(table).on_conflict_do_nothing(index_elements=[conflict])

    return BulkInsert(statement, columns, skipping=conflict)


class SharedInsert:
    """An insert of one row per lead of a list, the rows alike but for their lead's row id.

    The database makes the rows itself, by one INSERT … SELECT over the ids, sent as one
    parameter (an array on PostgreSQL, a JSON array read by json_each on SQLite): a row of
    values sent per lead costs the driver, and on PostgreSQL a copy's parsing, far more than
    the server's insert. `columns` take the values given; `computed` columns take an SQL
    expression of the lead's id, written `{id}`, of their own values, written `{value}`, and,
    `from_leads`, of the lead's stored row, written `leads.<column>`.
    """

    def __init__(
        self,
        table: Table,
        columns: Sequence[str],
        *,
        lead: str = "lead_id",
        computed: dict[str, str] | None = None,
        skipping: str | None = None,
        from_leads: bool = False,
    ) -> None:
        self.table = table
        self._from_leads = from_leads
        self.columns = tuple(columns)
        self._lead = lead
        self._computed = dict(computed or {})
        self._skipping = skipping
        self._compiled: dict[str, tuple[str, tuple[tuple[int, Convert], ...]]] = {}

    def run(
        self,
        connection: Connection,
        lead_ids: Sequence[int],
        values: Sequence[Any],
        computed: Sequence[Any] = (),
    ) -> None:
        """Insert a row per lead of `lead_ids`: `values` in `columns` order, and the values of
        the `computed` columns' expressions in theirs."""
        if not lead_ids:
            return
        dialect = connection.dialect
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        sql, converters = found
        given = list(values)
        for index, convert in converters:
            given[index] = convert(given[index])
        # The ids as the text of an array, which the statement reads: cheaper for the
        # driver than a list adapted number by number.
        listed = ",".join(map(str, lead_ids))
        ids = "{" + listed + "}" if dialect.name == "postgresql" else "[" + listed + "]"
        connection.exec_driver_sql(sql, (*given, *computed, ids))

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[tuple[int, Convert], ...]]:
        quote = dialect.identifier_preparer.quote
        target = dialect.identifier_preparer.format_table(self.table)
        postgres = dialect.name == "postgresql"
        mark = "%s" if postgres else "?"
        lead_id = "ids.id" if postgres else "ids.value"
        selected = []
        for name in self.columns:
            if postgres:  # the type each value has, not a text to guess from
                kind = self.table.c[name].type.dialect_impl(dialect).compile(dialect=dialect)
                selected.append(f"CAST({mark} AS {kind})")
            else:  # SQLite's CAST would read a JSON document as a number
                selected.append(mark)
        selected += [sql.format(id=lead_id, value=mark) for sql in self._computed.values()]
        names = ", ".join(quote(name) for name in (self._lead, *self.columns, *self._computed))
        source = "unnest(CAST(%s AS bigint[])) AS ids(id)" if postgres else "json_each(?) AS ids"
        if self._from_leads and postgres:
            # Each lead's row found by a probe of the primary key: PostgreSQL would rather
            # hash the whole leads table to join a thousand ids (it prices a probe as a
            # read from disk), which takes longer as the table grows (17 ms at 50,000
            # leads; the probes, 1.5 ms). OFFSET 0 keeps the probe a subquery of its own.
            source += (
                " CROSS JOIN LATERAL "
                f"(SELECT * FROM leads WHERE leads.id = {lead_id} OFFSET 0) AS leads"
            )
        elif self._from_leads:
            source += f" JOIN leads ON leads.id = {lead_id}"
        sql = (
            f"INSERT INTO {target} ({names}) SELECT {lead_id}, {', '.join(selected)} "
            # WHERE true: SQLite reads an ON CONFLICT after a bare FROM as a join's ON.
            f"FROM {source} WHERE true ORDER BY {lead_id}"
        )
        if self._skipping is not None:
            sql += f" ON CONFLICT ({quote(self._skipping)}) DO NOTHING"
        return sql, converters_of(self.table, self.columns, dialect)
