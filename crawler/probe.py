"""``FeedProbeSpider``: does the blog serve a full-content Atom posts feed we may read?

``--via auto`` asks before the crawl, through Scrapy like every request of the crawl: the
same robots.txt handling, the same retries with backoff (a transient 5xx, 429 or network
error on the probe or on robots.txt is retried, not taken as "no feeds"), the same
redirect rules. One small request (``max-results=1``); ``usable`` and ``reason`` tell the
crawl process which spider to run next.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from twisted.internet.error import ConnectionRefusedError, DNSLookupError
from scrapy.http import Response

from crawler.feed_spider import unavailable_reason
from crawler.feeds import feed_url

log = logging.getLogger(__name__)


def probe_verdict(status: int, content_type: str | None, body: bytes) -> str | None:
    """Why the posts feed answer cannot carry the crawl, or None when it can."""
    reason = unavailable_reason(status, content_type, body)
    if reason is None and (b"<entry" not in body or b"<content" not in body):
        reason = "the feed is empty or carries summaries only"
    return reason


class FeedProbeSpider(scrapy.Spider):
    name = "blogport-probe"

    def __init__(self, blog_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.blog_url = blog_url
        self.usable = False
        self.reason: str | None = "the probe did not finish"
        self.unreachable = False
        """The blog's host cannot be reached at all (no name, connection refused), retries done."""

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(
            feed_url(self.blog_url, "posts", start_index=1, max_results=1),
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta={"handle_httpstatus_all": True, "blogport_feed": True},
            headers={"Accept": "application/atom+xml,application/xml;q=0.9,*/*;q=0.5"},
        )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        self.reason = probe_verdict(response.status, ctype, response.body)
        self.usable = self.reason is None
        return iter(())

    def failed(self, failure: Any) -> Iterator[Any]:
        if failure.check(IgnoreRequest) and "robots" in str(failure.value).lower():
            self.reason = "feeds refused by robots.txt"
        else:
            self.reason = f"{type(failure.value).__name__}: {failure.value}".strip().rstrip(":")
            self.unreachable = bool(failure.check(CannotResolveHostError, DNSLookupError, ConnectionRefusedError))
        return iter(())
