"""``blogport worker``: one fetching process of a distributed batch (see ``crawler.redis_queue``).

The worker reads the batch's crawl options from Redis (waiting for a batch to publish them),
then runs ``DistributedBlogSpider`` with scrapy-redis's scheduler and duplicate filter
(blogport's queue and filter classes plugged in), ``SharedPoliteness``, and
``RedisPagePipeline``. It stops on Ctrl-C or SIGTERM (Scrapy's graceful shutdown; what it had
taken goes back to the queue), or when the queue stayed empty for ``idle_exit`` seconds.

A Redis that stops answering is asked again every ``REDIS_CHECK_S`` (``RedisWatch``): meanwhile
the worker takes no request (``WorkerScheduler`` hands out none, the engine is paused), and it
goes on where it was when Redis answers again. After ``redis_wait`` seconds without an answer
(``REDIS_WAIT_S`` by default) the worker stops and ``run_worker`` raises ``UnreachableError``:
the coordinator puts the requests it had taken back once its heartbeat expires.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import redis

from crawler.options import CrawlOptions
from crawler.redis_queue import (
    HEARTBEAT_TTL_MS,
    QUEUE_KEY,
    WORKERS_KEY,
    BlogScheduler,
    heartbeat_key,
    load_options,
)
from crawler.settings import DEFAULT_REACTOR, UNTHROTTLED_CONCURRENCY, build_settings
from kernel.errors import UnreachableError

log = logging.getLogger(__name__)

#: Seconds between two requests to a blog when AutoThrottle would be on locally (the shared
#: limit replaces it: AutoThrottle measures one process only).
POLITE_DELAY_S = 0.25
#: Requests one worker takes from the queue at most at once (all blogs together), by default.
WORKER_CONCURRENCY = 16
#: Seconds a worker waits for a Redis that stopped answering before it gives up, by default.
REDIS_WAIT_S = 30.0
#: Seconds between two attempts to reach a Redis that does not answer.
REDIS_CHECK_S = 0.5
#: Stats key of a worker that gave up on its Redis (the message).
STAT_REDIS_LOST = "blogport/redis_lost"
#: What a Redis that does not answer raises.
UNANSWERED = (redis.ConnectionError, redis.TimeoutError)


@dataclass(frozen=True)
class WorkerSummary:
    worker_id: str
    pages_fetched: int
    elapsed_s: float
    finish_reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"worker_id": self.worker_id, "pages_fetched": self.pages_fetched,
                "elapsed_s": round(self.elapsed_s, 3), "finish_reason": self.finish_reason}

    def summary_lines(self) -> list[str]:
        return [f"worker {self.worker_id}: {self.pages_fetched} pages fetched in {self.elapsed_s:.1f} s"
                f" ({self.finish_reason})"]


class RedisLost:
    """Tells how long Redis has not answered; ``lost`` once that is ``wait`` seconds or more."""

    def __init__(self, url: str, wait: float) -> None:
        self.url = url
        self.wait = wait
        self.since: float | None = None
        self.reason = ""

    def failed(self, exc: Exception) -> bool:
        """Record a failed attempt; True when it is time to give up."""
        now = time.monotonic()
        self.reason = str(exc) or type(exc).__name__
        if self.since is None:
            self.since = now
            log.warning("Redis at %s does not answer (%s): asking again for up to %.0f s", self.url, self.reason,
                        self.wait)
        return now - self.since >= self.wait

    def answered(self) -> bool:
        """Record an answer; True when Redis was not answering until now."""
        was_down, self.since = self.since is not None, None
        if was_down:
            log.warning("Redis at %s answers again", self.url)
        return was_down

    def error(self) -> UnreachableError:
        return UnreachableError(f"lost Redis at {self.url}: no answer for {self.wait:.0f} s ({self.reason})")


class WorkerScheduler(BlogScheduler):
    """``BlogScheduler`` as a worker runs it: while Redis does not answer it has no request to
    hand out and is not empty either (``RedisWatch`` decides when to give up)."""

    def next_request(self) -> Any:
        try:
            return super().next_request()
        except UNANSWERED:
            return None

    def has_pending_requests(self) -> bool:
        try:
            return super().has_pending_requests()
        except UNANSWERED:
            return True


def watch_client_name(worker_id: str) -> str:
    """The Redis client name of a worker's ``RedisWatch`` (while its spider runs)."""
    return f"blogport-watch-{worker_id}"


