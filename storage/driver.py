"""What SQLAlchemy does not let a PostgreSQL statement say: that it is planned for its
parameters' values every time, and arrays of text sent as the text of an array."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import psycopg
from sqlalchemy import Connection


def rows_unprepared(connection: Connection, sql: str, parameters: Sequence[Any]) -> list[Any]:
    """The rows of a query (`%s` parameters) that PostgreSQL plans anew for the values at
    hand: psycopg prepares a statement it sees often, and PostgreSQL may then keep one plan
    for it, made for other values or a smaller table."""
    driver = cast(psycopg.Connection[Any], connection.connection.dbapi_connection)
    cursor = driver.cursor()
    try:
        cursor.execute(sql, parameters, prepare=False)
        return list(cursor.fetchall())
    except psycopg.Error as error:
        # Told as SQLAlchemy tells a failed statement: its events (storage faults), its
        # exceptions, the connection dropped when it is cut.
        connection._handle_dbapi_exception(error, sql, parameters, cast(Any, cursor), None)
    finally:
        cursor.close()


def array_text(values: Iterable[str]) -> str:
    """The text of an array of these strings, for a parameter cast to an array: cheaper
    for the driver than a list adapted value by value (a look-up's thousand keys)."""
    quoted = (value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return "{" + ",".join(f'"{value}"' for value in quoted) + "}"
