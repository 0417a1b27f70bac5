"""Snooze a reminder once, for at most a few working days, with a reason that is recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.domain.lead import LeadError
from bot.domain.timers import FiredTimer, SnoozeRefused, snooze_event, snooze_until
from bot.domain.workingtime import WorkingCalendar
from bot.services.ports import UnitOfWork
from bot.services.records import Fire, TimerLead, Urgency, Work, WorkKind
from bot.services.timer_calendars import TRIAGE_CALENDAR
from bot.services.timer_messages import snooze_allowed
from config.model import BatonConfig


@dataclass(frozen=True)
class SnoozeForm:
    fire_id: int
    short_id: str
    choices: list[tuple[int, datetime]]  # working days, and until when
    once: str  # the rule, as the modal states it


@dataclass(frozen=True)
class Snoozed:
    short_id: str
    until: datetime
    timezone: str


def snooze_form(
    fire_id: int,
    actor: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> SnoozeForm:
    """Check that `actor` may snooze the reminder now, and offer each length allowed."""
    now = clock.now()
    with uow_factory() as uow:
        fire, target = _load(uow, fire_id)
    most = config.sla.snooze_max_working_days
    choices = [
        (days, _until(fire, target, actor, days, config, now)) for days in range(1, most + 1)
    ]
    limit = "1 working day" if most == 1 else f"{most} working days"
    once = f"A reminder can be snoozed once, for at most {limit}; the reason is recorded."
    return SnoozeForm(fire_id, target.lead.short_id, choices, once)


def snooze_reminder(
    fire_id: int,
    *,
    actor: str,
    days: int,
    reason: str,
    uow_factory: Callable[[], UnitOfWork],
    config: BatonConfig,
    clock: Clock,
) -> Snoozed:
    """Snooze a reminder; it comes back when the snooze ends, and the lead's thread is told."""
    reason = reason.strip()
    if not reason:
        raise LeadError("Say why you snooze the reminder: the reason is recorded.")
    now = clock.now()
    with uow_factory() as uow:
        fire, target = _load(uow, fire_id)
        until = _until(fire, target, actor, days, config, now)
        if not uow.timers.snooze(fire_id, until=until, by=actor, reason=reason):
            raise SnoozeRefused(
                f"This reminder about {target.lead.short_id} was already snoozed once; "
                "a reminder can be snoozed only once."
            )
        event = snooze_event(
            target.lead, fire.kind, actor=actor, at=now, until=until, reason=reason
        )
        [event_id] = uow.events.append([(target.id, event)])
        note = Work(
            WorkKind.TIMER_NOTE,
            f"timernote:{event_id}",
            target.id,
            fire.handoff_round,
            data={"event_id": event_id},
            urgency=Urgency.REPLY,  # the person who snoozed sees it
        )
        uow.outbox.queue([note], now=now)
        uow.commit()
    return Snoozed(target.lead.short_id, until, _calendar(config, target).timezone)


def _load(uow: UnitOfWork, fire_id: int) -> tuple[Fire, TimerLead]:
    found = uow.timers.fire(fire_id)
    if found is None:
        raise LeadError("That reminder is not known here any more.")
    return found


def _until(
    fire: Fire, target: TimerLead, actor: str, days: int, config: BatonConfig, now: datetime
) -> datetime:
    fired = FiredTimer(
        fire.kind, target.lead.short_id, fire.snoozed_until, fire.refired_at is not None
    )
    return snooze_until(
        fired,
        actor=actor,
        allowed=snooze_allowed(config, target, fire.kind),
        days=days,
        max_days=config.sla.snooze_max_working_days,
        calendar=_calendar(config, target),
        now=now,
    )


def _calendar(config: BatonConfig, target: TimerLead) -> WorkingCalendar:
    region = config.region(target.lead.region) if target.lead.region else None
    return region.calendar() if region else TRIAGE_CALENDAR
