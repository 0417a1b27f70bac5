"""Work after an ack waits its turn behind the acks still to give, but never for long."""

from __future__ import annotations

import asyncio

from bot.slack.acks import AckTurns


def test_work_after_an_ack_starts_once_the_requests_waiting_are_answered() -> None:
    async def scenario() -> list[str]:
        turns = AckTurns(quiet=0.01, longest=30)
        order: list[str] = []

        async def after_ack() -> None:
            await turns.after_acks()
            order.append("work")

        with turns.answering():
            work = asyncio.ensure_future(after_ack())
            await asyncio.sleep(0.1)
            order.append("answered")
        await work
        return order

    assert asyncio.run(scenario()) == ["answered", "work"]


def test_work_after_an_ack_waits_no_longer_than_its_longest_wait() -> None:
    async def scenario() -> list[str]:
        turns = AckTurns(quiet=0.01, longest=0.05)
        order: list[str] = []
        with turns.answering():
            await turns.after_acks()
            order.append("work")
        order.append("answered")
        return order

    assert asyncio.run(scenario()) == ["work", "answered"]


def test_with_no_request_to_answer_work_goes_at_once() -> None:
    async def scenario() -> None:
        await AckTurns(quiet=30, longest=30).after_acks()

    asyncio.run(asyncio.wait_for(scenario(), timeout=10))
