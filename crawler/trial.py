"""A trial run (``--limit N``): only the newest N posts, with their comment pages.

Every source cuts the same way, by data it already reads:

* a live blog, walked as HTML: the home page lists the newest posts, then the archive
  widget's months (and years), newest first, list the older ones (the "Older Posts" pager
  only where the widget shows none: Blogger's robots.txt refuses it); the first N
  permalinks they list are fetched with their comment pages, and nothing else is followed
  (no label or static pages, no Newer/Older post links);
* a live blog read from its feeds: the posts feed gives the newest posts first; the first N
  entries are kept, and their comments are read from each post's own comments feed;
* a saved mirror or a Blogger backup file: the N posts with the newest publication dates
  (``newest``), their comment pages or comments, and the blog's details.

``TrialCut`` is the HTML spider's part: which links of a page a trial run follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from dataclasses import dataclass, field
from datetime import datetime, timezone

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.urls import canonicalize, classify, post_url_of

if TYPE_CHECKING:
    from scrapy.http import Response, TextResponse

#: Page kinds that list posts newest first.
LISTING_KINDS = frozenset({"home", "index", "archive"})
_ARCHIVE_PERIOD = (re.compile(r"/(\d{4})/(?:(\d{2})/)?$"), re.compile(r"/(\d{4})_(\d{2})_\d{2}_archive\.html$"))


def archive_period(url: str) -> tuple[int, int] | None:
    """(year, month) of a month archive page, (year, 0) of a year page, else None."""
    path = urlsplit(url).path
    for pattern in _ARCHIVE_PERIOD:
        found = pattern.search(path)
        if found:
            return int(found.group(1)), int(found.group(2) or 0)
    return None


def listed_posts(response: "TextResponse", scheme: str | None) -> list[str]:
    """The permalinks of the posts a listing page shows, in its order (newest first)."""
    from crawler import extract

    try:
        posts = extract.extract_posts(response)
    except extract.ExtractionError:
        posts = []
    urls = [canonicalize(p.url, scheme) for p in posts if p.kind == "post" and p.url]
    return [u for u in dict.fromkeys(urls) if classify(u) == "post"]


@dataclass
class TrialCut:
    """The links a trial run of ``limit`` posts follows, page by page."""

    limit: int
    chosen: list[str] = field(default_factory=list)
    """The posts taken so far, newest first."""
    listings: list[str] | None = None
    """The archive pages still to read, newest first (from the first listing page)."""
    asked: set[str] = field(default_factory=set)

    @property
    def full(self) -> bool:
        return len(self.chosen) >= self.limit

    def next_links(self, response: "Response", url: str, kind: str, hosts: Iterable[str],
                   scheme: str | None) -> list[str]:
        from scrapy.http import TextResponse  # Scrapy only where a crawl runs (start-up cost)

        from crawler.links import extract_links

        if not isinstance(response, TextResponse):
            return []
        links = extract_links(response, hosts, scheme)
        if kind in LISTING_KINDS:
            wanted: list[str] = []
            for post in listed_posts(response, scheme) or sorted(links.posts, reverse=True):
                if self.full:
                    break
                if post not in self.chosen:
                    self.chosen.append(post)
                    wanted.append(post)
            if self.listings is None:
                periods = {u: archive_period(u) for u in links.archives}
                self.listings = sorted((u for u, p in periods.items() if p), key=lambda u: periods[u], reverse=True)
            following = next((u for u in self.listings if u not in self.asked), None) or links.older
            if not self.full and following and following not in self.asked:
                self.asked.add(following)
                wanted.append(following)
            return wanted
        if kind in ("post", "comments"):
            post = post_url_of(url) if kind == "comments" else url
            return sorted(u for u in links.comment_pages if post_url_of(u) == post)
        return []


_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


def _instant(text: str | None) -> datetime:
    if not text:
        return _OLDEST
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return _OLDEST
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def newest(dated: Iterable[tuple[str, str | None]], limit: int) -> set[str]:
    """Of ``(key, published ISO time)`` pairs, the keys of the ``limit`` newest (undated last,
    then by key, so the choice is the same on every run)."""
    ranked = sorted(dated, key=lambda kv: (_instant(kv[1]), kv[0]), reverse=True)
    return {key for key, _published in ranked[:limit]}


def newest_export_posts(path: Path, limit: int) -> set[str]:
    """The post ids of the ``limit`` newest published posts of a Blogger export file (a first,
    streamed pass; the import itself then reports anything wrong with the file)."""
    from lxml import etree

    from crawler.feeds import (ENTRY, SAFE_PARSER_OPTIONS, FeedContext, FeedHeader, _parse_time, entry_kind,
                               entry_to_post, header_add)

    header = FeedHeader()
    dated: list[tuple[str, str | None]] = []
    with Path(path).open("rb") as handle:
        try:
            for _event, elem in etree.iterparse(handle, events=("end",), **SAFE_PARSER_OPTIONS):
                parent = elem.getparent()
                if parent is None or parent.getparent() is not None:
                    continue  # only the feed's own children: its header and its entries
                if elem.tag == ENTRY:
                    if entry_kind(elem) == "post":
                        try:
                            ctx = FeedContext(blog_url=header.blog_url, reference_time=_parse_time(header.updated))
                            post = entry_to_post(elem, ctx, "post")
                        except ValueError:
                            post = None
                        if post is not None and post.post_id and post.status == "published":
                            dated.append((post.post_id, post.published_attr))
                elif isinstance(elem.tag, str):
                    header = header_add(header, elem)
                elem.clear(keep_tail=False)
                while elem.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError:
            pass
    return newest(dated, limit)
