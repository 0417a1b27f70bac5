"""The outbox worker: delivers queued Slack work once each, at Slack's pace, through failures."""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.clock import Clock
from bot.services.ports import Outbox, StorageUnavailable
from bot.services.records import SLACK_WORK, OutboxItem, WorkKind
from bot.slack.compose import UPLOAD, Composer, SlackCall, Wait
from config.model import BatonConfig

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
WAIT_FOR_PARENT = timedelta(seconds=1)
BLOCKED_RETRY = timedelta(minutes=5)
MAX_BACKOFF = timedelta(minutes=10)
STORE_BACKOFF_SECONDS = 30.0
# Errors a person must fix in Slack or in Baton's config; retrying soon will not help.
FIXES = {
    "not_in_channel": "invite Baton to the channel (/invite @Baton)",
    "channel_not_found": "check the channel ID in the config, and that Baton can see the channel",
    "is_archived": "unarchive the channel or point the config at another one",
    "user_not_found": "check the user ID in the config",
    "cannot_dm_bot": "the configured user is a bot; name a person in the config",
    "user_disabled": "the configured user is deactivated; name someone else in the config",
    "missing_scope": "add the missing scope from manifest.yml and reinstall the app",
    "not_authed": "set SLACK_BOT_TOKEN",
    "invalid_auth": "SLACK_BOT_TOKEN is not valid: install the app again and update the token",
    "token_revoked": "SLACK_BOT_TOKEN was revoked: install the app again and update the token",
    "account_inactive": "the bot's token belongs to a deleted or deactivated app: reinstall it",
}


class Deliverer:
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
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.composer = Composer(
            reads=outbox, leads=outbox.leads, config=config, clock=clock, report=outbox.report
        )
        self.clock = clock
        self.spacing = spacing
        self.batch_size = batch_size
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="baton-delivery")
        self.wake = threading.Event()
        self._stopping = threading.Event()

    def run_once(self) -> int:
        """Deliver what is due now; return how many items were tried."""
        items = self.outbox.claim_due(
            now=self.clock.now(), limit=self.batch_size, lease=LEASE, kinds=SLACK_WORK
        )
        list(self.pool.map(self._deliver_logged, items))
        return len(items)

    def run_forever(self, idle_seconds: float = 0.5) -> None:
        outage = 0  # passes in a row the store refused
        while not self._stopping.is_set():
            try:
                busy = self.run_once()
            except StorageUnavailable as error:
                outage += 1
                pause = min(2.0 ** (outage - 1), STORE_BACKOFF_SECONDS)
                log.warning("outbox paused: %s; trying again in %.0f s", error, pause)
                # New work woken up for means a write just worked: the store may be back.
                self.wake.wait(pause)
                self.wake.clear()
                continue
            except Exception:
                log.exception("outbox pass failed; trying again shortly")
                busy = 0
            if outage:
                log.warning("outbox resumed: the database answers again")
                outage = 0
            if not busy:
                self.wake.wait(self._idle_wait(idle_seconds))
                self.wake.clear()

    def _idle_wait(self, longest: float) -> float:
        """Sleep until the earliest work is due (a paced post, a retry), at most `longest`."""
        try:
            due = self.outbox.next_due_at(SLACK_WORK)
        except Exception:
            return longest
        if due is None:
            return longest
        return min(max((due - self.clock.now()).total_seconds(), 0.005), longest)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="baton-outbox", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()

    def _deliver_logged(self, item: OutboxItem) -> None:
        try:
            self.deliver(item)
        except StorageUnavailable:
            raise  # the whole pass pauses; the item's lease runs out and it is tried again
        except Exception:
            log.exception("delivering %s failed", item.key)
            self.outbox.retry_later(
                item, at=self.clock.now() + _backoff(item.attempts), error="internal error"
            )

    def deliver(self, item: OutboxItem) -> None:
        now = self.clock.now()
        call = self.composer.call(item)
        if isinstance(call, Wait):
            self.outbox.retry_later(item, at=now + WAIT_FOR_PARENT, error=None, attempt=False)
            return
        if call.method == UPLOAD and item.attempts > 0 and self._already_uploaded(call):
            self.outbox.complete(item, now=now, channel=call.args["channel"], ts=None)
            return
        if call.method == "chat.postMessage":
            slot = self.outbox.reserve_post(call.args["channel"], now=now, spacing=self.spacing)
            if slot is not None:
                self.outbox.retry_later(item, at=slot, error=None, attempt=False)
                return
            if item.attempts > 0:
                found = self._already_posted(item, call)
                if found:
                    self.outbox.complete(
                        item, now=now, channel=found[0], ts=found[1], homes=call.homes
                    )
                    return
        self._call(item, call, now)

    def _call(self, item: OutboxItem, call: SlackCall, now: datetime) -> None:
        try:
            if call.method == UPLOAD:
                # Slack's upload flow is three calls (get a URL, send the bytes, complete).
                answer = self.client.files_upload_v2(**call.args)
            else:
                answer = self.client.api_call(call.method, json=call.args)
        except SlackApiError as error:
            self._failed(item, call, error, now)
            return
        except (SlackClientError, OSError) as error:
            # The answer was lost: the post may have reached Slack; the next try checks first.
            self.outbox.retry_later(
                item, at=now + _backoff(item.attempts), error=f"unreachable: {error}"
            )
            return
        self.outbox.complete(
            item,
            now=now,
            channel=answer.get("channel"),
            ts=answer.get("ts"),
            homes=call.homes,
            permalink=answer.get("permalink"),
        )
        if call.homes:
            self.wake.set()

    def _failed(
        self, item: OutboxItem, call: SlackCall, error: SlackApiError, now: datetime
    ) -> None:
        status = error.response.status_code
        code = str(error.response.get("error") or f"HTTP {status}")
        if status == 429:
            wait = int(
                error.response.headers.get(
                    "Retry-After", error.response.headers.get("retry-after", 1)
                )
            )
            self.outbox.retry_later(
                item, at=now + timedelta(seconds=wait), error="rate limited", attempt=False
            )
            return
        if status >= 500 or code in {
            "fatal_error",
            "internal_error",
            "service_unavailable",
            "request_timeout",
        }:
            self.outbox.retry_later(
                item, at=now + _backoff(item.attempts), error=f"Slack error: {code}"
            )
            return
        fix = FIXES.get(code, "see the error; Baton keeps the work and retries every few minutes")
        target = call.args.get("channel", "")
        message = f"{call.method} to {target} refused: {code} — {fix}"
        self.outbox.retry_later(item, at=now + BLOCKED_RETRY, error=message, blocked=True)
        if item.kind is not WorkKind.SETUP_NOTICE and self.outbox.first_time(
            f"fix:{target}:{code}", now=now
        ):
            problem = f"Slack refused {call.method} to {target}: `{code}`. Baton keeps the message queued."
            notice = {"problem": problem, "fix": fix}
            self.outbox.add(WorkKind.SETUP_NOTICE, f"fix:{target}:{code}", notice, now=now)
            self.wake.set()

    def _already_uploaded(self, call: SlackCall) -> bool:
        """Whether an earlier try uploaded this file into its thread before its answer was lost."""
        try:
            answer = self.client.conversations_replies(
                channel=call.args["channel"], ts=call.args["thread_ts"], limit=200
            )
        except SlackClientError:
            return False
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
        except SlackClientError:
            return None
        messages: list[dict[str, Any]] = answer.get("messages", [])
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == item.key:
                return channel, message["ts"]
        return None


def _backoff(attempts: int) -> timedelta:
    seconds = min(2 ** max(attempts - 1, 0), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))
