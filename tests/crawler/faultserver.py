"""A fault-injecting HTTP server for crawler tests: the fixture blog on 127.0.0.1, with faults.

Each path can be given a queue of faults, used one per request in order (then the page is
served normally):

* ``Cut(keep)``: an HTTP/1.0 answer with no Content-Length whose body stops after ``keep``
  bytes (or the fraction ``keep`` of the page when < 1) and the connection closes, as an old
  proxy does when the upstream connection drops;
* ``Status(code, retry_after=None)``: an error page with that status;
* ``Redirect(location, status=302)``;
* ``Slow(seconds)``: the page, after a wait.

``default`` faults apply to every request with no queued fault of its own (``Slow`` for a
crawl that must last). Every request is logged with its path. The server runs in a thread and
stops on ``stop()`` / leaving the ``with`` block.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Union

from fixtures.blogger import FixtureBlog
from fixtures.server import BackgroundServer
from fixtures.site import Site, render_site


@dataclass(frozen=True)
class Cut:
    keep: float


@dataclass(frozen=True)
class Status:
    code: int
    retry_after: int | None = None


@dataclass(frozen=True)
class Redirect:
    location: str
    status: int = 302


@dataclass(frozen=True)
class Slow:
    seconds: float


Fault = Union[Cut, Status, Redirect, Slow]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.owner.handle(self)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "FaultServer"


class FaultServer(BackgroundServer):
    """Serves ``blog`` (or nothing but 404s and faults when ``blog`` is None) on ``host``."""

    def __init__(self, blog: FixtureBlog | None = None, *, host: str = "127.0.0.1") -> None:
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.owner = self
        self.host, self.port = self._httpd.server_address[0], self._httpd.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self.site: Site | None = render_site(blog, self.base_url) if blog is not None else None
        self.faults: dict[str, list[Fault]] = {}
        self.default: Fault | None = None
        self.after: int = 0
        """``default`` applies only once this many requests were answered."""
        self.log: list[str] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, *faults: Fault) -> None:
        with self._lock:
            self.faults.setdefault(path, []).extend(faults)

    def requested(self, prefix: str = "") -> list[str]:
        with self._lock:
            return [p for p in self.log if p.startswith(prefix)]

    # -- serving -----------------------------------------------------------------------------
    def _fault_for(self, raw: str) -> Fault | None:
        with self._lock:
            self.log.append(raw)
            queue = self.faults.get(raw) or self.faults.get(raw.split("?", 1)[0])
            if queue:
                return queue.pop(0)
            return self.default if len(self.log) > self.after else None

    def handle(self, h: _Handler) -> None:
        raw = h.path
        fault = self._fault_for(raw)
        if isinstance(fault, Slow):
            time.sleep(fault.seconds)
        if isinstance(fault, Status):
            extra = [("Retry-After", str(fault.retry_after))] if fault.retry_after is not None else []
            self._send(h, fault.code, b"<html><body><h1>Error</h1></body></html>", "text/html", extra)
            return
        if isinstance(fault, Redirect):
            self._send(h, fault.status, b"", "text/html", [("Location", fault.location)])
            return
        page = self.site.resolve(raw) if self.site is not None else None
        if page is None:
            self._send(h, 404, b"<html><body>Not Found</body></html>", "text/html")
            return
        if isinstance(fault, Cut):
            keep = int(len(page.body) * fault.keep) if fault.keep < 1 else int(fault.keep)
            h.protocol_version = "HTTP/1.0"
            h.close_connection = True
            h.send_response(200)
            h.send_header("Content-Type", page.content_type)
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(page.body[:keep])
            h.wfile.flush()
            return
        self._send(h, 200, page.body, page.content_type)

    @staticmethod
    def _send(h: _Handler, status: int, body: bytes, ctype: str, extra: list[tuple[str, str]] = ()) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for key, value in extra:
            h.send_header(key, value)
        h.end_headers()
        if body:
            h.wfile.write(body)

