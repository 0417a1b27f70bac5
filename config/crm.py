"""The `crm:` section: which CRM, which records become leads, and what Baton writes back."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from bot.domain.crm import CrmProvider
from bot.domain.crm_rules import DEFAULTS as CRM_DEFAULTS
from bot.domain.crm_rules import CrmRules, rules_for
from bot.domain.lead import Outcome
from config.fields import (
    CrmFieldName,
    CrmProviderName,
    Email,
    Frozen,
    LeadField,
    Text,
    at_least_one,
    problem,
)


class CrmSalesReady(Frozen):
    """Which records become leads: those whose `field` is (or becomes) one of `values`."""

    field: CrmFieldName | None = Field(default=None, description="None: the provider's.")
    values: Annotated[tuple[Text, ...], AfterValidator(at_least_one)] | None = None


class CrmStatuses(Frozen):
    """The status Baton writes into `field` on each decision; null writes none."""

    field: CrmFieldName | None = Field(default=None, description="None: the provider's.")
    accepted: Text | None = None
    returned: Text | None = None
    won: Text | None = None
    lost: Text | None = None


class CrmDealStages(Frozen):
    """Which deal stages mean an opportunity, a win and a loss; others are ignored."""

    opportunity: tuple[Text, ...] | None = None
    won: Annotated[tuple[Text, ...], AfterValidator(at_least_one)] | None = None
    lost: Annotated[tuple[Text, ...], AfterValidator(at_least_one)] | None = None


class CrmConfig(Frozen):
    """The CRM bridge. Every key but `provider` has a default per provider that works as is."""

    provider: CrmProviderName
    sales_ready: CrmSalesReady = CrmSalesReady()
    fields: dict[LeadField, CrmFieldName | None] = Field(
        default_factory=dict,
        description="Baton's lead field -> the CRM's; over the provider's, null removing one.",
    )
    statuses: CrmStatuses = CrmStatuses()
    deal_stages: CrmDealStages = CrmDealStages()
    marketing_owner: Email | None = Field(
        default=None,
        description="The CRM user (by email) who gets leakage and customer-service tasks.",
    )
    sync_every_minutes: int = Field(
        default=5, ge=1, le=1440, description="How often crm-sync asks Salesforce for changes."
    )

    @field_validator("fields")
    @classmethod
    def _email_stays_mapped(cls, fields: dict[str, str | None]) -> dict[str, str | None]:
        if "email" in fields and fields["email"] is None:
            raise problem("email cannot be left out: every lead needs one")
        return fields

    @model_validator(mode="after")
    def _stages_mean_one_thing(self) -> CrmConfig:
        meanings: dict[str, list[str]] = {}
        for stage, outcome in self._stage_lists().items():
            for name in outcome:
                meanings.setdefault(name, []).append(stage)
        twice = sorted(f"{name} ({' and '.join(m)})" for name, m in meanings.items() if len(m) > 1)
        if twice:
            raise problem(f"deal_stages: a stage means one thing, got {', '.join(twice)}")
        return self

    def _stage_lists(self) -> dict[str, tuple[str, ...]]:
        defaults = CRM_DEFAULTS[CrmProvider(self.provider)].stages
        given = self.deal_stages
        return {
            outcome.value: getattr(given, outcome.value)
            if getattr(given, outcome.value) is not None
            else defaults[outcome]
            for outcome in (Outcome.OPPORTUNITY, Outcome.WON, Outcome.LOST)
        }

    def rules(self) -> CrmRules:
        """Return the bridge's rules: the provider's defaults with this section over them."""
        statuses = self.statuses
        return rules_for(
            CrmProvider(self.provider),
            fields=self.fields,
            sales_ready_field=self.sales_ready.field,
            sales_ready_values=self.sales_ready.values,
            status_field=statuses.field,
            statuses={
                name: getattr(statuses, name)
                for name in statuses.model_fields_set
                if name != "field"
            },
            stages={Outcome(name): stages for name, stages in self._stage_lists().items()},
            marketing_owner=self.marketing_owner,
        )
