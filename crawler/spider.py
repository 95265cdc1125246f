"""The Scrapy spider that walks a live Blogger blog (navigation only).

From the blog's home page it follows what Blogger links: the archive widget (years, months),
the "Older Posts"/"Newer Posts" pager, label pages, each post's Newer/Older neighbours,
static pages and a post's further comment pages. Every URL is canonicalised
(``crawler.urls``) before it is requested and goes through the spider's own seen-set, so
each page is fetched once per crawl. Only the blog's own hosts are visited.

Extraction is ``crawler.extract``'s job, run by ``crawler.extract_page.page_item``: the
spider yields each fetched page as a ``FetchedPage`` (with the text its response decoded)
and the archive pipeline turns it into a ``PageItem`` with its records (in a second
process on a big blog, so fetching and extraction use two cores; a page whose extraction
fails is still stored, with ``error``). The spider also yields ``IssueItem``s for
what could not be stored (robots.txt refusals, oversized pages, HTTP and network failures).
Link discovery (``crawler.links.discover_links``) scans the page's anchors without a parse;
only extraction reads the page with lxml.

Resume: post, static and comment pages already stored with status 200 are not fetched
again; their stored HTML is read for navigation instead. In incremental mode (``sync``, the
subclasses ``crawler.incremental.IncrementalSpider`` and ``crawler.feed_sync.FeedSyncSpider``
decide what is requested: the pages a plan says changed) a stored page is requested
conditionally (``If-None-Match`` / ``If-Modified-Since``); ``304`` keeps the stored page and its
stored HTML is read for navigation, ``404``/``410`` for a stored page updates its status and
keeps its HTML and records.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import CloseSpider, DownloadCancelledError, IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from crawler.archive_writer import STAT_FETCHED, STAT_GONE, STAT_NOT_MODIFIED, STAT_REUSED, IssueItem
from crawler.extract_page import FetchedPage, page_item, response_header
from crawler.items import PageItem
from crawler.links import discover_links, extract_links
from crawler.middlewares import OffsiteRedirect
from crawler.trial import TrialCut
from crawler.urls import (
    blog_hosts,
    canonicalize,
    classify,
    comment_page_number,
    item_kind,
    post_url_of,
    same_blog,
)

log = logging.getLogger(__name__)

#: Pages whose stored copy (status 200) is reused on resume instead of being fetched again.
REUSABLE_KINDS = frozenset({"post", "page", "comments"})
#: Request priorities: navigation pages first, so post links are discovered early.
PRIORITY = {"home": 40, "archive": 30, "index": 20, "label": 10, "page": 5, "post": 0, "comments": -5}
#: Statuses at which a stored page counts as gone from the blog.
GONE_STATUSES = frozenset({404, 410})

STAT_FATAL_KIND = "blogport/fatal_kind"
STAT_FATAL_MESSAGE = "blogport/fatal_message"


@dataclass(frozen=True)
class StoredState:
    """What the archive already holds for a URL (no body)."""

    status: int | None
    kind: str | None
    etag: str | None
    last_modified: str | None


def load_stored_state(archive_path: Path | None) -> dict[str, StoredState]:
    """URL -> stored state of every page in an existing archive (empty when there is none)."""
    if archive_path is None or not Path(archive_path).exists():
        return {}
    conn = sqlite3.connect(f"file:{archive_path}?mode=ro", uri=True)
    try:
        # a page stored with an error (incomplete, unreadable) counts as not fetched: it is
        # fetched again, unconditionally
        rows = conn.execute(
            "SELECT url, CASE WHEN status = 200 AND error IS NOT NULL THEN NULL ELSE status END,"
            " kind, etag, last_modified FROM pages"
        ).fetchall()
    except sqlite3.DatabaseError:
        return {}
    finally:
        conn.close()
    return {url: StoredState(status, kind, etag, last_modified) for url, status, kind, etag, last_modified in rows}


def load_known_refusals(archive_path: Path | None) -> set[str]:
    """URLs an earlier crawl already recorded as refused by robots.txt (not recorded twice)."""
    if archive_path is None or not Path(archive_path).exists():
        return set()
    conn = sqlite3.connect(f"file:{archive_path}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT DISTINCT url FROM crawl_issues WHERE kind = 'robots'")}
    except sqlite3.DatabaseError:
        return set()
    finally:
        conn.close()


class BlogSpider(scrapy.Spider):
    """Walks one Blogger blog from ``start_url``. Settings it reads: ``BLOGPORT_ARCHIVE``
    (for resume), ``BLOGPORT_INCREMENTAL``."""

    name = "blogport"

    def __init__(self, start_url: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_url = canonicalize(start_url)
        self.scheme = urlsplit(self.start_url).scheme
        self.hosts = blog_hosts([self.start_url])
        self.seen: set[str] = set()
        self.incremental = False
        self.archive_path: Path | None = None
        self.stored: dict[str, StoredState] = {}
        self.known_refusals: set[str] = set()
        self.trial: TrialCut | None = None
        """A trial run (``BLOGPORT_LIMIT``): the newest posts only (``crawler.trial``)."""
        self._db: sqlite3.Connection | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "BlogSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        archive = settings.get("BLOGPORT_ARCHIVE")
        spider.archive_path = Path(archive) if archive else None
        spider.incremental = settings.getbool("BLOGPORT_INCREMENTAL", False)
        spider.stored = load_stored_state(spider.archive_path)
        spider.known_refusals = load_known_refusals(spider.archive_path)
        limit = settings.getint("BLOGPORT_LIMIT", 0)
        spider.trial = TrialCut(limit) if limit > 0 else None
        return spider

    # -- helpers ---------------------------------------------------------------------
    @property
    def stats(self) -> Any:
        return self.crawler.stats

    def _fatal(self, kind: str, message: str) -> CloseSpider:
        self.stats.set_value(STAT_FATAL_KIND, kind)
        self.stats.set_value(STAT_FATAL_MESSAGE, message)
        return CloseSpider("fatal")

    def _stored_html(self, url: str) -> str | None:
        if self.archive_path is None:
            return None
        if self._db is None:
            self._db = sqlite3.connect(f"file:{self.archive_path}?mode=ro", uri=True, check_same_thread=False)
        row = self._db.execute("SELECT html FROM pages WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def _stored_response(self, url: str) -> HtmlResponse | None:
        html = self._stored_html(url)
        if html is None:
            return None
        return HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")

    def _links(self, response: Response) -> frozenset[str]:
        """Every link worth following on the page (``PageLinks.all()``), found without a
        parse when ``discover_links`` can read the page."""
        if not isinstance(response, TextResponse):
            return frozenset()
        urls = discover_links(response, self.hosts, self.scheme)
        if urls is None:
            urls = extract_links(response, self.hosts, self.scheme).all()
        return urls

    def _next(self, response: Response, url: str, kind: str) -> Iterable[str]:
        """The links of a page to follow: every one, or a trial run's (``TrialCut``)."""
        if self.trial is None:
            return self._links(response)
        return self.trial.next_links(response, url, kind, self.hosts, self.scheme)

    def closed(self, reason: str) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- requests --------------------------------------------------------------------
    def _request(self, url: str, kind: str, **meta: Any) -> Request:
        headers: dict[str, str] = {}
        stored = self.stored.get(url)
        if self.incremental and stored is not None and stored.status == 200:
            if stored.etag:
                headers["If-None-Match"] = stored.etag
            if stored.last_modified:
                headers["If-Modified-Since"] = stored.last_modified
        return Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            headers=headers or None,
            priority=PRIORITY.get(kind, 0),
            meta={"url": url, "kind": kind, **meta},
            dont_filter=True,
        )

    async def start(self) -> AsyncIterator[Request]:
        self.seen.add(self.start_url)
        kind = item_kind(classify(self.start_url))
        if kind not in ("post", "page"):
            kind = "home"
        yield self._request(self.start_url, kind, start=True, max_retry_times=1)

    def follow(self, urls: Iterable[str], origin: str | None = None) -> Iterator[Request]:
        """Requests for links not seen yet. Stored pages that need no refetch are read from
        the archive for their links instead (resume)."""
        stack = list(urls)
        while stack:
            url = stack.pop()
            if url in self.seen:
                continue
            self.seen.add(url)
            kind = item_kind(classify(url))
            stored = self.stored.get(url)
            if (
                not self.incremental
                and stored is not None
                and stored.status == 200
                and stored.kind in REUSABLE_KINDS
            ):
                response = self._stored_response(url)
                if response is not None:
                    self.stats.inc_value(STAT_REUSED)
                    stack.extend(self._next(response, url, stored.kind or kind))
                    continue
            yield self._request(url, kind)

    # -- responses -------------------------------------------------------------------
    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        meta = response.meta
        requested: str = meta["url"]
        kind: str = meta["kind"]
        is_start = bool(meta.get("start"))
        self.stats.inc_value(STAT_FETCHED)
        if is_start:
            checked = response
            if response.status == 304:  # incremental run: the stored copy is the page
                checked = self._stored_response(canonicalize(response.url, self.scheme)) or response
            self._check_start(checked, response.url)
        url = canonicalize(response.url, self.scheme)
        if url != requested:  # redirected
            if not same_blog(url, self.hosts):
                yield IssueItem(requested, "offsite", f"redirects off the blog to {url}")
                return
            if url in self.seen and not is_start:
                return  # fetched under its own URL already
            self.seen.add(url)
            if not is_start:
                kind = item_kind(classify(url))
        status = response.status
        stored = self.stored.get(url)
        if status == 304 and stored is not None:
            self.stats.inc_value(STAT_NOT_MODIFIED)
            old = self._stored_response(url)
            if old is not None:
                yield from self._navigate(old, url, kind)
            return
        if status in GONE_STATUSES and stored is not None and stored.status in {200, *GONE_STATUSES}:
            yield from self._gone(url, status, stored)
            return
        if status != 200:
            yield IssueItem(url, "http", f"HTTP {status}")
            if stored is None:
                yield PageItem(
                    url=url,
                    status=status,
                    body=response.body,
                    kind=kind,
                    content_type=response_header(response, b"Content-Type"),
                    error=f"HTTP {status}",
                )
            return
        if not isinstance(response, TextResponse):
            yield PageItem(url=url, status=status, body=response.body, kind=kind,
                           content_type=response_header(response, b"Content-Type"), error="not an HTML page")
            return
        # records are extracted by the archive pipeline (in its own process)
        yield FetchedPage(
            url=url,
            status=status,
            body=response.body,
            kind=kind,
            etag=response_header(response, b"ETag"),
            last_modified=response_header(response, b"Last-Modified"),
            content_type=response_header(response, b"Content-Type"),
            comment_offset=meta.get("comment_offset"),
            text=response.text,  # decoded once, here: the extraction process parses it as it is
            encoding=response.encoding,
        )
        yield from self._after_page(response, url)

    def _check_start(self, response: Response, final_url: str) -> None:
        from crawler import extract

        if response.status >= 400:
            raise self._fatal("source", f"{self.start_url} answered HTTP {response.status}")
        if not isinstance(response, TextResponse) or not extract.is_blogger_page(response):
            raise self._fatal("source", f"{self.start_url} does not look like a Blogger blog")
        # a redirect (http -> https, a country domain, a custom domain) names the blog's host
        self.scheme = urlsplit(final_url).scheme or self.scheme
        self.hosts = blog_hosts([*self.hosts, final_url])
        self.seen.add(canonicalize(final_url, self.scheme))

    def _after_page(self, response: Response, url: str) -> Iterator[Request]:
        urls = self._next(response, url, response.meta.get("kind", ""))
        if urls:
            yield from self.follow(urls, url)

    def _navigate(self, response: HtmlResponse, url: str, kind: str) -> Iterator[Request]:
        yield from self.follow(self._next(response, url, kind), url)

    def _gone(self, url: str, status: int, stored: StoredState) -> Iterator[Any]:
        """A stored page the blog no longer serves: keep its HTML and records, update its status."""
        self.stats.inc_value(STAT_GONE)
        old = self._stored_response(url)
        yield IssueItem(url, "http", f"HTTP {status}: gone from the blog since the last crawl", failure=False)
        if old is None:
            return
        kind = stored.kind or item_kind(classify(url))
        item = page_item(old, url, kind)
        item.status = status
        item.etag = stored.etag
        item.last_modified = stored.last_modified
        yield item

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request: Request = failure.request  # type: ignore[attr-defined]
        url: str = request.meta.get("url", request.url)
        is_start = bool(request.meta.get("start"))
        if failure.check(IgnoreRequest) and "robots" in str(failure.value).lower():
            if is_start:
                raise self._fatal(
                    "source",
                    f"robots.txt of {urlsplit(url).netloc} does not allow {url} "
                    "(use --ignore-robots only for your own blog)",
                )
            if url in self.known_refusals:  # recorded by an earlier run
                self.stats.inc_value("blogport/issues/robots")
            else:
                yield IssueItem(url, "robots", "disallowed by robots.txt")
            return
        if failure.check(DownloadCancelledError, CancelledError):
            limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            reason = f"larger than the {limit}-byte page size limit"
            if is_start:
                raise self._fatal("source", f"{url}: {reason}")
            yield IssueItem(url, "size", reason)
            return
        if failure.check(OffsiteRedirect):
            yield IssueItem(url, "offsite", str(failure.value))
            return
        message = f"{type(failure.value).__name__}: {failure.value}".strip().rstrip(":")
        if is_start:
            raise self._fatal("unreachable", f"cannot reach {url} ({message})")
        yield IssueItem(url, "network", message)
