"""The Blogger spider of ``blogport worker``: ``BlogSpider`` for many blogs at once, fed by
scrapy-redis's scheduler (``crawler.redis_queue``).

A worker holds no archive. Each request names its blog (``meta["blog"]``); the blog's start
URL, hosts and scheme come from Redis, and the spider walks the blog exactly as
``crawler.spider.BlogSpider`` does (the same parse, the same links, the same issues), with
two differences: the duplicate filter in Redis replaces the spider's own seen-set, and a
page the blog's archive already holds (``blogport:stored:<blog>``) is not fetched: its
stored links are followed instead. A blog that cannot be crawled is reported
(``BlogFatal``) instead of closing the spider, which goes on with the other blogs.

``RedisPagePipeline`` (scrapy-redis's ``RedisPipeline``, synchronous) pushes every item to
the list of its blog's batch, then ends the job; ``WorkerHeartbeat`` keeps the worker's
heartbeat key alive and, when the spider closes, puts back what the worker had taken.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import Request, Response
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.pipelines import RedisPipeline
from twisted.python.failure import Failure

from crawler.pipelines import IssueItem
from crawler.redis_messages import BlogFatal, JobDone, Routed, encode
from crawler.redis_queue import (
    HEARTBEAT_TTL_MS,
    QUEUE_KEY,
    WORKERS_KEY,
    BlogDupeFilter,
    blog_key,
    finish_job,
    heartbeat_key,
    hosts_key,
    requeue_dead_workers,
    stored_key,
)
from crawler.spider import BlogSpider
from crawler.urls import classify, item_kind

log = logging.getLogger(__name__)

#: Seconds a worker keeps what it read about a blog before reading it again.
CONTEXT_TTL_S = 5.0
#: How often (seconds) an idle worker looks at the shared queue.
POLL_INTERVAL_S = 0.2


@dataclass(frozen=True)
class BlogContext:
    """What a worker knows of one blog of the batch."""

    blog: str
    start_url: str
    scheme: str
    hosts: frozenset[str]
    reply_to: str
    has_stored: bool
    read_at: float


class _BlogCannotBeCrawled(CloseSpider):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__("fatal")
        self.kind, self.message = kind, message


class DistributedBlogSpider(BlogSpider):
    """Walks every blog whose requests reach it through the shared queue."""

    name = "blogport-redis"

    def __init__(self, *args: Any, worker_id: str = "", idle_exit: float = 0.0, **kwargs: Any) -> None:
        super().__init__("http://blogport.invalid/", *args, **kwargs)
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.idle_exit = idle_exit
        self.server: Any = None
        self.df: BlogDupeFilter | None = None
        self._contexts: dict[str, BlogContext] = {}
        self._blog: BlogContext | None = None
        self._idle_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "DistributedBlogSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.server = get_redis_from_settings(crawler.settings)
        spider.df = BlogDupeFilter.from_spider(spider)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        return spider

    def on_opened(self, spider: Any) -> None:
        # an idle worker asks the shared queue often, not every 5 s (Scrapy's engine heartbeat)
        self.crawler.engine._SLOT_HEARTBEAT_INTERVAL = POLL_INTERVAL_S

    async def start(self) -> AsyncIterator[Request]:
        return  # every request comes from the shared queue
        yield  # pragma: no cover

    def on_idle(self, spider: Any) -> None:
        if self.server.zcard(QUEUE_KEY):
            self._idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if self.idle_exit and now - self._idle_since >= self.idle_exit:
            log.info("the queue stayed empty for %.0f s: stopping", self.idle_exit)
            return
        raise DontCloseSpider

    # -- one blog at a time ---------------------------------------------------------------
    def context(self, blog: str) -> BlogContext:
        known = self._contexts.get(blog)
        if known is not None and time.monotonic() - known.read_at < CONTEXT_TTL_S:
            return known
        with self.server.pipeline(transaction=False) as pipe:
            pipe.hgetall(blog_key(blog))
            pipe.smembers(hosts_key(blog))
            pipe.hlen(stored_key(blog))
            fields, hosts, stored = pipe.execute()
        fields = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                  for k, v in fields.items()}
        context = BlogContext(
            blog=blog,
            start_url=fields.get("start_url", ""),
            scheme=fields.get("scheme", "https"),
            hosts=frozenset(h.decode() if isinstance(h, bytes) else h for h in hosts),
            reply_to=fields.get("reply_to", ""),
            has_stored=bool(stored),
            read_at=time.monotonic(),
        )
        self._contexts[blog] = context
        return context

    def _enter(self, context: BlogContext) -> None:
        self._blog = context
        self.start_url, self.scheme, self.hosts = context.start_url, context.scheme, context.hosts
        self.seen = set()

    def _leave(self, context: BlogContext) -> None:
        """A redirect of the start page names more hosts: every worker learns them."""
        if self.hosts != context.hosts or self.scheme != context.scheme:
            with self.server.pipeline(transaction=True) as pipe:
                pipe.sadd(hosts_key(context.blog), *sorted(self.hosts))
                pipe.hset(blog_key(context.blog), "scheme", self.scheme)
                pipe.execute()
            self._contexts.pop(context.blog, None)
        self._blog = None

    def _fatal(self, kind: str, message: str) -> CloseSpider:
        return _BlogCannotBeCrawled(kind, message)

    def _answer(self, request: Request, outputs: Iterator[Any]) -> Iterator[Any]:
        """The outputs of a callback for one blog: its items, then its requests, then the end
        of the job (so the page reaches the coordinator before the pages it links to)."""
        blog, job = request.meta["blog"], request.meta.get("job")
        context = self.context(blog)
        self._enter(context)
        items: list[Any] = []
        requests: list[Request] = []
        try:
            for output in outputs:
                (requests if isinstance(output, Request) else items).append(output)
        except _BlogCannotBeCrawled as exc:
            items.append(BlogFatal(exc.kind, exc.message))
        except Exception as exc:  # the job still ends: the page is recorded as failed, fetched next run
            log.exception("%s: %s", request.url, exc)
            items.append(IssueItem(request.meta.get("url", request.url), "parse", f"{type(exc).__name__}: {exc}"))
        finally:
            self._leave(context)
        for item in items:
            yield Routed(blog, context.reply_to, item)
        yield from requests
        if job:
            yield JobDone(blog, job)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        return self._answer(response.request, super().parse(response, **kwargs))

    def on_error(self, failure: Failure) -> Iterator[Any]:
        return self._answer(failure.request, super().on_error(failure))  # type: ignore[attr-defined]

    # -- requests through the shared duplicate filter ---------------------------------------
    def _request(self, url: str, kind: str, **meta: Any) -> Request:
        request = super()._request(url, kind, **meta)
        assert self._blog is not None
        request.meta["blog"] = self._blog.blog
        return request.replace(dont_filter=False)

    def follow(self, urls: Iterable[str], origin: str | None = None) -> Iterator[Request]:
        """Requests for the links; a page the archive holds is not fetched: its links are
        followed instead (each page once per blog, by the shared duplicate filter)."""
        context = self._blog
        assert context is not None and self.df is not None
        stack = list(urls)
        done: set[str] = set()
        while stack:
            url = stack.pop()
            if url in done:
                continue
            done.add(url)
            # asked each time, never cached: a resumed batch publishes what its archive holds anew
            links = self.server.hget(stored_key(context.blog), url)
            if links is not None:
                if self.df.mark_seen(context.blog, url):
                    stack.extend(json.loads(links))
                continue
            yield self._request(url, item_kind(classify(url)))


class RedisPagePipeline(RedisPipeline):
    """scrapy-redis's item pipeline, synchronous and routed: each item goes to its blog's
    list, in order, and a job ends only after everything it gave is in Redis."""

    def __init__(self, server: Any, crawler: Any) -> None:
        super().__init__(server)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RedisPagePipeline":
        return cls(get_redis_from_settings(crawler.settings), crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Routed):
            self.server.rpush(item.reply_to, encode(item.blog, item.item))
        elif isinstance(item, JobDone):
            with self.server.pipeline(transaction=True) as pipe:
                finish_job(pipe, item.blog, item.job, self.crawler.spider.worker_id)
                pipe.execute()
        return item


class WorkerHeartbeat:
    """Scrapy extension: the worker's heartbeat key, renewed from a thread while the spider
    runs; when it closes, the jobs it had taken go back to the queue."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "WorkerHeartbeat":
        return cls(crawler)

    def _beat(self, worker: str) -> None:
        failing = False
        while not self.stopping.is_set():
            try:
                with self.server.pipeline(transaction=True) as pipe:
                    pipe.set(heartbeat_key(worker), str(time.time()), px=HEARTBEAT_TTL_MS)
                    pipe.sadd(WORKERS_KEY, worker)
                    pipe.execute()
                failing = False
            except Exception as exc:  # Redis went away: crawler.redis_worker.RedisWatch reports it
                if not failing:
                    log.debug("heartbeat: %s", exc)
                failing = True
            self.stopping.wait(0.5)

    def opened(self, spider: Any) -> None:
        self.server.set(heartbeat_key(spider.worker_id), str(time.time()), px=HEARTBEAT_TTL_MS)
        self.server.sadd(WORKERS_KEY, spider.worker_id)
        self.thread = threading.Thread(target=self._beat, args=(spider.worker_id,), daemon=True,
                                       name="blogport-heartbeat")
        self.thread.start()

    def closed(self, spider: Any, reason: str) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=2)
        try:
            requeue_dead_workers(self.server, including=spider.worker_id)
            self.server.delete(heartbeat_key(spider.worker_id))
        except Exception as exc:
            log.warning("could not hand back the worker's requests: %s", exc)
