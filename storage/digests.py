"""Weekly digests sent once per audience and week, and where a posted digest landed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.db import Database
from storage.rows import DigestSentRow, OutboxRow


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


def posted(database: Database, key: str) -> tuple[str, str] | None:
    """The channel and ts of the message that delivered the work `key`, once delivered."""
    with database.reading() as session:
        row = session.execute(
            select(OutboxRow.result_channel, OutboxRow.result_ts).where(
                OutboxRow.key == key, OutboxRow.state == "sent"
            )
        ).first()
    if row is None or not row[0] or not row[1]:
        return None
    return row[0], row[1]
