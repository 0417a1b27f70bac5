"""A CRM record as Baton's incoming lead, checked as intake checks every lead."""

from __future__ import annotations

from typing import Any

from bot.domain.crm import CrmNeedsPerson, CrmProblem, CrmRecord
from bot.domain.crm_rules import CrmRules, lead_payload
from bot.services.leadin import FieldError, LeadIn, check_lead

# Without these the record cannot be a lead at all; any other bad field is left out.
ESSENTIAL = frozenset({"email", "external_id"})


def lead_from_record(record: CrmRecord, rules: CrmRules) -> LeadIn:
    """Return the record as a lead; a field intake would refuse is left out and noted.

    A record without a usable email raises CrmNeedsPerson: a person must fix it in the CRM.
    """
    payload = lead_payload(record, rules)
    lead, problems = _check(payload)
    if lead is not None:
        return lead
    bad = {_top(problem.field) for problem in problems}
    if bad & ESSENTIAL or not bad:
        reasons = "; ".join(f"{p.field} {p.reason}" for p in problems)
        raise CrmNeedsPerson(
            CrmProblem.RECORD_INVALID,
            f"{rules.label} {rules.record_name} {record.id} cannot be a lead: {reasons}",
            fix=f"give the {rules.record_name} a valid email address in {rules.label}",
        )
    for name in bad:
        payload.pop(name, None)
    left_out = "; ".join(f"{p.field} ({p.reason})" for p in problems)
    note = {"type": rules.provider.value, "detail": f"{rules.label} fields left out: {left_out}"}
    payload["activity"] = [*payload.get("activity", []), note]
    lead, problems = _check(payload)
    if lead is None:  # left out, the fields cannot be wrong any more
        raise ValueError(f"a lead from {record.id} is still refused: {problems}")
    return lead


def _check(payload: dict[str, Any]) -> tuple[LeadIn | None, list[FieldError]]:
    # The CRM's records name no region of Baton's, so any region would do.
    return check_lead(payload, 0, known_region=lambda _: True)


def _top(field: str) -> str:
    return field.split(".", 1)[0].split("[", 1)[0]
