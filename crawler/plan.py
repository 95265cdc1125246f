"""Change detection for ``sync``: what must be fetched again, decided from what lists the posts.

``plan_changes(stored, listings)`` is a pure function. ``stored`` is what the archive holds
(``ArchiveState``: each post's comment count, ``updated`` and ETag, the archive widget's month
counts, and the pages that failed last time); ``listings`` is what the blog says now, one
``Listing`` per page that lists posts: a listing page of the HTML (home, "Older Posts" pager,
archive month, label page) or a page of an Atom feed. The answer is a ``RefreshPlan``:

* ``new``: posts listed now that the archive does not hold;
* ``changed``: posts whose comment count, ``updated`` time or ETag differs from the stored
  one, or whose entry on a listing page differs from the same page's stored copy (an edit);
* ``check_gone``: stored posts that may have been deleted, only where the counts say so (an
  archive month counts fewer posts than the archive holds for it, or a feed's total is below
  the number of stored posts): the posts there that no listing names any more;
* ``retry``: pages that failed or arrived incomplete last time (every sync tries them again,
  whichever way it reads the blog, until they succeed or answer 404/410).

``plan_feed_changes`` is the same decision from the feeds read with ``updated-min`` (every
post they name changed since the cursor). ``read_listing`` and ``read_feed_listing`` turn a
fetched page into a ``Listing``; ``load_archive_state`` reads an ``ArchiveState`` from an
archive. The spiders fetch the plan (``crawler.incremental``, ``crawler.feed_sync``).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from scrapy.http import HtmlResponse

from crawler import extract
from crawler.feeds import FeedContext, canonical_url, entry_kind, entry_to_post, parse_feed
from kernel.records import ArchiveMonth

#: Issue kinds whose page is fetched again by the next sync.
RETRY_KINDS = frozenset({"http", "network", "parse", "size", "incomplete"})
#: Statuses at which a page counts as gone from the blog (never retried).
GONE_STATUSES = frozenset({404, 410})

_MONTH_OF_URL = re.compile(r"^https?://[^/]+/(\d{4})/(\d{2})/")


@dataclass(frozen=True)
class ListedPost:
    """One post as a listing shows it. ``None`` means the listing does not say."""

    url: str
    comment_count: int | None = None
    updated: str | None = None
    digest: str | None = None
    """SHA-256 of the entry's title and body as this listing renders them."""
    etag: str | None = None


@dataclass(frozen=True)
class Listing:
    """What one page that lists posts says."""

    url: str
    posts: tuple[ListedPost, ...] = ()
    months: tuple[ArchiveMonth, ...] = ()
    """The archive widget's months with their post counts (on HTML pages)."""
    total: int | None = None
    """``openSearch:totalResults`` of a feed page: how many posts the blog has."""
    complete: bool = False
    """True when the feed was read without ``updated-min`` (it names every post)."""


@dataclass(frozen=True)
class StoredPost:
    url: str
    comment_count: int | None = None
    updated: str | None = None
    etag: str | None = None


def _frozen(mapping: Mapping[str, object] | None = None) -> Mapping[str, object]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class ArchiveState:
    """What the archive holds, as far as change detection needs it."""

    posts: Mapping[str, StoredPost] = field(default_factory=_frozen)
    """Published posts the archive holds and does not know to be gone, by URL."""
    listings: Mapping[str, Listing] = field(default_factory=_frozen)
    """Stored copies of listing pages, by URL (only those fetched again need to be here)."""
    months: Mapping[str, int] = field(default_factory=_frozen)
    """Archive-widget month ("YYYY-MM") -> post count, as the stored home page shows it."""
    failed: frozenset[str] = frozenset()
    """Pages to fetch again: they failed, or arrived incomplete, in an earlier run."""


@dataclass(frozen=True)
class RefreshPlan:
    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    check_gone: tuple[str, ...] = ()
    retry: tuple[str, ...] = ()

    @property
    def fetch(self) -> tuple[str, ...]:
        """Every page to request (conditionally), each once, in a stable order."""
        return tuple(dict.fromkeys((*self.new, *self.changed, *self.retry, *self.check_gone)))

    @property
    def empty(self) -> bool:
        return not self.fetch


