"""The unit of work: one write transaction, with a repository per aggregate."""

from __future__ import annotations

import sqlite3
from types import TracebackType
from typing import Self

import psycopg
from sqlalchemy.exc import IntegrityError

from bot.domain.lead_summary import CalendarBook
from bot.services.ports import DuplicateLead
from storage.crm import SqlCrmRepository
from storage.db import Database
from storage.definitions import SqlRulesRepository
from storage.digests import SqlDigestRepository
from storage.events import SqlActivityRepository, SqlEventRepository
from storage.handoffs import SqlBatchRepository, SqlRoundRepository
from storage.leads import SqlLeadRepository
from storage.queueing import SqlOutboxQueue
from storage.requests import SqlHandledRequests
from storage.settling import SqlNewLeadsToSettle
from storage.timers import SqlPassRepository, SqlTimerRepository


class SqlUnitOfWork:
    """One write transaction: leads, events, rounds, timers and the outbox commit together."""

    def __init__(self, database: Database, *, calendars: CalendarBook | None = None) -> None:
        self.database = database
        session = self.session = database.write_session()
        postgres = database.is_postgres
        self.leads = SqlLeadRepository(session, postgres=postgres, calendars=calendars)
        self.events = SqlEventRepository(session, calendars)
        self.activity = SqlActivityRepository(session)
        self.rounds = SqlRoundRepository(session)
        self.batches = SqlBatchRepository(session)
        self.outbox = SqlOutboxQueue(session)
        self.settling = SqlNewLeadsToSettle(session, postgres=postgres)
        self.requests = SqlHandledRequests(session, postgres=postgres)
        self.timers = SqlTimerRepository(session, postgres=postgres)
        self.passes = SqlPassRepository(session, postgres=postgres)
        self.digests = SqlDigestRepository(session, postgres=postgres)
        self.rules = SqlRulesRepository(session)
        self.crm = SqlCrmRepository(session, postgres=postgres)

    def __enter__(self) -> Self:
        self.session.begin()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self.session.in_transaction():
                self.session.rollback()
        finally:
            self.session.close()
        if isinstance(error, IntegrityError) and _is_twin(error):
            raise DuplicateLead(
                "a lead with the same email or external id was stored meanwhile"
            ) from error

    def commit(self) -> None:
        self.session.commit()


def _is_twin(error: IntegrityError) -> bool:
    """Whether a unique key refused the row: a twin of a lead stored meanwhile."""
    original = error.orig
    if isinstance(original, psycopg.errors.UniqueViolation):
        return True
    return isinstance(original, sqlite3.IntegrityError) and str(original).startswith("UNIQUE")
