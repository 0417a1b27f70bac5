"""The rules of the CRM bridge: which records become leads, how their fields map, what deals mean.

Pure functions of the records in `bot.domain.crm` and of `CrmRules`, which the config builds
(`crm:` in baton.yaml) over the provider's defaults below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.amounts import Money
from bot.domain.crm import (
    CrmDeal,
    CrmNeedsPerson,
    CrmProblem,
    CrmProvider,
    CrmRecord,
    CrmSchema,
    CrmUser,
)
from bot.domain.lead import Outcome

# What Baton writes a status for: a manager's decision, or a lead closing.
DECISIONS = ("accepted", "returned", "won", "lost")
DEAL_OUTCOMES = (Outcome.OPPORTUNITY, Outcome.WON, Outcome.LOST)


@dataclass(frozen=True)
class ProviderDefaults:
    """What `crm: {provider: …}` means when nothing else is said."""

    record: str  # what the CRM calls the record that becomes a lead
    fields: Mapping[str, str]
    sales_ready_field: str
    sales_ready_values: tuple[str, ...]
    status_field: str
    statuses: Mapping[str, str | None]
    stages: Mapping[Outcome, tuple[str, ...]]
    owner_field: str


DEFAULTS = {
    CrmProvider.HUBSPOT: ProviderDefaults(
        record="contact",
        fields={
            "email": "email",
            "first_name": "firstname",
            "last_name": "lastname",
            "company": "company",
            "title": "jobtitle",
            "phone": "phone",
            "country": "country",
            "state": "state",
            "postal_code": "zip",
            "score": "hubspotscore",
            "source": "hs_analytics_source",  # "Original Source"
        },
        sales_ready_field="lifecyclestage",
        sales_ready_values=("salesqualifiedlead",),
        status_field="hs_lead_status",
        # HubSpot's lead statuses have none for a won or lost lead: its deal stage says so.
        statuses={"accepted": "IN_PROGRESS", "returned": "UNQUALIFIED", "won": None, "lost": None},
        stages={
            Outcome.OPPORTUNITY: (
                "appointmentscheduled",
                "qualifiedtobuy",
                "presentationscheduled",
                "decisionmakerboughtin",
                "contractsent",
            ),
            Outcome.WON: ("closedwon",),
            Outcome.LOST: ("closedlost",),
        },
        owner_field="hubspot_owner_id",
    ),
    CrmProvider.SALESFORCE: ProviderDefaults(
        record="lead",
        fields={
            "email": "Email",
            "first_name": "FirstName",
            "last_name": "LastName",
            "company": "Company",
            "title": "Title",
            "phone": "Phone",
            "country": "Country",
            "state": "State",
            "postal_code": "PostalCode",
            "source": "LeadSource",
        },
        sales_ready_field="Status",
        sales_ready_values=("Open - Not Contacted",),
        status_field="Status",
        # A won lead is converted in Salesforce, which a status update cannot do.
        statuses={
            "accepted": "Working - Contacted",
            "returned": "Closed - Not Converted",
            "won": None,
            "lost": "Closed - Not Converted",
        },
        stages={
            Outcome.OPPORTUNITY: (
                "Prospecting",
                "Qualification",
                "Needs Analysis",
                "Value Proposition",
                "Id. Decision Makers",
                "Perception Analysis",
                "Proposal/Price Quote",
                "Negotiation/Review",
            ),
            Outcome.WON: ("Closed Won",),
            Outcome.LOST: ("Closed Lost",),
        },
        owner_field="OwnerId",
    ),
}


@dataclass(frozen=True)
class DealOutcome:
    """What a deal's stage means for its lead, with the deal's amount."""

    outcome: Outcome
    amount: Money | None
    deal_id: str
    stage: str


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    what: str
    detail: str


@dataclass(frozen=True)
class CrmRules:
    provider: CrmProvider
    fields: Mapping[str, str]  # Baton's lead field -> the CRM's field
    sales_ready_field: str
    sales_ready_values: frozenset[str]
    status_field: str
    statuses: Mapping[str, str]  # decision -> the status Baton writes; absent: none
    stages: Mapping[str, Outcome]  # deal stage -> what it means
    owner_field: str
    marketing_owner: str | None = None  # email of the CRM user who gets marketing's tasks

    @property
    def label(self) -> str:
        return self.provider.label

    @property
    def record_name(self) -> str:
        return DEFAULTS[self.provider].record

    def read_fields(self) -> tuple[str, ...]:
        """Return every field of a record Baton reads, each once."""
        wanted = [*self.fields.values(), self.sales_ready_field, self.status_field]
        return tuple(dict.fromkeys([*wanted, self.owner_field]))

    def is_sales_ready(self, record: CrmRecord) -> bool:
        return self.becomes_sales_ready(
            self.sales_ready_field, record.properties.get(self.sales_ready_field)
        )

    def becomes_sales_ready(self, field: str, value: Any) -> bool:
        """Whether setting `field` to `value` makes a record sales-ready (a webhook's change)."""
        if field != self.sales_ready_field or value is None:
            return False
        wanted = {v.casefold() for v in self.sales_ready_values}
        return str(value).strip().casefold() in wanted

    def status_for(self, decision: str) -> str | None:
        """Return the status Baton writes on a decision, or None when it writes none."""
        if decision not in DECISIONS:
            raise ValueError(f"not a decision Baton writes a status for: {decision}")
        return self.statuses.get(decision)

    def deal_outcome(self, deal: CrmDeal) -> DealOutcome | None:
        """Return what the deal's stage means, or None for a stage Baton ignores."""
        if deal.stage is None:
            return None
        outcome = self.stages.get(deal.stage)
        if outcome is None:
            return None
        return DealOutcome(outcome, deal.amount, deal.id, deal.stage)


def rules_for(
    provider: CrmProvider,
    *,
    fields: Mapping[str, str | None] | None = None,
    sales_ready_field: str | None = None,
    sales_ready_values: Iterable[str] | None = None,
    status_field: str | None = None,
    statuses: Mapping[str, str | None] | None = None,
    stages: Mapping[Outcome, Iterable[str]] | None = None,
    marketing_owner: str | None = None,
) -> CrmRules:
    """Build the rules from the provider's defaults, replaced where something is given.

    `fields` and `statuses` are merged over the defaults, a None value removing one.
    """
    default = DEFAULTS[provider]
    merged_fields = {**default.fields, **(fields or {})}
    merged_statuses = {**default.statuses, **(statuses or {})}
    merged_stages = {**default.stages, **(stages or {})}
    return CrmRules(
        provider=provider,
        fields={name: crm for name, crm in merged_fields.items() if crm},
        sales_ready_field=sales_ready_field or default.sales_ready_field,
        sales_ready_values=frozenset(sales_ready_values or default.sales_ready_values),
        status_field=status_field or default.status_field,
        statuses={decision: s for decision, s in merged_statuses.items() if s},
        stages={stage: outcome for outcome, names in merged_stages.items() for stage in names},
        owner_field=default.owner_field,
        marketing_owner=marketing_owner,
    )


def lead_payload(record: CrmRecord, rules: CrmRules) -> dict[str, Any]:
    """Return the record as an intake lead: the mapped fields, the CRM id, why it came."""
    payload: dict[str, Any] = {
        name: record.properties.get(crm_field) for name, crm_field in rules.fields.items()
    }
    payload["external_id"] = record.id
    value = record.properties.get(rules.sales_ready_field)
    detail = f"sales-ready in {rules.label}: {rules.sales_ready_field} is {value}"
    payload["activity"] = [
        {"type": rules.provider.value, "at": record.changed_at, "detail": detail}
    ]
    return payload


def owner_for(email: str | None, users: Iterable[CrmUser], *, rules: CrmRules) -> CrmUser:
    """Find the active CRM user with this email, or say what a person must do."""
    label = rules.label
    if not email:
        raise CrmNeedsPerson(
            CrmProblem.NO_USER,
            "the person has no email address in Slack",
            fix=f"give them the email of their {label} user in their Slack profile",
        )
    found = [u for u in users if u.email and u.email.casefold() == email.casefold()]
    active = next((u for u in found if u.active), None)
    if active is not None:
        return active
    if found:
        raise CrmNeedsPerson(
            CrmProblem.NO_USER,
            f"the {label} user with the email {email} is deactivated",
            fix=f"reactivate {email} in {label}, or assign the lead to someone else",
        )
    raise CrmNeedsPerson(
        CrmProblem.NO_USER,
        f"no {label} user has the email {email}",
        fix=f"add {email} as a {label} user, or make the Slack and {label} emails the same",
    )


def check_people(
    people: Mapping[str, str | None], users: Iterable[CrmUser], *, rules: CrmRules
) -> tuple[CheckResult, ...]:
    """Check that each configured person (name -> Slack email) is a CRM user."""
    known = tuple(users)
    results = []
    for person, email in people.items():
        try:
            user = owner_for(email, known, rules=rules)
        except CrmNeedsPerson as problem:
            results.append(CheckResult(False, person, problem.explain()))
        else:
            results.append(CheckResult(True, person, f"{rules.label} user {user.id} ({email})"))
    return tuple(results)


def check_schema(schema: CrmSchema, rules: CrmRules) -> tuple[CheckResult, ...]:
    """Compare the config with the CRM: fields, statuses, stages, and what Baton may write."""
    results = [CheckResult(False, "reading the CRM", reason) for reason in schema.missing]
    record = f"{rules.label} {rules.record_name} field"
    for name, crm_field in rules.fields.items():
        results.append(_field_exists(schema, crm_field, f"{record} {crm_field} ({name})"))
    results.append(
        _options_exist(schema, rules.sales_ready_field, rules.sales_ready_values, record)
    )
    results.append(_options_exist(schema, rules.status_field, rules.statuses.values(), record))
    for crm_field in (rules.status_field, rules.owner_field):
        results.append(_writable(schema, crm_field, f"{record} {crm_field}"))
    results.extend(_stages(schema, rules))
    if schema.can_write_entries is False:
        what = f"writing notes and tasks in {rules.label}"
        results.append(CheckResult(False, what, "not allowed: give Baton's user that right"))
    return tuple(results)


def _field_exists(schema: CrmSchema, crm_field: str, what: str) -> CheckResult:
    if crm_field in schema.record_fields:
        return CheckResult(True, what, "exists")
    return CheckResult(False, what, "does not exist: fix crm.fields in the config")


def _options_exist(
    schema: CrmSchema, crm_field: str, values: Iterable[str], record: str
) -> CheckResult:
    what = f"{record} {crm_field} values {', '.join(sorted(values)) or '(none)'}"
    found = schema.record_fields.get(crm_field)
    if found is None:
        return CheckResult(False, what, f"{crm_field} does not exist")
    if found.options is None:
        return CheckResult(True, what, f"{crm_field} takes any value")
    allowed = {option.casefold() for option in found.options}
    unknown = sorted(v for v in values if v.casefold() not in allowed)
    if unknown:
        choices = ", ".join(sorted(found.options))
        return CheckResult(False, what, f"no such value: {', '.join(unknown)} (has: {choices})")
    return CheckResult(True, what, "exist")


def _writable(schema: CrmSchema, crm_field: str, what: str) -> CheckResult:
    found = schema.record_fields.get(crm_field)
    if found is None:
        return CheckResult(False, what, "does not exist")
    if found.writable is False:
        return CheckResult(False, what, "Baton may not change it: give Baton's user edit access")
    return CheckResult(True, what, "Baton may change it")


def _stages(schema: CrmSchema, rules: CrmRules) -> list[CheckResult]:
    results = []
    for outcome in DEAL_OUTCOMES:
        names = sorted(stage for stage, meant in rules.stages.items() if meant is outcome)
        what = f"deal stages meaning {outcome.value}: {', '.join(names) or '(none)'}"
        unknown = [name for name in names if name not in schema.deal_stages]
        if unknown:
            results.append(
                CheckResult(False, what, f"no such stage in {rules.label}: {', '.join(unknown)}")
            )
        else:
            results.append(CheckResult(True, what, "exist"))
    return results
