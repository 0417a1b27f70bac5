"""How intake plans: each lead qualified and routed as if new, and each one already stored
planned as a merge of what the request brings into it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.definitions import DefinitionVersion
from bot.domain.lead import (
    INTAKE,
    REQUALIFIABLE,
    Authority,
    Change,
    Command,
    Lead,
    LeadEvent,
    LeadStatus,
    Qualify,
    RecordActivity,
    RecordCampaignTouch,
    RecordDetails,
    apply,
    for_another_reason,
)
from bot.domain.merge import SCORE, TOUCH_FIELDS, Touch, merge_facts
from bot.domain.qualification import (
    ROUTING_FIELDS,
    LeadDefinition,
    Qualification,
    RoutableRegion,
    Route,
    qualify,
    route,
)
from bot.domain.shortid import new_short_id
from bot.services.leadin import LeadIn
from bot.services.ports import UnitOfWork
from bot.services.records import StoredLead


@dataclass
class Routing:
    """How intake places leads: the lead definition (the live version's rules, recorded by
    its number on each lead it qualifies) and the regions in matching order."""

    definition: LeadDefinition
    regions: Sequence[RoutableRegion]
    version: int | None = None  # None: a definition that is no version (a dry run's config)
    _routes: dict[tuple[Any, ...], Route] = field(default_factory=dict, repr=False)

    def route(self, facts: dict[str, Any]) -> Route:
        """Where a lead goes; leads from the same place in one request are routed once."""
        place = tuple(map(facts.get, ROUTING_FIELDS))
        found = self._routes.get(place)
        if found is None:
            found = self._routes[place] = route(facts, self.regions)
        return found


class LiveRouting:
    """The routing of the live lead definition, kept by its version's number.

    A version approved in another process must apply from the moment it went live, yet
    reading and parsing the version for each request costs more than the rest of a small
    one. So the routing of the version last seen live is kept, and each transaction reads
    only the live number (`live_in`): when it changed, that version is read and kept.
    """

    def __init__(
        self,
        regions: Sequence[RoutableRegion],
        *,
        read_live: Callable[[], DefinitionVersion],
    ) -> None:
        # `read_live`: the live version outside a transaction (version 1, from the config
        # file, stored if none is): what the routing starts from.
        self.regions = regions
        self._read_live = read_live
        self._known: Routing | None = None
        self._lock = threading.Lock()

    def known(self) -> Routing:
        """The routing of the version last seen live, read the first time it is asked for."""
        known = self._known
        if known is None:
            known = self._keep(self._read_live())
        return known

    def live_in(self, uow: UnitOfWork) -> Routing:
        """The routing of the version live in this transaction: the kept one while its
        number is still the live number (the only read), else the live version's, kept."""
        known = self.known()
        number = uow.rules.live_number()
        if number is None or number == known.version:
            return known
        version = uow.rules.version(number)
        if version is None:  # versions are never deleted; the number was just read
            raise AssertionError(f"version {number} of the lead definition is live, yet absent")
        return self._keep(version)

    def of_number(self, number: int | None, read: Callable[[], DefinitionVersion]) -> Routing:
        """The routing of version `number` (the live number just read): the kept one, or
        `read()`'s version, kept."""
        known = self.known()
        if number is None or number == known.version:
            return known
        return self._keep(read())

    def _keep(self, version: DefinitionVersion) -> Routing:
        routing = Routing(definition=version.rules, regions=self.regions, version=version.number)
        with self._lock:
            kept = self._known
            # Two transactions may read two numbers: only the newer version is kept.
            if kept is None or kept.version is None or kept.version < version.number:
                self._known = routing
        return routing


@dataclass
class PlannedLead:
    """A lead as intake would create it: its facts, why it qualified and routed, its change
    (with a short id drawn) and its activity.

    Planning needs no transaction, so it is done before one is opened (and an import can do
    it in another process). A lead found already stored is merged instead, from its facts
    and activity.
    """

    facts: dict[str, Any]
    reasons: dict[str, str]
    change: Change
    activity: list[dict[str, Any]]

    @property
    def email(self) -> str:
        email: str = self.facts["email"]
        return email

    @property
    def external_id(self) -> str | None:
        return self.facts.get("external_id")


# A stored lead, its change, the activity to add, the reasons to record (if requalified) and
# the fact values to store.
Merge = tuple[StoredLead, Change, list[dict[str, Any]], dict[str, str] | None, dict[str, Any]]


