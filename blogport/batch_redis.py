"""``blogport batch LIST -o ROOT --redis URL``: the coordinator of a distributed batch.

The coordinator owns every archive (one writer per SQLite file, on this machine); the
``blogport worker`` processes, anywhere, fetch. For each live blog of LIST it publishes the
blog (start URL, hosts, the pages its archive already holds, with their links) and queues
its start page (``crawler.redis_queue``); the workers walk the blogs and push every page to
this batch's list. The coordinator takes the pages from that list into each blog's archive
with the same extraction and batched writes as a local crawl (``crawler.pipelines``), and
when a blog has no open request left, transforms, exports and validates it (as ``blogport
migrate`` does) while the other blogs go on. Sources that are files or folders are migrated
here directly.

Nothing is lost when something dies:

* a worker: what it had taken comes back to the queue once its heartbeat expires
  (``requeue_dead_workers``, called here every second); a page fetched twice is stored once;
* the coordinator: pages are moved (``LMOVE``) to a "taking" list and leave it only after the
  archive transaction that stores them is committed; the same command resumes with the
  crawl state kept in Redis, or, when Redis lost it, publishes again what each archive
  holds, so that no stored page is fetched again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import redis
from scrapy import Request

from blogport.batch import BatchEntry, BatchResult, BlogOutcome, BlogPool, config_for, finish_blog, ordered
from blogport.batch_board import Board
from blogport.config import MigrationConfig, save_config
from blogport.lock import acquire, release
from blogport.migrate import check_out_dir, prepare_out_dir, source_identity
from blogport.validate_options import ValidateOptions
from crawler.pipelines import ArchiveWriter, FetchedPage, IssueItem, PageExtractor, count_item
from crawler.redis_messages import BlogFatal, decode, page_links
from crawler.redis_queue import (
    QUEUE_KEY,
    BlogDupeFilter,
    JobQueue,
    blog_key,
    blog_keys,
    hosts_key,
    open_key,
    requeue_dead_workers,
    save_options,
    stored_key,
)
from crawler.redis_worker import connect
from crawler.run import LiveBlog
from crawler.spider import PRIORITY, REUSABLE_KINDS
from crawler.summary import CrawlSummary
from crawler.urls import blog_hosts, canonicalize, classify, item_kind
from kernel.archive import ARCHIVE_NAME, Archive, utc_now
from kernel.errors import InterruptedRun, SourceError, UnreachableError

log = logging.getLogger(__name__)

#: Pages taken from Redis per archive transaction round.
TAKE_AT_ONCE = 200
#: Seconds between two looks for dead workers.
REAP_INTERVAL_S = 1.0


class _Stats(dict):
    def inc_value(self, key: str, count: int = 1) -> None:
        self[key] = self.get(key, 0) + count


@dataclass
class BlogCrawl:
    """One live blog while its pages arrive."""

    entry: BatchEntry
    blog: str
    out_dir: Path
    start_url: str
    archive: Archive
    writer: ArchiveWriter
    extractor: PageExtractor = field(default_factory=PageExtractor)
    stats: _Stats = field(default_factory=_Stats)
    pages: int = 0
    fatal: BlogFatal | None = None
    started: float = field(default_factory=time.monotonic)
    done: bool = False

    def add(self, item: Any) -> None:
        if isinstance(item, BlogFatal):
            self.fatal = item
            return
        if not isinstance(item, IssueItem):
            self.pages += 1
        if isinstance(item, FetchedPage):
            item = self.extractor(item)
        count_item(self.stats, item)
        self.writer.add(item)

    def summary(self) -> CrawlSummary:
        elapsed = time.monotonic() - self.started
        return CrawlSummary.from_stats(self.start_url, self.out_dir, "html", self.stats, pages=self.pages,
                                       elapsed=elapsed)


class _Named:
    """What scrapy-redis's queue encodes requests for (the coordinator runs no spider)."""

    name = "blogport-redis"
    worker_id = None


def batch_id(root: Path) -> str:
    return hashlib.sha1(str(root.resolve()).encode("utf-8")).hexdigest()[:12]


def blog_id(batch: str, source: str) -> str:
    return hashlib.sha1(f"{batch} {source_identity(source)}".encode("utf-8")).hexdigest()[:16]