class RedisWatch:
    """Scrapy extension of a worker: asks Redis from a thread while Redis does not answer (and
    every ``REDIS_CHECK_S`` anyway); pauses the engine meanwhile, resumes it when Redis answers,
    and closes the spider (stats ``STAT_REDIS_LOST``) after ``BLOGPORT_REDIS_WAIT`` seconds."""

    def __init__(self, crawler: Any) -> None:
        from scrapy import signals

        self.crawler = crawler
        self.url = crawler.settings["REDIS_URL"]
        self.server: redis.Redis | None = None
        self.state = RedisLost(self.url, crawler.settings.getfloat("BLOGPORT_REDIS_WAIT", REDIS_WAIT_S))
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RedisWatch":
        return cls(crawler)

    def opened(self, spider: Any) -> None:
        # named, so that CLIENT LIST on the Redis shows which workers are walking blogs
        self.server = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5,
                                           client_name=watch_client_name(spider.worker_id))
        self.thread = threading.Thread(target=self._watch, daemon=True, name="blogport-redis-watch")
        self.thread.start()

    def closed(self, spider: Any, reason: str) -> None:
        self.stopping.set()

    def _watch(self) -> None:
        from twisted.internet import reactor

        assert self.server is not None
        while not self.stopping.wait(REDIS_CHECK_S):
            try:
                self.server.ping()
            except redis.RedisError as exc:
                was_up = self.state.since is None
                if self.state.failed(exc):
                    reactor.callFromThread(self._give_up)
                    return
                if was_up:
                    reactor.callFromThread(self.crawler.engine.pause)
                continue
            if self.state.answered():
                reactor.callFromThread(self.crawler.engine.unpause)

    def _give_up(self) -> None:
        from scrapy.utils.defer import deferred_from_coro

        engine = self.crawler.engine
        self.crawler.stats.set_value(STAT_REDIS_LOST, str(self.state.error()))
        engine.unpause()
        deferred_from_coro(engine.close_spider_async(reason="redis_lost"))


def connect(url: str) -> redis.Redis:
    """A client for ``url``, checked with a ping; ``UnreachableError`` when Redis does not answer."""
    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        server.ping()
    except ValueError as exc:
        raise UnreachableError(f"{url} is not a Redis URL (redis://HOST:PORT/DB): {exc}") from None
    except redis.RedisError as exc:
        raise UnreachableError(f"cannot reach Redis at {url} ({exc})") from None
    return server


def shared_limits(options: CrawlOptions) -> tuple[int, float]:
    """(requests in flight per blog, seconds between requests) for all workers together."""
    if not options.autothrottle:
        return max(options.concurrency, UNTHROTTLED_CONCURRENCY), options.delay
    return options.concurrency, max(options.delay, POLITE_DELAY_S)


def options_from(raw: dict[str, Any]) -> CrawlOptions:
    known = {f.name for f in fields(CrawlOptions)}
    return CrawlOptions(**{k: v for k, v in raw.items() if k in known})


def worker_settings(url: str, options: CrawlOptions, log_level: str = "WARNING",
                    in_flight: int = WORKER_CONCURRENCY, redis_wait: float = REDIS_WAIT_S) -> dict[str, Any]:
    """Scrapy settings of a worker that has at most ``in_flight`` requests (all blogs together)."""
    concurrency, delay = shared_limits(options)
    settings = build_settings(options, Path(""), log_level=log_level)
    settings.update({
        "BLOGPORT_ARCHIVE": "",  # a worker holds no archive
        "REDIS_URL": url,
        "SCHEDULER": "crawler.redis_worker.WorkerScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.redis_queue.JobQueue",
        "DUPEFILTER_CLASS": "crawler.redis_queue.BlogDupeFilter",
        "SCHEDULER_PERSIST": True,
        "CONCURRENT_REQUESTS": in_flight,
        "CONCURRENT_REQUESTS_PER_DOMAIN": min(in_flight, concurrency),
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "BLOGPORT_SHARED_CONCURRENCY": concurrency,
        "BLOGPORT_SHARED_DELAY": delay,
        "ITEM_PIPELINES": {"crawler.redis_spider.RedisPagePipeline": 300},
        "EXTENSIONS": {**settings["EXTENSIONS"], "crawler.redis_spider.WorkerHeartbeat": 100,
                       "crawler.redis_worker.RedisWatch": 110},
        "BLOGPORT_REDIS_WAIT": redis_wait,
        "DOWNLOADER_MIDDLEWARES": {**settings["DOWNLOADER_MIDDLEWARES"],
                                   "crawler.redis_politeness.SharedPoliteness": 950},
    })
    return settings


