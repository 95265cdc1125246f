"""Test helper: a fault-injecting HTTP proxy on 127.0.0.1 in front of a real Wayback server.

``ReplayProxy(upstream)`` forwards every GET to ``upstream`` (a pywb on 127.0.0.1) and passes
the answer on, except where told otherwise:

- ``refuse_raw``: raw captures (``TIMESTAMPid_/URL``) answer 404, as on a replay server that
  only has its rewritten form;
- ``throttle``: ``{marker: (status, n)}``: the first ``n`` requests whose path holds ``marker``
  answer ``status`` (429 or 503) with ``Retry-After: retry_after`` seconds; a retry that comes before
  that time is answered 400 and logged as ``early``, as an archive that bans impatient
  clients would.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fixtures.server import BackgroundServer

RETRY_AFTER = 1


@dataclass(frozen=True)
class Logged:
    path: str
    status: int
    early: bool = False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: object) -> None:
        return None

    def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        proxy = self.server.proxy
        status, early = proxy.fault_for(self.path)
        if status is not None:
            proxy.log(Logged(self.path, status, early))
            headers = [("Retry-After", str(proxy.retry_after))] if status in (429, 503) else []
            self._answer(status, b"slow down\n", headers + [("Content-Type", "text/plain")])
            return
        try:
            with urllib.request.urlopen(proxy.upstream + self.path, timeout=30) as reply:
                body, code, headers = reply.read(), reply.status, list(reply.headers.items())
        except urllib.error.HTTPError as exc:
            body, code, headers = exc.read(), exc.code, list(exc.headers.items())
        proxy.log(Logged(self.path, code))
        self._answer(code, body, headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: "ReplayProxy"


class ReplayProxy(BackgroundServer):
    def __init__(self, upstream: str, *, refuse_raw: bool = False,
                 throttle: dict[str, tuple[int, int]] | None = None, retry_after: int = RETRY_AFTER) -> None:
        self.retry_after = retry_after
        self.upstream = upstream.rstrip("/")  # scheme://host:port, no path
        self.refuse_raw = refuse_raw
        self.throttle = dict(throttle or {})
        self.requests: list[Logged] = []
        self._lock = threading.Lock()
        self._refused: dict[str, float] = {}  # path -> when it may be asked again
        self._count: dict[tuple[str, str], int] = {}
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.proxy = self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def log(self, entry: Logged) -> None:
        with self._lock:
            self.requests.append(entry)

    def fault_for(self, path: str) -> tuple[int | None, bool]:
        now = time.monotonic()
        with self._lock:
            if path in self._refused and now < self._refused[path]:
                return 400, True
            if self.refuse_raw and "id_/" in path:
                return 404, False
            for marker, (status, times) in self.throttle.items():
                if marker in path and self._count.get((marker, path), 0) < times:
                    self._count[(marker, path)] = self._count.get((marker, path), 0) + 1
                    self._refused[path] = now + self.retry_after
                    return status, False
        return None, False
