"""The crawl's child process: ``python -m crawler.process`` runs one Scrapy crawl.

Scrapy's Twisted reactor cannot be restarted within one process, so ``crawler.run.crawl``
starts this module for every crawl. Protocol:

* stdin, first line: the job as JSON (read once ``PRELOADED`` is imported: the process may
  be started before its job is known) (``source``, ``archive``, ``options`` (the fields of
  ``CrawlOptions``), ``log_level``, optional ``settings`` overrides and ``reactor``).
  Closing stdin afterwards (the parent exited) stops the crawl gracefully.
* stdout: one line per message, ``BLOGPORT {json}``: ``{"type": "progress", ...counts}``
  about four times a second, then ``{"type": "done", "stats": {...}, "fatal": ...,
  "feeds_unavailable": ...}``. A feed sync job (``via`` "feed-sync") with ``fallback_html``
  runs the incremental HTML crawl next, in the same reactor, when the feeds are not usable;
  its counts are the done message's ``fallback`` (the same keys, for that crawl).
* A job with ``images_after`` (``migrate``, whose export will fetch pictures): when the crawl
  ended normally, its done message says ``"images": "waiting"`` and the process stays, idle,
  for one more stdin line: an image download job of ``crawler.images`` (the pictures the
  export needs, known once the archive is transformed), run in this reactor, answered with
  that module's messages and its ``{"type": "done"}``; then the process exits. Closing stdin
  instead ends it at once.
* SIGINT (sent by the parent on Ctrl-C): Scrapy's graceful shutdown; the archive pipeline
  commits what it holds, so every page fetched so far is kept. A second SIGINT stops at once
  (the current batch of pages is rolled back; whole pages only).
* Scrapy's log goes to stderr at ``log_level`` (WARNING unless ``-v``).
* The process never outlives its parent (``die_with_parent``; the parent's pid comes in
  ``BLOGPORT_PARENT_PID``): when the parent is killed, Linux kills this process at once,
  and with it the extraction worker, so nothing writes the archive once the parent's lock
  on the folder is gone. Elsewhere, the parent closing stdin stops the crawl gracefully.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from collections.abc import Iterator
from typing import IO, Any

from kernel.forked import exit_now

MESSAGE_PREFIX = "BLOGPORT "
PROGRESS_INTERVAL = 0.25
#: The ``via`` of a job that runs ``crawler.feed_sync.FeedSyncSpider`` (``blogport sync``).
FEED_SYNC = "feed-sync"
#: Environment variable holding the pid of the process that started the crawl process.
PARENT_PID_ENV = "BLOGPORT_PARENT_PID"
#: ``prctl`` option: the signal a process gets when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1
#: Garbage-collection thresholds of the crawl's processes (Python's default: 700, 10, 10).
#: A crawl allocates many short-lived objects per page (requests, responses, deferreds,
#: trees) that reference counting frees; collecting every 700 allocations cost the crawl
#: process about a tenth of its time.
GC_THRESHOLDS = (10_000, 20, 20)

log = logging.getLogger(__name__)


def quiet_gc(*, settled: bool = False) -> None:
    """Collect garbage less often (``GC_THRESHOLDS``); once ``settled`` (the start-up
    imports done), leave the objects that live as long as the process out of every later
    collection (``gc.freeze``)."""
    gc.set_threshold(*GC_THRESHOLDS)
    if settled:
        gc.freeze()


def die_with_parent(parent: int | None) -> None:
    """Have Linux SIGKILL this process when its parent dies, and exit now if ``parent``
    (the pid that started it) is already gone. A no-op for the signal off Linux."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
                log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
        except (OSError, AttributeError) as exc:
            log.debug("prctl unavailable: %s", exc)
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent died before the signal was armed


def emit(stream: IO[str], message: dict[str, Any]) -> None:
    try:
        stream.write(MESSAGE_PREFIX + json.dumps(message, default=str) + "\n")
        stream.flush()
    except (BrokenPipeError, ValueError):  # the parent went away
        pass


def read_messages(stream: IO[str]) -> Iterator[dict[str, Any]]:
    """The messages in a child's stdout (what ``emit`` wrote), up to its end; other lines skipped."""
    for line in stream:
        if line.startswith(MESSAGE_PREFIX):
            yield json.loads(line[len(MESSAGE_PREFIX):])