def wait_for_batch(server: redis.Redis, idle_exit: float, worker_id: str, *, url: str = "",
                   redis_wait: float = REDIS_WAIT_S) -> dict[str, Any] | None:
    """The batch's crawl options, once a batch has published them; None after ``idle_exit``
    seconds without (0: wait as long as it takes). The worker is known (heartbeat) meanwhile.
    Raises ``UnreachableError`` when Redis stopped answering ``redis_wait`` seconds ago."""
    started = time.monotonic()
    state = RedisLost(url, redis_wait)
    while True:
        try:
            server.set(heartbeat_key(worker_id), str(time.time()), px=HEARTBEAT_TTL_MS)
            server.sadd(WORKERS_KEY, worker_id)
            raw = load_options(server)
        except UNANSWERED as exc:
            if state.failed(exc):
                raise state.error() from None
            time.sleep(REDIS_CHECK_S)
            continue
        state.answered()
        if raw is not None:
            return raw
        if idle_exit and time.monotonic() - started >= idle_exit:
            return None
        time.sleep(0.2)


def run_worker(url: str, *, idle_exit: float = 0.0, worker_id: str = "", log_level: str = "WARNING",
               in_flight: int = WORKER_CONCURRENCY, redis_wait: float = REDIS_WAIT_S) -> WorkerSummary:
    """Fetch for the batches in the Redis at ``url`` until stopped (see the module docstring).
    Raises ``UnreachableError`` when Redis cannot be reached, or stopped answering for
    ``redis_wait`` seconds."""
    server = connect(url)
    worker_id = worker_id or uuid.uuid4().hex[:12]
    started = time.monotonic()
    raw = wait_for_batch(server, idle_exit, worker_id, url=url, redis_wait=redis_wait)
    if raw is None:
        return WorkerSummary(worker_id, 0, time.monotonic() - started, "idle")
    options = options_from(raw)
    from scrapy.utils.reactor import install_reactor

    install_reactor(DEFAULT_REACTOR)
    from scrapy.crawler import CrawlerProcess
    from scrapy.exceptions import ScrapyDeprecationWarning

    from crawler.redis_spider import DistributedBlogSpider

    # scrapy-redis 0.9.1 still calls APIs Scrapy 2.19 deprecates (Spider.log, stats with a spider)
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module=r"scrapy_redis\.")
    settings = worker_settings(url, options, log_level, in_flight, redis_wait)
    settings["LOG_INSTALL_ROOT_HANDLER"] = False  # blogport's own logging (-v, -q) stays
    for handler in logging.getLogger().handlers:  # Scrapy sets its own loggers to DEBUG
        handler.setLevel(settings["LOG_LEVEL"])
    process = CrawlerProcess(settings)
    if settings["LOG_LEVEL"] == "WARNING":
        logging.getLogger("scrapy.downloadermiddlewares.redirect").setLevel(logging.ERROR)
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)
    crawler = process.create_crawler(DistributedBlogSpider)
    process.crawl(crawler, worker_id=worker_id, idle_exit=idle_exit)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if stats.get(STAT_REDIS_LOST):
        raise UnreachableError(stats[STAT_REDIS_LOST])
    log.debug("worker %s done; %d requests still queued", worker_id, server.zcard(QUEUE_KEY))
    return WorkerSummary(worker_id, int(stats.get("response_received_count", 0)), time.monotonic() - started,
                         str(stats.get("finish_reason", "finished")))
