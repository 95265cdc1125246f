"""``IncrementalSpider``: the HTML spider in incremental mode, for ``sync`` of a blog without feeds.

It asks first for what lists the posts, and only then for the posts that changed:

1. **Listings.** The home page, and the archive months, label pages and "Older Posts" pager
   pages the archive already holds, each conditionally (``If-None-Match`` /
   ``If-Modified-Since``): an unchanged listing answers ``304`` with no body, and its stored
   copy gives the links to follow. A new archive month or label page is fetched; new pager
   pages are not (every new post is also on its month's page). Stored posts, static pages and
   comment pages are not requested in this phase; a page the archive does not hold is.
2. **Plan.** When the listings are done (Scrapy's ``spider_idle``), ``crawler.plan.plan_changes``
   compares each changed listing with its stored copy and with the stored posts: new
   permalinks, comment counts shown beside each post, an entry that reads differently (an
   edit), and the archive widget's month counts (a month that counts fewer posts than before
   names the posts that may be gone). Pages that failed in an earlier run are in the plan too.
3. **Posts.** The plan's pages are requested, conditionally; a post page that came back
   changed has its further comment pages requested too. A post now answering ``404``/``410``
   keeps its HTML and records and gets the new status.

Counts for the summary are in the crawler's stats (``blogport/plan/...``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response

from crawler.plan import ArchiveState, ListedPost, Listing, load_archive_state, plan_changes, read_listing
from crawler.spider import BlogSpider
from crawler.urls import canonicalize, classify, item_kind

log = logging.getLogger(__name__)

#: Kinds of pages that list posts (asked for first).
LISTING_KINDS = frozenset({"home", "archive", "label", "index"})
#: Listing kinds fetched even when the archive does not hold them yet.
NEW_LISTING_KINDS = frozenset({"home", "archive", "label"})


class IncrementalSpider(BlogSpider):
    """``BlogSpider`` that fetches listings first, then only what they say changed."""

    name = "blogport-incremental"

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "IncrementalSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.incremental = True
        spider.listings: list[Listing] = []
        spider.stored_listings: dict[str, Listing] = {}
        spider.planned = False
        spider.unchanged_links: dict[str, frozenset[str]] = {}
        """Links of the listings that answered 304, read once from their stored copies."""
        spider.state = ArchiveState()
        if spider.archive_path is not None and spider.archive_path.exists():
            conn = sqlite3.connect(f"file:{spider.archive_path}?mode=ro", uri=True)
            try:
                spider.state = load_archive_state(conn)
            except sqlite3.DatabaseError:
                pass
            finally:
                conn.close()
        crawler.signals.connect(spider._plan, signal=signals.spider_idle)
        return spider

    # -- listings --------------------------------------------------------------------------
    def follow(self, urls: Iterable[str], origin: str | None = None, *, comments: bool = False) -> Iterator[Request]:
        for url in sorted(urls):
            if url in self.seen:
                continue
            kind = item_kind(classify(url))
            stored = self.stored.get(url)
            if kind in LISTING_KINDS:
                if stored is None and kind not in NEW_LISTING_KINDS:
                    continue
            elif stored is not None and not (comments and kind == "comments"):
                continue  # a stored page: the plan decides
            self.seen.add(url)
            yield self._request(url, kind)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        kind = response.meta.get("kind")
        if kind in LISTING_KINDS and response.status in (200, 304):
            self._read_listing(response)
        yield from super().parse(response, **kwargs)

    def _read_listing(self, response: Response) -> None:
        url = canonicalize(response.url, self.scheme)
        stored_html = self._stored_html(url)
        if response.status == 304:
            if stored_html is None:
                return
            # unchanged: its posts are still there; nothing on it asks for a fetch
            links = self.unchanged_links[url] = self._links(self._stored_response(url))
            posts = tuple(ListedPost(link) for link in sorted(links) if classify(link) == "post")
            self.listings.append(Listing(url, posts))
            return
        self.listings.append(read_listing(url, response.body))
        if stored_html is not None:
            self.stored_listings[url] = read_listing(url, stored_html)

    def _navigate(self, response: Any, url: str, kind: str) -> Iterator[Request]:
        """An unchanged page's links (a listing's, as ``_read_listing`` read them)."""
        links = self.unchanged_links.pop(url, None)
        if links is None:
            yield from super()._navigate(response, url, kind)
        else:
            yield from self.follow(links, url)

    def _after_page(self, response: Response, url: str) -> Iterator[Request]:
        changed_post = response.meta.get("kind") in ("post", "page")
        yield from self.follow(self._links(response), url, comments=changed_post)

    # -- plan ------------------------------------------------------------------------------
    def _plan(self, spider: Any = None) -> None:
        if self.planned:
            return
        self.planned = True
        plan = plan_changes(replace(self.state, listings=self.stored_listings), self.listings)
        stats = self.stats
        for name in ("new", "changed", "check_gone", "retry"):
            stats.set_value(f"blogport/plan/{name}", len(getattr(plan, name)))
        log.info("plan: %d new, %d changed, %d to check, %d to retry",
                 len(plan.new), len(plan.changed), len(plan.check_gone), len(plan.retry))
        scheduled = 0
        for url in plan.fetch:
            if url in self.seen:
                continue
            self.seen.add(url)
            self.crawler.engine.crawl(self._request(url, item_kind(classify(url))))
            scheduled += 1
        if scheduled:
            raise DontCloseSpider
