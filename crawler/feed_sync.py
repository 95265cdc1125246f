"""``FeedSyncSpider``: what changed, told by the blog's Atom feeds, and only that fetched.

The feed side of ``blogport sync``, in the crawl's child process like every crawl (the same
robots.txt handling, retries with backoff, status rules and host limits):

1. **Probes.** ``max-results=1`` of the posts feed, then of the comments feed, each sent with
   the ETag / Last-Modified the previous sync remembered (``SyncState.validators``). On a quiet
   blog both answer ``304`` (with robots.txt, three requests and no body).
2. **Feeds since the cursor.** A probe that says "changed" has its feed read with
   ``updated-min=<cursor>``, page by page; every page is stored (kind "feed").
3. **Plan** (``crawler.plan.plan_feed_changes``) and **fetch.** An archive filled from the HTML
   gets the new and changed posts' pages (and their comment pages) conditionally, through
   ``BlogSpider``'s own parsing; an archive filled from the feeds takes the entries as its
   records. Pages that failed in an earlier run are retried. When the posts feed counts
   fewer posts than the archive holds, the other stored posts are checked with ``HEAD``.
4. **Close.** Once the pipeline has stored everything, one transaction writes the feed
   records (feed archives), the posts noticed gone that have no page, and, when nothing
   failed, the probes' validators: a run with failures is asked again next time.

A blog with no usable feeds sets ``feeds_unavailable`` and the caller runs the incremental
HTML crawl. What the run did is in ``report`` (``crawler.feed_sync_run`` reads it).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Request, Response
from twisted.internet.defer import CancelledError

from crawler.feed_sync_read import CHANGED, FAILED, TRANSIENT_STATUSES, read_entries, read_probe
from crawler.feed_sync_store import issues_since, write_close
from crawler.feeds import FeedContext, canonical_url, feed_url
from crawler.items import PageItem
from crawler.middlewares import OffsiteRedirect
from crawler.pipelines import STAT_ERRORS, STAT_FATAL_PATH, IssueItem
from crawler.plan import ArchiveState, load_archive_state, plan_feed_changes
from crawler.spider import GONE_STATUSES, STAT_FATAL_KIND, BlogSpider
from crawler.urls import classify, item_kind, post_url_of
from kernel.archive import utc_now
from kernel.errors import is_disk_full
from kernel.records import RawComment, RawPost
from kernel.state import load_sync_state

log = logging.getLogger(__name__)

#: Entries asked for per feed page.
FEED_PAGE_SIZE = 500
ATOM_ACCEPT = "application/atom+xml,application/xml;q=0.9,*/*;q=0.5"
STAT_FEED_BYTES = "blogport/sync/feed_bytes"
STAT_PAGE_BYTES = "blogport/sync/page_bytes"
STAT_304 = "blogport/sync/not_modified"


class FeedSyncSpider(BlogSpider):
    """See the module docstring. ``since``: the cursor (ISO 8601); ``source_via``: how the
    archive was filled ("html" or "feeds")."""

    name = "blogport-feed-sync"

    def __init__(self, blog_url: str, *, since: str | None = None, source_via: str = "html", **kwargs: Any) -> None:
        super().__init__(blog_url, **kwargs)
        parts = urlsplit(self.start_url)
        self.blog_url = f"{parts.scheme}://{parts.netloc}/"
        self.since = since
        self.source_via = source_via
        self.ctx = FeedContext(blog_url=self.blog_url, template="feed", source="feed", scheme=self.scheme)
        self.validators: dict[str, Any] = {}
        self.deleted: dict[str, str] = {}
        self.state = ArchiveState()
        self.first_issue = 0
        self.probed: dict[str, Any] = {}
        """Probe URL -> validators to remember once what it announced is stored."""
        self.changed = {"posts": False, "comments": False}
        self.total: int | None = None
        self.feed_posts: dict[str, RawPost] = {}
        self.feed_comments: list[RawComment] = []
        self.gone_unstored: dict[str, str] = {}
        self.failures: list[str] = []
        self.feeds_unavailable: str | None = None
        self.report: dict[str, Any] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "FeedSyncSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.incremental = True  # stored pages are asked for conditionally
        if spider.archive_path is not None and spider.archive_path.exists():
            conn = sqlite3.connect(f"file:{spider.archive_path}?mode=ro", uri=True)
            try:
                sync_state = load_sync_state(conn)
                spider.validators = {k: dict(v) for k, v in sync_state.validators.items()}
                spider.deleted = dict(sync_state.deleted)
                state = load_archive_state(conn)
                posts = {u: p for u, p in state.posts.items() if u not in spider.deleted}
                # a post known gone (it has no page of its own) is not asked for again
                spider.state = replace(state, posts=posts, failed=state.failed - set(spider.deleted))
                spider.first_issue = conn.execute("SELECT coalesce(max(id), 0) FROM crawl_issues").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                log.warning("could not read the archive's sync state: %s", exc)
            finally:
                conn.close()
        crawler.signals.connect(spider._received, signal=signals.response_received)
        return spider

    # -- bookkeeping -------------------------------------------------------------------------
    def _received(self, response: Response, request: Request, spider: Any = None) -> None:
        """Every answer the blog gives (robots.txt included): body bytes by kind, and 304s."""
        path = urlsplit(response.url).path
        aux = "/feeds/" in path or path.endswith("/robots.txt")
        self.stats.inc_value(STAT_FEED_BYTES if aux else STAT_PAGE_BYTES, len(response.body))
        if response.status == 304:
            self.stats.inc_value(STAT_304)

    def _noted(self, results: Iterator[Any]) -> Iterator[Any]:
        """Pass items on, keeping the reason of each failed page for the summary."""
        for item in results:
            if isinstance(item, IssueItem) and item.is_failure:
                self.failures.append(f"{item.url}: {item.reason}")
            yield item

    def _fail(self, url: str, kind: str, reason: str) -> IssueItem:
        """A page that could not be read this time (it is asked for again by the next sync)."""
        url = canonical_url(url, self.scheme) or url  # as the page is stored once it is read
        self.failures.append(f"{url}: {reason}")
        return IssueItem(url, kind, reason, failure=True)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        yield from self._noted(super().parse(response, **kwargs))

    def on_error(self, failure: Any) -> Iterator[Any]:
        yield from self._noted(super().on_error(failure))

    # -- probes ------------------------------------------------------------------------------
    def _feed_request(self, url: str, callback: Any, **cb_kwargs: Any) -> Request:
        headers = {"Accept": ATOM_ACCEPT}
        known = self.validators.get(url, {})
        cb_kwargs["url"] = url
        if cb_kwargs.get("probe") and known:
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        return Request(url, callback=callback, errback=self._feed_failed, cb_kwargs=cb_kwargs, headers=headers,
                       dont_filter=True, meta={"handle_httpstatus_all": True, "blogport_feed": True})

    def _probe(self, kind: str) -> Request:
        return self._feed_request(feed_url(self.blog_url, kind, 1, 1), self.parse_probe, kind=kind, probe=True)

    async def start(self) -> AsyncIterator[Request]:
        yield self._probe("posts")

    def parse_probe(self, response: Response, kind: str, url: str, probe: bool = True) -> Iterator[Any]:
        answer = read_probe(
            self.validators.get(url, {}), response.status, response.body,
            content_type=_header(response, b"Content-Type"), etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"), name=url,
        )
        if answer.verdict == FAILED:
            kind_of_issue = "http" if response.status in TRANSIENT_STATUSES else "parse"
            yield self._fail(url, kind_of_issue, f"{answer.reason} (a feed probe)")
        if not answer.usable:
            yield from self._unusable(kind, f"{kind} feed {url}: {answer.reason}")
            return
        if answer.validators:
            self.probed[url] = answer.validators
            yield self._feed_item(response, url)
        self.changed[kind] = answer.verdict == CHANGED
        if kind == "posts":
            self.total = answer.total if self.changed["posts"] else None
            yield self._probe("comments")
        else:
            yield from self._next_feed()

    def _unusable(self, kind: str, reason: str) -> Iterator[Any]:
        if kind == "posts" or self.source_via != "feeds":
            # without the comments feed, new comments on old posts show only on their pages
            self.feeds_unavailable = reason
            log.info("feeds not usable for sync (%s): the incremental crawl takes over", reason)
            return
        log.warning("the blog serves no comments feed: sync cannot see new comments on old posts;"
                    " a migrate with --via html can")
        self.changed["comments"] = False
        yield from self._next_feed()

    def _feed_failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        kwargs = request.cb_kwargs
        kind = _failure_kind(failure)
        reason = f"{type(failure.value).__name__}: {failure.value}".strip().rstrip(":")
        if kwargs.get("probe"):
            if kind == "network":
                raise self._fatal("unreachable", f"cannot reach {self.blog_url} ({reason})")
            yield from self._unusable(kwargs["kind"], f"{kwargs['kind']} feed {kwargs['url']}: {reason}")
            return
        yield self._fail(kwargs["url"], kind, reason)
        yield from self._next_feed(after=kwargs["kind"])

    # -- the feeds since the cursor ------------------------------------------------------------
    def _next_feed(self, after: str | None = None) -> Iterator[Any]:
        order = ("posts", "comments")
        for kind in order[order.index(after) + 1:] if after else order:
            if self.changed[kind]:
                yield self._feed_request(self._page_url(kind, 1), self.parse_feed_page, kind=kind, start=1)
                return
        yield from self._fetch_plan()

    def _page_url(self, kind: str, start: int) -> str:
        return feed_url(self.blog_url, kind, start, FEED_PAGE_SIZE, self.since)

    def parse_feed_page(self, response: Response, kind: str, start: int, url: str) -> Iterator[Any]:
        if response.status != 200:
            yield self._fail(url, "http", f"HTTP {response.status} for a feed page")
            yield from self._next_feed(after=kind)
            return
        try:
            entries = read_entries(kind, response.body, url, self.ctx, start)
        except Exception as exc:  # a page cut short or not XML: kept out, asked again next run
            yield self._fail(url, "parse", str(exc) or type(exc).__name__)
            yield from self._next_feed(after=kind)
            return
        yield self._feed_item(response, url)
        for error in entries.errors:
            yield self._fail(url, "parse", error)
        self.feed_posts.update((post.url, post) for post in entries.posts)
        self.feed_comments.extend(entries.comments)
        if entries.next_start is not None:
            yield self._feed_request(self._page_url(kind, entries.next_start), self.parse_feed_page, kind=kind,
                                     start=entries.next_start)
        else:
            yield from self._next_feed(after=kind)

    def _feed_item(self, response: Response, url: str) -> PageItem:
        """A feed page as the archive stores it (no records: those are written on close)."""
        return PageItem(
            url=canonical_url(url, self.scheme) or url, status=response.status,
            body=response.body, kind="feed", etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"), content_type=_header(response, b"Content-Type"),
        )

    # -- the plan ------------------------------------------------------------------------------
    def _fetch_plan(self) -> Iterator[Request]:
        plan = plan_feed_changes(
            self.state,
            {url: post.kind for url, post in self.feed_posts.items()},
            [comment.post_url for comment in self.feed_comments],
            self.total,
        )
        log.info("feeds: %d new, %d changed, %d to check, %d to retry",
                 len(plan.new), len(plan.changed), len(plan.check_gone), len(plan.retry))
        pages = plan.retry if self.source_via == "feeds" else (*plan.new, *plan.changed, *plan.retry)
        for url in dict.fromkeys(pages):
            if url not in self.seen:
                self.seen.add(url)
                yield self._request(url, _page_kind(url))
        for url in plan.check_gone:
            if url not in self.seen:
                yield self._head(url)

    def _after_page(self, response: Response, url: str) -> Iterator[Request]:
        yield from self._comment_pages(response, url)

    def _navigate(self, response: Any, url: str, kind: str) -> Iterator[Request]:
        yield from self._comment_pages(response, url)

    def _comment_pages(self, response: Any, url: str) -> Iterator[Request]:
        """A refreshed post's further comment pages (conditionally); nothing else is followed."""
        if classify(url) not in ("post", "page"):
            return
        for link in sorted(self._links(response)):
            if classify(link) == "comments" and post_url_of(link) == url and link not in self.seen:
                self.seen.add(link)
                yield self._request(link, "comments")

    # -- is a stored post still there? ---------------------------------------------------------
    def _head(self, url: str) -> Request:
        request = self._request(url, _page_kind(url))
        return request.replace(method="HEAD", callback=self.parse_head, errback=self._head_failed)

    def parse_head(self, response: Response) -> Iterator[Any]:
        url = response.meta["url"]
        status = response.status
        if status in (405, 501):  # no HEAD on this server: a conditional GET then
            self.seen.add(url)
            yield self._request(url, _page_kind(url))
            return
        if status not in GONE_STATUSES:
            return
        stored = self.stored.get(url)
        if stored is not None and stored.status in {200, *GONE_STATUSES}:
            yield from self._gone(url, status, stored)
        elif url not in self.deleted:
            self.gone_unstored[url] = utc_now()
            yield IssueItem(url, "http", f"HTTP {status}: gone from the blog since the last crawl", failure=False)

    def _head_failed(self, failure: Any) -> Iterator[Any]:
        if failure.check(IgnoreRequest, DownloadCancelledError, CancelledError):
            return
        url = failure.request.meta.get("url", failure.request.url)
        message = f"{type(failure.value).__name__}: {failure.value}".strip().rstrip(":")
        yield self._fail(url, "network", message)

    # -- close ---------------------------------------------------------------------------------
    def closed(self, reason: str) -> None:
        super().closed(reason)
        stats = self.stats
        usable = self.feeds_unavailable is None
        failed = int(stats.get_value(STAT_ERRORS, 0) or 0)
        failures = list(self.failures)
        self.report = {
            "usable": usable,
            "reason": self.feeds_unavailable,
            "failed": failed,
            "failures": failures,
            "requests": int(stats.get_value("downloader/request_count", 0) or 0),
            "not_modified": int(stats.get_value(STAT_304, 0) or 0),
            "page_bytes": int(stats.get_value(STAT_PAGE_BYTES, 0) or 0),
            "feed_bytes": int(stats.get_value(STAT_FEED_BYTES, 0) or 0),
            "finish_reason": reason,
        }
        if not usable or stats.get_value(STAT_FATAL_KIND) is not None or self.archive_path is None:
            return
        feeds = self.source_via == "feeds"
        try:
            write_close(
                self.archive_path,
                base=self.blog_url,
                posts=list(self.feed_posts.values()) if feeds else [],
                comments=self.feed_comments if feeds else [],
                gone=self.gone_unstored,
                validators=self.probed if failed == 0 and reason == "finished" else {},
            )
            # pages the pipeline found cut short or unreadable
            failures += [f for f in issues_since(self.archive_path, self.first_issue) if f not in failures]
        except (sqlite3.Error, OSError) as exc:
            if is_disk_full(exc):
                stats.set_value(STAT_FATAL_KIND, "disk_full")
                stats.set_value(STAT_FATAL_PATH, str(self.archive_path))
                return
            log.error("could not record what the feeds said in %s: %s", self.archive_path, exc)
            failures.append(f"{self.archive_path}: {exc}")
            self.report["failed"] = failed + 1


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _failure_kind(failure: Any) -> str:
    """The ``crawl_issues`` kind of a request that got no answer."""
    if failure.check(OffsiteRedirect):
        return "offsite"
    if failure.check(IgnoreRequest):
        return "robots"
    if failure.check(DownloadCancelledError, CancelledError):
        return "size"
    return "network"


def _page_kind(url: str) -> str:
    kind = item_kind(classify(url))
    return kind if kind in ("post", "page", "comments") else "post"
