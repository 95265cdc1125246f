"""The one item every spider yields: a fetched page and the raw records extracted from it.

The archive pipeline (``crawler.pipelines``) writes each item with ``Archive.store_page`` in
one transaction. Spiders never touch the archive themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.records import BlogInfo, RawComment, RawPost


@dataclass
class PageItem:
    url: str
    """Canonical URL the page is stored under."""
    status: int
    body: bytes
    kind: str
    """"home", "post", "page", "archive", "label", "index", "comments", "feed", "other"."""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    posts: list[RawPost] = field(default_factory=list)
    comments: list[RawComment] = field(default_factory=list)
    """Comments found apart from a post record (further comment pages, comment feeds)."""
    blog_info: BlogInfo | None = None
    error: str | None = None
    """Why extraction failed; the page is stored all the same."""
