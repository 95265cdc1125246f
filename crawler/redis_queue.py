"""The shared crawl state of a distributed batch, in Redis, on top of scrapy-redis.

``blogport batch --redis`` (the coordinator, which owns the archives) and any number of
``blogport worker`` processes (which fetch) share one Redis database. scrapy-redis gives the
shared scheduler and duplicate filter; blogport adds what a migration that must lose nothing
needs on top of them, as scrapy-redis's own extension points (a queue class, a dupefilter
class, a scheduler subclass):

* ``JobQueue`` (``SCHEDULER_QUEUE_CLASS``): every request is a *job* with an id. The sorted
  set ``blogport:requests`` holds the ids of waiting jobs (by priority), ``blogport:jobs``
  the encoded requests. A worker takes a job atomically (one Lua script) into its own
  in-flight set ``blogport:inflight:<worker>``; a job leaves it only when its page (or the
  reason it has none) is in Redis for the coordinator. A worker that is killed stops
  renewing its heartbeat key (``blogport:worker:<worker>``, a few seconds' expiry), and
  ``requeue_dead_workers`` puts what it had taken back into the queue.
* ``BlogDupeFilter`` (``DUPEFILTER_CLASS``): scrapy-redis's fingerprint filter, one set per
  blog (``blogport:seen:<blog>``), so each page of a blog is queued once across all workers.
* ``blogport:open:<blog>``: the blog's jobs not yet answered. A job's answer and the jobs its
  page led to are written before the job leaves this set, so the blog's crawl is complete
  when the set is empty and the coordinator has taken every page from its list.
* ``blogport:blog:<blog>`` (the blog's start URL, scheme, where pages go),
  ``blogport:hosts:<blog>`` (its hosts) and ``blogport:stored:<blog>`` (pages its archive
  already holds, with their links, so that a resumed batch fetches none of them again).
* ``blogport:options``: the crawl options of the batch, read by the workers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import redis
from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler

PREFIX = "blogport"
QUEUE_KEY = f"{PREFIX}:requests"
JOBS_KEY = f"{PREFIX}:jobs"
WORKERS_KEY = f"{PREFIX}:workers"
OPTIONS_KEY = f"{PREFIX}:options"
#: Milliseconds a worker's heartbeat lasts (a busy machine may stall a few seconds); renewed twice a second.
HEARTBEAT_TTL_MS = 10000
#: Score of a job put back after its worker died: it goes before every waiting job.
REQUEUED_SCORE = -1000


def inflight_key(worker: str) -> str:
    return f"{PREFIX}:inflight:{worker}"


def heartbeat_key(worker: str) -> str:
    return f"{PREFIX}:worker:{worker}"


def open_key(blog: str) -> str:
    return f"{PREFIX}:open:{blog}"


def seen_key(blog: str) -> str:
    return f"{PREFIX}:seen:{blog}"


def blog_key(blog: str) -> str:
    return f"{PREFIX}:blog:{blog}"


def hosts_key(blog: str) -> str:
    return f"{PREFIX}:hosts:{blog}"


def stored_key(blog: str) -> str:
    return f"{PREFIX}:stored:{blog}"


def blog_keys(blog: str) -> tuple[str, ...]:
    """Every key of one blog's crawl (deleted when the coordinator has its whole archive)."""
    return (open_key(blog), seen_key(blog), blog_key(blog), hosts_key(blog), stored_key(blog))


# KEYS: queue, jobs, in-flight set. The next waiting job still open, taken into the set.
_TAKE = """
while true do
  local ids = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #ids == 0 then return false end
  redis.call('ZREM', KEYS[1], ids[1])
  local data = redis.call('HGET', KEYS[2], ids[1])
  if data then
    redis.call('SADD', KEYS[3], ids[1])
    return data
  end
end
"""

# KEYS: workers set, queue, jobs. ARGV: key prefix, the worker to put back even if alive ('' none).
_REQUEUE = """
local moved = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if w == ARGV[2] or redis.call('EXISTS', ARGV[1] .. ':worker:' .. w) == 0 then
    local inflight = ARGV[1] .. ':inflight:' .. w
    for _, id in ipairs(redis.call('SMEMBERS', inflight)) do
      if redis.call('HEXISTS', KEYS[3], id) == 1 then
        redis.call('ZADD', KEYS[2], ARGV[3], id)
        moved = moved + 1
      end
    end
    redis.call('DEL', inflight)
    redis.call('SREM', KEYS[1], w)
  end
end
return moved
"""


