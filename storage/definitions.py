"""The lead definition's versions and the proposals to change it, with their approvals."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.domain.definitions import FIRST, DefinitionVersion, rules_data, rules_from_data
from bot.domain.proposals import OPEN, Approval, Proposal, ProposalStatus, Side
from bot.services.records import ProposalPost
from storage.db import Database
from storage.rows import (
    DefinitionVersionRow,
    RuleApprovalRow,
    RuleProposalPostRow,
    RuleProposalRow,
)
from storage.whole_leads import LIVE_NUMBER_READ

_OPEN = [status.value for status in OPEN]
# Built once: every intake request reads it.
_LIVE_NUMBER = select(func.max(DefinitionVersionRow.number))


class SqlRulesRepository:
    """Versions and proposals in the caller's session: a repository of a unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # Versions ------------------------------------------------------------------------------

    def live(self, *, for_update: bool = False) -> DefinitionVersion | None:
        """The live version (the highest number).

        `for_update`: first take the definition's lock, held until commit, so that decisions
        on the definition are taken one after the other and each sees the one before. The
        lock is version 1's row, the same for every decision: a lock on the live version's
        row would let the second decision read the version that was live before it waited.
        """
        if for_update:
            self.session.execute(
                select(DefinitionVersionRow.number)
                .where(DefinitionVersionRow.number == FIRST)
                .with_for_update()
            )
        query = select(DefinitionVersionRow).order_by(DefinitionVersionRow.number.desc()).limit(1)
        row = self.session.scalars(query).first()
        return _version_of(row) if row else None

    def live_number(self) -> int | None:
        """The live version's number: all a request reads to know its kept version is live."""
        # On the connection: the session's ORM execution costs three times the query's own
        # (it is read by every intake request).
        if LIVE_NUMBER_READ in self.session.info:  # read by this transaction's writes
            read: int | None = self.session.info.pop(LIVE_NUMBER_READ)
            return read
        number: int | None = self.session.connection().execute(_LIVE_NUMBER).scalar()
        return number

    def version(self, number: int) -> DefinitionVersion | None:
        row = self.session.get(DefinitionVersionRow, number)
        return _version_of(row) if row else None

    def history(self) -> list[DefinitionVersion]:
        """Every version, the live one first."""
        query = select(DefinitionVersionRow).order_by(DefinitionVersionRow.number.desc())
        return [_version_of(row) for row in self.session.scalars(query)]

    def seed(self, version: DefinitionVersion) -> bool:
        """Store the first version unless there is one; say whether it was stored.

        Several processes starting at once may all try: one stores it, the others find it.
        """
        if self.session.scalar(select(DefinitionVersionRow.number).limit(1)) is not None:
            return False
        dialect = self.session.connection().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(DefinitionVersionRow)
            .values(_version_values(version))
            .on_conflict_do_nothing(index_elements=["number"])
            .returning(DefinitionVersionRow.number)
        )
        return self.session.execute(statement).first() is not None

    def add_version(self, version: DefinitionVersion) -> None:
        self.session.add(DefinitionVersionRow(**_version_values(version)))
        self.session.flush()

    # Proposals -----------------------------------------------------------------------------

    def open_proposal(self) -> Proposal | None:
        query = (
            select(RuleProposalRow)
            .where(RuleProposalRow.status.in_(_OPEN))
            .order_by(RuleProposalRow.id)
            .limit(1)
        )
        row = self.session.scalars(query).first()
        return self._proposal_of(row) if row else None

    def proposal(self, proposal_id: int, *, for_update: bool = False) -> Proposal | None:
        query = select(RuleProposalRow).where(RuleProposalRow.id == proposal_id)
        if for_update:
            # Two people approving at once: the second waits here and sees the first's approval.
            query = query.with_for_update()
        row = self.session.scalars(query).first()
        return self._proposal_of(row) if row else None

    def proposals(self, *, limit: int = 20) -> list[Proposal]:
        """The latest proposals, newest first."""
        query = select(RuleProposalRow).order_by(RuleProposalRow.id.desc()).limit(limit)
        return [self._proposal_of(row) for row in self.session.scalars(query)]

    def add_proposal(self, proposal: Proposal) -> Proposal:
        """Store a new proposal and its approvals; return it with its id."""
        row = RuleProposalRow(
            rules=rules_data(proposal.rules),
            why=proposal.why,
            proposed_by=proposal.proposed_by,
            proposed_at=proposal.proposed_at,
            base_version=proposal.base_version,
        )
        _copy_state(proposal, row)
        self.session.add(row)
        self.session.flush()
        self._add_approvals(row.id, proposal.approvals)
        return self._proposal_of(row)

    def save_proposal(self, proposal: Proposal) -> None:
        """Store what changed: its status and closing, and the approvals not stored yet."""
        if proposal.id is None:
            raise ValueError("save_proposal takes a stored proposal; add_proposal stores one")
        row = self.session.get_one(RuleProposalRow, proposal.id)
        _copy_state(proposal, row)
        stored = {Side(a.side) for a in self._approval_rows(proposal.id)}
        self._add_approvals(proposal.id, [a for a in proposal.approvals if a.side not in stored])

    def record_post(
        self, proposal_id: int, *, audience: str, channel: str, message_ts: str, at: datetime
    ) -> None:
        """Remember where a copy of the proposal was posted (again: the newest copy counts)."""
        row = self.session.get(RuleProposalPostRow, (proposal_id, audience))
        if row is None:
            row = RuleProposalPostRow(proposal_id=proposal_id, audience=audience)
            self.session.add(row)
        row.channel, row.message_ts, row.posted_at = channel, message_ts, at
        self.session.flush()

    def posts(self, proposal_id: int) -> list[ProposalPost]:
        query = (
            select(RuleProposalPostRow)
            .where(RuleProposalPostRow.proposal_id == proposal_id)
            .order_by(RuleProposalPostRow.audience)
        )
        return [
            ProposalPost(row.audience, row.channel, row.message_ts, row.posted_at)
            for row in self.session.scalars(query)
        ]

    def _add_approvals(self, proposal_id: int, approvals: Sequence[Approval]) -> None:
        for approval in approvals:
            self.session.add(
                RuleApprovalRow(
                    proposal_id=proposal_id,
                    side=approval.side.value,
                    user_id=approval.by,
                    at=approval.at,
                )
            )
        self.session.flush()

    def _approval_rows(self, proposal_id: int) -> list[RuleApprovalRow]:
        query = (
            select(RuleApprovalRow)
            .where(RuleApprovalRow.proposal_id == proposal_id)
            .order_by(RuleApprovalRow.at, RuleApprovalRow.side)
        )
        return list(self.session.scalars(query))

    def _proposal_of(self, row: RuleProposalRow) -> Proposal:
        return Proposal(
            id=row.id,
            rules=rules_from_data(row.rules),
            why=row.why,
            proposed_by=row.proposed_by,
            proposed_at=row.proposed_at,
            base_version=row.base_version,
            status=ProposalStatus(row.status),
            approvals=tuple(
                Approval(Side(a.side), a.user_id, a.at) for a in self._approval_rows(row.id)
            ),
            closed_by=row.closed_by,
            closed_at=row.closed_at,
            reason=row.reason,
            version=row.version,
        )