def month_of(url: str) -> str | None:
    """"YYYY-MM" of a Blogger post URL (``/2009/08/slug.html``), else None."""
    match = _MONTH_OF_URL.match(url)
    return f"{match.group(1)}-{match.group(2)}" if match else None


def _changed(stored: StoredPost, listed: ListedPost, before: ListedPost | None) -> bool:
    if listed.comment_count is not None and stored.comment_count is not None:
        if listed.comment_count != stored.comment_count:
            return True
    if listed.updated and stored.updated and listed.updated != stored.updated:
        return True
    if listed.etag and stored.etag and listed.etag != stored.etag:
        return True
    if before is not None and listed.digest and before.digest and listed.digest != before.digest:
        return True
    if before is not None and listed.comment_count is not None and before.comment_count is not None:
        return listed.comment_count != before.comment_count
    return False


def plan_changes(stored: ArchiveState, listings: Iterable[Listing]) -> RefreshPlan:
    """What to fetch so that the archive matches the listings (see the module docstring)."""
    listings = tuple(listings)
    seen: dict[str, ListedPost] = {}
    new: list[str] = []
    changed: list[str] = []
    for listing in listings:
        before_page = stored.listings.get(listing.url)
        before = {p.url: p for p in before_page.posts} if before_page is not None else {}
        for listed in listing.posts:
            first_time = listed.url not in seen
            seen.setdefault(listed.url, listed)
            known = stored.posts.get(listed.url)
            if known is None:
                if first_time and listed.url not in stored.failed:
                    new.append(listed.url)
            elif listed.url not in changed and _changed(known, listed, before.get(listed.url)):
                changed.append(listed.url)
    suspects = _suspected_gone(stored, listings, seen, len(new))
    gone = sorted(url for url in suspects if url not in changed)
    retry = sorted(stored.failed)
    return RefreshPlan(tuple(new), tuple(changed), tuple(gone), tuple(retry))


def _suspected_gone(
    stored: ArchiveState, listings: tuple[Listing, ...], seen: Mapping[str, ListedPost], n_new: int
) -> set[str]:
    unseen = {url for url in stored.posts if url not in seen}
    if not unseen:
        return set()
    totals = [listing.total for listing in listings if listing.total is not None]
    if totals:  # a feed: fewer posts than the archive holds plus the new ones
        if any(listing.complete for listing in listings):
            return unseen
        return unseen if min(totals) < len(stored.posts) + n_new else set()
    months: dict[str, int | None] = {}
    for listing in listings:
        for month in listing.months:
            months.setdefault(month.month, month.count)
    if not months:
        return set()
    if any(count is None for count in months.values()):
        return unseen  # the widget gives no counts: every stored post the listings no longer name
    suspects: set[str] = set()
    for url in unseen:
        month = month_of(url)
        if month is None:
            continue
        now = months.get(month, 0)
        before = stored.months.get(month)
        if now is not None and (before is None or now < before or now == 0):
            suspects.add(url)
    return suspects


def plan_feed_changes(
    stored: ArchiveState,
    updated: Mapping[str, str],
    commented: Iterable[str] = (),
    total: int | None = None,
) -> RefreshPlan:
    """What to fetch after reading the feeds with ``updated-min=<cursor>``.

    ``updated``: URL -> kind ("post" or "page") of what the posts feed names (each one was
    published or edited since the cursor: new when the archive does not hold it, else
    changed); ``commented``: the posts the comments feed names (they have new comments);
    ``total``: the posts feed's ``openSearch:totalResults`` when it was read (None when it
    answered "not modified"). Fewer posts than the archive holds plus the new ones put every
    other stored post on ``check_gone``. Pages that failed last time are retried.
    """
    new = tuple(url for url in updated if url not in stored.posts)
    changed = tuple(dict.fromkeys(
        [url for url in updated if url in stored.posts] + [url for url in commented if url not in new]
    ))
    gone: tuple[str, ...] = ()
    n_new = sum(1 for url in new if updated[url] == "post")
    if total is not None and total < len(stored.posts) + n_new:
        gone = tuple(sorted(set(stored.posts) - set(new) - set(changed)))
    retry = tuple(sorted(stored.failed - set(new) - set(changed)))
    return RefreshPlan(new, changed, gone, retry)