@dataclass
class Plan:
    """What one intake request does, built up before anything is written.

    Each lead is planned once however often the request names it: a later sighting adds
    its activity to the first, and is answered "merged" with the first one's id.
    """

    now: datetime
    new: list[PlannedLead] = field(default_factory=list)
    merging: list[tuple[StoredLead, PlannedLead]] = field(default_factory=list)
    merging_index: dict[int, int] = field(default_factory=dict)  # stored lead id -> index
    merged: list[Merge] = field(default_factory=list)
    # ("new"|"merged", index into `new` or `merged`, "created"|"merged"), in request order
    results: list[tuple[str, int, str]] = field(default_factory=list)


class Planner:
    """Plans leads at one time by one routing: each qualified and routed as if it were new,
    with a short id drawn, as `plan_facts` plans one.

    Leads that come through the same campaign and source, qualify alike and go to the same
    region get the same lifecycle and first events (only their facts, reasons and short ids
    tell them apart): those go through the lifecycle step once, and share its events. Those
    qualified alike for another reason (another score) take the same step with that reason.
    """

    def __init__(self, *, now: datetime, routing: Routing) -> None:
        self.now, self.routing = now, routing
        self._firsts: dict[tuple[Any, ...], Change] = {}
        self._alike: dict[tuple[Any, ...], Change] = {}  # the same without the reason

    def plan(self, lead_in: LeadIn) -> PlannedLead:
        facts, routing = lead_in.facts(), self.routing
        verdict = qualify(facts, routing.definition)
        where = routing.route(facts)
        first = self._first(facts.get("campaign"), facts.get("source"), verdict, where)
        change = Change(first.lead.with_short_id(new_short_id()), first.events)
        reasons = {"qualification": verdict.reason, "route": where.reason}
        return PlannedLead(facts, reasons, change, _activity_of(lead_in))

    def _first(self, campaign: Any, source: Any, verdict: Qualification, where: Route) -> Change:
        """The lifecycle step of a new lead from `campaign` and `source`, as the first one
        qualified and routed alike took it."""
        shape = (campaign, source, verdict.sales_ready, verdict.reason, where.region)
        first = self._firsts.get(shape)
        if first is not None:
            return first
        alike = (campaign, source, verdict.sales_ready, where.region)
        other = self._alike.get(alike)
        if other is None:
            lead = Lead(short_id="", status=LeadStatus.RECEIVED, campaign=campaign, source=source)
            first = self._alike[alike] = _qualified(lead, verdict, where, self.routing, self.now)
        else:
            # The lifecycle step costs ten times this, and scores differ from lead to lead.
            first = for_another_reason(other, verdict.reason)
        self._firsts[shape] = first
        return first


def plan_facts(
    facts: dict[str, Any], activity: list[dict[str, Any]], *, now: datetime, routing: Routing
) -> PlannedLead:
    """Qualify and route a lead as if it were new (its checked facts, LeadIn.facts(), and
    activity), and draw its short id."""
    verdict = qualify(facts, routing.definition)
    where = routing.route(facts)
    lead = Lead(
        short_id=new_short_id(),
        status=LeadStatus.RECEIVED,
        campaign=facts.get("campaign"),
        source=facts.get("source"),
    )
    change = _qualified(lead, verdict, where, routing, now)
    reasons = {"qualification": verdict.reason, "route": where.reason}
    return PlannedLead(facts, reasons, change, activity)


def _qualified(
    lead: Lead, verdict: Qualification, where: Route, routing: Routing, now: datetime
) -> Change:
    """A new lead qualified by `verdict` and routed to `where`: the lifecycle step."""
    command = Qualify(
        sales_ready=verdict.sales_ready,
        reason=verdict.reason,
        region=where.region,
        version=routing.version,
    )
    return apply(lead, command, actor=INTAKE, authority=Authority(), at=now)


