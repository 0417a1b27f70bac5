"""A TCP proxy between Baton and a real server that a test can cut, arm and reopen."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass

from sqlalchemy.engine import make_url


@dataclass
class _Trap:
    pattern: bytes
    forward_first: bool


class CuttableProxy:
    """Forward 127.0.0.1:<port> to `upstream`; cut every link on demand, or when a client sends
    `pattern` (before or after forwarding it), and refuse new links until reopened."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._links: set[socket.socket] = set()
        self._down = False
        self._trap: _Trap | None = None
        self._lose_answer = False
        self.sprung = threading.Event()
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def cut(self) -> None:
        """Close every open link and refuse new ones, as a dead server or network would."""
        with self._lock:
            self._down = True
        self._drop_links()

    def _drop_links(self) -> None:
        with self._lock:
            links, self._links = self._links, set()
        for link in links:
            _close(link)

    def reopen(self) -> None:
        with self._lock:
            self._down = False

    def cut_when_sent(self, pattern: bytes, *, forward_first: bool) -> None:
        """Cut everything when a client sends `pattern`: before it reaches the server, or just
        after (the server acts on it, the answer is lost)."""
        self.sprung.clear()
        with self._lock:
            self._trap = _Trap(pattern, forward_first)

    def close(self) -> None:
        self.cut()
        _close(self._listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                down = self._down
            if down:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._links |= {client, server}
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, from_client: bool) -> None:
        while True:
            try:
                chunk = source.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                _close(source)
                _close(target)
                return
            trap = self._trap if from_client else None
            if trap is not None and trap.pattern in chunk:
                with self._lock:
                    self._trap = None
                if trap.forward_first:
                    # The server acts on it; its answer is the next thing it sends, and is lost.
                    self._lose_answer = True
                    _send(target, chunk)
                    continue
                self._spring()
                return
            if not from_client and self._lose_answer:
                self._lose_answer = False
                self._spring()
                return
            if not _send(target, chunk):
                _close(source)
                return

    def _spring(self) -> None:
        # Said before the links go: the client sees the cut at once and the test may ask
        # whether the trap sprang before this thread runs again.
        self.sprung.set()
        # Links cut, new ones welcome: the next request reconnects at once.
        self._drop_links()


def _send(target: socket.socket, chunk: bytes) -> bool:
    try:
        target.sendall(chunk)
        return True
    except OSError:
        return False


def _close(link: socket.socket) -> None:
    with contextlib.suppress(OSError):
        link.shutdown(socket.SHUT_RDWR)
    link.close()


def proxy_before(database_url: str) -> tuple[CuttableProxy, str]:
    """A proxy in front of the server of `database_url`, and the same URL through the proxy."""
    url = make_url(database_url)
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    through = url.set(host="127.0.0.1", port=proxy.port)
    return proxy, through.render_as_string(hide_password=False)
