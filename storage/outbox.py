"""The outbox as the delivery worker sees it: claim due work, record results, share channel pace."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.services.ports import LeadReader
from bot.services.records import Delivered, OutboxItem, SlotWanted, Urgency, WorkKind
from bot.services.rules_ports import BacktestReader, RulesReader
from storage.backtest import SqlBacktestReader
from storage.definitions import SqlRulesReader
from storage.reads import SqlLeadReader
from storage.rows import (
    UNDELIVERED_SQL,
    BatchRow,
    ChannelPaceRow,
    HandoffRoundRow,
    OutboxRow,
    SlackNoticeRow,
)
from storage.snapshots import SqlSnapshotReader

LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


class SqlOutbox(SqlSnapshotReader):
    """The outbox table, and the snapshots its work is composed from."""

    @property
    def leads(self) -> LeadReader:
        return SqlLeadReader(self.database)

    @property
    def rules(self) -> RulesReader:
        return SqlRulesReader(self.database)

    @property
    def backtests(self) -> BacktestReader:
        return SqlBacktestReader(self.database)

    def claim_due(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        kinds: Collection[WorkKind] | None = None,
        scheduled_limit: int | None = None,
    ) -> list[OutboxItem]:
        """Claim due work (of `kinds`, or any) for this process, the most urgent first and,
        within one urgency, the longest waiting first, at most `scheduled_limit` items of
        scheduled work; a crashed claimant's lease runs out and others retry.

        However much scheduled work is due (a week of timers caught up at once), a new
        handoff due now is claimed in the next pass.
        """
        with self.database.write_session() as session, session.begin():
            rows: list[OutboxRow] = []
            for urgency in Urgency:
                room = limit - len(rows)
                if urgency is Urgency.SCHEDULED and scheduled_limit is not None:
                    room = min(room, scheduled_limit)
                if room <= 0:
                    break
                query = (
                    select(OutboxRow)
                    .where(
                        text(UNDELIVERED_SQL),
                        OutboxRow.urgency == urgency.value,
                        OutboxRow.available_at <= now,
                        or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now),
                    )
                    .order_by(OutboxRow.available_at, OutboxRow.id)
                    .limit(room)
                )
                if kinds is not None:
                    query = query.where(OutboxRow.kind.in_(sorted(k.value for k in kinds)))
                if self.database.is_postgres:
                    query = query.with_for_update(skip_locked=True)
                rows += session.scalars(query).all()
            items = [_item(row) for row in rows]
            for row in rows:
                row.claimed_until = now + lease
                row.attempts += 1
        return items

    def complete_all(self, done: Sequence[Delivered], *, now: datetime) -> None:
        """Record delivered work, all in one transaction of a few statements (a pass's
        deliveries cost one write, not one each): each item sent, a Home refresh queued for
        each of its `homes`; a posted handoff card queues the taking of its permalink, which
        is stored once taken."""
        if not done:
            return
        insert = pg_insert if self.database.is_postgres else sqlite_insert
        with self.database.write_session() as session, session.begin():
            sent = [_sent_values(delivered, now=now) for delivered in done]
            session.execute(update(OutboxRow), sent)
            cards = [d for d in done if d.item.kind is WorkKind.HANDOFF and d.ts]
            if cards:
                _post_cards(session, cards)
                permalinks = [_permalink_work(d.item, now=now) for d in cards]
                statement = insert(OutboxRow).values(permalinks)
                session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
            links = [d for d in done if d.item.kind is WorkKind.PERMALINK and d.permalink]
            if links:
                _store_permalinks(session, links)
            summaries = [d for d in done if d.item.kind is WorkKind.BATCH_SUMMARY and d.ts]
            if summaries:
                posted = [
                    {"id": d.item.batch_id, "channel": d.channel, "message_ts": d.ts}
                    for d in summaries
                ]
                session.execute(update(BatchRow), posted)
            homes: dict[str, OutboxItem] = {}
            for delivered in done:
                for user in delivered.homes:
                    homes.setdefault(user, delivered.item)
            if homes:
                _queue_home_refreshes(session, insert, homes, now=now)

    def retry_later(
        self,
        item: OutboxItem,
        *,
        at: datetime,
        error: str | None,
        blocked: bool = False,
        attempt: bool = True,
    ) -> None:
        """Put work back for later; `attempt=False` when it waited on something and never tried."""
        values: dict[str, Any] = {"available_at": at, "claimed_until": None}
        if error is not None:
            values["last_error"] = error
        values["state"] = "blocked" if blocked else "pending"
        if not attempt:
            values["attempts"] = OutboxRow.attempts - 1
        with self.database.write_session() as session, session.begin():
            session.execute(update(OutboxRow).where(OutboxRow.id == item.id).values(**values))

    def reserve_post(
        self, channel: str, *, now: datetime, spacing: timedelta, scheduled: bool = False
    ) -> datetime | None:
        """Take the channel's next posting slot: None when this post may go now, else when to retry.

        Slots follow on from the previous one while posts keep coming, so a late pick-up
        does not push every later post back as well. A `scheduled` post takes only a slot
        that nothing else wanted: one whole slot must have gone unused before it, so that it
        never holds back a handoff to a channel that keeps getting them. When the channel is
        busy, scheduled posts wait in line for it, a slot apart, each trying again in turn.
        """
        with self.database.write_session() as session, session.begin():
            pace = _paces(session, self.database.is_postgres, [channel], now=now)[channel]
            return _take_slot(pace, now=now, spacing=spacing, scheduled=scheduled)

    def take_slots(self, wanted: Sequence[SlotWanted], *, now: datetime) -> list[bool]:
        """Take each post's slot of its pace as `reserve_post` does, in the order given (the
        most urgent first), and put each post that may not go now back for its slot, all in
        one transaction; return whether each may go now."""
        if not wanted:
            return []
        with self.database.write_session() as session, session.begin():
            paces = _paces(session, self.database.is_postgres, [w.pace for w in wanted], now=now)
            free, waiting = [], []
            for want in wanted:
                scheduled = want.item.urgency is Urgency.SCHEDULED
                slot = _take_slot(
                    paces[want.pace], now=now, spacing=want.spacing, scheduled=scheduled
                )
                free.append(slot is None)
                if slot is not None:
                    waiting.append(_back_in_line(want.item, at=slot))
            if waiting:
                session.execute(update(OutboxRow), waiting)
        return free

    def next_due_at(self, kinds: Collection[WorkKind] | None = None) -> datetime | None:
        """When the earliest undelivered work (of `kinds`) is due, so a worker can sleep."""
        with self.database.reading() as session:
            query = select(func.min(OutboxRow.available_at)).where(
                OutboxRow.state.in_(("pending", "blocked"))
            )
            if kinds is not None:
                query = query.where(OutboxRow.kind.in_(sorted(k.value for k in kinds)))
            return session.scalar(query)

    def first_time(self, key: str, *, now: datetime) -> bool:
        """Record a once-only notice; True the first time its key is seen."""
        insert = pg_insert if self.database.is_postgres else sqlite_insert
        statement = (
            insert(SlackNoticeRow)
            .values(key=key, created_at=now)
            .on_conflict_do_nothing()
            .returning(SlackNoticeRow.key)
        )
        with self.database.write_session() as session, session.begin():
            return session.execute(statement).first() is not None

    def still_refused(self, error_prefix: str) -> bool:
        """Whether some work still waits, refused with an error that starts so."""
        with self.database.reading() as session:
            query = select(OutboxRow.id).where(
                OutboxRow.state == "blocked",
                OutboxRow.last_error.startswith(error_prefix, autoescape=True),
            )
            return session.scalar(query.limit(1)) is not None

    def drop(self, item: OutboxItem, *, now: datetime, why: str) -> None:
        """Give up work that no longer means anything (a notice whose cause has cleared)."""
        with self.database.write_session() as session, session.begin():
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item.id)
                .values(state="dropped", claimed_until=None, delivered_at=now, last_error=why)
            )

    def add(self, kind: WorkKind, key: str, payload: dict[str, Any], *, now: datetime) -> None:
        insert = pg_insert if self.database.is_postgres else sqlite_insert
        values: dict[str, Any] = {"key": key, "kind": kind.value, "payload": payload}
        values |= {"state": "pending", "attempts": 0, "urgency": kind.urgency.value}
        statement = insert(OutboxRow).values(**values, available_at=now, created_at=now)
        with self.database.write_session() as session, session.begin():
            session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))


def _sent_values(delivered: Delivered, *, now: datetime) -> dict[str, Any]:
    return {
        "id": delivered.item.id,
        "state": "sent",
        "delivered_at": now,
        "claimed_until": None,
        "result_channel": delivered.channel,
        "result_ts": delivered.ts,
    }


def _post_cards(session: Session, cards: Sequence[Delivered]) -> None:
    rounds: Any = HandoffRoundRow.__table__
    statement = (
        update(rounds)
        .where(rounds.c.lead_id == bindparam("card_lead"))
        .where(rounds.c.round_no == bindparam("card_round"))
        .values(channel=bindparam("card_channel"), message_ts=bindparam("card_ts"))
    )
    posted = [
        {
            "card_lead": d.item.lead_id,
            "card_round": d.item.handoff_round,
            "card_channel": d.channel,
            "card_ts": d.ts,
        }
        for d in cards
    ]
    session.execute(statement, posted)


def _store_permalinks(session: Session, links: Sequence[Delivered]) -> None:
    rounds: Any = HandoffRoundRow.__table__
    statement = (
        update(rounds)
        .where(rounds.c.lead_id == bindparam("link_lead"))
        .where(rounds.c.round_no == bindparam("link_round"))
        .values(permalink=bindparam("link"))
    )
    taken = [
        {
            "link_lead": d.item.lead_id,
            "link_round": d.item.handoff_round,
            "link": (d.permalink or "")[:500],
        }
        for d in links
    ]
    session.execute(statement, taken)


def _paces(
    session: Session, postgres: bool, names: Sequence[str], *, now: datetime
) -> dict[str, ChannelPaceRow]:
    """The pace rows of `names`, made when missing, locked until the transaction ends."""
    insert = pg_insert if postgres else sqlite_insert
    wanted = sorted(set(names))  # locked in one order, so two processes never deadlock
    placeholders = [{"channel": name, "next_post_at": LONG_AGO} for name in wanted]
    statement = insert(ChannelPaceRow).values(placeholders)
    session.execute(statement.on_conflict_do_nothing(index_elements=["channel"]))
    query = (
        select(ChannelPaceRow)
        .where(ChannelPaceRow.channel.in_(wanted))
        .order_by(ChannelPaceRow.channel)
        .with_for_update()
    )
    return {pace.channel: pace for pace in session.scalars(query)}


def _take_slot(
    pace: ChannelPaceRow, *, now: datetime, spacing: timedelta, scheduled: bool
) -> datetime | None:
    if scheduled:
        return _scheduled_slot(pace, now=now, spacing=spacing)
    if pace.next_post_at > now:
        return pace.next_post_at
    streaming = pace.next_post_at > now - spacing
    pace.next_post_at = (pace.next_post_at if streaming else now) + spacing
    return None


def _back_in_line(item: OutboxItem, *, at: datetime) -> dict[str, Any]:
    # Waiting for its slot is no attempt: the claim's count goes back to what it was.
    return {
        "id": item.id,
        "available_at": at,
        "claimed_until": None,
        "state": "pending",
        "attempts": item.attempts,
    }


def _queue_home_refreshes(
    session: Session, insert: Any, homes: dict[str, OutboxItem], *, now: datetime
) -> None:
    """Queue a refresh of each person's Home, after the work of theirs delivered."""
    # One refresh waiting to start is enough: it renders the Home as it is when delivered.
    # It is looked for among the replies still to deliver (few, however much scheduled work
    # is queued), not among every pending row.
    prefixes = [f"home:{user}:" for user in homes]
    waiting = session.scalars(
        select(OutboxRow.key).where(
            text(UNDELIVERED_SQL),
            OutboxRow.urgency == Urgency.REPLY.value,
            OutboxRow.kind == WorkKind.HOME_REFRESH.value,
            OutboxRow.state == "pending",
            or_(*(OutboxRow.key.startswith(prefix, autoescape=True) for prefix in prefixes)),
            or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now),
        )
    ).all()
    refreshed = {key.rsplit(":", 1)[0] for key in waiting}
    refreshes = [
        _home_refresh_work(user, after=after, now=now)
        for user, after in homes.items()
        if f"home:{user}" not in refreshed
    ]
    if refreshes:
        statement = insert(OutboxRow).values(refreshes)
        session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))