def snapshot(stats: dict[str, Any]) -> dict[str, Any]:
    """The counts the parent shows and summarises, from Scrapy stats."""
    from crawler.pipelines import (
        STAT_BYTES,
        STAT_COMMENTS,
        STAT_DATED_POSTS,
        STAT_ERRORS,
        STAT_EXPECTED,
        STAT_FETCHED,
        STAT_GONE,
        STAT_ISSUES,
        STAT_NOT_MODIFIED,
        STAT_POSTS,
        STAT_REUSED,
        STAT_STORED,
    )

    fetched = stats.get(STAT_FETCHED)
    if fetched is None:  # spiders that do not count their own responses (feeds)
        fetched = stats.get("response_received_count", 0)
    return {
        "pages_fetched": fetched,
        "pages_stored": stats.get(STAT_STORED, 0),
        "posts": stats.get(STAT_POSTS, 0),
        "comments": stats.get(STAT_COMMENTS, 0),
        "errors": stats.get(STAT_ERRORS, 0),
        "not_modified": stats.get(STAT_NOT_MODIFIED, 0),
        "gone": stats.get(STAT_GONE, 0),
        "reused": stats.get(STAT_REUSED, 0),
        "issues": stats.get(STAT_ISSUES, 0),
        "bytes": stats.get(STAT_BYTES, 0),
        "robots": stats.get("blogport/issues/robots", 0),
        "retries": stats.get("retry/count", 0),
        "posts_expected": stats.get(STAT_EXPECTED),
        "blog_posts": stats.get(STAT_DATED_POSTS, 0),
    }


class ProgressReporter:
    """Scrapy extension: writes a progress message to stdout every ``PROGRESS_INTERVAL``."""

    def __init__(self, crawler: Any) -> None:
        from scrapy import signals

        self.crawler = crawler
        self.task: Any = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ProgressReporter":
        return cls(crawler)

    def report(self) -> None:
        emit(sys.stdout, {"type": "progress", **snapshot(self.crawler.stats.get_stats())})

    def opened(self, spider: Any) -> None:
        from twisted.internet import task

        self.task = task.LoopingCall(self.report)
        self.task.start(PROGRESS_INTERVAL, now=False)

    def closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()


def _watch_stdin(stop: Any, on_line: Any = None) -> None:
    """Stop the crawl when stdin closes (the parent is gone); every line before that goes to
    ``on_line`` (called from this thread), when given."""
    try:
        while line := sys.stdin.readline():
            if on_line is not None:
                on_line(line)
    except (OSError, ValueError):
        pass
    stop()


