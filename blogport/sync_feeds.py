"""``FeedSync``: what changed, told by the blog's Atom feeds, and only that refreshed.

Two conditional probes (``max-results=1`` of the posts and comments feeds) say whether
anything changed; then the feeds are read with ``updated-min=<cursor>``, and the affected
post pages (HTML archives) or the feed entries themselves (feed archives) are stored. Pages
that failed in an earlier run are retried. ``openSearch:totalResults`` below the number of
stored posts has every stored post checked for deletion.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from blogport.config import MigrationConfig
from blogport.sync_history import GONE_STATUSES, sync_state, update_state
from blogport.sync_http import Fetched, Fetcher, _Refused, _TooLarge
from blogport.sync_result import SyncResult
from crawler.plan import failed_pages
from kernel.archive import Archive, utc_now
from kernel.errors import BlogportError, UnreachableError

log = logging.getLogger(__name__)

#: Entries per feed request.
FEED_PAGE_SIZE = 500


class FeedSync:
    """Finds what changed through the blog's feeds and refreshes only that."""

    def __init__(
        self, archive: Archive, fetcher: Fetcher, config: MigrationConfig, result: SyncResult, source_via: str
    ) -> None:
        from crawler.feeds import FeedContext

        self.archive = archive
        self.fetcher = fetcher
        self.config = config
        self.result = result
        parts = urlsplit(config.source.strip())
        self.base = f"{parts.scheme}://{parts.netloc}/"
        self.scheme = parts.scheme
        self.source_via = source_via
        self.ctx = FeedContext(blog_url=self.base, template="feed", source="feed", scheme=self.scheme)
        self._pending_probes: list[tuple[str, Fetched, int | None]] = []
        self._feed_pages: list[tuple[str, Fetched]] = []

    def run(self) -> bool:
        """False when the blog serves no usable feeds (the caller falls back to the HTML crawl)."""
        from crawler.feeds import feed_url

        failed_before = self.result.failed
        posts_probe = self._probe(feed_url(self.base, "posts", 1, 1))
        if posts_probe is None:
            return False
        comments_probe = self._probe(feed_url(self.base, "comments", 1, 1))
        if comments_probe is None and self.source_via != "feeds":
            # without the comments feed, new comments on old posts show only on their pages
            log.info("the blog serves no comments feed: falling back to an incremental crawl")
            return False
        posts_changed, total = posts_probe
        comments_changed = comments_probe[0] if comments_probe is not None else False
        if comments_probe is None:
            log.warning("the blog serves no comments feed: sync cannot see new comments on old posts;"
                        " a migrate with --via html can")

        affected: dict[str, str] = {}  # post URL -> kind
        feed_posts: dict[str, Any] = {}
        feed_comments: list[Any] = []
        if posts_changed:
            for entry_post in self._entries("posts"):
                if entry_post.kind in ("post", "page") and entry_post.status == "published":
                    affected[entry_post.url] = entry_post.kind
                    feed_posts[entry_post.url] = entry_post
        if comments_changed:
            for comment in self._entries("comments"):
                affected.setdefault(comment.post_url, _kind_of(comment.post_url))
                feed_comments.append(comment)

        if self.source_via != "feeds":
            # pages that failed or arrived incomplete in an earlier run, whatever the feeds say
            for url in sorted(failed_pages(self.archive.conn)):
                affected.setdefault(url, _retry_kind(url))
        known = self._known_posts()
        suspects: set[str] = set()
        if posts_changed and total is not None:
            new_posts = sum(1 for url, post in feed_posts.items() if post.kind == "post" and url not in known)
            if total < len(known) + new_posts:
                log.info("posts feed counts %d posts, the archive %d (+%d new): checking stored posts",
                         total, len(known), new_posts)
                suspects = set(known)

        if self.source_via == "feeds":
            self._store_feed_records(feed_posts, feed_comments)
            # deletions can only be seen on the post pages themselves
            for url in sorted(suspects - set(feed_posts)):
                self._check_gone(url)
        else:
            for url in sorted(affected):
                if affected[url] == "comments":
                    self._refresh_comments(url, None)
                else:
                    self._refresh_page(url, affected[url])
            for url in sorted(suspects - set(affected)):
                self._check_gone(url)
        if self.result.failed == failed_before:
            self.commit_probes()  # else the next run asks again, and retries what failed
        return True

    # probes
    def _probe(self, url: str) -> tuple[bool, int | None] | None:
        """(changed since the last sync?, openSearch totalResults), or None when the blog
        serves no usable feed at ``url``."""
        from crawler.feed_spider import unavailable_reason
        from crawler.feeds import parse_feed

        known = self.fetcher.validators(url)
        try:
            fetched = self.fetcher.get(
                url, etag=known.get("etag"), last_modified=known.get("last_modified"),
                accept="application/atom+xml,application/xml;q=0.9,*/*;q=0.5", feed=True,
            )
        except (_Refused, _TooLarge):
            return None
        if fetched.status == 304 and known:
            return False, known.get("total")
        if unavailable_reason(fetched.status, fetched.header("Content-Type"), fetched.body):
            return None
        try:
            page = parse_feed(fetched.body, url)
        except BlogportError:
            return None
        total = page.header.total_results
        changed = known.get("sha256") != hashlib.sha256(fetched.body).hexdigest() or not known
        self._pending_probes.append((url, fetched, total))
        return changed, total

    def commit_probes(self) -> None:
        """Remember the probes' validators, once what they announced has been stored."""
        for url, fetched, total in self._pending_probes:
            self.fetcher.remember(url, fetched, total=total, sha256=hashlib.sha256(fetched.body).hexdigest())
        self._pending_probes = []

    def _entries(self, kind: str) -> Any:
        """Every post (kind "posts") or comment (kind "comments") updated since the cursor."""
        from crawler.feeds import (
            entry_kind,
            entry_to_comment,
            entry_to_post,
            feed_url,
            next_start_index,
            parse_feed,
        )

        start: int | None = 1
        seen_pages = 0
        while start is not None and seen_pages < 10_000:
            seen_pages += 1
            url = feed_url(self.base, kind, start, FEED_PAGE_SIZE, self.result.since)
            fetched = self.fetcher.get(url, accept="application/atom+xml,application/xml;q=0.9,*/*;q=0.5", feed=True)
            if fetched.status != 200:
                self._fail(url, "http", f"HTTP {fetched.status} for a feed page")
                return
            try:
                page = parse_feed(fetched.body, url)
            except BlogportError as exc:
                self._fail(url, "xml", str(exc))
                return
            self._feed_pages.append((url, fetched))
            for entry in page.entries:
                try:
                    if kind == "posts":
                        if entry_kind(entry, "post") in ("post", "page"):
                            yield entry_to_post(entry, self.ctx)
                    elif entry_kind(entry, "comment") == "comment":
                        yield entry_to_comment(entry, self.ctx)
                except ValueError as exc:
                    self._fail(url, "parse", str(exc))
            start = next_start_index(page, start)

    def _known_posts(self) -> dict[str, str]:
        """URL -> kind of every published post the archive holds that is not known to be gone."""
        deleted = sync_state(self.archive).deleted
        gone = {
            url for (url,) in self.archive.conn.execute(
                "SELECT url FROM pages WHERE status IN (404, 410)"
            )
        }
        out: dict[str, str] = {}
        for url, record in self.archive.conn.execute("SELECT url, record FROM raw_posts"):
            data = json.loads(record)
            if data.get("kind", "post") != "post" or data.get("status", "published") != "published":
                continue
            if url in deleted or url in gone:
                continue
            out[url] = "post"
        return out

    def _fail(self, url: str, kind: str, reason: str) -> None:
        self.result.failed += 1
        self.result.failures.append(f"{url}: {reason}")
        self.archive.record_issue(url, kind, reason)

    # HTML-built archives: fetch the affected post pages conditionally
    def _refresh_page(self, url: str, kind: str) -> None:
        from crawler.spider import page_item

        stored = self.archive.page(url)
        conditional = stored is not None and stored.status == 200
        try:
            fetched = self.fetcher.get(
                url,
                etag=stored.etag if conditional else None,
                last_modified=stored.last_modified if conditional else None,
            )
        except _Refused:
            self.archive.record_issue(url, "robots", "disallowed by robots.txt")
            return
        except _TooLarge:
            self._fail(url, "size", f"larger than the {self.fetcher.max_bytes}-byte page size limit")
            return
        except UnreachableError as exc:
            self._fail(url, "network", str(exc))
            return
        if fetched.status == 304 and stored is not None:
            first = _stored_item(stored, page_item)
        elif fetched.status in GONE_STATUSES:
            if stored is not None and stored.status in {200, *GONE_STATUSES}:
                self._store_gone(stored, fetched.status, page_item)
            else:
                self._fail(url, "http", f"HTTP {fetched.status}")
            return
        elif fetched.status == 200:
            from scrapy.http import HtmlResponse

            response = HtmlResponse(
                url, status=200, body=fetched.body,
                headers={k: v for k, v in fetched.headers.items()},
            )
            first = page_item(response, url, stored.kind if stored is not None and stored.kind else kind)
            self._store(first)
        else:
            self._fail(url, "http", f"HTTP {fetched.status}")
            return
        if first is None:
            return
        for post in first.posts:
            per_page = len(post.comments) or None
            for extra in post.comment_pages:
                self._refresh_comments(_canonical(extra, self.scheme), per_page)

    def _refresh_comments(self, url: str, per_page: int | None) -> None:
        from scrapy.http import HtmlResponse

        from crawler.spider import DEFAULT_COMMENTS_PER_PAGE, page_item
        from crawler.urls import comment_page_number

        stored = self.archive.page(url)
        conditional = stored is not None and stored.status == 200
        try:
            fetched = self.fetcher.get(
                url,
                etag=stored.etag if conditional else None,
                last_modified=stored.last_modified if conditional else None,
            )
        except (_Refused, _TooLarge, UnreachableError) as exc:
            self._fail(url, "network", f"{type(exc).__name__}: {exc}")
            return
        if fetched.status == 304:
            return
        if fetched.status != 200:
            if not (fetched.status in GONE_STATUSES and stored is not None):
                self._fail(url, "http", f"HTTP {fetched.status}")
            return
        offset = (comment_page_number(url) - 1) * (per_page or DEFAULT_COMMENTS_PER_PAGE)
        response = HtmlResponse(url, status=200, body=fetched.body, headers={k: v for k, v in fetched.headers.items()})
        self._store(page_item(response, url, "comments", comment_offset=offset))

    def _store(self, item: Any) -> None:
        with self.archive.transaction():
            self.archive.store_page(
                item.url, status=item.status, body=item.body, kind=item.kind, etag=item.etag,
                last_modified=item.last_modified, content_type=item.content_type, error=item.error,
                posts=item.posts, comments=item.comments,
            )
            if item.error and item.status == 200:
                self.archive.record_issue(item.url, "parse", item.error)
                self.result.failed += 1
                self.result.failures.append(f"{item.url}: {item.error}")

    def _store_gone(self, stored: Any, status: int, page_item: Any) -> None:
        """The blog no longer serves a stored page: keep its HTML and records, update its status
        (as the incremental crawl does)."""
        item = _stored_item(stored, page_item)
        if item is None:
            return
        item.status = status
        with self.archive.transaction():
            self.archive.store_page(
                item.url, status=status, body=item.body, kind=item.kind, etag=stored.etag,
                last_modified=stored.last_modified, content_type=stored.content_type, error=item.error,
                posts=item.posts, comments=item.comments,
            )
            self.archive.record_issue(item.url, "http", f"HTTP {status}: gone from the blog since the last crawl")

    # feed-built archives: the feed entries are the records
    def _store_feed_records(self, posts: dict[str, Any], comments: list[Any]) -> None:
        from crawler.feeds import assign_positions

        if not posts and not comments:
            return
        existing: dict[str, int] = {}
        known_keys: dict[str, int] = {}
        for key, post_url, position in self.archive.conn.execute(
            "SELECT key, post_url, position FROM raw_comments"
        ):
            existing[post_url] = max(existing.get(post_url, -1), position)
            known_keys[key] = position
        from kernel.archive import comment_key

        fresh = [c for c in comments if comment_key(c) not in known_keys]
        kept = [replace(c, position=known_keys[comment_key(c)]) for c in comments if comment_key(c) in known_keys]
        numbered = []
        for comment in assign_positions(fresh):
            numbered.append(replace(comment, position=existing.get(comment.post_url, -1) + 1 + comment.position))
        with self.archive.transaction():
            for url, fetched in self._feed_pages:
                self.archive.store_page(url, status=200, body=fetched.body, kind="feed",
                                        content_type=fetched.header("Content-Type"))
            page_url = self._feed_pages[0][0] if self._feed_pages else self.base
            self.archive.store_records(page_url, posts=list(posts.values()), comments=kept + numbered)

    def _check_gone(self, url: str) -> None:
        """Is a stored post still there? A HEAD request (no body) answers; a page that is gone
        keeps its HTML and records and gets the 404/410 status."""
        stored = self.archive.page(url)
        conditional = stored is not None and stored.status == 200
        try:
            fetched = self.fetcher.get(
                url, method="HEAD",
                etag=stored.etag if conditional else None,
                last_modified=stored.last_modified if conditional else None,
            )
        except (_Refused, _TooLarge):
            return
        except UnreachableError as exc:
            self._fail(url, "network", str(exc))
            return
        if fetched.status in (405, 501):  # no HEAD on this server: a conditional GET then
            self._refresh_page(url, _kind_of(url))
            return
        if fetched.status not in GONE_STATUSES:
            return
        if stored is not None and stored.status in {200, *GONE_STATUSES}:
            self._store_gone(stored, fetched.status, _page_item())
            return
        deleted = dict(sync_state(self.archive).deleted)
        if url not in deleted:
            deleted[url] = utc_now()
            with self.archive.transaction():
                update_state(self.archive, deleted=deleted)
                self.archive.record_issue(
                    url, "http", f"HTTP {fetched.status}: gone from the blog since the last crawl")


def _page_item() -> Any:
    from crawler.spider import page_item

    return page_item


def _kind_of(url: str) -> str:
    from crawler.urls import classify, item_kind

    kind = item_kind(classify(url))
    return kind if kind in ("post", "page") else "post"


def _retry_kind(url: str) -> str:
    from crawler.urls import classify, item_kind

    kind = item_kind(classify(url))
    return kind if kind in ("post", "page", "comments") else "post"


def _canonical(url: str, scheme: str) -> str:
    from crawler.urls import canonicalize

    return canonicalize(url, scheme)


def _stored_item(stored: Any, page_item: Any) -> Any:
    from scrapy.http import HtmlResponse

    if stored.html is None:
        return None
    response = HtmlResponse(stored.url, body=stored.html.encode("utf-8"), encoding="utf-8")
    item = page_item(response, stored.url, stored.kind or "post")
    item.etag, item.last_modified, item.content_type = stored.etag, stored.last_modified, stored.content_type
    return item