def _home_refresh_work(user: str, *, after: OutboxItem, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"key": f"home:{user}:{after.id}", "state": "pending"}
    values |= {"kind": WorkKind.HOME_REFRESH.value, "urgency": Urgency.REPLY.value}
    values |= {"payload": {"user": user}, "attempts": 0, "available_at": now}
    return values | {"created_at": now}


def _scheduled_slot(pace: ChannelPaceRow, *, now: datetime, spacing: timedelta) -> datetime | None:
    if pace.next_post_at <= now - spacing:
        pace.next_post_at = now + spacing
        return None
    # The end of the line, a slot after the channel's next free one at the earliest; the
    # line's slots are two apart, as a scheduled post needs an unused slot before it.
    at = max(pace.scheduled_at or LONG_AGO, pace.next_post_at + spacing, now + spacing)
    pace.scheduled_at = at + 2 * spacing
    return at


def _permalink_work(card: OutboxItem, *, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"key": f"permalink:{card.lead_id}:{card.handoff_round}"}
    values |= {"kind": WorkKind.PERMALINK.value, "state": "pending", "payload": {}}
    values |= {"lead_id": card.lead_id, "handoff_round": card.handoff_round, "attempts": 0}
    values |= {"urgency": WorkKind.PERMALINK.urgency.value}
    return values | {"available_at": now, "created_at": now}


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        key=row.key,
        kind=WorkKind(row.kind),
        lead_id=row.lead_id,
        batch_id=row.batch_id,
        handoff_round=row.handoff_round,
        payload=dict(row.payload or {}),
        attempts=row.attempts,
        created_at=row.created_at,
        urgency=Urgency(row.urgency),
    )
