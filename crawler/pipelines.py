"""The archive pipeline: every item a spider yields ends up in ``DIR/blog.db``.

``ArchiveWriter`` stores whole pages (``Archive.store_page``), crawl issues
(``Archive.record_issue``) and blog info (``Archive.set_blog_info``), several pages per
transaction for speed: a batch is committed when it holds ``BLOGPORT_BATCH_PAGES`` pages or
its oldest page has waited ``BLOGPORT_BATCH_SECONDS``, and on close. A run killed at any
moment leaves whole pages: a batch is committed completely or not at all.

``ArchivePipeline`` wraps the writer for Scrapy and keeps the counts the progress display
shows in the crawler's stats (``blogport/...`` keys), never in spider attributes.

A full disk ends the crawl at once: the batch being written is rolled back (every page
committed before it is kept), the crawl stops, and the stats name the file
(``blogport/fatal_kind`` "disk_full", ``blogport/fatal_path``) for the one-line error the
command prints. The extraction worker reports a full disk by its exit code
(``DISK_FULL_EXIT``); a worker that dies for any reason stops the crawl instead of leaving
it waiting.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.extract_page import DecodedPage, page_item, warm_up
from crawler.items import PageItem
from crawler.process import die_with_parent, quiet_gc
from crawler.urls import comment_page_number, post_url_of
from kernel.archive import Archive
from kernel.errors import DiskFullError, is_disk_full
from kernel.records import BlogInfo

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

log = logging.getLogger(__name__)

#: Issue kinds that mean a page the blog has was not archived (they count as errors).
FAILURE_KINDS = frozenset({"size", "http", "network", "parse", "incomplete"})
#: ``PageItem.error`` of a page that arrived incomplete; the reason follows.
INCOMPLETE = "incomplete page: "
#: Page kinds of a live crawl whose HTML must be whole (see ``incomplete_reason``).
WHOLE_KINDS = frozenset({"home", "archive", "index", "label", "post", "page", "comments"})
#: How far from the end of a page its closing tags are looked for, in bytes.
_TAIL = 65536
#: A declared comment count above this is not a count (a misread id); it is not compared.
_MAX_DECLARED = 100000
_CLOSING = (("</body>", re.compile(rb"</body\s*>", re.IGNORECASE)), ("</html>", re.compile(rb"</html\s*>", re.IGNORECASE)))

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

#: Exit code of the extraction worker when the disk is full (errno ENOSPC).
DISK_FULL_EXIT = 28
#: Seconds between checks that the extraction worker still takes batches.
WORKER_CHECK_S = 0.5


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
        for post in item.posts:
            if post.comment_pages:
                self.comments_per_page[page.url] = len(post.comments)
        return item


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


#: Counts the extraction worker keeps (shared memory), in this order.
WORKER_KEYS = (
    STAT_STORED, STAT_POSTS, STAT_COMMENTS, STAT_ERRORS, STAT_ISSUES, "blogport/issues/parse",
    "blogport/issues/incomplete", STAT_DATED_POSTS,
)


class _ArrayStats:
    def __init__(self, array: Any) -> None:
        self.array = array
        self.index = {key: i for i, key in enumerate(WORKER_KEYS)}

    def inc_value(self, key: str, count: int = 1) -> None:
        i = self.index.get(key)
        if i is not None:
            with self.array.get_lock():
                self.array[i] += count


def _worker_main(
    path: str, batch_pages: int, batch_seconds: float, inbox: Any, counts: Any, comments_per_page: dict[str, int],
    parent: int | None = None,
) -> None:
    """Extraction worker: extract records from fetched pages and write the archive. It dies
    with the crawl process, and exits with ``DISK_FULL_EXIT`` when the disk is full."""
    import os
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl process decides when to stop
    parent = parent or os.getppid()
    die_with_parent(parent)
    quiet_gc()
    warm_up()  # before the first pages arrive
    quiet_gc(settled=True)
    try:
        _worker_loop(path, batch_pages, batch_seconds, inbox, counts, comments_per_page, parent)
    except (sqlite3.Error, OSError) as exc:
        if not is_disk_full(exc):
            raise
        log.info("%s", DiskFullError(path))  # the command says it, once
        sys.exit(DISK_FULL_EXIT)


def _worker_loop(
    path: str, batch_pages: int, batch_seconds: float, inbox: Any, counts: Any, comments_per_page: dict[str, int],
    parent: int,
) -> None:
    import os
    import queue

    stats = _ArrayStats(counts)
    extractor = PageExtractor()
    extractor.comments_per_page.update(comments_per_page)
    archive: Archive | None = None
    writer: ArchiveWriter | None = None
    try:
        while True:
            try:
                batch = inbox.get(timeout=batch_seconds)
            except queue.Empty:
                if writer is not None:
                    writer.flush()
                if os.getppid() != parent:  # the crawl process is gone: write nothing more
                    return
                continue
            if batch is None:
                break
            if writer is None:  # opened at the first item: no blog.db for a source that is no blog
                archive = Archive(path)
                writer = ArchiveWriter(archive, batch_pages, batch_seconds)
            for item in batch:
                if isinstance(item, FetchedPage):
                    item = extractor(item)
                    count_item(stats, item)
                writer.add(item)
        if writer is not None:
            writer.flush()
    finally:
        if archive is not None:
            archive.close()


class ArchivePipeline:
    """Scrapy item pipeline over ``ArchiveWriter``; the archive path is the
    ``BLOGPORT_ARCHIVE`` setting. The archive is opened at the first item, so a source
    that turns out not to be a blog leaves no ``blog.db`` behind.

    ``FetchedPage`` items are extracted here. A small blog's pages are extracted and written
    inline. A big one (with ``BLOGPORT_EXTRACT_WORKER``, the default) goes to a second
    process that extracts and writes, fed in order through a queue, so fetching and
    extraction use two cores: it starts right after the first page whose blog details
    announce at least ``BLOGPORT_WORKER_AFTER`` posts (the home page, usually the first),
    or once that many pages were extracted inline when the blog announces no count. It
    imports no Scrapy (``crawler.extract_page``), so it is ready within a fraction of a
    second, while the crawl's first pages wait in the queue. Its counts come back through
    shared memory into the crawler's stats.
    """

    def __init__(
        self,
        path: Path,
        stats: StatsCollector,
        batch_pages: int,
        batch_seconds: float,
        use_worker: bool = True,
        worker_after: int = 100,
        crawler: Crawler | None = None,
    ) -> None:
        self.path = path
        self.stats = stats
        self.crawler = crawler
        self.batch_pages = batch_pages
        self.batch_seconds = batch_seconds
        self.use_worker = use_worker
        self.worker_after = worker_after
        self.archive: Archive | None = None
        self.writer: ArchiveWriter | None = None
        self.extractor = PageExtractor()
        self.pages_inline = 0
        self.worker: Any = None
        self.inbox: Any = None
        self.counts: Any = None
        self.stopped = False
        """Set when a full disk or a dead worker ended the crawl: nothing more is written."""
        self._synced = [0] * len(WORKER_KEYS)
        self._outbox: list[Any] = []
        self._last_send = 0.0
        self._sync_task: Any = None
        self.limit = crawler.settings.getint("BLOGPORT_LIMIT", 0) if crawler is not None else 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchivePipeline":
        settings = crawler.settings
        return cls(
            Path(settings["BLOGPORT_ARCHIVE"]),
            crawler.stats,
            settings.getint("BLOGPORT_BATCH_PAGES", 50),
            settings.getfloat("BLOGPORT_BATCH_SECONDS", 1.0),
            settings.getbool("BLOGPORT_EXTRACT_WORKER", True),
            settings.getint("BLOGPORT_WORKER_AFTER", 100),
            crawler,
        )

    def open_spider(self) -> None:
        pass

    # -- a crawl that cannot go on ---------------------------------------------------------
    def _stop(self, kind: str, message: str) -> None:
        """Record why the crawl ends and close the spider (once)."""
        if self.stopped:
            return
        self.stopped = True
        log.info("crawl stopped: %s", message)  # the command reports it, once
        if self.stats.get_value(STAT_FATAL_KIND) is None:
            self.stats.set_value(STAT_FATAL_KIND, kind)
            self.stats.set_value(STAT_FATAL_MESSAGE, message)
            self.stats.set_value(STAT_FATAL_PATH, str(self.path))
        engine = self.crawler.engine if self.crawler is not None else None
        if engine is not None:
            from twisted.internet import reactor
            from scrapy.utils.defer import deferred_from_coro

            reactor.callLater(0, lambda: deferred_from_coro(engine.close_spider_async(reason=kind)))

    def _disk_full(self) -> None:
        self._stop("disk_full", str(DiskFullError(self.path)))

    def _write(self, action: Any) -> bool:
        """Run one archive write; a full disk stops the crawl (the batch is rolled back)."""
        try:
            action()
        except (sqlite3.Error, OSError) as exc:
            if not is_disk_full(exc):
                raise
            self._disk_full()
            return False
        return True

    def _check_worker(self) -> bool:
        """Whether the worker still runs; a worker that died stops the crawl."""
        if self.worker is None:
            return False
        if self.worker.is_alive():
            return True
        code = self.worker.exitcode
        if not self.stopped and code:
            if code == DISK_FULL_EXIT:
                self._disk_full()
            else:
                self.stats.set_value("blogport/worker_failed", code)
                self._stop("worker_failed", f"the extraction process of the crawl stopped (exit code {code})")
        return False

    # -- the worker ------------------------------------------------------------------------
    def _start_worker(self) -> None:
        """Commit what was written inline, then hand extraction and writes to a worker."""
        import multiprocessing
        import os

        if self.writer is not None:
            writer, self.writer = self.writer, None
            assert self.archive is not None
            try:
                if not self._write(writer.flush):
                    return
            finally:
                self.archive.close()
                self.archive = None
        # spawn, not fork: the crawl process has threads (stdin watcher, DNS pool) whose
        # locks a forked child would inherit held
        context = multiprocessing.get_context("spawn")
        self.inbox = context.Queue(maxsize=256)
        self.counts = context.Array("q", len(WORKER_KEYS))
        self.worker = context.Process(
            target=_worker_main,
            args=(str(self.path), self.batch_pages, self.batch_seconds, self.inbox, self.counts,
                  dict(self.extractor.comments_per_page), os.getpid()),
            name="blogport-extract",
            daemon=True,
        )
        self.worker.start()
        from twisted.internet import task

        self._sync_task = task.LoopingCall(self._tick)
        self._sync_task.start(0.2, now=False)

    def _tick(self) -> None:
        if self._outbox and time.monotonic() - self._last_send >= 0.1:
            self._send()
        self._sync_counts()
        self._check_worker()

    def _send(self) -> bool:
        batch, self._outbox = self._outbox, []
        self._last_send = time.monotonic()
        return self._put(batch)

    def _put(self, message: Any) -> bool:
        """Hand a batch (or the end, None) to the worker; False if it died (the crawl stops)."""
        import queue

        while self._check_worker():
            try:
                self.inbox.put(message, timeout=WORKER_CHECK_S)
                return True
            except queue.Full:
                continue
        return False

    def _sync_counts(self) -> None:
        if self.counts is None:
            return
        values = list(self.counts)
        for i, key in enumerate(WORKER_KEYS):
            delta = values[i] - self._synced[i]
            if delta:
                self.stats.inc_value(key, delta)
        self._synced = values

    # -- Scrapy's hooks --------------------------------------------------------------------
    def process_item(self, item: Any) -> Any:
        if self.stopped:
            return item
        if self.worker is not None:
            if not isinstance(item, FetchedPage):
                count_item(self.stats, item, self.limit)
            self._outbox.append(item)
            if len(self._outbox) >= 8:
                self._send()
            return item
        fetched = isinstance(item, FetchedPage)
        if fetched:
            item = self.extractor(item)
            self.pages_inline += 1
        if self.writer is None:
            archive: list[Archive] = []
            if not self._write(lambda: archive.append(Archive(self.path))):
                return item
            self.archive = archive[0]
            self.writer = ArchiveWriter(self.archive, self.batch_pages, self.batch_seconds)
        writer = self.writer
        if not self._write(lambda: writer.add(item)):
            return item
        count_item(self.stats, item, self.limit)
        if self.use_worker and fetched and (self.pages_inline >= self.worker_after or self._big_blog(item)):
            self._start_worker()
        return item

    def _big_blog(self, item: PageItem) -> bool:
        """Whether the page's blog details announce at least ``worker_after`` posts (to
        archive: a trial run's ``--limit`` counts)."""
        expected = posts_expected(item.blog_info, self.limit) if item.status == 200 else None
        return expected is not None and expected >= self.worker_after

    def close_spider(self) -> None:
        if self.worker is not None:
            if self._sync_task is not None and self._sync_task.running:
                self._sync_task.stop()
            if self._outbox and not self.stopped:
                self._send()
            self._put(None)
            self.worker.join()  # it reads to the end marker, or it died
            if self.worker.exitcode != 0:  # what is still queued for it cannot be delivered
                self.inbox.cancel_join_thread()
            self.inbox.close()
            self.inbox.join_thread()
            self._sync_counts()
            self._check_worker()
            self.worker = None
        if self.writer is not None:
            writer, archive = self.writer, self.archive
            self.writer = self.archive = None
            try:
                if not self.stopped:
                    self._write(writer.flush)
            finally:
                assert archive is not None
                archive.close()
