"""One fetched page into a ``PageItem`` with its records, without importing Scrapy.

``FetchedPage`` is a page the HTML spider fetched; ``PageExtractor`` turns it into the
``PageItem`` the archive stores (a page that arrived visibly incomplete is stored with the
reason and none of its records, see ``incomplete_reason``).

``page_item`` runs ``crawler.extract`` on a response: a Scrapy ``TextResponse`` (spiders, a
saved mirror, a web archive) or a ``DecodedPage``, the page as the crawl process already
decoded it. The extraction process of a live crawl (``crawler.pipelines``) reads only
``DecodedPage``s: it needs lxml and parsel, not Scrapy and Twisted, so it starts in a
fraction of the time and is ready when the first pages arrive.

A ``DecodedPage`` gives extraction the very tree Scrapy's selector would: the text the
crawl's response decoded (``TextResponse.text``), parsed as ``parsel.Selector`` parses an
HTML document, with the base URL Scrapy's ``get_base_url`` finds (its elements are lxml's
plain ``etree`` elements, not ``lxml.html``'s subclasses: the same tree, built faster).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from crawler.items import PageItem
from crawler.urls import comment_page_number, post_url_of

log = logging.getLogger(__name__)

#: Comments per page when the first page's count is unknown (Blogger shows 200 per page).
DEFAULT_COMMENTS_PER_PAGE = 200
#: ``PageItem.error`` of a page that arrived incomplete; the reason follows.
INCOMPLETE = "incomplete page: "
#: Page kinds of a live crawl whose HTML must be whole (see ``incomplete_reason``).
WHOLE_KINDS = frozenset({"home", "archive", "index", "label", "post", "page", "comments"})
#: How far from the end of a page its closing tags are looked for, in bytes.
_TAIL = 65536
#: A declared comment count above this is not a count (a misread id); it is not compared.
_MAX_DECLARED = 100000
_CLOSING = (("</body>", re.compile(rb"</body\s*>", re.IGNORECASE)), ("</html>", re.compile(rb"</html\s*>", re.IGNORECASE)))


class DecodedPage:
    """The parts of a ``TextResponse`` extraction reads (``url``, ``status``, ``body``,
    ``text``, ``selector``, ``headers``), from a page already decoded once."""

    def __init__(
        self, url: str, status: int, body: bytes, text: str, encoding: str, headers: dict[bytes, bytes] | None = None
    ) -> None:
        self.url = url
        self.status = status
        self.body = body
        self.text = text
        self.encoding = encoding
        self.headers = headers or {}

    @cached_property
    def selector(self) -> Any:
        from lxml import etree
        from parsel import Selector
        from parsel.selector import create_root_node
        from w3lib.html import get_base_url

        # as scrapy.Selector(response): the decoded text, an HTML parse, the page's <base>.
        # The tree is the one parsel builds for type="html" (its create_root_node, the same
        # libxml2 parse and options) with lxml's plain element class: lxml.html's classes
        # cost a Python lookup for every element the extraction touches, and it calls none
        # of their methods.
        base_url = get_base_url(self.text[:4096], self.url, self.encoding)
        root = create_root_node(self.text, etree.HTMLParser, base_url=base_url)
        return Selector(root=root, type="html", base_url=base_url)


def warm_up() -> None:
    """Import what ``page_item`` on a ``DecodedPage`` needs: a process that extracts pages
    does it before they come."""
    import parsel  # noqa: F401
    import w3lib.html  # noqa: F401

    from crawler import extract  # noqa: F401


def response_header(response: Any, name: bytes) -> str | None:
    """A response header as text (latin-1), or None."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _is_text(response: Any) -> bool:
    """Whether the response holds text: a Scrapy ``Response`` that is no ``TextResponse``
    raises AttributeError for ``text``."""
    try:
        response.text
    except AttributeError:
        return False
    return True