def finish_job(pipe: Any, blog: str, job: str, worker: str | None) -> None:
    """Add to ``pipe`` (a MULTI pipeline) what ends a job: answered, or replaced by another."""
    pipe.srem(open_key(blog), job)
    pipe.hdel(JOBS_KEY, job)
    if worker:
        pipe.srem(inflight_key(worker), job)


def requeue_dead_workers(server: redis.Redis, *, including: str = "") -> int:
    """Put the jobs taken by workers whose heartbeat expired (and by ``including``) back into
    the queue; how many were put back."""
    return int(server.eval(_REQUEUE, 3, WORKERS_KEY, QUEUE_KEY, JOBS_KEY, PREFIX, including, REQUEUED_SCORE))


class JobQueue(Base):
    """scrapy-redis queue class: requests as jobs that a dead worker cannot lose (see the
    module docstring). The spider names the worker (``worker_id``); requests name their blog
    (``meta["blog"]``)."""

    def __init__(self, server: redis.Redis, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.key = QUEUE_KEY  # one queue for every blog of every batch
        self._take = server.register_script(_TAKE)

    @property
    def worker(self) -> str | None:
        return getattr(self.spider, "worker_id", None)

    def __len__(self) -> int:
        return int(self.server.zcard(self.key))

    def push(self, request: Request) -> None:
        blog = request.meta["blog"]
        previous = request.meta.get("job")  # a retry or a redirect of a job replaces it
        job = uuid.uuid4().hex
        request.meta["job"] = job
        data = self._encode_request(request)
        with self.server.pipeline(transaction=True) as pipe:
            pipe.hset(JOBS_KEY, job, data)
            pipe.sadd(open_key(blog), job)
            pipe.zadd(self.key, {job: -request.priority})
            if previous:
                finish_job(pipe, blog, previous, self.worker)
            pipe.execute()

    def pop(self, timeout: int = 0) -> Request | None:
        worker = self.worker
        if worker is None:
            raise RuntimeError("only a worker takes requests from the queue")
        data = self._take(keys=[self.key, JOBS_KEY, inflight_key(worker)])
        if not data:
            return None
        request = self._decode_request(data)
        # requests seeded by the coordinator carry no callbacks: the spider's own
        if request.callback is None:
            request.callback = self.spider.parse
        if request.errback is None:
            request.errback = self.spider.on_error
        return request


class BlogDupeFilter(RFPDupeFilter):
    """scrapy-redis's fingerprint filter with one set per blog (``meta["blog"]``)."""

    def request_seen(self, request: Request) -> bool:
        blog = request.meta.get("blog")
        if not blog:
            return False
        return self.server.sadd(seen_key(blog), self.request_fingerprint(request)) == 0

    def mark_seen(self, blog: str, url: str) -> bool:
        """Record ``url`` as queued for ``blog``; False when it was already."""
        return not self.request_seen(Request(url, meta={"blog": blog}))

    def clear(self) -> None:
        """The sets are the coordinator's to delete (when a blog's archive is complete)."""


class BlogScheduler(Scheduler):
    """scrapy-redis's scheduler; a retry or redirect that the duplicate filter drops (the
    page is queued already) still ends the job it came from."""

    def enqueue_request(self, request: Request) -> bool:
        queued = super().enqueue_request(request)
        previous = request.meta.get("job")
        if not queued and previous:
            with self.server.pipeline(transaction=True) as pipe:
                finish_job(pipe, request.meta["blog"], previous, getattr(self.spider, "worker_id", None))
                pipe.execute()
        return queued


def save_options(server: redis.Redis, options: dict[str, Any]) -> None:
    server.set(OPTIONS_KEY, json.dumps(options, sort_keys=True))


def load_options(server: redis.Redis) -> dict[str, Any] | None:
    raw = server.get(OPTIONS_KEY)
    return json.loads(raw) if raw else None
