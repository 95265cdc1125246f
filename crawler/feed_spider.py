"""``FeedSpider``: a blog read through its Atom feeds instead of its HTML pages.

Navigation only: the records come from ``crawler.feeds`` (the same mapping as export files),
and every feed page is yielded as a ``PageItem`` (kind "feed") for the archive pipeline.

Order of work: ``/feeds/posts/default`` page by page (openSearch totals, else ``rel=next``),
then ``/feeds/pages/default`` (static pages; read from the HTML when it fails, see ``crawler.feed_fallback``), then
``/feeds/comments/default``; if the blog has the global comments feed off, each post's own
``/feeds/POSTID/comments/default``. Comment pages are held back until every comment has been
read, so that positions can be numbered by time within each post, then yielded together.

When the blog serves no usable posts feed (403/404/410, HTML instead of Atom, summaries
only), the spider yields nothing and sets ``feeds_unavailable`` to the reason: the caller
falls back to the HTML crawl.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from kernel.errors import SourceError
from crawler.feeds import (
    FeedContext,
    FeedPage,
    assign_positions,
    blog_info,
    canonical_url,
    entry_kind,
    entry_to_comment,
    entry_to_post,
    feed_url,
    next_start_index,
    parse_feed,
    profile_key,
)
from crawler.feed_fallback import StaticPagesFallback
from crawler.items import PageItem
from crawler.pipelines import STAT_EXPECTED, IssueItem
from kernel.records import RawComment

log = logging.getLogger(__name__)

MAX_RESULTS = 500
_ATOM_TYPES = ("application/atom+xml", "application/xml", "text/xml")


def unavailable_reason(status: int, content_type: str | None, body: bytes) -> str | None:
    """Why a feed response cannot be used, or None when it looks like an Atom feed."""
    if status in (401, 403, 404, 410):
        return f"HTTP {status}"
    if status >= 400:
        return f"HTTP {status}"
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    head = body[:2048].lstrip().lower()
    if ctype == "text/html" or head.startswith((b"<!doctype html", b"<html")):
        return "the blog answers with HTML, not an Atom feed"
    if ctype and ctype not in _ATOM_TYPES and not ctype.endswith("+xml"):
        return f"unexpected content type {ctype!r}"
    if b"<feed" not in body[:65536]:
        return "not an Atom feed"
    return None


class FeedSpider(StaticPagesFallback, scrapy.Spider):
    """Reads a Blogger blog's posts, pages and comments from its Atom feeds."""

    name = "blogport-feeds"
    custom_settings: dict[str, Any] = {}
    # Setting ``BLOGPORT_FEED_MAX_RESULTS``: entries asked for per feed page (default 500).

    def __init__(
        self,
        blog_url: str,
        *,
        max_results: int = MAX_RESULTS,
        updated_min: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(blog_url if "://" in blog_url else f"https://{blog_url}")
        self.blog_url = f"{parts.scheme}://{parts.netloc}/"
        self.scheme = parts.scheme
        self.max_results = max_results
        self.updated_min = updated_min
        self.feeds_unavailable: str | None = None
        """Set when the blog serves no usable posts feed; the caller falls back to HTML."""
        self.comments_via: str | None = None
        """"global" or "per-post" once comments have been read."""
        self.ctx = FeedContext(blog_url=self.blog_url, template="feed", source="feed", scheme=self.scheme)
        self.post_urls: dict[str, str] = {}
        self.post_totals: dict[str, int | None] = {}
        self.author_keys: set[str] = set()
        self.held: list[PageItem] = []
        self.pending = 0
        self.posts_seen = 0
        self.comments_seen = 0
        self.limit = 0
        """A trial run's ``--limit``: the first posts of the feed (the newest), each post's
        comments from its own feed, no static pages."""

    # -- requests ------------------------------------------------------------------------------
    def _request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self._failed,
            cb_kwargs=cb_kwargs,
            dont_filter=True,
            meta={"handle_httpstatus_all": True, "blogport_feed": True},
            headers={"Accept": "application/atom+xml,application/xml;q=0.9,*/*;q=0.5"},
        )

    def _feed(self, kind: str, start: int, post_id: str | None = None) -> str:
        size = self.max_results
        if kind == "posts" and self.limit > 0:  # a trial run (``crawler.trial``): the newest posts only
            size = min(size, self.limit)
        return feed_url(self.blog_url, kind, start, size, self.updated_min, post_id=post_id)

    def _first_request(self) -> scrapy.Request:
        settings = getattr(self, "settings", None)
        if settings is not None:
            self.max_results = settings.getint("BLOGPORT_FEED_MAX_RESULTS", self.max_results)
            self.limit = settings.getint("BLOGPORT_LIMIT", 0)
        return self._request(self._feed("posts", 1), self.parse_posts, kind="posts", start=1)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self._first_request()

    def start_requests(self) -> Iterator[scrapy.Request]:  # Scrapy < 2.13
        yield self._first_request()

    def _failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        kwargs = request.cb_kwargs
        reason = failure.getErrorMessage() or failure.type.__name__
        log.warning("feed %s failed: %s", request.url, reason)
        kind, start = kwargs.get("kind"), kwargs.get("start")
        if kind == "posts" and start == 1:
            self.feeds_unavailable = f"posts feed {request.url}: {reason}"
            return
        yield IssueItem(canonical_url(request.url, self.scheme) or request.url, "network", reason)
        if kind == "comments-post":
            yield from self._comment_feed_done()
        elif kind == "comments":
            yield from (self._start_per_post_comments() if start == 1 else self._release())
        elif kind == "pages":
            if start == 1:
                yield from self._pages_fallback(request.url, reason, record=False)  # recorded above
            yield from self._start_comments()
        elif kind == "posts":
            yield from self._start_pages()

    def _not_usable(self, response: Response, reason: str) -> Any:
        """An item recording a feed page that could not be used: an issue for an HTTP error,
        the page itself (with the reason) for one that came but could not be read."""
        if response.status >= 400:
            return IssueItem(canonical_url(response.url, self.scheme) or response.url, "http", reason)
        return self._item(response, error=reason)

    # -- helpers -------------------------------------------------------------------------------
    def _page(self, response: Response, name: str) -> tuple[FeedPage | None, str | None]:
        ctype = response.headers.get("Content-Type", b"").decode("latin-1") or None
        reason = unavailable_reason(response.status, ctype, response.body)
        if reason:
            return None, reason
        try:
            return parse_feed(response.body, name), None
        except SourceError as exc:
            return None, str(exc)

    def _item(self, response: Response, **fields: Any) -> PageItem:
        ctype = response.headers.get("Content-Type", b"").decode("latin-1") or None
        etag = response.headers.get("ETag", b"").decode("latin-1") or None
        modified = response.headers.get("Last-Modified", b"").decode("latin-1") or None
        return PageItem(
            url=canonical_url(response.url, self.scheme) or response.url,
            status=response.status,
            body=response.body,
            kind="feed",
            etag=etag,
            last_modified=modified,
            content_type=ctype,
            **fields,
        )

    # -- posts -----------------------------------------------------------------------------------
    def parse_posts(self, response: Response, kind: str, start: int) -> Iterator[Any]:
        page, reason = self._page(response, response.url)
        if page is None:
            if start == 1:
                self.feeds_unavailable = f"posts feed {response.url}: {reason}"
                log.info("feeds unavailable: %s", self.feeds_unavailable)
                return
            yield self._not_usable(response, reason or "unusable")
            yield from self._start_pages()
            return
        if start == 1:
            if any(e.find("{http://www.w3.org/2005/Atom}content") is None for e in page.entries):
                self.feeds_unavailable = f"posts feed {response.url} gives only summaries, not whole posts"
                log.info("feeds unavailable: %s", self.feeds_unavailable)
                return
            header = page.header
            self.ctx = replace(
                self.ctx,
                blog_url=canonical_url(header.blog_url, self.scheme) or self.blog_url,
                blog_id=header.blog_id,
                owner_uri=header.owner_uri,
                language=header.language,
            )
            owner = profile_key(header.owner_uri)
            if owner:
                self.author_keys.add(owner)
            total = header.total_results
            crawler = getattr(self, "crawler", None)
            if total is not None and crawler is not None:
                crawler.stats.set_value(STAT_EXPECTED, min(total, self.limit) if self.limit > 0 else total)
        if self.limit > 0:
            page = replace(page, entries=page.entries[:max(0, self.limit - self.posts_seen)])
        yield from self._posts_item(response, page, "post", start == 1)
        following = next_start_index(page, start)
        if self.limit > 0 and (self.posts_seen >= self.limit or following is None):
            yield from self._start_per_post_comments()
        elif following is not None:
            yield self._request(self._feed("posts", following), self.parse_posts, kind="posts", start=following)
        else:
            yield from self._start_pages()

    def _posts_item(self, response: Response, page: FeedPage, default_kind: str, with_info: bool) -> Iterator[PageItem]:
        posts, errors = [], []
        for entry in page.entries:
            kind = entry_kind(entry, default_kind)
            if kind not in ("post", "page"):
                continue
            try:
                post = entry_to_post(entry, self.ctx, kind)
            except ValueError as exc:
                errors.append(str(exc))
                continue
            posts.append(post)
            if post.post_id:
                self.post_urls[post.post_id] = post.url
                self.post_totals[post.post_id] = post.comment_count
            key = profile_key(post.author_url)
            if key:
                self.author_keys.add(key)
        self.posts_seen += len(posts)
        info = blog_info(page.header, scheme=self.scheme) if with_info else None
        if info is not None and not info.url:
            info = replace(info, url=self.blog_url)
        yield self._item(response, posts=posts, blog_info=info, error="; ".join(errors) or None)

    # -- pages -----------------------------------------------------------------------------------
    def _start_pages(self) -> Iterator[scrapy.Request]:
        yield self._request(self._feed("pages", 1), self.parse_pages, kind="pages", start=1)

    def parse_pages(self, response: Response, kind: str, start: int) -> Iterator[Any]:
        page, reason = self._page(response, response.url)
        if page is None:
            if start == 1:
                yield from self._pages_fallback(response.url, reason or "unusable", response.status)
            else:
                yield self._not_usable(response, reason or "unusable")
            yield from self._start_comments()
            return
        yield from self._posts_item(response, page, "page", False)
        following = next_start_index(page, start)
        if following is not None:
            yield self._request(self._feed("pages", following), self.parse_pages, kind="pages", start=following)
        else:
            yield from self._start_comments()

    # -- comments --------------------------------------------------------------------------------
    def _start_comments(self) -> Iterator[scrapy.Request]:
        yield self._request(self._feed("comments", 1), self.parse_comments, kind="comments", start=1)

    def _comments_of(self, response: Response, page: FeedPage) -> PageItem:
        ctx = replace(self.ctx, author_keys=frozenset(self.author_keys))
        comments, errors = [], []
        for entry in page.entries:
            if entry_kind(entry, "comment") != "comment":
                continue
            try:
                comments.append(entry_to_comment(entry, ctx, position=self.comments_seen, post_urls=self.post_urls))
            except ValueError as exc:
                errors.append(str(exc))
                continue
            self.comments_seen += 1
        return self._item(response, comments=comments, error="; ".join(errors) or None)

    def parse_comments(self, response: Response, kind: str, start: int) -> Iterator[Any]:
        page, reason = self._page(response, response.url)
        if page is None:
            if start == 1:
                log.info("global comments feed unavailable (%s): reading each post's comments feed", reason)
                yield from self._start_per_post_comments()
            else:
                yield self._not_usable(response, reason or "unusable")
                yield from self._release()
            return
        declared = sum(t or 0 for t in self.post_totals.values())
        if start == 1 and not page.entries and declared > 0 and not self.updated_min:
            log.info("global comments feed is empty but posts declare %d comments: per-post feeds", declared)
            yield from self._start_per_post_comments()
            return
        self.comments_via = "global"
        self.held.append(self._comments_of(response, page))
        following = next_start_index(page, start)
        if following is not None:
            yield self._request(self._feed("comments", following), self.parse_comments, kind="comments", start=following)
        else:
            yield from self._release()

    def _start_per_post_comments(self) -> Iterator[Any]:
        self.comments_via = "per-post"
        wanted = [pid for pid, total in self.post_totals.items() if total is None or total > 0]
        if not wanted:
            yield from self._release()
            return
        self.pending = len(wanted)
        for post_id in wanted:
            yield self._request(
                self._feed("comments", 1, post_id), self.parse_post_comments, kind="comments-post", start=1,
                post_id=post_id,
            )

    def parse_post_comments(self, response: Response, kind: str, start: int, post_id: str) -> Iterator[Any]:
        page, reason = self._page(response, response.url)
        if page is None:
            if response.status != 404:
                yield self._not_usable(response, reason or "unusable")
            yield from self._comment_feed_done()
            return
        self.held.append(self._comments_of(response, page))
        following = next_start_index(page, start)
        if following is not None:
            yield self._request(
                self._feed("comments", following, post_id), self.parse_post_comments, kind="comments-post",
                start=following, post_id=post_id,
            )
        else:
            yield from self._comment_feed_done()

    def _comment_feed_done(self) -> Iterator[PageItem]:
        self.pending -= 1
        if self.pending <= 0:
            yield from self._release()

    def _release(self) -> Iterator[PageItem]:
        """Number comments by time within each post, then hand every held page to the pipeline."""
        held, self.held = self.held, []
        flat: list[RawComment] = [c for item in held for c in item.comments]
        numbered = iter(assign_positions(flat))
        for item in held:
            item.comments = [next(numbered) for _ in item.comments]
            yield item
        log.info("feeds: %d posts and pages, %d comments (%s)", self.posts_seen, self.comments_seen, self.comments_via)
