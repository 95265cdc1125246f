"""Downloader middleware: retries with exponential backoff that honour 429 and Retry-After.

Scrapy's own ``RetryMiddleware`` re-queues a failed request at once; a blog host that
answers ``429 Too Many Requests`` (or a 5xx while it is busy) needs the crawler to wait.
``BackoffRetryMiddleware`` waits ``base * 2**attempt`` seconds (plus a little jitter), or
the ``Retry-After`` the server asked for, before the request goes back to the scheduler.
The wait holds one concurrency slot, so a struggling host also gets fewer requests at once.
A ``Retry-After`` longer than ``BLOGPORT_RETRY_MAX_DELAY`` is not waited for: the response
is passed on and recorded as an HTTP failure.

``StayOnBlogMiddleware`` keeps every request on the blog's own hosts, redirects included: a
redirect to another host is refused before Scrapy's redirect middleware follows it (no
``robots.txt`` and no page is fetched there), and the request fails with ``OffsiteRedirect``,
which the spider records as an ``offsite`` crawl issue. Blogger's own host moves stay
allowed (``http`` to ``https``, ``blogspot.com`` to a country domain, ``www.``), and so does
any redirect of the start page: where the blog's address leads is the blog's host.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from typing import TYPE_CHECKING

from urllib.parse import urljoin

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object

from crawler.urls import blog_hosts, same_blog

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


def parse_retry_after(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", errors="replace")
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_delay(attempt: int, base: float, max_delay: float, retry_after: float | None = None) -> float:
    """Wait before retry number ``attempt + 1``: the server's ``Retry-After`` if it gave one,
    else ``base * 2**attempt`` with up to 10 % jitter, never more than ``max_delay``."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), max_delay)
    delay = base * (2**attempt)
    delay *= 1.0 + random.random() * 0.1
    return min(delay, max_delay)


async def _sleep(seconds: float) -> None:
    if seconds <= 0:
        return
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class BackoffRetryMiddleware:
    """Replaces ``scrapy.downloadermiddlewares.retry.RetryMiddleware`` (see module doc).

    Settings: ``RETRY_ENABLED``, ``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``,
    ``BLOGPORT_RETRY_BASE_DELAY`` (seconds, default 0.5), ``BLOGPORT_RETRY_MAX_DELAY``
    (default 60). Request meta ``max_retry_times`` and ``dont_retry`` are honoured.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_http_codes = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")}
        self.base_delay = settings.getfloat("BLOGPORT_RETRY_BASE_DELAY", 0.5)
        self.max_delay = settings.getfloat("BLOGPORT_RETRY_MAX_DELAY", 60.0)
        self.exceptions: tuple[type[BaseException], ...] = tuple(
            load_object(name) if isinstance(name, str) else name for name in settings.getlist("RETRY_EXCEPTIONS")
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "BackoffRetryMiddleware":
        return cls(crawler)

    def _attempts_left(self, request: Request) -> bool:
        if request.meta.get("dont_retry", False):
            return False
        default = self.max_retry_times
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            default = min(default, 1)  # robots.txt comes first: an unreachable host fails fast
        limit = request.meta.get("max_retry_times", default)
        return request.meta.get("retry_times", 0) < limit

    def _retry_request(self, request: Request, reason: str) -> Request:
        retry_times = request.meta.get("retry_times", 0) + 1
        new = request.copy()
        new.meta["retry_times"] = retry_times
        new.dont_filter = True
        new.priority = request.priority + 1  # finish what was started before new pages
        self.stats.inc_value("retry/count")
        self.stats.inc_value(f"retry/reason_count/{reason}")
        log.debug("retrying %s (attempt %d): %s", request.url, retry_times + 1, reason)
        return new

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.retry_http_codes or not self._attempts_left(request):
            if response.status in self.retry_http_codes:
                self.stats.inc_value("retry/max_reached")
            return response
        retry_after = parse_retry_after(response.headers.get(b"Retry-After"))
        if retry_after is not None and retry_after > self.max_delay:
            log.warning(
                "%s asks to wait %.0f s (Retry-After); not waiting that long for this page", request.url, retry_after
            )
            self.stats.inc_value("retry/retry_after_too_long")
            return response
        delay = backoff_delay(request.meta.get("retry_times", 0), self.base_delay, self.max_delay, retry_after)
        if response.status == 429:
            self.stats.inc_value("blogport/throttled")
        await _sleep(delay)
        return self._retry_request(request, f"HTTP {response.status}")

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        if not isinstance(exception, self.exceptions) or not self._attempts_left(request):
            return None
        delay = backoff_delay(request.meta.get("retry_times", 0), self.base_delay, self.max_delay)
        await _sleep(delay)
        return self._retry_request(request, type(exception).__name__)


#: Statuses whose ``Location`` Scrapy's redirect middleware follows.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class OffsiteRedirect(IgnoreRequest):
    """A redirect to a host that is not the blog's was refused."""

    def __init__(self, url: str, target: str) -> None:
        self.url = url
        self.target = target
        super().__init__(f"redirects off the blog to {target}")


def redirect_target(request: Request, response: Response) -> str | None:
    """The absolute URL a redirect response points to, or None when it is no redirect."""
    if response.status not in REDIRECT_STATUSES:
        return None
    location = response.headers.get(b"Location")
    if not location:
        return None
    text = location.decode("latin-1").strip()
    if text.startswith("//"):
        text = request.url.split(":", 1)[0] + ":" + text
    return urljoin(request.url, text)


def spider_hosts(spider: object) -> frozenset[str]:
    """The hosts a spider may visit: its ``hosts``, else the host of its ``blog_url`` or
    ``start_url``."""
    hosts = getattr(spider, "hosts", None)
    if hosts:
        return frozenset(hosts)
    urls = [u for u in (getattr(spider, "blog_url", None), getattr(spider, "start_url", None)) if u]
    return blog_hosts(urls)


class StayOnBlogMiddleware:
    """Refuses redirects off the blog's hosts (see module doc). Sits closer to the downloader
    than ``RedirectMiddleware``, so it sees each redirect first."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StayOnBlogMiddleware":
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        target = redirect_target(request, response)
        if target is None or request.meta.get("start"):
            return response
        hosts = spider_hosts(self.crawler.spider)
        if not hosts or same_blog(target, hosts):
            return response
        self.crawler.stats.inc_value("blogport/offsite_redirects")
        log.info("%s redirects off the blog to %s: not followed", request.url, target)
        raise OffsiteRedirect(request.url, target)