# -- reading listings ------------------------------------------------------------------------
def _digest(title: str | None, body: str | None) -> str:
    return hashlib.sha256(f"{title or ''}\0{body or ''}".encode("utf-8")).hexdigest()


def read_listing(url: str, body: bytes | str, *, etag: str | None = None) -> Listing:
    """The ``Listing`` of one HTML listing page (home, pager, archive month, label page)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    response = HtmlResponse(url, body=body, encoding="utf-8")
    try:
        posts = extract.extract_posts(response)
    except extract.ExtractionError:
        posts = []
    info = extract.extract_blog_info(response)
    listed = tuple(
        ListedPost(p.url, p.comment_count, p.updated_attr, _digest(p.title, p.body_html))
        for p in posts
        if p.kind == "post"
    )
    return Listing(url, listed, months=info.archive_months if info is not None else ())


def read_feed_listing(url: str, body: bytes, *, scheme: str = "https", complete: bool = False) -> Listing:
    """The ``Listing`` of one posts-feed page. Raises ``SourceError`` for a page that is not a feed."""
    page = parse_feed(body, url)
    base = canonical_url(page.header.blog_url, scheme) if page.header.blog_url else None
    ctx = FeedContext(blog_url=base or url, template="feed", source="feed", scheme=scheme)
    listed = []
    for entry in page.entries:
        if entry_kind(entry, "post") != "post":
            continue
        try:
            post = entry_to_post(entry, ctx)
        except ValueError:
            continue
        if post.status == "published":
            listed.append(ListedPost(post.url, post.comment_count, post.updated_attr,
                                     _digest(post.title, post.body_html)))
    return Listing(url, tuple(listed), total=page.header.total_results, complete=complete)


# -- the archive's side ------------------------------------------------------------------------
def load_archive_state(conn: sqlite3.Connection) -> ArchiveState:
    """The ``ArchiveState`` of an archive (posts, archive-widget counts, pages to retry)."""
    pages = {
        url: (status, etag, kind)
        for url, status, etag, kind in conn.execute("SELECT url, status, etag, kind FROM pages")
    }
    posts: dict[str, StoredPost] = {}
    for url, record in conn.execute("SELECT url, record FROM raw_posts"):
        data = json.loads(record)
        if data.get("kind", "post") != "post" or data.get("status", "published") != "published":
            continue
        status, etag, _ = pages.get(url, (None, None, None))
        if status in GONE_STATUSES:
            continue
        posts[url] = StoredPost(url, data.get("comment_count"), data.get("updated_attr"), etag)
    months: dict[str, int] = {}
    row = conn.execute("SELECT value FROM meta WHERE key = 'blog_info'").fetchone()
    if row and row[0]:
        for month in (json.loads(row[0]) or {}).get("archive_months") or ():
            if month.get("count") is not None:
                months[month["month"]] = int(month["count"])
    return ArchiveState(posts=_frozen(posts), months=_frozen(months), failed=frozenset(failed_pages(conn)))


def failed_pages(conn: sqlite3.Connection) -> set[str]:
    """Pages an earlier run could not store whole: an issue of a retried kind, and no good copy
    stored since (a page stored with status 200 and no error after the issue, or a 404/410)."""
    out: set[str] = set()
    rows = conn.execute(
        "SELECT i.url, max(i.at), p.status, p.fetched_at, p.error FROM crawl_issues i"
        " LEFT JOIN pages p ON p.url = i.url"
        f" WHERE i.kind IN ({','.join('?' for _ in RETRY_KINDS)}) GROUP BY i.url",
        sorted(RETRY_KINDS),
    )
    for url, at, status, fetched_at, error in rows:
        if status in GONE_STATUSES:
            continue
        if status == 200 and not error and fetched_at and at and fetched_at >= at:
            continue
        if "/feeds/" in url:
            continue  # feed pages are read again by the feed walk itself
        out.add(url)
    return out