def run_job(job: dict[str, Any]) -> dict[str, Any] | None:
    """Run the job; its done message, or None when it was sent already (``images_after``)."""
    quiet_gc()
    from crawler.options import CrawlOptions
    from crawler.settings import DEFAULT_REACTOR, build_settings

    # Install the reactor before anything imports twisted.internet.reactor.
    from scrapy.utils.reactor import install_reactor

    install_reactor(job.get("reactor") or DEFAULT_REACTOR)
    from scrapy.crawler import CrawlerProcess

    options = CrawlOptions(**job["options"])
    archive = Path(job["archive"])
    extra = dict(job.get("settings") or {})
    extra.setdefault("BLOGPORT_INCREMENTAL", options.incremental)
    settings = build_settings(
        options, archive, log_level=job.get("log_level", "WARNING"), reactor=job.get("reactor"), extra=extra
    )
    settings["EXTENSIONS"] = {**settings["EXTENSIONS"], "crawler.process.ProgressReporter": 500}
    via = job.get("via", "html")
    probe = via == "auto"
    # a feed sync that finds no usable feeds runs the incremental HTML crawl in this reactor
    fallback_html = via == FEED_SYNC and bool(job.get("fallback_html"))
    spider_cls, kwargs = _spider_for("feeds" if probe else via, job, options)

    settings["LOG_INSTALL_ROOT_HANDLER"] = True
    process = CrawlerProcess(settings)
    quiet_gc(settled=True)
    # Scrapy's root handler filters by LOG_LEVEL, but the root logger lets every record
    # through to it: without this, each page's "Crawled"/"Scraped" debug records are made
    # (and dropped) however quiet the crawl
    logging.getLogger("scrapy").setLevel(settings["LOG_LEVEL"])
    if settings["LOG_LEVEL"] == "WARNING":
        # Without the Referer middleware (off: a crawl sends no Referer), Scrapy warns once
        # per crawl that redirects drop the header; that is intended.
        logging.getLogger("scrapy.downloadermiddlewares.redirect").setLevel(logging.ERROR)
        # A robots.txt that cannot be fetched is logged with a traceback by Scrapy; the spider
        # reports an unreachable blog in one line itself, and a blog without robots.txt is fine.
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)
    started = time.monotonic()
    from twisted.internet import defer, reactor
    from twisted.internet.error import ReactorNotRunning

    def signal_stop() -> None:
        # the same graceful shutdown as Ctrl-C (Scrapy's SIGINT handler)
        os.kill(os.getpid(), signal.SIGINT)

    images_after = bool(job.get("images_after"))
    image_job: Any = defer.Deferred()  # the line after the job: what to fetch once the crawl is done
    idle: list[bool] = []  # set while the process waits for that line

    def on_stdin_end() -> None:  # in the reactor's thread
        if idle:
            if not image_job.called:
                image_job.callback(None)
        else:
            signal_stop()

    def on_line(line: str) -> None:
        reactor.callFromThread(lambda: image_job.called or image_job.callback(line))

    def stdin_ended() -> None:  # in the stdin thread
        reactor.callFromThread(on_stdin_end)

    if images_after:
        threading.Thread(target=_watch_stdin, args=(stdin_ended, on_line), daemon=True).start()
    else:
        threading.Thread(target=_watch_stdin, args=(signal_stop,), daemon=True).start()
    crawlers: list[Any] = []
    fallback_started: list[float] = []
    unreachable: list[str] = []
    sent: list[dict[str, Any]] = []  # the done message, when it went out before the pictures

    @defer.inlineCallbacks
    def sequence() -> Any:
        nonlocal via, spider_cls, kwargs
        try:
            if probe:  # --via auto: one feed request, through Scrapy, then the crawl
                from crawler.probe import FeedProbeSpider

                prober = process.create_crawler(FeedProbeSpider)
                yield process.crawl(prober, blog_url=job["source"])
                if (prober.stats.get_value("finish_reason") or "") == "shutdown":
                    return
                if getattr(prober.spider, "unreachable", False):  # the crawl would only fail the same way
                    unreachable.append(f"cannot reach {job['source']} ({prober.spider.reason})")
                    return
                usable = bool(getattr(prober.spider, "usable", False))
                via = "feeds" if usable else "html"
                if not usable:
                    log.info("feeds not usable (%s): walking the HTML pages", getattr(prober.spider, "reason", None))
                    spider_cls, kwargs = _spider_for("html", job, options)
            crawlers.append(process.create_crawler(spider_cls))
            yield process.crawl(crawlers[0], **kwargs)
            if fallback_html and _feeds_unusable(crawlers[0]):
                # a fresh crawler (Scrapy's state is per crawler), the same settings: one
                # robots.txt handling, throttle and retry policy for both spiders
                html_cls, html_kwargs = _spider_for("html", job, replace(options, incremental=True))
                fallback_started.append(time.monotonic())
                crawlers.append(process.create_crawler(html_cls))
                yield process.crawl(crawlers[1], **html_kwargs)
            if images_after and _ended_normally(crawlers[-1]):
                done = finished()
                done["images"] = "waiting"
                emit(sys.stdout, done)
                sent.append(done)
                idle.append(True)
                line = yield image_job
                idle.clear()
                if line:
                    from crawler.images import image_crawler

                    images, image_kwargs = image_crawler(json.loads(line), job.get("reactor") or DEFAULT_REACTOR)
                    # started by itself, not by process.crawl, which would lay the crawl's settings
                    # over the image download's; listed with the process's crawlers all the same,
                    # so that a stop (Ctrl-C, stdin closed) stops it gracefully
                    process.crawlers.add(images)
                    try:
                        yield images.crawl(**image_kwargs)
                    finally:
                        process.crawlers.discard(images)
                    emit(sys.stdout, {"type": "done"})
        finally:
            try:
                reactor.stop()
            except ReactorNotRunning:  # Ctrl-C: Scrapy's graceful shutdown stops it already
                pass

    def finished() -> dict[str, Any]:
        """The done message of the crawl."""
        if not crawlers:  # stopped during the probe, or the blog cannot be reached
            fatal = {"kind": "unreachable", "message": unreachable[0]} if unreachable else None
            return {"type": "done", "counts": {}, "finish_reason": "finished" if fatal else "shutdown",
                    "fatal": fatal, "via": via, "elapsed_s": time.monotonic() - started}
        log.info("crawl process %d ran %s", os.getpid(),
                 ", ".join(f"{c.spider.name} ({c.stats.get_value('finish_reason')})" for c in crawlers if c.spider))
        done = {"type": "done", **_outcome(crawlers[0], via), "elapsed_s": time.monotonic() - started}
        if len(crawlers) > 1:  # the feed sync's HTML fallback: its own counts, as a crawl's
            done["fallback"] = {**_outcome(crawlers[1], "html"), "elapsed_s": time.monotonic() - fallback_started[0]}
        return done

    reactor.callWhenRunning(lambda: sequence().addErrback(lambda f: log.error("%s", f.getTraceback())))
    process.start(stop_after_crawl=False)
    return None if sent else finished()


