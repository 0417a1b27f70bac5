"""The last run of each scheduled job: recorded after each pass, read by `jobs list` and health."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.services.records import JobRun
from storage.db import Database
from storage.rows import JobRunRow


class SqlJobRuns:
    def __init__(self, database: Database) -> None:
        self.database = database

    def record(
        self,
        name: str,
        *,
        started_at: datetime,
        finished_at: datetime,
        as_of: datetime,
        ok: bool,
        result: str,
        next_run_at: datetime | None = None,
    ) -> None:
        values = {
            "started_at": started_at,
            "finished_at": finished_at,
            "as_of": as_of,
            "ok": ok,
            "result": result[:2000],
        }
        if next_run_at is not None:
            values["next_run_at"] = next_run_at
        insert = pg_insert if self.database.is_postgres else sqlite_insert
        statement = insert(JobRunRow).values(name=name, runs=1, **values)
        statement = statement.on_conflict_do_update(
            index_elements=["name"], set_={**values, "runs": JobRunRow.runs + 1}
        )
        with self.database.write_session() as session, session.begin():
            session.execute(statement)

    def scheduled(self, name: str, *, next_run_at: datetime | None, now: datetime) -> None:
        """Record when the scheduler next runs `name` (a job not yet run gets a row for it)."""
        insert = pg_insert if self.database.is_postgres else sqlite_insert
        statement = insert(JobRunRow).values(
            name=name, started_at=now, as_of=now, runs=0, next_run_at=next_run_at
        )
        statement = statement.on_conflict_do_update(
            index_elements=["name"], set_={"next_run_at": next_run_at}
        )
        with self.database.write_session() as session, session.begin():
            session.execute(statement)

    def all(self) -> list[JobRun]:
        with self.database.reading() as session:
            return job_runs(session)


def job_runs(session: Session) -> list[JobRun]:
    rows = session.scalars(select(JobRunRow).order_by(JobRunRow.name)).all()
    return [
        JobRun(
            name=row.name,
            started_at=row.started_at,
            finished_at=row.finished_at,
            as_of=row.as_of,
            result=row.result,
            ok=row.ok,
            runs=row.runs,
            next_run_at=row.next_run_at,
        )
        for row in rows
    ]