def stored_links(archive: Archive, start_url: str) -> dict[str, str]:
    """URL -> JSON list of links, for each page the archive holds that a crawl reuses."""
    scheme = start_url.split("://", 1)[0]
    hosts = blog_hosts([start_url])
    marks = ",".join("?" * len(REUSABLE_KINDS))
    rows = archive.conn.execute(
        f"SELECT url, html FROM pages WHERE status = 200 AND error IS NULL AND html IS NOT NULL AND kind IN ({marks})",
        tuple(sorted(REUSABLE_KINDS)),
    )
    return {url: json.dumps(page_links(url, html, hosts, scheme)) for url, html in rows}


def seed(server: redis.Redis, crawl: BlogCrawl, reply_to: str) -> bool:
    """Publish the blog and queue its start page, unless Redis still has its crawl (a resumed
    coordinator); whether it was seeded."""
    if server.exists(blog_key(crawl.blog)) and server.scard(open_key(crawl.blog)):
        return False
    server.delete(*blog_keys(crawl.blog))
    links = stored_links(crawl.archive, crawl.start_url)
    items = list(links.items())
    for i in range(0, len(items), 500):
        server.hset(stored_key(crawl.blog), mapping=dict(items[i:i + 500]))
    start = crawl.start_url
    server.sadd(hosts_key(crawl.blog), *sorted(blog_hosts([start])))
    server.hset(blog_key(crawl.blog), mapping={"start_url": start, "scheme": start.split("://", 1)[0],
                                               "reply_to": reply_to, "source": crawl.entry.source})
    kind = item_kind(classify(start))
    if kind not in ("post", "page"):
        kind = "home"
    request = Request(start, priority=PRIORITY.get(kind, 0), dont_filter=True,
                      meta={"blog": crawl.blog, "url": start, "kind": kind, "start": True, "max_retry_times": 1})
    BlogDupeFilter(server, key="blogport:seen").mark_seen(crawl.blog, start)
    JobQueue(server, _Named(), QUEUE_KEY).push(request)
    return True


class Coordinator:
    def __init__(self, server: redis.Redis, root: Path, template: MigrationConfig, board: Board,
                 pool: BlogPool, validate_options: ValidateOptions) -> None:
        self.server = server
        self.root = root
        self.template = template
        self.board = board
        self.pool = pool
        self.validate_options = validate_options
        self.batch = batch_id(root)
        self.reply_to = f"blogport:batch:{self.batch}:pages"
        self.taking = self.reply_to + ":taking"
        self.crawls: dict[str, BlogCrawl] = {}
        self.outcomes: list[BlogOutcome] = []
        self.failed: list[BlogOutcome] = []

    # -- start -------------------------------------------------------------------------
    def open(self, entry: BatchEntry) -> None:
        out_dir = self.root / entry.name
        start = canonicalize(LiveBlog.detect(entry.source).location)  # type: ignore[union-attr]
        try:
            check_out_dir(entry.source, out_dir)
            prepare_out_dir(out_dir)
            acquire(out_dir)  # held until the batch ends; migrate() takes it again (re-entrant)
        except Exception as exc:
            code = getattr(exc, "exit_code", 2)
            self.failed.append(BlogOutcome(entry.source, entry.name, code, message=str(exc)))
            self.board.update(entry.name, stage="failed", exit_code=code)
            return
        archive = Archive(out_dir / ARCHIVE_NAME)
        save_config(archive, config_for(self.template, entry.source))
        crawl = BlogCrawl(entry, blog_id(self.batch, entry.source), out_dir, start, archive, ArchiveWriter(archive))
        self.crawls[crawl.blog] = crawl
        resumed = not seed(self.server, crawl, self.reply_to)
        self.board.update(entry.name, stage="crawling" + (" (resumed)" if resumed else ""))

    # -- pages -------------------------------------------------------------------------
    def take(self) -> int:
        """Store a round of pages (those a killed coordinator had taken first); how many."""
        raw = self.server.lrange(self.taking, 0, -1)
        if not raw:
            first = self.server.blmove(self.reply_to, self.taking, 0.5, "LEFT", "RIGHT")
            if first is None:
                return 0
            raw = [first]
            while len(raw) < TAKE_AT_ONCE:
                more = self.server.lmove(self.reply_to, self.taking, "LEFT", "RIGHT")
                if more is None:
                    break
                raw.append(more)
        touched: set[str] = set()
        for message in raw:
            blog, item = decode(message)
            crawl = self.crawls.get(blog)
            if crawl is None or crawl.done:
                continue  # a page of another batch, or one fetched again after its blog ended
            crawl.add(item)
            touched.add(blog)
        for blog in touched:
            self.crawls[blog].writer.flush()
        self.server.delete(self.taking)
        for blog in touched:
            crawl = self.crawls[blog]
            self.board.update(crawl.entry.name, pages=crawl.pages, posts=int(crawl.stats.get("blogport/posts", 0)),
                              comments=int(crawl.stats.get("blogport/comments", 0)),
                              errors=int(crawl.stats.get("blogport/errors", 0)))
        return len(raw)

    def complete(self) -> None:
        """Hand every blog whose crawl is complete to the pool (or record why it failed)."""
        for crawl in list(self.crawls.values()):
            if crawl.done or self.server.scard(open_key(crawl.blog)):
                continue
            if self.server.llen(self.reply_to) or self.server.llen(self.taking):
                return  # pages still to store
            self._finish(crawl)

    def _finish(self, crawl: BlogCrawl) -> None:
        crawl.done = True
        crawl.writer.flush()
        summary = crawl.summary()
        entry = crawl.entry
        if crawl.fatal is None:
            crawl.archive.set_meta("source", {"source": crawl.start_url, "via": "html", "at": utc_now()})
            crawl.archive.set_meta("last_crawl", summary.as_dict())
        crawl.archive.close()
        self.server.delete(*blog_keys(crawl.blog))
        if crawl.fatal is not None:
            error = UnreachableError(crawl.fatal.message) if crawl.fatal.kind == "unreachable" else SourceError(
                crawl.fatal.message)
            self.failed.append(BlogOutcome(entry.source, entry.name, error.exit_code, pages=crawl.pages,
                                           message=str(error)))
            self.board.update(entry.name, stage="failed", exit_code=error.exit_code)
            release(crawl.out_dir)
            return
        config = config_for(self.template, entry.source)

        def run() -> BlogOutcome:
            try:
                outcome = finish_blog(entry, crawl.out_dir, config, self.board, self.validate_options,
                                      crawl_with=lambda: summary)
                return BlogOutcome(outcome.source, outcome.name, outcome.exit_code, outcome.posts,
                                   outcome.comments, outcome.errors, crawl.pages, outcome.message)
            finally:
                release(crawl.out_dir)

        self.pool.submit(run)

    def crawling(self) -> bool:
        return any(not crawl.done for crawl in self.crawls.values())

    def close(self) -> None:
        """Commit what was taken (Ctrl-C); the round being taken stays in Redis, and the same
        command stores it again (storing a page twice keeps one copy)."""
        for crawl in self.crawls.values():
            if not crawl.done:
                crawl.writer.flush()
                crawl.archive.close()


