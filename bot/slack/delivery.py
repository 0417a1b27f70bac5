"""The outbox worker: delivers queued Slack work once each, at Slack's pace, through failures.

It logs what an operator needs: each delivery in one line; a refusal a person must fix at
ERROR once per cause and again when it clears; Slack out of reach one WARNING per backoff
step, never a traceback; a token Slack refuses pauses all delivery, once, until it works again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.clock import Clock
from bot.services.delivery_state import DeliveryState
from bot.services.outbox_worker import OutboxWorker, backoff
from bot.services.ports import Outbox, ReportReader, StorageUnavailable
from bot.services.records import (
    SLACK_WORK,
    Delivered,
    OutboxItem,
    SlotWanted,
    Urgency,
    WorkKind,
)
from bot.slack.api_errors import SLACK_SIDE, TOKEN_ERRORS, error_code, fix_for, network_reason
from bot.slack.attention import Causes, delivery_resumed, pause_delivery
from bot.slack.calls import SlackCall, Wait
from bot.slack.compose import UPLOAD, Composer
from config.model import BatonConfig

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
WAIT_FOR_PARENT = timedelta(seconds=1)
BLOCKED_RETRY = timedelta(minutes=5)
SLACK_BACKOFF_SECONDS = 60.0  # the longest pause while Slack is out of reach
TOKEN_CHECK_SECONDS = 60.0  # the longest pause between checks of a refused token
QUIET_KINDS = frozenset({WorkKind.HOME_REFRESH, WorkKind.PERMALINK})  # bookkeeping: at DEBUG
# A person's App Home is rebuilt at most this often: a stream of handoffs shares a refresh
# (a manager's Home lists every lead waiting for them, and costs more as the list grows).
HOME_SPACING = timedelta(seconds=5)


# An item with the call that carries it out (None: not composed yet); one Slack carried out.
Planned = tuple[OutboxItem, SlackCall | None]
Sent = tuple[Delivered, SlackCall]
T = TypeVar("T")
Step = Callable[[OutboxItem, SlackCall | None], T | None]


class SlackUnreachable(Exception):
    """A call to Slack got no answer it could use: a network error, a timeout, a 5xx."""


class Deliverer(OutboxWorker):
    """Deliver outbox work; safe to run in several processes at once."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        client: WebClient,
        config: BatonConfig,
        clock: Clock,
        spacing: timedelta = timedelta(seconds=1),
        batch_size: int = 32,
        threads: int = 8,
        state: DeliveryState | None = None,
        report: ReportReader | None = None,  # marketing's App Home shows the month's funnel
        overlap: bool = False,
        settle: Callable[[], int] | None = None,  # settles new leads (settling.py)
    ) -> None:
        super().__init__(kinds=SLACK_WORK, thread_name="baton-outbox", log=log)
        self.outbox, self.settle = outbox, settle
        self.client = client
        self.composer = Composer(
            reads=outbox,
            leads=outbox.leads,
            config=config,
            clock=clock,
            report=report,
            rules=outbox.rules,
            backtests=outbox.backtests,
        )
        self.clock = clock
        self.spacing = spacing
        self.batch_size = batch_size
        self.threads = threads
        self._scheduled_room = threads  # fewer while all of it finds its channel busy
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="baton-delivery")
        # With `overlap`, App Homes, notes and scheduled work go on a lane of their own while
        # the next passes post new handoffs (a busy manager's Home must not hold back a lead).
        self._later = ThreadPoolExecutor(max_workers=1, thread_name_prefix="baton-later")
        # Threads of its own too: a pass's handoffs must not queue behind Homes being built.
        self._later_pool = ThreadPoolExecutor(max(1, threads // 2), "baton-later-delivery")
        self._overlap = overlap
        self._later_running: Future[None] | None = None
        self.state = state or DeliveryState()
        self.state.listeners.append(self.wake.set)
        self.causes = Causes()
        self._outage_steps = 0  # backoff steps taken in a row with Slack out of reach
        self._token_checks = 0
        self._unreachable: str | None = None  # why Slack gave no answer in this pass
        self._answered = False  # whether Slack answered a call in this pass

    def run_once(self) -> int:
        """Deliver what is due now, the most urgent first; return how many items were claimed.

        New leads waiting to be settled are settled first (settling.py), so that their
        handoffs are claimed in this pass. New work (handoffs) goes first, on its own, then the rest; each in four steps over
        all its items at once: compose each item's call (on the pool's threads), take the
        posting slots in one transaction, make the calls (on the pool's threads), and record
        what Slack carried out in one transaction. So a pass costs a few writes however many
        items it delivers, its calls to Slack overlap, and a handoff is posted before any
        App Home or scheduled post claimed with it is composed. Slots are taken in the order
        claimed, the most urgent first, so that a new handoff takes its channel's slot before
        any scheduled post claimed with it can; and a pass takes no more scheduled work than
        its threads deliver at once, so that a handoff arriving meanwhile waits for a short
        pass at most. With `overlap`, the rest goes on a lane of its own, and passes claim
        only new work until that lane is done.
        """
        self.settle_new_leads()
        if self.state.paused is not None:
            return 0
        self._unreachable, self._answered = None, False
        later_busy = self._later_running is not None and not self._later_running.done()
        items = self.outbox.claim_due(
            now=self.clock.now(),
            limit=self.batch_size,
            lease=LEASE,
            kinds=SLACK_WORK,
            scheduled_limit=self._scheduled_room,
            urgencies=(Urgency.NEW,) if later_busy else tuple(Urgency),
        )
        new = [item for item in items if item.urgency is Urgency.NEW]
        rest = [item for item in items if item.urgency is not Urgency.NEW]
        if new:
            self._deliver(new, self.pool)
        if rest and self._overlap:
            self._later_running = self._later.submit(self._deliver_later, rest)
        elif rest:
            self._make_room(rest, self._deliver(rest, self.pool))
        return len(items)

    def _deliver(self, items: list[OutboxItem], pool: ThreadPoolExecutor) -> set[int]:
        """Deliver `items` in the four steps on `pool`; return the ids of those left waiting."""
        composed = self._each(self._compose, [(item, None) for item in items], pool)
        going = self._with_slots(composed)
        self._record(self._each(self._send, going, pool))
        return {item.id for item, _ in composed} - {item.id for item, _ in going}

    def _deliver_later(self, items: list[OutboxItem]) -> None:
        try:
            self._make_room(items, self._deliver(items, self._later_pool))
        except StorageUnavailable as error:  # leases run out and the items are tried again
            log.warning("outbox paused: %s", error)
        except Exception:
            log.exception("outbox pass failed; trying again shortly")
        finally:
            self.wake.set()  # the next pass may claim such work again

    def _make_room(self, items: list[OutboxItem], waited: set[int]) -> None:
        """Claim less scheduled work while all of it finds its channel busy (as when the jobs
        catch up while handoffs keep every channel busy); any scheduled post that goes, or a
        pass with none due, lets the next pass claim as much as its threads deliver at once."""
        scheduled = [item.id for item in items if item.urgency is Urgency.SCHEDULED]
        if scheduled and all(id_ in waited for id_ in scheduled):
            self._scheduled_room = max(1, self._scheduled_room // 2)
        else:
            self._scheduled_room = self.threads

    def _each(self, step: Step[T], work: Sequence[Planned], pool: ThreadPoolExecutor) -> list[T]:
        """Run `step` over `work` on the pool's threads; keep what is still to do, in order."""
        if len(work) == 1:  # a lone item (a reply, a handoff) skips the hand-over to a thread
            done = [self._guarded(step, *work[0])]
        else:
            done = list(pool.map(lambda planned: self._guarded(step, *planned), work))
        return [result for result in done if result is not None]

    def _guarded(self, step: Step[T], item: OutboxItem, call: SlackCall | None) -> T | None:
        try:
            return step(item, call)
        except StorageUnavailable:
            raise  # the whole pass pauses; the item's lease runs out and it is tried again
        except SlackUnreachable as error:
            # The answer was lost: a post may have reached Slack; the next try checks first.
            self._unreachable = str(error)
            at = self.clock.now() + timedelta(seconds=min(2.0**self._outage_steps, 60.0))
            self.outbox.retry_later(item, at=at, error=f"Slack unreachable: {error}")
        except Exception as error:
            log.exception("delivering %s failed", item.key, extra={"key": item.key})
            self.outbox.retry_later(
                item,
                at=self.clock.now() + backoff(item.attempts),
                error=f"internal error: {type(error).__name__}: {error}"[:500],
            )
        return None

    def run_forever(self, idle_seconds: float = 0.5) -> None:
        outage = 0  # passes in a row the store refused
        while not self._stopping.is_set():
            try:
                if self.state.paused is not None:
                    self._check_token()
                    self.settle_new_leads()  # the report counts them meanwhile
                    continue
                busy = self.run_once()
            except StorageUnavailable as error:
                outage += 1
                self.pause_for_store(outage, error, "outbox")
                continue
            except Exception:
                log.exception("outbox pass failed; trying again shortly")
                busy = 0
            if outage:
                log.warning("outbox resumed: the database answers again")
                outage = 0
            if self._after_pass():
                continue
            if not busy:
                self.sleep_until_due(idle_seconds)

    def _after_pass(self) -> bool:
        """Back off while Slack is out of reach, one WARNING a step; True when it paused."""
        now = self.clock.now()
        if self._unreachable is not None:
            self._outage_steps += 1
            pause = self._slack_pause()
            self.state.unreachable(self._unreachable, at=now)
            log.warning(
                "Slack unreachable: %s; the work waits, trying again in %.0f s",
                self._unreachable,
                pause,
                extra={"error": self._unreachable, "retry_in": pause},
            )
            self._stopping.wait(pause)
            return True
        if self._answered and self._outage_steps:
            self._outage_steps = 0
            ended = self.state.unreachable(None, at=now)
            lasted = (now - ended[1]).total_seconds() if ended else 0.0
            log.warning("Slack reachable again after %.0f s; delivering what waited", lasted)
        return False

    def _slack_pause(self) -> float:
        return min(2.0 ** max(self._outage_steps - 1, 0), SLACK_BACKOFF_SECONDS)

    def _check_token(self) -> None:
        """While paused for the token: ask Slack now and then whether it works again."""
        self._token_checks += 1
        self.wake.wait(min(2.0 ** (self._token_checks - 1), TOKEN_CHECK_SECONDS))
        self.wake.clear()
        if self._stopping.is_set() or self.state.paused is None:
            self._token_checks = 0
            return
        try:
            self.client.auth_test()
        except (SlackClientError, OSError):
            return  # still refused (logged once, when it paused) or out of reach
        self._token_checks = 0
        delivery_resumed(self.state, at=self.clock.now())

    def _compose(self, item: OutboxItem, _: SlackCall | None) -> Planned | None:
        """The call that carries `item` out; None when it is dealt with (put back, dropped)."""
        now = self.clock.now()
        if item.kind is WorkKind.SETUP_NOTICE and self._stale(item, now):
            return None
        if item.kind is WorkKind.HOME_REFRESH:
            return item, None  # composed once it has its slot: a busy Home costs the most
        call = self.composer.call(item)
        if isinstance(call, Wait):
            self.outbox.retry_later(item, at=now + WAIT_FOR_PARENT, error=None, attempt=False)
            return None
        return item, call

    def _with_slots(self, composed: list[Planned]) -> list[Planned]:
        """What may go now: posts that took their slot, and calls that need none."""
        wanted = []
        for item, call in composed:
            if item.kind is WorkKind.HOME_REFRESH:
                wanted.append(SlotWanted(item, f"home:{item.payload['user']}", HOME_SPACING))
            elif call is not None and call.method == "chat.postMessage":
                wanted.append(SlotWanted(item, call.args["channel"], self.spacing))
        free = self.outbox.take_slots(wanted, now=self.clock.now())
        waiting = {want.item.id for want, took in zip(wanted, free, strict=True) if not took}
        return [(item, call) for item, call in composed if item.id not in waiting]

    def _send(self, item: OutboxItem, call: SlackCall | None) -> Sent | None:
        """Carry `item` out in Slack; return it with its call when Slack did."""
        now = self.clock.now()
        if call is None:
            composed = self.composer.call(item)
            if isinstance(composed, Wait):
                self.outbox.retry_later(item, at=now + WAIT_FOR_PARENT, error=None, attempt=False)
                return None
            call = composed
        if call.method == UPLOAD and item.attempts > 0 and self._already_uploaded(call):
            return self._delivered(item, call, channel=call.args["channel"], ts=None)
        if call.method == "chat.postMessage" and item.attempts > 0:
            found = self._already_posted(item, call)
            if found:
                return self._delivered(item, call, channel=found[0], ts=found[1])
        return self._call(item, call, now)

    def _stale(self, item: OutboxItem, now: datetime) -> bool:
        """Drop a notice about a refusal that has cleared since: it would only mislead."""
        refused = item.payload.get("refused")
        if not refused or self.outbox.still_refused(refused):
            return False
        self.outbox.drop(item, now=now, why=f"not posted: the cause cleared ({refused})")
        log.info("notice not posted: its cause has cleared (%s)", refused, extra={"key": item.key})
        return True

    def _call(self, item: OutboxItem, call: SlackCall, now: datetime) -> Sent | None:
        try:
            if call.method == UPLOAD:
                # Slack's upload flow is three calls (get a URL, send the bytes, complete).
                answer = self.client.files_upload_v2(**call.args)
            else:
                answer = self.client.api_call(call.method, json=call.args)
        except SlackApiError as error:
            self._failed(item, call, error, now)
            return None
        except (SlackClientError, OSError) as error:
            raise SlackUnreachable(network_reason(error)) from None
        return self._delivered(
            item,
            call,
            channel=answer.get("channel"),
            ts=answer.get("ts"),
            permalink=answer.get("permalink"),
        )

    def _delivered(
        self,
        item: OutboxItem,
        call: SlackCall,
        *,
        channel: Any,
        ts: Any,
        permalink: str | None = None,
    ) -> Sent:
        self._answered = True
        done = Delivered(item, channel, ts, homes=call.homes, permalink=permalink)
        return done, call

    def _record(self, sent: list[Sent]) -> None:
        """Record what Slack carried out, in one transaction, and log each."""
        self.outbox.complete_all([delivered for delivered, _ in sent], now=self.clock.now())
        for delivered, call in sent:
            self._log_delivered(delivered, call)

    def _log_delivered(self, delivered: Delivered, call: SlackCall) -> None:
        item, channel, ts = delivered.item, delivered.channel, delivered.ts
        if call.homes:
            self.wake.set()
        target = call.args.get("channel", "")
        self.causes.accepted(target)
        fields = {"kind": item.kind.value, "key": item.key, "channel": channel, "ts": ts}
        if call.lead:
            fields["lead"] = call.lead
        level = logging.DEBUG if item.kind in QUIET_KINDS else logging.INFO
        what = "handoff posted" if item.kind is WorkKind.HANDOFF else "Slack work delivered"
        log.log(
            level, "%s: %s in %s, ts %s", what, call.lead or item.key, channel, ts, extra=fields
        )

    def _failed(
        self, item: OutboxItem, call: SlackCall, error: SlackApiError, now: datetime
    ) -> None:
        self._answered = True
        status, code = error.response.status_code, error_code(error)
        if status == 429:
            headers = error.response.headers
            wait = int(headers.get("Retry-After", headers.get("retry-after", 1)))
            self.outbox.retry_later(
                item, at=now + timedelta(seconds=wait), error="rate limited", attempt=False
            )
            return
        if status >= 500 or code in SLACK_SIDE:
            raise SlackUnreachable(f"Slack answered {code} to {call.method}")
        target = call.args.get("channel", "")
        if code in TOKEN_ERRORS:
            message = f"paused: Slack refused the bot token ({code}) — {fix_for(code)}"
            self.outbox.retry_later(item, at=now, error=message, attempt=False)
            reason = f"Slack refused the bot token on {call.method}"
            pause_delivery(self.state, reason=reason, code=code, at=now)
            return
        refused = f"{call.method} to {target} refused: {code}"
        message = f"{refused} — {fix_for(code)}"
        self.outbox.retry_later(item, at=now + BLOCKED_RETRY, error=message, blocked=True)
        self.causes.refused(method=call.method, target=target, code=code)
        if item.kind is not WorkKind.SETUP_NOTICE and self.outbox.first_time(
            f"fix:{target}:{code}", now=now
        ):
            problem = f"Slack refused {call.method} to {target}: `{code}`. Baton keeps the message queued."
            notice = {"problem": problem, "fix": fix_for(code), "refused": refused}
            self.outbox.add(WorkKind.SETUP_NOTICE, f"fix:{target}:{code}", notice, now=now)
            self.wake.set()

    def _already_uploaded(self, call: SlackCall) -> bool:
        """Whether an earlier try uploaded this file into its thread before its answer was lost."""
        try:
            answer = self.client.conversations_replies(
                channel=call.args["channel"], ts=call.args["thread_ts"], limit=200
            )
        except SlackApiError:
            return False
        except (SlackClientError, OSError) as error:
            raise SlackUnreachable(network_reason(error)) from None
        name = call.args["filename"]
        messages: list[dict[str, Any]] = answer.get("messages", [])
        return any(f.get("name") == name for m in messages for f in m.get("files", []))

    def _already_posted(self, item: OutboxItem, call: SlackCall) -> tuple[str, str] | None:
        """Find a message an earlier try may have posted before its answer was lost."""
        channel = call.args["channel"]
        try:
            if channel.startswith(("U", "W")):
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
            thread_ts = call.args.get("thread_ts")
            if thread_ts:
                answer = self.client.conversations_replies(
                    channel=channel,
                    ts=thread_ts,
                    include_all_metadata=True,
                    limit=200,
                )
            else:
                answer = self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=200
                )
        except SlackApiError:
            return None  # the post itself meets the same refusal, and says so
        except (SlackClientError, OSError) as error:
            raise SlackUnreachable(network_reason(error)) from None
        messages: list[dict[str, Any]] = answer.get("messages", [])
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == item.key:
                return channel, message["ts"]
        return None
