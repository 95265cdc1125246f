"""One fetched page into a ``PageItem`` with its records, without importing Scrapy.

``page_item`` runs ``crawler.extract`` on a response: a Scrapy ``TextResponse`` (spiders, a
saved mirror, a web archive) or a ``DecodedPage``, the page as the crawl process already
decoded it. The extraction process of a live crawl (``crawler.pipelines``) reads only
``DecodedPage``s: it needs lxml and parsel, not Scrapy and Twisted, so it starts in a
fraction of the time and is ready when the first pages arrive.

A ``DecodedPage`` gives extraction the very tree Scrapy's selector would: the text the
crawl's response decoded (``TextResponse.text``), parsed by ``parsel.Selector`` as an HTML
document with the base URL Scrapy's ``get_base_url`` finds.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from crawler.items import PageItem
from crawler.urls import comment_page_number, post_url_of

log = logging.getLogger(__name__)

#: Comments per page when the first page's count is unknown (Blogger shows 200 per page).
DEFAULT_COMMENTS_PER_PAGE = 200


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
        from parsel import Selector
        from w3lib.html import get_base_url

        # as scrapy.Selector(response): the decoded text, an HTML parse, the page's <base>
        base_url = get_base_url(self.text[:4096], self.url, self.encoding)
        return Selector(text=self.text, type="html", base_url=base_url)


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
