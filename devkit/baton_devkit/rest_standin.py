"""A base for local stand-ins of JSON REST APIs: routes, recorded calls, failures on demand.

A stand-in listens on 127.0.0.1 (a free port), so real HTTP clients talk to it unchanged. It
records every call with its parsed body, answers after a delay when told to, and fails the
next calls to a route with a status (429 with Retry-After, 500, …) shaped as its API would.
The CRM stand-ins build on it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

logger = logging.getLogger(__name__)

ANY_ROUTE = "*"


@dataclass(frozen=True)
class Request:
    """One request as a route's handler sees it."""

    method: str
    path: str
    params: dict[str, str]  # from the route's pattern
    query: dict[str, str]
    body: Any  # parsed JSON, a form as a dict, or None
    headers: dict[str, str]

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")


@dataclass
class Reply:
    status: int
    body: Any = None  # None: no content
    headers: dict[str, str] = field(default_factory=dict)


class Refused(Exception):
    """Answer the request with this reply instead (an error the API would give)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


@dataclass(frozen=True)
class Call:
    """One call as received: the route it reached, its parsed body, the answer's status."""

    route: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int
    at: float


@dataclass
class Failure:
    status: int
    times: int
    retry_after: int | None = None
    error: str | None = None  # the API's own error code, when a test names one


Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    name: str  # may name a path parameter, as in "{kind}.read"
    handler: Handler


class RestStandIn:
    """Serve a JSON REST API on localhost; subclasses add routes and the API's error shapes."""

    service = "REST"

    def __init__(self, *, latency: float = 0.0, now: Callable[[], datetime] | None = None) -> None:
        self.now = now or (lambda: datetime.now(UTC))
        self._routes: list[_Route] = []
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._failures: dict[str, deque[Failure]] = {}
        self._latency: dict[str, float] = {ANY_ROUTE: latency}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # what subclasses provide

    def route(self, method: str, pattern: str, name: str, handler: Handler) -> None:
        """Answer `method` on paths matching `pattern` ({param} matches one path segment)."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append(_Route(method, re.compile(f"^{regex}$"), name, handler))

    def failure_reply(self, failure: Failure, route: str) -> Reply:
        """Return the failed answer the API would give; the default is a bare JSON error."""
        headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        return Reply(failure.status, {"error": failure.error or "failed"}, headers)

    def not_found(self, request: Request) -> Reply:
        return Reply(404, {"error": "not found"})

    def authorize(self, request: Request, route: str) -> None:
        """Raise Refused when the request may not reach the route (a bad token, a scope)."""

    def decorate(self, reply: Reply) -> Reply:
        """Add what the API puts on every answer (rate-limit headers, …)."""
        return reply

    # lifecycle

    def start(self) -> Self:
        """Listen on a free local port in a daemon thread."""
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"{self.service.lower()}-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and wake any slow answer still sleeping."""
        self._stopping.set()
        if self._server is not None:
            self._server.stopped = True
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Return the server's origin, such as http://127.0.0.1:54321."""
        if self._server is None:
            raise RuntimeError(f"the {self.service} stand-in is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # recording

    @property
    def calls(self) -> list[Call]:
        """Return every call so far, in the order they arrived."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, route: str) -> list[Call]:
        """Return the calls that reached one route, such as "contacts.update"."""
        return [c for c in self.calls if c.route == route]

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until predicate holds, checking again after every call; tell whether it did."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    # failure injection

    def fail(
        self,
        route: str,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
    ) -> None:
        """Make the next calls to a route ("*" for any) fail with this status."""
        with self._lock:
            queue = self._failures.setdefault(route, deque())
            queue.append(Failure(status, times, retry_after, error))

    def set_latency(self, seconds: float, route: str | None = None) -> None:
        """Answer calls to a route (or every route) only after this many seconds."""
        with self._lock:
            self._latency[route or ANY_ROUTE] = seconds

    # serving

    def answer(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> Reply:
        """Perform one HTTP request and return the reply."""
        at = time.monotonic()
        url = urlsplit(target)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        found = self._match(method, url.path)
        name = found[0].name.format(**found[1]) if found else "unknown"
        if self._stopping.wait(self._delay(name)):
            return Reply(503, {"error": "stopping"})
        with self._changed:
            parsed: Any = None
            try:
                parsed = _parse_body(body, _header(headers, "Content-Type"))
                request = Request(
                    method, url.path, found[1] if found else {}, query, parsed, headers
                )
                reply = self._perform(found, name, request)
            except Refused as refused:
                reply = refused.reply
            reply = self.decorate(reply)
            call = Call(name, method, url.path, query, parsed, headers, reply.status, at)
            self._calls.append(call)
            self._changed.notify_all()
        return reply

    def _perform(
        self, found: tuple[_Route, dict[str, str]] | None, name: str, request: Request
    ) -> Reply:
        if found is None:
            return self.not_found(request)
        self.authorize(request, name)
        failure = self._take_failure(name)
        if failure is not None:
            return self.failure_reply(failure, name)
        try:
            return found[0].handler(request)
        except Refused:
            raise
        except Exception:
            logger.exception("the %s stand-in failed to answer %s", self.service, name)
            return Reply(500, {"error": "the stand-in failed"})

    def _match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for candidate in self._routes:
            matched = candidate.pattern.match(path)
            if matched and candidate.method == method:
                return candidate, matched.groupdict()
        return None

    def _delay(self, route: str) -> float:
        with self._lock:
            return self._latency.get(route, self._latency[ANY_ROUTE])

    def _take_failure(self, route: str) -> Failure | None:
        for key in (route, ANY_ROUTE):
            queue = self._failures.get(key)
            if queue:
                failure = queue[0]
                failure.times -= 1
                if failure.times <= 0:
                    queue.popleft()
                return failure
        return None


def _header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def _parse_body(body: bytes, content_type: str) -> Any:
    if not body:
        return None
    if "json" in content_type:
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Refused(Reply(400, {"error": f"the body is not JSON: {exc}"})) from exc
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return body.decode("utf-8", "replace")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    standin: RestStandIn
    stopped = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hung up first (timeouts); report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("a client of a stand-in hung up before its answer")
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 60

    def _serve(self) -> None:
        if self.server.stopped:
            self.close_connection = True
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = self.server.standin.answer(
            self.command, self.path, body, dict(self.headers.items())
        )
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        headers = dict(reply.headers)
        if reply.body is not None:
            headers.setdefault("Content-Type", "application/json;charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)
