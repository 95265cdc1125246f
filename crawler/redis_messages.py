"""What the workers of a distributed batch send the coordinator, as JSON lines in Redis.

A worker pushes, to the list its blog names (``reply_to``), one message per item the spider
yields: a fetched page (extracted by the coordinator, exactly as the archive pipeline of a
local crawl extracts it), a page stored without records (an error status, not HTML), a
crawl issue, or a blog that cannot be crawled at all (``fatal``). Bodies travel base64.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from scrapy.http import HtmlResponse

from crawler.items import PageItem
from crawler.links import discover_links, extract_links
from crawler.pipelines import FetchedPage, IssueItem


@dataclass(frozen=True)
class BlogFatal:
    """The blog cannot be crawled (its start page is unreachable, or no Blogger blog)."""

    kind: str
    message: str


@dataclass(frozen=True)
class Routed:
    """An item of one blog on its way to Redis (the list ``reply_to``)."""

    blog: str
    reply_to: str
    item: Any


@dataclass(frozen=True)
class JobDone:
    """The request ``job`` of ``blog`` is answered: every item and request it gave is in Redis."""

    blog: str
    job: str


def _b64(body: bytes) -> str:
    return base64.b64encode(body).decode("ascii")


def encode(blog: str, item: Any) -> str:
    """One message (a JSON line) for ``item``."""
    if isinstance(item, FetchedPage):
        message: dict[str, Any] = {"type": "fetched", "url": item.url, "status": item.status, "body": _b64(item.body),
                                   "kind": item.kind, "etag": item.etag, "last_modified": item.last_modified,
                                   "content_type": item.content_type, "comment_offset": item.comment_offset}
    elif isinstance(item, PageItem):
        if item.posts or item.comments or item.blog_info is not None:
            raise ValueError(f"{item.url}: a page with records is extracted by the coordinator")
        message = {"type": "page", "url": item.url, "status": item.status, "body": _b64(item.body),
                   "kind": item.kind, "etag": item.etag, "last_modified": item.last_modified,
                   "content_type": item.content_type, "error": item.error}
    elif isinstance(item, IssueItem):
        message = {"type": "issue", "url": item.url, "kind": item.kind, "reason": item.reason,
                   "failure": item.failure}
    elif isinstance(item, BlogFatal):
        message = {"type": "fatal", "kind": item.kind, "message": item.message}
    else:
        raise TypeError(f"no message for {type(item).__name__}")
    message["blog"] = blog
    return json.dumps(message)


def decode(raw: bytes | str) -> tuple[str, Any]:
    """(blog, item) from a message; the item is a ``FetchedPage``, ``PageItem``,
    ``IssueItem`` or ``BlogFatal``."""
    message = json.loads(raw)
    kind = message["type"]
    blog = message["blog"]
    if kind == "fetched":
        return blog, FetchedPage(url=message["url"], status=message["status"], body=base64.b64decode(message["body"]),
                                 kind=message["kind"], etag=message["etag"], last_modified=message["last_modified"],
                                 content_type=message["content_type"], comment_offset=message["comment_offset"])
    if kind == "page":
        return blog, PageItem(url=message["url"], status=message["status"], body=base64.b64decode(message["body"]),
                              kind=message["kind"], etag=message["etag"], last_modified=message["last_modified"],
                              content_type=message["content_type"], error=message["error"])
    if kind == "issue":
        return blog, IssueItem(message["url"], message["kind"], message["reason"], message["failure"])
    if kind == "fatal":
        return blog, BlogFatal(message["kind"], message["message"])
    raise ValueError(f"unknown message type {kind!r}")


def page_links(url: str, html: str, hosts: frozenset[str], scheme: str | None) -> list[str]:
    """The links a spider follows from a stored page (as ``BlogSpider._links`` finds them)."""
    response = HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")
    urls = discover_links(response, hosts, scheme)
    if urls is None:
        urls = extract_links(response, hosts, scheme).all()
    return sorted(urls)
