"""Navigation links of one Blogger page, canonicalised and de-duplicated.

``extract_links`` walks the page's anchors once (on the lxml tree the response already
caches, so extraction and link discovery share one parse) and sorts every link on the
blog's own hosts by what it points at: posts, static pages, archive months, labels, the
"Older Posts"/"Newer Posts" pager, a post's Newer/Older neighbours and comment pages.
Each set holds a URL at most once, however many anchors point at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse

from crawler.urls import blog_hosts, canonicalize, classify, is_index_pager, same_blog

_SKIP_PREFIXES = ("javascript:", "mailto:", "#", "data:", "tel:", "about:")
_NEWER = ("blog-pager-newer-link", "newer-link", "newer-posts")
_OLDER = ("blog-pager-older-link", "older-link", "older-posts")


@dataclass(frozen=True)
class PageLinks:
    posts: frozenset[str] = frozenset()
    """Post pages (``/2009/08/slug.html``)."""
    pages: frozenset[str] = frozenset()
    """Static pages (``/p/about.html``)."""
    archives: frozenset[str] = frozenset()
    """Archive widget entries: months, years, days, classic ``_archive.html`` pages."""
    labels: frozenset[str] = frozenset()
    """Label pages (``/search/label/X``, including their own pager)."""
    pager: frozenset[str] = frozenset()
    """"Older Posts"/"Newer Posts" index pages (``/search?updated-max=...``)."""
    comment_pages: frozenset[str] = frozenset()
    """A post's further comment pages (``?commentPage=N``)."""
    home: str | None = None
    newer: str | None = None
    """The page's "Newer Post(s)" link (a post on a post page, an index page elsewhere)."""
    older: str | None = None

    def all(self) -> frozenset[str]:
        """Every link worth following, once each."""
        extra = {u for u in (self.home, self.newer, self.older) if u}
        return self.posts | self.pages | self.archives | self.labels | self.pager | self.comment_pages | extra

    def __len__(self) -> int:
        return len(self.all())


def _absolute(href: str, base: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(_SKIP_PREFIXES):
        return None
    if href.startswith(("http://", "https://")):
        return href
    if href.startswith("//"):
        return urlsplit(base).scheme + ":" + href
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _base_url(response: TextResponse) -> str:
    root = response.selector.root
    try:
        bases = root.xpath("/html/head/base/@href")
    except Exception:  # not an HTML tree (an empty or XML page)
        return response.url
    if bases:
        return urljoin(response.url, str(bases[0]).strip())
    return response.url


def extract_links(
    response: TextResponse, hosts: Iterable[str] | None = None, scheme: str | None = None
) -> PageLinks:
    """Sort the page's links on the blog's ``hosts`` (default: the page's own host).

    ``scheme`` is the crawl source's scheme, passed on to ``canonicalize`` (it matters only
    for custom domains). Links to feeds, widgets, searches and other sites are left out.
    """
    host_set = blog_hosts(hosts) if hosts is not None else blog_hosts([response.url])
    try:
        root = response.selector.root
        anchors = root.iter("a", "{http://www.w3.org/1999/xhtml}a")
    except Exception:
        return PageLinks()
    base = _base_url(response)
    posts: set[str] = set()
    pages: set[str] = set()
    archives: set[str] = set()
    labels: set[str] = set()
    pager: set[str] = set()
    comment_pages: set[str] = set()
    home = newer = older = None
    seen: set[str] = set()
    for anchor in anchors:
        href = anchor.get("href")
        if not href:
            continue
        classes = anchor.get("class") or ""
        nav = None
        if classes:
            if any(name in classes for name in _NEWER):
                nav = "newer"
            elif any(name in classes for name in _OLDER):
                nav = "older"
        if nav is None and href in seen:
            continue
        seen.add(href)
        absolute = _absolute(href, base)
        if absolute is None:
            continue
        url = canonicalize(absolute, scheme)
        if not same_blog(url, host_set):
            continue
        kind = classify(url)
        if kind == "post":
            posts.add(url)
        elif kind == "page":
            pages.add(url)
        elif kind == "archive":
            archives.add(url)
        elif kind == "label":
            labels.add(url)
        elif kind == "search":
            if is_index_pager(url):
                pager.add(url)
            else:
                continue
        elif kind == "comments":
            comment_pages.add(url)
        elif kind == "home":
            home = url
        else:
            continue
        if nav == "newer":
            newer = url
        elif nav == "older":
            older = url
    return PageLinks(
        posts=frozenset(posts),
        pages=frozenset(pages),
        archives=frozenset(archives),
        labels=frozenset(labels),
        pager=frozenset(pager),
        comment_pages=frozenset(comment_pages),
        home=home,
        newer=newer,
        older=older,
    )
