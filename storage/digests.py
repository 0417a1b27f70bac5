"""Weekly digests sent once per audience and week."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.rows import DigestSentRow


class SqlDigestRepository:
    def __init__(self, session: Session, *, postgres: bool) -> None:
        self.session = session
        self.insert = pg_insert if postgres else sqlite_insert

    def sent(self, audience: str, week_start: date) -> bool:
        found = self.session.scalar(
            select(DigestSentRow.audience).where(
                DigestSentRow.audience == audience, DigestSentRow.week_start == week_start
            )
        )
        return found is not None

    def claim(self, audience: str, week_start: date, *, now: datetime) -> bool:
        """Record the audience's digest of the week in this transaction; False if it was already."""
        statement = (
            self.insert(DigestSentRow)
            .values(audience=audience, week_start=week_start, sent_at=now)
            .on_conflict_do_nothing(index_elements=["audience", "week_start"])
            .returning(DigestSentRow.audience)
        )
        return self.session.execute(statement).first() is not None
