"""The shared crawl state of a distributed batch against a real redis-server (``tests/redis_server.py``):
jobs a dead worker had taken come back, a job ends once, each page of a blog is queued once,
and the shared politeness slots hold across workers."""

from __future__ import annotations

import redis
from scrapy import Request

from crawler.redis_politeness import _ACQUIRE, slot_keys
from crawler.redis_queue import (
    JOBS_KEY,
    PREFIX,
    QUEUE_KEY,
    WORKERS_KEY,
    BlogDupeFilter,
    JobQueue,
    heartbeat_key,
    inflight_key,
    open_key,
    requeue_dead_workers,
)
from crawler.redis_spider import DistributedBlogSpider
from tests.redis_server import RedisServer, redis_server  # noqa: F401 - the fixture

BLOG = "b1"


def client(server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(server.url)


def queue_for(db: redis.Redis, worker: str | None) -> JobQueue:
    spider = DistributedBlogSpider(worker_id=worker or "coordinator")
    if worker is None:
        spider.worker_id = None  # type: ignore[assignment]
    return JobQueue(db, spider, QUEUE_KEY)


def alive(db: redis.Redis, worker: str) -> None:
    db.set(heartbeat_key(worker), "1", px=60000)
    db.sadd(WORKERS_KEY, worker)


def test_jobs_taken_by_a_dead_worker_come_back(redis_server: RedisServer) -> None:  # noqa: F811
    db = client(redis_server)
    queue_for(db, None).push(Request("http://127.0.0.1:1/a.html", meta={"blog": BLOG}))
    queue_for(db, None).push(Request("http://127.0.0.1:1/b.html", meta={"blog": BLOG}, priority=5))
    alive(db, "w1")
    alive(db, "w2")
    first = queue_for(db, "w1").pop()
    assert first is not None and first.url.endswith("/b.html")  # the higher priority first
    assert db.scard(inflight_key("w1")) == 1 and db.zcard(QUEUE_KEY) == 1
    assert requeue_dead_workers(db) == 0  # w1 is alive: nothing moves
    db.delete(heartbeat_key("w1"))  # w1 was SIGKILLed: its heartbeat expires
    assert requeue_dead_workers(db) == 1
    assert db.scard(inflight_key("w1")) == 0 and not db.sismember(WORKERS_KEY, "w1")
    again = queue_for(db, "w2").pop()
    assert again is not None and again.url == first.url and again.meta["job"] == first.meta["job"]
    assert db.scard(open_key(BLOG)) == 2  # neither page is answered yet


def test_a_retry_replaces_its_job_and_a_finished_job_is_not_taken(redis_server: RedisServer) -> None:  # noqa: F811
    db = client(redis_server)
    queue_for(db, None).push(Request("http://127.0.0.1:1/a.html", meta={"blog": BLOG}))
    alive(db, "w1")
    worker = queue_for(db, "w1")
    taken = worker.pop()
    assert taken is not None
    old = taken.meta["job"]
    retry = taken.replace(dont_filter=True)  # a retry keeps the meta, so it names the job it replaces
    worker.push(retry)
    new = retry.meta["job"]
    assert new != old and db.smembers(open_key(BLOG)) == {new.encode()}
    assert not db.hexists(JOBS_KEY, old) and db.scard(inflight_key("w1")) == 0
    # a job answered while a copy still waits in the queue is skipped by the next take
    db.zadd(QUEUE_KEY, {old: -100})
    retried = worker.pop()
    assert retried is not None and retried.meta["job"] == new
    assert worker.pop() is None


def test_each_page_of_a_blog_is_queued_once(redis_server: RedisServer) -> None:  # noqa: F811
    db = client(redis_server)
    dupes = BlogDupeFilter(db, key=f"{PREFIX}:seen")
    page = "http://127.0.0.1:1/2009/01/a.html"
    assert dupes.mark_seen(BLOG, page)
    assert not dupes.mark_seen(BLOG, page)
    assert dupes.request_seen(Request(page, meta={"blog": BLOG}))
    assert not dupes.request_seen(Request(page, meta={"blog": "another blog"}))


def test_politeness_slots_are_shared_by_workers(redis_server: RedisServer) -> None:  # noqa: F811
    db = client(redis_server)
    acquire = db.register_script(_ACQUIRE)
    keys = list(slot_keys("127.0.0.1:8080"))
    hb = f"{PREFIX}:worker:"
    alive(db, "w1")
    alive(db, "w2")
    # two in flight at most, whichever worker asks
    assert acquire(keys=keys, args=[2, 0, "w1|a", 30000, hb]) == 0
    assert acquire(keys=keys, args=[2, 0, "w2|b", 30000, hb]) == 0
    assert acquire(keys=keys, args=[2, 0, "w2|c", 30000, hb]) > 0
    db.zrem(keys[0], "w1|a")  # w1's response arrived
    assert acquire(keys=keys, args=[2, 0, "w2|c", 30000, hb]) == 0
    # the slots of a worker that died are free at once
    db.delete(heartbeat_key("w2"))
    assert acquire(keys=keys, args=[2, 0, "w1|d", 30000, hb]) == 0
    assert set(db.zrange(keys[0], 0, -1)) == {b"w1|d"}
    # a delay between requests holds for the next worker too
    other = list(slot_keys("127.0.0.1:9090"))
    assert acquire(keys=other, args=[8, 60000, "w1|e", 30000, hb]) == 0
    assert acquire(keys=other, args=[8, 60000, "w2|f", 30000, hb]) > 0