def _ended_normally(crawler: Any) -> bool:
    """Whether a crawl ran to its end: not stopped, not failed (the pictures may follow)."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return (stats.get("finish_reason") == "finished" and not stats.get("blogport/fatal_kind")
            and not stats.get("blogport/worker_failed"))


def _feeds_unusable(crawler: Any) -> bool:
    """Whether a feed sync crawl ended normally and found the blog's feeds not usable."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if stats.get("finish_reason") == "shutdown" or stats.get("blogport/fatal_kind"):
        return False
    report = getattr(crawler.spider, "report", None) or {}
    return report.get("usable") is False


def _outcome(crawler: Any, via: str) -> dict[str, Any]:
    """What one crawler did, as the "done" message tells the parent."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    fatal = None
    if stats.get("blogport/fatal_kind"):
        fatal = {
            "kind": stats["blogport/fatal_kind"],
            "message": stats.get("blogport/fatal_message", ""),
            "path": stats.get("blogport/fatal_path"),
        }
    return {
        "via": via,
        "counts": snapshot(stats),
        "finish_reason": stats.get("finish_reason"),
        "fatal": fatal,
        "feeds_unavailable": getattr(spider, "feeds_unavailable", None),
        "hosts": sorted(getattr(spider, "hosts", ()) or ()),
        "worker_failed": stats.get("blogport/worker_failed"),
        "report": getattr(spider, "report", None),
    }


def _spider_for(via: str, job: dict[str, Any], options: Any) -> tuple[type, dict[str, Any]]:
    """The spider class and its arguments for ``via`` ("feeds", "html", or "feed-sync": what
    changed, told by the feeds, with ``spider_args``)."""
    if via == FEED_SYNC:
        from crawler.feed_sync import FeedSyncSpider as spider_cls

        kwargs: dict[str, Any] = {"blog_url": job["source"], **(job.get("spider_args") or {})}
    elif via == "feeds":
        from crawler.feed_spider import FeedSpider as spider_cls

        kwargs = {"blog_url": job["source"]}
        if job.get("updated_min"):
            kwargs["updated_min"] = job["updated_min"]
    elif options.incremental:
        from crawler.incremental import IncrementalSpider as spider_cls

        kwargs = {"start_url": job["source"]}
    else:
        from crawler.spider import BlogSpider as spider_cls

        kwargs = {"start_url": job["source"]}
    return spider_cls, kwargs


PRELOADED = ("scrapy.crawler", "scrapy.utils.reactor", "crawler.settings", "crawler.spider",
             "scrapy.core.downloader.handlers.http11")
"""What every crawl job imports and that installs no reactor, imported before the job is read
(a process started ahead of its job, ``crawler.early.start_crawl_process``, spends the wait on
them); the reactor the job names is installed after."""


def preload() -> None:
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)


def main() -> int:
    parent = os.environ.get(PARENT_PID_ENV, "")
    die_with_parent(int(parent) if parent.isdigit() else None)
    preload()
    line = sys.stdin.readline()
    if not line:
        return 2
    job = json.loads(line)
    logging.getLogger("scrapy").propagate = True
    result = run_job(job)
    if result is not None:
        emit(sys.stdout, result)
    exit_now(0)  # the archive is committed and closed: no teardown for the parent to wait for
    return 0


if __name__ == "__main__":
    sys.exit(main())