class SqlRules:
    """The rules' store on its own, a transaction per `with`: until it joins a unit of work."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @contextmanager
    def changing(self) -> Iterator[SqlRulesRepository]:
        """A write transaction, committed when the block ends without an error."""
        with self.database.write_session() as session, session.begin():
            yield SqlRulesRepository(session)

    @contextmanager
    def reading(self) -> Iterator[SqlRulesRepository]:
        with self.database.reading() as session:
            yield SqlRulesRepository(session)


class SqlRulesReader:
    """The versions and proposals read in a read session of their own, each call."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def live(self) -> DefinitionVersion | None:
        with self.database.reading() as session:
            return SqlRulesRepository(session).live()

    def live_number(self) -> int | None:
        with self.database.reading() as session:
            return SqlRulesRepository(session).live_number()

    def version(self, number: int) -> DefinitionVersion | None:
        with self.database.reading() as session:
            return SqlRulesRepository(session).version(number)

    def history(self) -> list[DefinitionVersion]:
        with self.database.reading() as session:
            return SqlRulesRepository(session).history()

    def proposal(self, proposal_id: int) -> Proposal | None:
        with self.database.reading() as session:
            return SqlRulesRepository(session).proposal(proposal_id)

    def proposals(self, *, limit: int = 20) -> list[Proposal]:
        with self.database.reading() as session:
            return SqlRulesRepository(session).proposals(limit=limit)


def _version_values(version: DefinitionVersion) -> dict[str, object]:
    return {
        "number": version.number,
        "rules": rules_data(version.rules),
        "why": version.why,
        "proposed_by": version.proposed_by,
        "marketing_approver": version.marketing_approver,
        "sales_approver": version.sales_approver,
        "took_effect_at": version.took_effect_at,
        "proposal_id": version.proposal_id,
    }


def _version_of(row: DefinitionVersionRow) -> DefinitionVersion:
    return DefinitionVersion(
        number=row.number,
        rules=rules_from_data(row.rules),
        why=row.why,
        proposed_by=row.proposed_by,
        marketing_approver=row.marketing_approver,
        sales_approver=row.sales_approver,
        took_effect_at=row.took_effect_at,
        proposal_id=row.proposal_id,
    )


def _copy_state(proposal: Proposal, row: RuleProposalRow) -> None:
    row.status = proposal.status.value
    row.closed_by = proposal.closed_by
    row.closed_at = proposal.closed_at
    row.reason = proposal.reason
    row.version = proposal.version
