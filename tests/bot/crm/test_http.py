from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.crm.http import retry_after

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def answer(**headers: str) -> httpx.Response:
    return httpx.Response(429, headers=headers)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "30"}, timedelta(seconds=30)),
        ({"Retry-After": " 0 "}, timedelta(0)),
        # A date is counted from the answer's own Date, so a wrong clock here does not matter.
        (
            {
                "Retry-After": "Mon, 23 Nov 2026 10:00:45 GMT",
                "Date": "Mon, 23 Nov 2026 10:00:00 GMT",
            },
            timedelta(seconds=45),
        ),
        ({"Retry-After": "Mon, 23 Nov 2026 09:31:00 GMT"}, timedelta(minutes=1)),
        ({"Retry-After": "Mon, 23 Nov 2026 09:00:00 GMT"}, timedelta(0)),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-5"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(headers, wait) -> None:
    assert retry_after(answer(**headers), now=NOW) == wait
