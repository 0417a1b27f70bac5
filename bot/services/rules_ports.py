"""The ports of the lead definition: its versions and proposals, and the backtest's read.
The unit of work (`ports.py`) carries the repository."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from bot.domain.backtest import BacktestLead
from bot.domain.definitions import DefinitionVersion
from bot.domain.proposals import Proposal
from bot.services.records import ProposalPost


class RulesRepository(Protocol):
    """The lead definition's versions (the highest number is live) and the proposals."""

    def live(self, *, for_update: bool = False) -> DefinitionVersion | None:
        """`for_update`: decisions on the definition are taken one after the other."""
        ...

    def live_number(self) -> int | None: ...  # the live version's number, read alone
    def version(self, number: int) -> DefinitionVersion | None: ...
    def history(self) -> list[DefinitionVersion]: ...  # the live one first
    def seed(self, version: DefinitionVersion) -> bool: ...  # stored unless there is one
    def add_version(self, version: DefinitionVersion) -> None: ...
    def open_proposal(self) -> Proposal | None: ...
    def proposal(self, proposal_id: int, *, for_update: bool = False) -> Proposal | None: ...
    def proposals(self, *, limit: int = 20) -> list[Proposal]: ...  # newest first
    def add_proposal(self, proposal: Proposal) -> Proposal: ...  # returned with its id
    def save_proposal(self, proposal: Proposal) -> None: ...
    def record_post(
        self, proposal_id: int, *, audience: str, channel: str, message_ts: str, at: datetime
    ) -> None: ...
    def posts(self, proposal_id: int) -> list[ProposalPost]: ...


class RulesReader(Protocol):
    """The lead definition's versions and proposals, read outside a write transaction."""

    def live(self) -> DefinitionVersion | None: ...
    def live_number(self) -> int | None: ...  # the live version's number, read alone
    def version(self, number: int) -> DefinitionVersion | None: ...
    def history(self) -> list[DefinitionVersion]: ...
    def proposal(self, proposal_id: int) -> Proposal | None: ...
    def proposals(self, *, limit: int = 20) -> list[Proposal]: ...


class BacktestReader(Protocol):
    def leads(
        self, *, since: datetime | None, until: datetime | None, fields: Sequence[str]
    ) -> Iterator[list[BacktestLead]]:
        """The leads received in the period, a chunk at a time, their facts named by `fields`."""
        ...


class RulesSources(Protocol):
    """What the outbox worker reads to post a proposal and its backtest."""

    @property
    def rules(self) -> RulesReader: ...
    @property
    def backtests(self) -> BacktestReader: ...