class Known:
    """Leads already stored or already planned in this request, by external id and email;
    the stored ones' activity and latest campaign touches, and those merged quietly."""

    def __init__(
        self,
        stored: list[StoredLead],
        activity_of: Callable[[list[int]], set[tuple[Any, ...]]],
        touches_of: Callable[[list[int]], dict[int, Touch]] | None = None,
        *,
        quiet: Collection[int] = (),
    ) -> None:
        self.by_external_id: dict[str, Any] = {}
        self.by_email: dict[str, Any] = {}
        for item in stored:
            self.remember(item, item.email, item.external_id)
        ids = [item.id for item in stored]
        self.activity = activity_of(ids) if stored else set()
        self.touches = touches_of(ids) if stored and touches_of else {}
        # Leads this import already took: a second row of the same person brings its
        # activity and fills empty fields, and nobody is told (it is the same arrival).
        self.quiet = quiet

    def find(self, planned: PlannedLead) -> Any:
        external_id = planned.external_id
        if external_id and external_id in self.by_external_id:
            return self.by_external_id[external_id]
        return self.by_email.get(planned.email)

    def remember(self, item: Any, email: str, external_id: str | None) -> None:
        self.by_email.setdefault(email, item)
        if external_id:
            self.by_external_id.setdefault(external_id, item)

    def latest_touch(self, stored: StoredLead) -> Touch:
        return self.touches.get(stored.id) or (stored.lead.campaign, stored.lead.source)


def plan_one(planned: PlannedLead, plan: Plan, known: Known) -> None:
    match = known.find(planned)
    if match is None:
        index = len(plan.new)
        plan.new.append(_own_activity(planned))
        plan.results.append(("new", index, "created"))
        known.remember(("new", index), planned.email, planned.external_id)
        return
    if isinstance(match, tuple):
        _, index = match
        first = plan.new[index]
        which = "new"
    elif match.id in plan.merging_index:
        index = plan.merging_index[match.id]
        first = plan.merging[index][1]
        which = "merged"
    else:
        index = plan.merging_index[match.id] = len(plan.merging)
        plan.merging.append((match, _own_activity(planned)))
        plan.results.append(("merged", index, "merged"))
        return
    # The same lead again in one request: it brings only its activity.
    first.activity.extend(a for a in planned.activity if a not in first.activity)
    plan.results.append((which, index, "merged"))


def _own_activity(planned: PlannedLead) -> PlannedLead:
    """The planned lead with an activity list of its own, which later sightings may extend."""
    return PlannedLead(planned.facts, planned.reasons, planned.change, list(planned.activity))


def plan_merge(
    stored: StoredLead, planned: PlannedLead, now: datetime, routing: Routing, known: Known
) -> Merge:
    """What a lead already stored becomes with what the request brings: requalified if it
    may be, and the new activity, details and campaign touch recorded (see merge.py)."""
    new_activity = [
        a
        for a in planned.activity
        if (stored.id, a["type"], a["at"], a["detail"]) not in known.activity
    ]
    for a in new_activity:
        known.activity.add((stored.id, a["type"], a["at"], a["detail"]))
    quiet = stored.id in known.quiet
    incoming = planned.facts
    if quiet:  # the same arrival as the first row: only the first decides, and counts a touch
        incoming = {k: v for k, v in incoming.items() if k not in (*TOUCH_FIELDS, SCORE)}
    merge = merge_facts(stored.facts, incoming, latest_touch=known.latest_touch(stored))
    reasons = None
    lead, events = stored.lead, []
    requalify = stored.lead.status in REQUALIFIABLE and not quiet
    if requalify:
        verdict = qualify(merge.facts, routing.definition)
        where = routing.route(merge.facts)
        if verdict.sales_ready or new_activity or merge.changed:
            qualified = Qualify(
                sales_ready=verdict.sales_ready,
                reason=verdict.reason,
                region=where.region,
                version=routing.version,
            )
            change = apply(lead, qualified, actor=INTAKE, authority=Authority(), at=now)
            lead, events = change.lead, list(change.events)
        reasons = {"qualification": verdict.reason, "route": where.reason}
    if new_activity and not events:  # a lead qualified again shows its activity on its card
        events += _record(lead, RecordActivity(tuple(map(_jsonable, new_activity))), now)
    details = merge.details(with_score=not requalify)
    if details:
        events += _record(lead, RecordDetails(details), now)
    if merge.touch:
        events += _record(lead, RecordCampaignTouch(*merge.touch), now)
    stored.facts.update(merge.facts)
    return stored, Change(lead, tuple(events)), new_activity, reasons, merge.applied


def _record(lead: Lead, command: Command, now: datetime) -> tuple[LeadEvent, ...]:
    return apply(lead, command, actor=INTAKE, authority=Authority(), at=now).events


def _activity_of(lead_in: LeadIn) -> list[dict[str, Any]]:
    return [{"type": a.type, "at": a.at, "detail": a.detail} for a in lead_in.activity]


def _jsonable(activity: dict[str, Any]) -> dict[str, Any]:
    at = activity.get("at")
    return {**activity, "at": at.isoformat() if at else None}
