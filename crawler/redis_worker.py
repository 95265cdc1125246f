"""``blogport worker``: one fetching process of a distributed batch (see ``crawler.redis_queue``).

The worker reads the batch's crawl options from Redis (waiting for a batch to publish them),
then runs ``DistributedBlogSpider`` with scrapy-redis's scheduler and duplicate filter
(blogport's queue and filter classes plugged in), ``SharedPoliteness``, and
``RedisPagePipeline``. It stops on Ctrl-C or SIGTERM (Scrapy's graceful shutdown; what it had
taken goes back to the queue), or when the queue stayed empty for ``idle_exit`` seconds.
"""

from __future__ import annotations

import logging
import time
import uuid
import warnings
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import redis

from crawler.options import CrawlOptions
from crawler.redis_queue import HEARTBEAT_TTL_MS, QUEUE_KEY, WORKERS_KEY, heartbeat_key, load_options
from crawler.settings import DEFAULT_REACTOR, UNTHROTTLED_CONCURRENCY, build_settings
from kernel.errors import UnreachableError

log = logging.getLogger(__name__)

#: Seconds between two requests to a blog when AutoThrottle would be on locally (the shared
#: limit replaces it: AutoThrottle measures one process only).
POLITE_DELAY_S = 0.25
#: Requests one worker takes from the queue at most at once (all blogs together), by default.
WORKER_CONCURRENCY = 16


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
                    in_flight: int = WORKER_CONCURRENCY) -> dict[str, Any]:
    """Scrapy settings of a worker that has at most ``in_flight`` requests (all blogs together)."""
    concurrency, delay = shared_limits(options)
    settings = build_settings(options, Path(""), log_level=log_level)
    settings.update({
        "BLOGPORT_ARCHIVE": "",  # a worker holds no archive
        "REDIS_URL": url,
        "SCHEDULER": "crawler.redis_queue.BlogScheduler",
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
        "EXTENSIONS": {**settings["EXTENSIONS"], "crawler.redis_spider.WorkerHeartbeat": 100},
        "DOWNLOADER_MIDDLEWARES": {**settings["DOWNLOADER_MIDDLEWARES"],
                                   "crawler.redis_politeness.SharedPoliteness": 950},
    })
    return settings


def wait_for_batch(server: redis.Redis, idle_exit: float, worker_id: str) -> dict[str, Any] | None:
    """The batch's crawl options, once a batch has published them; None after ``idle_exit``
    seconds without (0: wait as long as it takes). The worker is known (heartbeat) meanwhile."""
    started = time.monotonic()
    while True:
        server.set(heartbeat_key(worker_id), str(time.time()), px=HEARTBEAT_TTL_MS)
        server.sadd(WORKERS_KEY, worker_id)
        raw = load_options(server)
        if raw is not None:
            return raw
        if idle_exit and time.monotonic() - started >= idle_exit:
            return None
        time.sleep(0.2)


def run_worker(url: str, *, idle_exit: float = 0.0, worker_id: str = "", log_level: str = "WARNING",
               in_flight: int = WORKER_CONCURRENCY) -> WorkerSummary:
    """Fetch for the batches in the Redis at ``url`` until stopped (see the module docstring)."""
    server = connect(url)
    worker_id = worker_id or uuid.uuid4().hex[:12]
    started = time.monotonic()
    raw = wait_for_batch(server, idle_exit, worker_id)
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
    settings = worker_settings(url, options, log_level, in_flight)
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
    log.debug("worker %s done; %d requests still queued", worker_id, server.zcard(QUEUE_KEY))
    return WorkerSummary(worker_id, int(stats.get("response_received_count", 0)), time.monotonic() - started,
                         str(stats.get("finish_reason", "finished")))
