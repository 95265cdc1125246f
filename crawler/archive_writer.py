"""Archive writes of spider items, and the counts the progress display shows.

``ArchiveWriter`` stores whole pages (``Archive.store_page``), crawl issues
(``Archive.record_issue``) and blog info (``Archive.set_blog_info``), several pages per
transaction for speed: a batch is committed when it holds ``BLOGPORT_BATCH_PAGES`` pages or
its oldest page has waited ``BLOGPORT_BATCH_SECONDS``, and on close. A run killed at any
moment leaves whole pages: a batch is committed completely or not at all.

``count_item`` keeps the ``blogport/...`` counts of the crawler's stats (``STAT_*``), which the
spiders, the archive pipeline (``crawler.pipelines``), the extraction worker and the
progress display share.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from crawler.extract_page import INCOMPLETE
from crawler.items import PageItem
from kernel.archive import Archive
from kernel.records import BlogInfo

#: Issue kinds that mean a page the blog has was not archived (they count as errors).
FAILURE_KINDS = frozenset({"size", "http", "network", "parse", "incomplete"})

# Stats keys shared by the spider, the pipeline and the progress display.
STAT_FETCHED = "blogport/pages_fetched"
STAT_STORED = "blogport/pages_stored"
STAT_POSTS = "blogport/posts"
STAT_COMMENTS = "blogport/comments"
STAT_ERRORS = "blogport/errors"
STAT_NOT_MODIFIED = "blogport/not_modified"
STAT_GONE = "blogport/gone"
STAT_REUSED = "blogport/reused"
STAT_ISSUES = "blogport/issues"
STAT_BYTES = "downloader/response_bytes"
STAT_DATED_POSTS = "blogport/posts_of_kind_post"
"""Posts found that are blog posts, not static pages (what ``STAT_EXPECTED`` counts)."""
STAT_EXPECTED = "blogport/posts_expected"
"""How many posts the blog says it has (its archive widget's month counts, or the posts
feed's total), at most the trial run's ``--limit``: the progress display's total."""
STAT_FATAL_KIND = "blogport/fatal_kind"
STAT_FATAL_MESSAGE = "blogport/fatal_message"
STAT_FATAL_PATH = "blogport/fatal_path"


@dataclass(frozen=True)
class IssueItem:
    """A URL that was not stored or not parsed, and why (``crawl_issues`` row)."""

    url: str
    kind: str
    """One of ``kernel.archive.ISSUE_KINDS``."""
    reason: str
    failure: bool | None = None
    """Whether it counts as a failed page (default: by kind, see ``FAILURE_KINDS``)."""

    @property
    def is_failure(self) -> bool:
        return self.kind in FAILURE_KINDS if self.failure is None else self.failure


@dataclass(frozen=True)
class BlogInfoItem:
    info: BlogInfo


class ArchiveWriter:
    """Batched, transactional writes of spider items into an archive."""

    def __init__(self, archive: Archive, batch_pages: int = 50, batch_seconds: float = 1.0) -> None:
        self.archive = archive
        self.batch_pages = max(1, batch_pages)
        self.batch_seconds = batch_seconds
        self._pending: list[Any] = []
        self._pending_pages = 0
        self._oldest = 0.0

    def add(self, item: Any) -> None:
        if not self._pending:
            self._oldest = time.monotonic()
        self._pending.append(item)
        if isinstance(item, PageItem):
            self._pending_pages += 1
        if self._pending_pages >= self.batch_pages or time.monotonic() - self._oldest >= self.batch_seconds:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        items, self._pending, self._pending_pages = self._pending, [], 0
        archive = self.archive
        with archive.transaction():
            for item in items:
                if isinstance(item, PageItem):
                    incomplete = bool(item.error and item.error.startswith(INCOMPLETE))
                    if incomplete and archive.has_whole_page(item.url):
                        # a whole copy is stored already: keep it, record the failed fetch
                        archive.record_issue(item.url, "incomplete", item.error[len(INCOMPLETE):])
                        continue
                    archive.store_page(
                        item.url,
                        status=item.status,
                        body=item.body,
                        kind=item.kind,
                        etag=item.etag,
                        last_modified=item.last_modified,
                        content_type=item.content_type,
                        error=item.error,
                        posts=item.posts,
                        comments=item.comments,
                    )
                    if incomplete:
                        archive.record_issue(item.url, "incomplete", item.error[len(INCOMPLETE):])
                    elif item.error and item.status == 200:
                        archive.record_issue(item.url, "parse", item.error)
                    if item.blog_info is not None:
                        archive.set_blog_info(item.blog_info)
                elif isinstance(item, IssueItem):
                    archive.record_issue(item.url, item.kind, item.reason)
                elif isinstance(item, BlogInfoItem):
                    archive.set_blog_info(item.info)


def posts_expected(info: BlogInfo | None, limit: int = 0) -> int | None:
    """The posts the archive widget's month counts add up to (at most ``limit`` when given),
    or None when the widget shows no counts."""
    counts = [m.count for m in (info.archive_months if info is not None else ()) if m.count is not None]
    if not counts:
        return None
    return min(sum(counts), limit) if limit > 0 else sum(counts)


def count_item(stats: Any, item: Any, limit: int = 0) -> None:
    """Add one item to the ``blogport/...`` counts (a Scrapy stats collector or a dict-like
    object with ``inc_value``). A page with the blog's details sets ``STAT_EXPECTED`` on a
    collector that has ``set_value``."""
    if isinstance(item, PageItem):
        expected = posts_expected(item.blog_info, limit) if item.status == 200 else None
        if expected and hasattr(stats, "set_value"):
            stats.set_value(STAT_EXPECTED, expected)
        stats.inc_value(STAT_STORED)
        if item.status != 200:  # an error page, or a stored page the blog no longer serves
            return
        if item.posts:
            stats.inc_value(STAT_POSTS, len(item.posts))
            stats.inc_value(STAT_DATED_POSTS, sum(1 for p in item.posts if p.kind == "post"))
        n_comments = len(item.comments) + sum(len(p.comments) for p in item.posts)
        if n_comments:
            stats.inc_value(STAT_COMMENTS, n_comments)
        if item.error and item.status == 200:  # stored, but extraction failed or it is incomplete
            stats.inc_value(STAT_ERRORS)
            stats.inc_value(STAT_ISSUES)
            kind = "incomplete" if item.error.startswith(INCOMPLETE) else "parse"
            stats.inc_value(f"blogport/issues/{kind}")
    elif isinstance(item, IssueItem):
        stats.inc_value(STAT_ISSUES)
        stats.inc_value(f"blogport/issues/{item.kind}")
        if item.is_failure:
            stats.inc_value(STAT_ERRORS)
