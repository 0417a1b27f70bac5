"""`baton demo` tells the whole story against the Slack stand-in: a handoff, a return, the
returned lead coming back with its history, and a reassignment."""

from __future__ import annotations

from baton_devkit.demo import run_demo


def test_the_demo_shows_a_recycled_lead_with_its_history_and_a_reassignment() -> None:
    lines: list[str] = []
    assert run_demo(lines.append) == 0
    told = "\n".join(lines)
    assert "[ Send back to sales… ]\n   │ [ Keep nurturing ]\n   │ [ Ask why… ]" in told
    assert (
        "*Before this round*\n"
        "   │ ↩️ Returned by <@U0APACMGR1> on Mon 23 Nov: Not a fit — A student project, no budget.\n"
        "   │ 🔁 Back on Mon 30 Nov: it came back and qualified again"
    ) in told
    assert "is back with sales (apac)" in told
    assert "is now with <@U0EMEAREP2>; <@U0EMEAREP1> was told." in told
    assert "gave you <https://" in told and "(it was with <@U0EMEAREP1>)" in told
    assert "*Note from <@U0EMEAMGR1>*\n   │ >Jane prefers German; Max covers Munich now" in told
