"""Posts a web archive holds only in a feed: archived from the feed entry, so none is lost.

An archive often captured a blog's Atom feeds (``/feeds/posts/default``, a post's
``/feeds/POSTID/comments/default``) but not every post page. ``feed_items`` turns the chosen
feed captures into page items for the posts whose own page was never captured: each post
from its feed entry (``RawPost.source == "feed"``, stored under the feed's URL, so the report
says which feed it is known from), with the comments of its comment feeds when those were
captured. A post's own captured page always wins; a feed entry with the whole text wins over
the text a listing page showed; a summary-only entry is used only for a post no page shows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from lxml import etree

from crawler.feeds import ATOM_NS, FeedContext, assign_positions, entry_kind, entry_to_comment, entry_to_post, parse_feed
from crawler.items import PageItem
from crawler.urls import canonicalize
from kernel.errors import SourceError
from kernel.records import RawComment, RawPost

log = logging.getLogger(__name__)

#: Content types a captured feed is served with.
FEED_TYPES = ("atom", "xml", "rss")
_CONTENT = f"{{{ATOM_NS}}}content"


@dataclass(frozen=True)
class FeedCapture:
    """One captured feed document (its canonical URL, body and content type)."""

    url: str
    body: bytes
    content_type: str | None = None


def is_feed_type(content_type: str | None) -> bool:
    ctype = (content_type or "").lower()
    return not ctype or any(word in ctype for word in FEED_TYPES)


def _parsed(feed: FeedCapture) -> list[etree._Element] | None:
    try:
        return list(parse_feed(feed.body, feed.url).entries)
    except SourceError as exc:
        log.info("captured feed %s cannot be read: %s", feed.url, exc)
        return None


def feed_kind(url: str) -> str | None:
    """What a Blogger feed URL lists: ``post``, ``page`` or ``comment`` entries (None: not a feed).
    ``/feeds/posts/default``, ``/feeds/pages/default``, ``/feeds/comments/default``,
    ``/feeds/POSTID/comments/default``."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if len(parts) < 2 or parts[0] != "feeds":
        return None
    names = parts[1:3]
    for name, kind in (("comments", "comment"), ("pages", "page"), ("posts", "post")):
        if name in names:
            return kind
    return None


def _blog_root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def feed_items(feeds: Iterable[FeedCapture], own_pages: set[str], listed: set[str]) -> list[PageItem]:
    """Page items (kind ``feed``) for the posts only the captured ``feeds`` hold (see the module
    docstring). ``own_pages``: posts archived from their own page; ``listed``: posts a listing
    page showed."""
    documents = [(feed, entries) for feed in feeds if (entries := _parsed(feed)) is not None]
    chosen: dict[str, tuple[str, RawPost]] = {}  # post URL -> (feed URL, post)
    for feed, entries in documents:
        ctx = FeedContext(blog_url=_blog_root(feed.url), template="feed", source="feed")
        default = feed_kind(feed.url)
        for entry in entries:
            kind = entry_kind(entry, default)
            if kind not in ("post", "page"):
                continue
            try:
                post = entry_to_post(entry, ctx, kind)
            except ValueError:
                continue
            url = canonicalize(post.url)
            whole = entry.find(_CONTENT) is not None
            if url in own_pages or (url in listed and not whole) or post.status != "published":
                continue
            current = chosen.get(url)
            if current is None or (post.updated_attr or "") > (current[1].updated_attr or ""):
                chosen[url] = (feed.url, replace(post, url=url))
    if not chosen:
        return []
    post_urls = {post.post_id: url for url, (_, post) in chosen.items() if post.post_id}
    comments = _comments(documents, post_urls, set(chosen))
    items: dict[str, PageItem] = {}
    by_url = {feed.url: feed for feed, _ in documents}

    def item_for(url: str) -> PageItem:
        if url not in items:
            feed = by_url[url]
            items[url] = PageItem(url=url, status=200, body=feed.body, kind="feed", content_type=feed.content_type)
        return items[url]

    for url, (feed_url, post) in sorted(chosen.items()):
        item_for(feed_url).posts.append(post)
    for feed_url, comment in comments:
        item_for(feed_url).comments.append(comment)
    return [items[url] for url in sorted(items)]


def _comments(documents: list[tuple[FeedCapture, list[etree._Element]]], post_urls: Mapping[str, str],
              posts: set[str]) -> list[tuple[str, RawComment]]:
    """The comments of the feed-only ``posts`` in the captured comment feeds, once each."""
    found: dict[str, tuple[str, RawComment]] = {}
    for feed, entries in documents:
        ctx = FeedContext(blog_url=_blog_root(feed.url), template="feed", source="feed")
        for entry in entries:
            if entry_kind(entry, feed_kind(feed.url)) != "comment":
                continue
            try:
                comment = entry_to_comment(entry, ctx, post_urls=post_urls)
            except ValueError:
                continue
            post_url = canonicalize(comment.post_url)
            if post_url not in posts:
                continue
            key = comment.comment_id or f"{post_url}#{len(found)}"
            found.setdefault(key, (feed.url, replace(comment, post_url=post_url)))
    ordered = assign_positions(c for _, c in found.values())
    return [(feed_url, comment) for (feed_url, _), comment in zip(found.values(), ordered)]
