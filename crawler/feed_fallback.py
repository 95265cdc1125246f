"""Static pages from the blog's HTML when its pages feed fails.

``FeedSpider`` reads static pages from ``/feeds/pages/default``. When that feed fails (an
error status, a network failure, a body that is not a feed), the pages are not given up:
``StaticPagesFallback`` reads the blog's home page, follows its links to static pages
(``/p/NAME.html``: Blogger's Pages widget links every one) and yields each as a
``FetchedPage`` of kind "page", which the archive pipeline extracts like a page of the HTML
crawl. A feed that failed is recorded as a failed item (the run is not "all well"); a blog
that simply has no pages feed (404/410) falls back without an issue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from crawler.links import extract_links
from crawler.pipelines import FetchedPage, IssueItem
from crawler.urls import blog_hosts, canonicalize

log = logging.getLogger(__name__)

#: Statuses of a pages feed that only says the blog has none: fall back without an issue.
ABSENT_STATUSES = frozenset({404, 410})


class StaticPagesFallback:
    """Mixin for ``FeedSpider``: ``_pages_fallback(url, reason, status)`` (see module doc).
    Needs the spider's ``blog_url`` and ``scheme``."""

    blog_url: str
    scheme: str

    def _pages_fallback(
        self, feed_url: str, reason: str, status: int | None = None, *, record: bool = True
    ) -> Iterator[Any]:
        if record and status not in ABSENT_STATUSES:
            kind = "network" if status is None else "http"
            yield IssueItem(feed_url, kind, f"pages feed failed ({reason}); static pages read from the HTML")
        log.info("pages feed unusable (%s): reading the static pages from the blog's HTML", reason)
        yield scrapy.Request(
            self.blog_url,
            callback=self._parse_home_for_pages,
            errback=self._static_failed,
            dont_filter=True,
            meta={"url": self.blog_url},
        )

    def _parse_home_for_pages(self, response: Response) -> Iterator[Any]:
        if response.status != 200 or not isinstance(response, TextResponse):
            yield IssueItem(self.blog_url, "http", f"HTTP {response.status}: static pages could not be listed")
            return
        links = extract_links(response, blog_hosts([self.blog_url, response.url]), self.scheme)
        for url in sorted(links.pages):
            yield scrapy.Request(
                url, callback=self._parse_static_page, errback=self._static_failed, dont_filter=True,
                meta={"url": url},
            )

    def _parse_static_page(self, response: Response) -> Iterator[Any]:
        url = canonicalize(response.url, self.scheme)
        if response.status != 200 or not isinstance(response, TextResponse):
            yield IssueItem(url, "http", f"HTTP {response.status}")
            return
        header = response.headers.get

        def text(name: bytes) -> str | None:
            value = header(name)
            return value.decode("latin-1") if value else None

        yield FetchedPage(
            url=url, status=200, body=response.body, kind="page", etag=text(b"ETag"),
            last_modified=text(b"Last-Modified"), content_type=text(b"Content-Type"),
        )

    def _static_failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        reason = f"{type(failure.value).__name__}: {failure.value}".strip().rstrip(":")
        yield IssueItem(request.meta.get("url", request.url), "network", reason)
