"""The archive pipeline: every item a spider yields ends up in ``DIR/blog.db``.

``ArchiveWriter`` stores whole pages (``Archive.store_page``), crawl issues
(``Archive.record_issue``) and blog info (``Archive.set_blog_info``), several pages per
transaction for speed: a batch is committed when it holds ``BLOGPORT_BATCH_PAGES`` pages or
its oldest page has waited ``BLOGPORT_BATCH_SECONDS``, and on close. A run killed at any
moment leaves whole pages: a batch is committed completely or not at all.

``ArchivePipeline`` wraps the writer for Scrapy and keeps the counts the progress display
shows in the crawler's stats (``blogport/...`` keys), never in spider attributes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.archive import Archive
from crawler.items import PageItem
from crawler.records import BlogInfo

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

log = logging.getLogger(__name__)

#: Issue kinds that mean a page the blog has was not archived (they count as errors).
FAILURE_KINDS = frozenset({"size", "http", "network", "parse"})

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


@dataclass(frozen=True)
class IssueItem:
    """A URL that was not stored or not parsed, and why (``crawl_issues`` row)."""

    url: str
    kind: str
    """One of ``crawler.archive.ISSUE_KINDS``."""
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
                    if item.error and item.status == 200:
                        archive.record_issue(item.url, "parse", item.error)
                    if item.blog_info is not None:
                        archive.set_blog_info(item.blog_info)
                elif isinstance(item, IssueItem):
                    archive.record_issue(item.url, item.kind, item.reason)
                elif isinstance(item, BlogInfoItem):
                    archive.set_blog_info(item.info)


def count_item(stats: Any, item: Any) -> None:
    """Add one item to the ``blogport/...`` counts (a Scrapy stats collector or a dict-like
    object with ``inc_value``)."""
    if isinstance(item, PageItem):
        stats.inc_value(STAT_STORED)
        if item.posts:
            stats.inc_value(STAT_POSTS, len(item.posts))
        n_comments = len(item.comments) + sum(len(p.comments) for p in item.posts)
        if n_comments:
            stats.inc_value(STAT_COMMENTS, n_comments)
        if item.error and item.status == 200:  # stored, but extraction failed
            stats.inc_value(STAT_ERRORS)
            stats.inc_value(STAT_ISSUES)
            stats.inc_value("blogport/issues/parse")
    elif isinstance(item, IssueItem):
        stats.inc_value(STAT_ISSUES)
        stats.inc_value(f"blogport/issues/{item.kind}")
        if item.is_failure:
            stats.inc_value(STAT_ERRORS)


class ArchivePipeline:
    """Scrapy item pipeline over ``ArchiveWriter``; the archive path is the
    ``BLOGPORT_ARCHIVE`` setting. The archive is opened at the first item, so a source
    that turns out not to be a blog leaves no ``blog.db`` behind."""

    def __init__(self, path: Path, stats: StatsCollector, batch_pages: int, batch_seconds: float) -> None:
        self.path = path
        self.stats = stats
        self.batch_pages = batch_pages
        self.batch_seconds = batch_seconds
        self.archive: Archive | None = None
        self.writer: ArchiveWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchivePipeline":
        settings = crawler.settings
        return cls(
            Path(settings["BLOGPORT_ARCHIVE"]),
            crawler.stats,
            settings.getint("BLOGPORT_BATCH_PAGES", 50),
            settings.getfloat("BLOGPORT_BATCH_SECONDS", 1.0),
        )

    def open_spider(self) -> None:
        pass

    def process_item(self, item: Any) -> Any:
        if self.writer is None:
            self.archive = Archive(self.path)
            self.writer = ArchiveWriter(self.archive, self.batch_pages, self.batch_seconds)
        self.writer.add(item)
        count_item(self.stats, item)
        return item

    def close_spider(self) -> None:
        if self.writer is not None:
            try:
                self.writer.flush()
            finally:
                assert self.archive is not None
                self.archive.close()
                self.writer = None
                self.archive = None
