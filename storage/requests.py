"""Requests already handled: a person's click or command that Slack delivers twice acts once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.rows import HandledRequestRow

# Slack re-delivers within seconds; a day of keys is plenty and keeps the table small.
REMEMBER_REQUESTS = timedelta(days=1)


class SqlHandledRequests:
    def __init__(self, session: Session, *, postgres: bool) -> None:
        self.session = session
        self.insert = pg_insert if postgres else sqlite_insert

    def first_handling(self, key: str, *, now: datetime) -> bool:
        """Remember a person's request in this transaction; False when it was handled before."""
        statement = (
            self.insert(HandledRequestRow)
            .values(key=key, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(HandledRequestRow.key)
        )
        first = self.session.execute(statement).first() is not None
        if first:
            stale = HandledRequestRow.created_at < now - REMEMBER_REQUESTS
            self.session.execute(delete(HandledRequestRow).where(stale))
        return first