def page_item(response: Any, url: str, kind: str, *, comment_offset: int | None = None) -> PageItem:
    """The ``PageItem`` for one fetched (or saved) page, with the records extracted from it.

    ``response`` is a Scrapy response or a ``DecodedPage``. ``kind`` is the item kind
    (``post``, ``page``, ``comments``, ``home``, ``archive``...). Extraction failures never
    raise: the page comes back with ``error`` set.
    """
    from crawler import extract

    item = PageItem(
        url=url,
        status=response.status,
        body=response.body,
        kind=kind,
        etag=response_header(response, b"ETag"),
        last_modified=response_header(response, b"Last-Modified"),
        content_type=response_header(response, b"Content-Type"),
    )
    if not _is_text(response):
        item.error = "not an HTML page"
        return item
    try:
        if kind in ("post", "page"):
            item.posts = [extract.extract_post(response)]
        elif kind == "comments":
            number = comment_page_number(url)
            offset = comment_offset if comment_offset is not None else (number - 1) * DEFAULT_COMMENTS_PER_PAGE
            item.comments = list(
                extract.extract_comments(response, post_url_of(url), page=number, position_offset=offset)
            )
        elif kind == "home":
            item.blog_info = extract.extract_blog_info(response)
    except extract.ExtractionError as exc:
        item.error = str(exc) or type(exc).__name__
    except Exception as exc:  # a page the extractor chokes on is stored with the reason
        log.warning("extraction failed for %s: %s: %s", url, type(exc).__name__, exc)
        item.error = f"{type(exc).__name__}: {exc}"
    return item


@dataclass(frozen=True)
class FetchedPage:
    """A fetched page whose records the archive pipeline still has to extract.

    The HTML spider yields these so that extraction (``crawler.extract_page.page_item``) and
    the archive writes can run in a second process while the spider keeps fetching. ``text``
    is the body as the spider's response decoded it (with its ``encoding``): the extraction
    process then parses it without Scrapy. A page without it (from a distributed worker) is
    decoded by a Scrapy ``HtmlResponse``.
    """

    url: str
    status: int
    body: bytes
    kind: str
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    comment_offset: int | None = None
    text: str | None = None
    encoding: str | None = None


def _response(page: FetchedPage) -> Any:
    """What extraction reads for a fetched page (see ``FetchedPage``)."""
    headers = {b"Content-Type": page.content_type.encode("latin-1")} if page.content_type else None
    if page.text is not None and page.encoding:
        return DecodedPage(page.url, page.status, page.body, page.text, page.encoding, headers)
    from scrapy.http import HtmlResponse  # only for pages that come without their text

    return HtmlResponse(page.url, status=page.status, body=page.body, headers=headers)


def incomplete_reason(body: bytes, item: PageItem) -> str | None:
    """Why a fetched HTML page is visibly incomplete (it ended early: a dropped connection
    on a body with no Content-Length), or None. A whole Blogger page closes ``</body>`` and
    ``</html>``, and a post whose comments all fit on its page shows as many as it declares."""
    tail = body[-_TAIL:]
    for tag, pattern in _CLOSING:
        if not pattern.search(tail):
            return f"ends after {len(body)} bytes, before its closing {tag}"
    for post in item.posts:
        declared = post.comment_count
        if post.comment_pages or declared is None or declared > _MAX_DECLARED:
            continue
        if len(post.comments) < declared:
            return f"{len(post.comments)} of the {declared} comments it declares"
    return None


def mark_incomplete(item: PageItem, reason: str) -> PageItem:
    """The page is stored (with the reason) but none of its records: a cut post or thread
    never reaches the exports, and the page is fetched again on the next run."""
    item.error = INCOMPLETE + reason
    item.posts, item.comments, item.blog_info = [], [], None
    return item


class PageExtractor:
    """Turns ``FetchedPage``s into ``PageItem``s, remembering how many comments each post's
    first page holds so that further comment pages continue the numbering."""

    def __init__(self) -> None:
        self.comments_per_page: dict[str, int] = {}

    def __call__(self, page: FetchedPage) -> PageItem:
        response = _response(page)
        offset = page.comment_offset
        if page.kind == "comments" and offset is None:
            first = self.comments_per_page.get(post_url_of(page.url))
            if first:
                offset = (comment_page_number(page.url) - 1) * first
        item = page_item(response, page.url, page.kind, comment_offset=offset)
        item.etag, item.last_modified, item.content_type = page.etag, page.last_modified, page.content_type
        if page.status == 200 and page.kind in WHOLE_KINDS:
            reason = incomplete_reason(page.body, item)
            if reason is not None:
                log.warning("%s: incomplete page (%s); it is fetched again on the next run", page.url, reason)
                return mark_incomplete(item, reason)
        self.learn(page.url, item)
        return item

    def learn(self, url: str, item: PageItem) -> None:
        """Remember how many comments the first page of a post with comment pages holds (a page
        extracted here, or by another extractor and handed on as ``Extracted``)."""
        for post in item.posts:
            if post.comment_pages:
                self.comments_per_page[url] = len(post.comments)


@dataclass
class Extracted:
    """A page the crawl process extracted itself, while the extraction worker was behind,
    handed to the worker in its place in the queue: the worker counts it, learns from it
    (``PageExtractor.learn``) and writes it, as if it had extracted it."""

    url: str
    item: PageItem
