"""Attribution against a real database: a generated history of leads touched by several
campaigns, and the report under each model checked against a plain recount of the truth the
history was generated from (never Baton's reading of its events)."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.app import Baton
from bot.cli import main
from bot.domain.attribution import OVERLAP_NOTE, Attribution
from bot.domain.lead import (
    Accept,
    Authority,
    Command,
    FollowUpMethod,
    Lead,
    LeadEvent,
    LeadStatus,
    LogOutcome,
    Outcome,
    Qualify,
    RecordCampaignTouch,
    apply,
)
from bot.domain.report import GroupBy
from bot.domain.report_data import report_json
from bot.services.report import ReportQuery, closed_loop_report
from bot.web import create_web_app
from tests.bot.test_cli import BATON_VARIABLES
from tests.conftest import EXAMPLE_CONFIG
from tests.fakes.slack import slack_harness
from tests.handlers.test_slack_lead import say, shown

LEADS = 600
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
MIDDLE = START + timedelta(days=90)
CAMPAIGNS = ("spring-webinar-2026", "tech-expo-berlin-2026", "partner-referrals", None)
SOURCES = ("webinar", "trade_show", "web", None)
COSTS = {"spring-webinar-2026": Fraction(12000), "tech-expo-berlin-2026": Fraction(45000)}
BOSS = "U0BOSS00001"
ANYONE = Authority(deciders=frozenset({BOSS}), marketing=frozenset({BOSS}), named=(BOSS,))

Touch = tuple[str | None, str | None]


@dataclass
class Truth:
    """What happened to one lead, as it was generated."""

    received_at: datetime
    touches: list[Touch]  # the first is its arrival
    touches_before_acceptance: int = 0  # how many of them came before it was accepted
    accepted: bool = False
    won: Decimal | None = None
    events: list[LeadEvent] = field(default_factory=list)

    def campaigns(self, attribution: Attribution) -> set[str | None]:
        """The campaigns the lead counts for, read plainly from its touches."""
        if attribution is Attribution.FIRST:
            return {self.touches[0][0]}
        if attribution is Attribution.LAST:
            counted = self.touches_before_acceptance if self.accepted else len(self.touches)
            return {self.touches[counted - 1][0]}
        # A touch that names only a source brings no campaign.
        later = {campaign for campaign, _ in self.touches[1:] if campaign is not None}
        return {self.touches[0][0]} | later


def generate(rng: random.Random, number: int) -> Truth:
    first = (rng.choice(CAMPAIGNS), rng.choice(SOURCES))
    at = START + timedelta(hours=rng.randrange(0, 180 * 24))
    lead = Lead(f"T{number:07d}", LeadStatus.RECEIVED, campaign=first[0], source=first[1])
    truth = Truth(received_at=at, touches=[first])

    def do(command: Command) -> None:
        nonlocal lead, at
        at += timedelta(hours=rng.randrange(1, 48))
        change = apply(lead, command, actor=BOSS, authority=ANYONE, at=at)
        lead = change.lead
        truth.events += change.events

    def touch() -> None:
        named = (rng.choice(CAMPAIGNS), rng.choice(SOURCES))
        if named != (None, None):
            do(RecordCampaignTouch(*named))
            truth.touches.append(named)

    do(Qualify(sales_ready=rng.random() < 0.8, reason="", region="emea"))
    truth.received_at = at
    for _ in range(rng.randrange(0, 3)):
        touch()
    if lead.status is LeadStatus.PENDING and rng.random() < 0.6:
        truth.touches_before_acceptance = len(truth.touches)
        do(Accept("U0EMEAREP1", "go", FollowUpMethod.PHONE, at + timedelta(days=5), 1))
        truth.accepted = True
        for _ in range(rng.randrange(0, 3)):
            touch()
        if rng.random() < 0.4:
            truth.won = Decimal(rng.randrange(1, 400) * 100)
            do(LogOutcome(Outcome.WON, truth.won))
    return truth


@pytest.fixture
def history(baton: Baton) -> list[Truth]:
    rng = random.Random(20261203)
    truths = [generate(rng, number) for number in range(LEADS)]
    with baton.unit_of_work() as uow:
        new = [
            (Lead(f"T{n:07d}", LeadStatus.RECEIVED), {"email": f"t{n}@example.com"}, {})
            for n in range(LEADS)
        ]
        stored = uow.leads.add_all(new, now=START)
        events = [(s.id, e) for s, t in zip(stored, truths, strict=True) for e in t.events]
        uow.events.append(events, ids=False)
        uow.commit()
    return truths


def recount(
    truths: list[Truth], attribution: Attribution, *, until: datetime | None
) -> dict[str | None, dict[str, Any]]:
    """Per campaign: received, accepted, won, won revenue and exact cost."""
    everywhere: dict[str | None, int] = defaultdict(int)  # a campaign's leads at any time
    groups: dict[str | None, dict[str, Any]] = defaultdict(
        lambda: {"received": 0, "accepted": 0, "won": 0, "revenue": Decimal(0)}
    )
    for truth in truths:
        campaigns = truth.campaigns(attribution)
        for campaign in campaigns:
            everywhere[campaign] += 1
        if until is not None and truth.received_at >= until:
            continue
        for campaign in campaigns:
            group = groups[campaign]
            group["received"] += 1
            group["accepted"] += truth.accepted
            group["won"] += truth.won is not None
            group["revenue"] += truth.won or 0
    for campaign, group in groups.items():
        cost = COSTS.get(campaign or "", Fraction(0))
        group["cost"] = cost * group["received"] / everywhere[campaign]
    return dict(groups)


@pytest.mark.parametrize("attribution", list(Attribution))
@pytest.mark.parametrize("until", [None, MIDDLE], ids=["all", "first months"])
def test_each_attribution_model_reconciles_with_a_recount_of_the_touches(
    baton: Baton, history: list[Truth], attribution: Attribution, until: datetime | None
) -> None:
    query = ReportQuery(by=GroupBy.CAMPAIGN, until=until, attribution=attribution)
    report = report_json(
        closed_loop_report(
            query, reader=baton.report_reader, config=baton.config, clock=baton.clock
        )
    )
    expected = recount(history, attribution, until=until)
    assert report["attribution"] == attribution.value
    found = {group["group"]: group for group in report["groups"]}
    assert set(found) == set(expected)
    for campaign, group in expected.items():
        leads, money = found[campaign]["leads"], found[campaign]
        assert (leads["received"], leads["accepted"], leads["won"]) == (
            group["received"],
            group["accepted"],
            group["won"],
        ), campaign
        assert Decimal(money["revenue"]["won"]) == group["revenue"]
        assert abs(Decimal(money["cost"]["spend"]) - Decimal(float(group["cost"]))) <= Decimal(
            "0.01"
        )
    cohort = [t for t in history if until is None or t.received_at < until]
    total = report["total"]["leads"]
    assert total["received"] == len(cohort)
    assert total["won"] == sum(t.won is not None for t in cohort)
    overlapping = attribution is Attribution.ANY
    assert report["groups_overlap"] is overlapping
    assert report["notes"] == ([OVERLAP_NOTE] if overlapping else [])
    if overlapping:
        assert sum(g["leads"]["received"] for g in report["groups"]) > len(cohort)
    else:
        assert sum(g["leads"]["received"] for g in report["groups"]) == len(cohort)


@pytest.mark.parametrize("by", [GroupBy.REGION, GroupBy.SOURCE])
def test_under_campaign_influence_a_lead_costs_a_share_of_every_campaign_it_touched(
    baton: Baton, history: list[Truth], by: GroupBy
) -> None:
    query = ReportQuery(by=by, attribution=Attribution.ANY)
    report = closed_loop_report(
        query, reader=baton.report_reader, config=baton.config, clock=baton.clock
    )
    # Every lead is in the cohort: the total spends each configured campaign's whole cost.
    assert report.total.cost == sum(Decimal(c) for c in (12000, 45000))
    assert report.total.funnel.received == LEADS
    if by is GroupBy.REGION:  # one region: no overlap
        [row] = report.rows
        assert (row.cost, report.overlapping) == (report.total.cost, False)
    else:
        assert report.overlapping
        assert sum(row.cost for row in report.rows) >= report.total.cost


# The same models through the doors people use -------------------------------------------


def service_json(baton: Baton, attribution: Attribution) -> dict[str, Any]:
    query = ReportQuery(by=GroupBy.CAMPAIGN, attribution=attribution)
    report = closed_loop_report(
        query, reader=baton.report_reader, config=baton.config, clock=baton.clock
    )
    return report_json(report)


@pytest.mark.usefixtures("history")
def test_baton_report_takes_the_attribution_model(
    baton: Baton,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in BATON_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", baton.database.url)
    monkeypatch.setenv("BATON_CONFIG", str(EXAMPLE_CONFIG))
    assert main(["report", "--attribution", "any", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = service_json(baton, Attribution.ANY)
    assert {**printed, "made_at": None} == {**expected, "made_at": None}
    assert main(["report", "--attribution", "last"]) == 0
    table = capsys.readouterr().out
    assert "by last touch before acceptance." in table
    with pytest.raises(SystemExit) as usage:
        main(["report", "--attribution", "linear"])
    assert usage.value.code == 2


@pytest.mark.usefixtures("history")
def test_the_report_api_takes_the_attribution_model_and_refuses_an_unknown_one(
    baton: Baton,
) -> None:
    baton.settings = baton.settings.model_copy(
        update={"baton_report_token": SecretStr("report-token-0123456789")}
    )
    web = TestClient(create_web_app(baton))
    auth = {"Authorization": "Bearer report-token-0123456789"}
    answer = web.get("/report?attribution=last", headers=auth)
    assert answer.status_code == 200
    assert answer.json()["groups"] == service_json(baton, Attribution.LAST)["groups"]
    refused = web.get("/report?attribution=linear", headers=auth)
    assert refused.status_code == 422
    assert refused.json()["error"] == "“attribution” is one of first, last, any"


@pytest.mark.usefixtures("history")
def test_lead_report_takes_the_attribution_model_as_a_word(baton: Baton) -> None:
    with slack_harness(baton) as slack:
        answer = say(slack, "U0MKTG0001", "report any all", channel="C0MKTG0001")
        assert "by campaign influence (every touch)" in shown(answer)
        twice = say(slack, "U0MKTG0001", "report any last", channel="C0MKTG0001")
        assert "at most one attribution" in shown(twice)
