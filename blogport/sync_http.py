"""The small HTTP client the feed side of ``sync`` still uses for its probes and feed pages.

Conditional requests, the migration's User-Agent, robots.txt (kept in the ``SyncState``
validators and itself re-checked conditionally), retries with backoff on network errors, 429
and 5xx. The HTML side of sync goes through the Scrapy spiders (``crawler.incremental``).
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from blogport.config import MigrationConfig
from blogport.sync_history import sync_state, update_state
from kernel.archive import Archive
from kernel.errors import UnreachableError

log = logging.getLogger(__name__)

#: Seconds before one HTTP request gives up.
TIMEOUT_S = 30.0
#: Longest ``Retry-After`` sync is willing to wait.
MAX_RETRY_AFTER_S = 60.0


@dataclass(frozen=True)
class Fetched:
    url: str
    """Final URL (after redirects)."""
    status: int
    body: bytes
    headers: Message

    def header(self, name: str) -> str | None:
        return self.headers.get(name) if self.headers is not None else None


class _NoErrors(urllib.request.HTTPErrorProcessor):
    """Hand every status back to the caller instead of raising."""

    def http_response(self, request: Any, response: Any) -> Any:
        return response

    https_response = http_response


class Fetcher:
    """Small, polite HTTP client for the handful of requests a sync makes.

    Conditional requests, the migration's User-Agent, robots.txt (kept in the archive's meta
    and itself re-checked conditionally), retries with backoff on network errors, 429 and 5xx.
    """

    def __init__(self, config: MigrationConfig, archive: Archive) -> None:
        self.config = config
        self.archive = archive
        self.user_agent = config.crawl.user_agent
        self.retries = max(0, config.crawl.retries)
        self.max_bytes = config.crawl.max_page_bytes
        self.opener = urllib.request.build_opener(_NoErrors())
        self.requests = 0
        self.not_modified = 0
        self.page_bytes = 0
        self.feed_bytes = 0
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    # validators of auxiliary URLs (feed probes, robots.txt), kept in the SyncState
    def validators(self, url: str) -> dict[str, Any]:
        return dict(sync_state(self.archive).validators.get(url, {}))

    def remember(self, url: str, fetched: Fetched, **extra: Any) -> None:
        probes = dict(sync_state(self.archive).validators)
        probes[url] = {
            "etag": fetched.header("ETag"),
            "last_modified": fetched.header("Last-Modified"),
            **extra,
        }
        update_state(self.archive, validators=probes)

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        method: str = "GET",
        feed: bool = False,
    ) -> Fetched:
        """One request; network failures raise ``UnreachableError`` after the retries."""
        if not self.allowed(url):
            raise _Refused(url)
        headers = {"User-Agent": self.user_agent, "Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            request = urllib.request.Request(url, headers=headers, method=method)
            try:
                with self.opener.open(request, timeout=TIMEOUT_S) as response:
                    status = response.status
                    body = response.read(self.max_bytes + 1) if method == "GET" else b""
                    fetched = Fetched(response.geturl(), status, body, response.headers)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                if attempt <= self.retries:
                    time.sleep(min(2 ** (attempt - 1) * 0.5, 8.0))
                    continue
                reason = getattr(exc, "reason", exc)
                raise UnreachableError(f"cannot reach {url} ({reason})") from None
            if (status == 429 or status >= 500) and attempt <= self.retries:
                time.sleep(self._retry_after(fetched, attempt))
                continue
            if status == 304:
                self.not_modified += 1
            elif feed:
                self.feed_bytes += len(fetched.body)
            else:
                self.page_bytes += len(fetched.body)
            if len(fetched.body) > self.max_bytes:
                raise _TooLarge(url)
            return fetched

    @staticmethod
    def _retry_after(fetched: Fetched, attempt: int) -> float:
        value = fetched.header("Retry-After")
        if value and value.strip().isdigit():
            return min(float(value.strip()), MAX_RETRY_AFTER_S)
        return min(2 ** (attempt - 1) * 0.5, 8.0)

    def allowed(self, url: str) -> bool:
        if not self.config.crawl.obey_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        parser = self._robots[origin]
        return True if parser is None else parser.can_fetch(self.user_agent, url)

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        url = origin + "/robots.txt"
        known = self.validators(url)
        self._robots[origin] = None  # robots.txt itself is always allowed
        try:
            fetched = self.get(url, etag=known.get("etag"), last_modified=known.get("last_modified"),
                               accept="text/plain,*/*;q=0.5", feed=True)
        except UnreachableError:
            raise
        except _Refused:  # pragma: no cover
            return None
        if fetched.status == 304 and "body" in known:
            text = known["body"]
        elif fetched.status == 200:
            text = fetched.body.decode("utf-8", errors="replace")
            self.remember(url, fetched, body=text)
        else:
            return None  # no robots.txt: everything is allowed
        parser = urllib.robotparser.RobotFileParser(url)
        parser.parse(text.splitlines())
        return parser


class _Refused(Exception):
    """robots.txt does not allow the URL."""


class _TooLarge(Exception):
    """The page is over the size limit."""


