"""The archive pipeline: every item a spider yields ends up in ``DIR/blog.db``.

``ArchivePipeline`` extracts the records of fetched pages (``crawler.extract_page``) and
writes them with ``crawler.archive_writer.ArchiveWriter`` (whole pages, in transactions of
several pages) for Scrapy and keeps the counts the progress display
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
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

# the names spiders and sources import from here
from crawler.archive_writer import (  # noqa: F401
    FAILURE_KINDS,
    STAT_BYTES,
    STAT_COMMENTS,
    STAT_DATED_POSTS,
    STAT_ERRORS,
    STAT_EXPECTED,
    STAT_FATAL_KIND,
    STAT_FATAL_MESSAGE,
    STAT_FATAL_PATH,
    STAT_FETCHED,
    STAT_GONE,
    STAT_ISSUES,
    STAT_NOT_MODIFIED,
    STAT_POSTS,
    STAT_REUSED,
    STAT_STORED,
    ArchiveWriter,
    BlogInfoItem,
    IssueItem,
    count_item,
    posts_expected,
)
from crawler.extract_page import (  # noqa: F401
    INCOMPLETE,
    WHOLE_KINDS,
    Extracted,
    FetchedPage,
    PageExtractor,
    incomplete_reason,
    mark_incomplete,
    warm_up,
)
from crawler.items import PageItem
from crawler.process import die_with_parent, quiet_gc
from kernel.archive import Archive
from kernel.errors import DiskFullError, is_disk_full
from kernel.forked import exit_now

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

log = logging.getLogger(__name__)

#: Exit code of the extraction worker when the disk is full (errno ENOSPC).
DISK_FULL_EXIT = 28
#: Seconds between checks that the extraction worker still takes batches.
WORKER_CHECK_S = 0.5

#: Pages the crawl process extracted for the worker while it was behind.
STAT_EXTRACTED_HERE = "blogport/extracted_by_crawl_process"
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
    exit_now(0)  # the archive is committed and closed: no teardown for the crawl process to wait for


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
                elif isinstance(item, Extracted):  # extracted by the crawl process: as if here
                    extractor.learn(item.url, item.item)
                    item = item.item
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

    When the worker falls behind (``BLOGPORT_WORKER_BEHIND`` batches or more wait in its
    queue), this process extracts the next post pages itself and queues them extracted
    (``Extracted``), in their place: fetching slows a little where the worker would otherwise
    have held it up, and the crawl's end no longer waits for a long backlog with one core
    idle. Comment pages always go to the worker, which numbers their comments from the posts'
    first pages. The archive is the same, written in the same order, by the worker alone.
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
        worker_behind: int = 4,
    ) -> None:
        self.path = path
        self.stats = stats
        self.crawler = crawler
        self.batch_pages = batch_pages
        self.batch_seconds = batch_seconds
        self.use_worker = use_worker
        self.worker_after = worker_after
        self.worker_behind = worker_behind
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
            settings.getint("BLOGPORT_WORKER_BEHIND", 4),
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
            elif item.kind != "comments" and self._worker_is_behind():
                self._outbox.append(Extracted(item.url, self.extractor(item)))
                self.stats.inc_value(STAT_EXTRACTED_HERE)
                if len(self._outbox) >= 8:
                    self._send()
                return item
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
        if self.use_worker and fetched and (self.pages_inline >= self.worker_after or self._big_blog()):
            self._start_worker()
        return item

    def _worker_is_behind(self) -> bool:
        """Whether ``worker_behind`` batches or more wait in the worker's queue."""
        try:
            return self.inbox.qsize() >= self.worker_behind
        except NotImplementedError:  # no queue size on this platform: the worker does it all
            return False

    def _big_blog(self) -> bool:
        """Whether a page's blog details announced at least ``worker_after`` posts to archive
        (``count_item`` keeps the count, a trial run's ``--limit`` included)."""
        return int(self.stats.get_value(STAT_EXPECTED) or 0) >= self.worker_after

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
