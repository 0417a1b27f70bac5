"""`GET /report`: the closed-loop report as JSON for BI tools, the same as `baton report`."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.app import Baton
from bot.domain.attribution import Attribution
from bot.domain.periods import PeriodError, between
from bot.domain.report import GroupBy
from bot.domain.report_data import report_json
from bot.services.report import ReportQuery, closed_loop_report, period_bounds


def register(router: APIRouter, baton: Baton) -> None:
    @router.get(
        "/report",
        summary="The closed-loop report (bearer BATON_REPORT_TOKEN)",
        responses={401: {"description": "no valid bearer token"}, 503: {"description": "off"}},
    )
    async def report(
        request: Request,
        by: Annotated[str, Query(description="campaign, region, source or rep")] = "campaign",
        since: Annotated[str | None, Query(description="first day of leads received (UTC)")] = None,
        until: Annotated[
            str | None, Query(description="last day of leads received, included")
        ] = None,
        attribution: Annotated[
            str, Query(description="first, last (before acceptance) or any (every touch)")
        ] = "first",
    ) -> JSONResponse:
        token = baton.settings.baton_report_token
        if token is None:
            return _error(503, "the report API is off: set BATON_REPORT_TOKEN")
        if not _authorised(request, token.get_secret_value()):
            return _error(401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})
        # Checked here, after the token, so that strangers learn nothing from the answers.
        if by not in {group.value for group in GroupBy}:
            return _error(422, f"“by” is one of {', '.join(GroupBy)}")
        if attribution not in {model.value for model in Attribution}:
            return _error(422, f"“attribution” is one of {', '.join(Attribution)}")
        try:
            first, last = period_bounds(between(since, until), "UTC")
        except PeriodError as error:
            return _error(422, str(error))
        query = ReportQuery(
            by=GroupBy(by), since=first, until=last, attribution=Attribution(attribution)
        )
        result = await run_in_threadpool(
            closed_loop_report,
            query,
            reader=baton.report_reader,
            config=baton.config,
            clock=baton.clock,
        )
        return JSONResponse(report_json(result))


def _authorised(request: Request, expected: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        given.strip().encode(), expected.encode()
    )


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