def run_redis(entries: list[BatchEntry], root: Path, template: MigrationConfig, url: str, *, jobs: int,
              board: Board, validate_options: ValidateOptions) -> BatchResult:
    """Migrate every entry, the live blogs' crawls spread over the workers on ``url``."""
    server = connect(url)
    if template.crawl.via == "feeds":
        raise SourceError("with --redis the workers walk the blogs' HTML pages: leave out --via feeds")
    prepare_out_dir(root)
    started = time.monotonic()
    save_options(server, asdict(template.crawl))
    pool = BlogPool(jobs)
    coordinator = Coordinator(server, root, template, board, pool, validate_options)
    live = [e for e in entries if LiveBlog.detect(e.source) is not None]
    for entry in entries:
        if entry not in live:  # a mirror folder or an export file: nothing to fetch
            pool.submit(lambda entry=entry: finish_blog(entry, root / entry.name, config_for(template, entry.source),
                                                        board, validate_options))
    with board:
        try:
            for entry in live:
                coordinator.open(entry)
            last_reap = 0.0
            requeued = 0
            while coordinator.crawling():
                pool.check()
                if time.monotonic() - last_reap >= REAP_INTERVAL_S:
                    moved = requeue_dead_workers(server)
                    requeued += moved
                    if moved:
                        log.warning("%d requests of a worker that stopped answering were queued again", moved)
                    last_reap = time.monotonic()
                coordinator.take()
                coordinator.complete()
            pool.wait()
        except (KeyboardInterrupt, InterruptedRun):
            coordinator.close()
            raise InterruptedRun("batch") from None
        except redis.RedisError as exc:
            coordinator.close()
            raise UnreachableError(f"lost Redis at {url} ({exc}); run the same command again to resume") from None
    outcomes = ordered(entries, [*pool.results, *coordinator.failed])
    return BatchResult(root, "redis", outcomes, time.monotonic() - started, {"redis": url, "requeued": requeued})
