"""The Slack side of the composition root: the Bolt app, Baton's one error handler, and every
listener registered with the services it calls, bound to this Baton."""

from __future__ import annotations

from functools import partial

from slack_bolt.async_app import AsyncApp

from bot.app import Baton
from bot.services import (
    desk,
    handoff,
    lead_views,
    outcomes,
    reassign,
    recycle,
    rules,
    snooze,
    touch,
)
from bot.services.report import closed_loop_report
from bot.services.snooze import SnoozeForm
from bot.slack import blocks_timers
from bot.slack.answers import answer_error
from bot.slack.attention import pause_delivery
from bot.slack.blockkit import Modal
from bot.slack.bolt import new_bolt
from bot.slack.views import LeadView, lead_view, timer_item
from handlers import (
    slack_commands,
    slack_decisions,
    slack_home,
    slack_outcomes,
    slack_reassign,
    slack_recycle,
    slack_rules,
    slack_timers,
    slack_token_events,
)
from handlers.slack_services import SlackServices

SURFACES = (
    slack_decisions,
    slack_outcomes,
    slack_commands,
    slack_home,
    slack_timers,
    slack_reassign,
    slack_recycle,
    slack_rules,
    slack_token_events,
)


def build_bolt(baton: Baton) -> AsyncApp:
    """Build the Bolt app and register every listener."""
    bolt = new_bolt(baton.settings)
    bolt.error(answer_error)
    services = slack_services(baton)
    for surface in SURFACES:
        surface.register(bolt, services)
    return bolt


def slack_services(baton: Baton) -> SlackServices:
    """Every service a listener calls, with this Baton's store, config and clock bound."""
    config, clock, reader = baton.config, baton.clock, baton.reader
    uow = baton.uow_factory
    return SlackServices(
        config=config,
        clock=clock,
        outbox_changed=baton.outbox_changed,
        lead_view=partial(current_view, baton),
        check_decider=partial(handoff.check_decider, uow_factory=uow, config=config),
        accept_form=partial(handoff.accept_form, uow_factory=uow, config=config, clock=clock),
        accept_lead=partial(handoff.accept_lead, uow_factory=uow, config=config, clock=clock),
        return_lead=partial(handoff.return_lead, uow_factory=uow, config=config, clock=clock),
        reroute_lead=partial(handoff.reroute_lead, uow_factory=uow, config=config, clock=clock),
        outcome_form=partial(outcomes.outcome_form, uow_factory=uow, config=config, clock=clock),
        log_outcome=partial(outcomes.log_outcome, uow_factory=uow, config=config, clock=clock),
        undo_outcome=partial(outcomes.undo_outcome, uow_factory=uow, config=config, clock=clock),
        desk_of=partial(
            desk.desk, reader=reader, config=config, clock=clock, report=baton.report_reader
        ),
        show_lead=partial(desk.show, reader=reader),
        find_leads=partial(desk.find, reader=reader),
        report=partial(closed_loop_report, reader=baton.report_reader, config=config, clock=clock),
        snooze_form=partial(snooze.snooze_form, uow_factory=uow, config=config, clock=clock),
        snooze_modal=partial(snooze_modal, baton),
        snooze_reminder=partial(
            snooze.snooze_reminder, uow_factory=uow, config=config, clock=clock
        ),
        touch_form=partial(touch.touch_form, uow_factory=uow, config=config, clock=clock),
        log_touch=partial(touch.log_touch, uow_factory=uow, config=config, clock=clock),
        reassign_form=partial(reassign.reassign_form, uow_factory=uow, config=config, clock=clock),
        reassign_lead=partial(reassign.reassign_lead, uow_factory=uow, config=config, clock=clock),
        nudge_rep=partial(reassign.nudge_rep, uow_factory=uow, config=config, clock=clock),
        choice_form=partial(recycle.choice_form, uow_factory=uow, config=config, clock=clock),
        send_back=partial(recycle.send_back, uow_factory=uow, config=config, clock=clock),
        keep_nurturing=partial(recycle.keep_nurturing, uow_factory=uow, config=config, clock=clock),
        ask_why=partial(recycle.ask_why, uow_factory=uow, config=config, clock=clock),
        rules_overview=partial(rules_overview, baton),
        propose_form=partial(rules.propose_form, reader=baton.rules_reader, config=config),
        propose_rules=partial(rules.propose_rules, config=config, uow_factory=uow, clock=clock),
        decide_rules=partial(rules.decide_proposal, config=config, uow_factory=uow, clock=clock),
        check_rules_decider=partial(rules.check_decider, reader=baton.rules_reader, config=config),
        token_gone=partial(token_gone, baton),
    )


def rules_overview(baton: Baton) -> rules.Overview:
    """What `/lead rules` shows: the live version, the ones before it, the open proposal."""
    return rules.overview(baton.live_definition(), reader=baton.rules_reader)


def token_gone(baton: Baton, reason: str, code: str) -> None:
    """Pause Slack delivery until the token works again: Slack said it is gone."""
    pause_delivery(baton.delivery, reason=reason, code=code, at=baton.clock.now())


def current_view(baton: Baton, lead_id: int) -> LeadView:
    """The lead as it stands now, as the modals show it."""
    return lead_view(lead_views.current_lead(lead_id, reader=baton.snapshots), baton.config)


def snooze_modal(baton: Baton, form: SnoozeForm) -> Modal:
    """The snooze modal for a reminder the person may snooze (`form` from `snooze_form`)."""
    fired = lead_views.fired_timer(form.fire_id, reader=baton.snapshots)
    item = timer_item(fired, again=False, config=baton.config)
    return blocks_timers.snooze_modal(item, choices=form.choices, once=form.once)
