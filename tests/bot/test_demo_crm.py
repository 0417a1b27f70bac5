"""`baton demo --crm hubspot` plays its scene to the end and shows each step's result."""

from __future__ import annotations

import pytest
from baton_devkit.demo_crm import run_crm_demo

from bot.cli import main


def test_the_crm_scene_goes_from_a_hubspot_contact_to_the_report() -> None:
    lines: list[str] = []
    assert run_crm_demo(out=lines.append) == 0
    text = "\n".join(lines)
    assert "POST /crm/hubspot/webhook (contact.propertyChange) → 200" in text
    assert "a new lead is waiting for you" in text
    assert "owner Rita Rep" in text and "lead status IN_PROGRESS" in text
    assert "HubSpot note: Follow up by phone by 2026-11-27" in text
    assert "Report: 1 won for 12500.00 (12500.00 from HubSpot's deal" in text


def test_the_demo_knows_only_the_crms_it_has_a_scene_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--crm", "pipedrive"])
    assert "invalid choice: 'pipedrive'" in capsys.readouterr().err
