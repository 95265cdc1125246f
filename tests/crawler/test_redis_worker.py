"""``blogport worker`` against a real redis-server and a fixture blog: robots.txt holds for
every request a worker takes at once for a host it has not asked yet; a Redis that goes away
ends the worker with one line (exit 2) after ``--redis-wait``, one back in time does not."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import redis
from scrapy import Request

from crawler.options import CrawlOptions
from crawler.redis_queue import (
    QUEUE_KEY,
    WORKERS_KEY,
    JobQueue,
    blog_key,
    heartbeat_key,
    hosts_key,
    open_key,
    save_options,
)
from crawler.redis_worker import watch_client_name
from crawler.redis_spider import DistributedBlogSpider
from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from tests.redis_server import RedisServer, redis_server, redis_server_binary  # noqa: F401 - the fixture

PROJECT = Path(__file__).resolve().parents[2]
LABELS = ("Books", "Travel", "Events", "Marketing", "PR", "Leadership")


def test_robots_txt_holds_for_every_request_waiting_for_it(redis_server: RedisServer) -> None:  # noqa: F811
    with FixtureServer(generate_blog(seed=71, posts=3)) as server:
        db = redis.Redis.from_url(redis_server.url)
        save_options(db, asdict(CrawlOptions(via="html", autothrottle=False)))
        db.hset(blog_key("b"), mapping={"start_url": server.base_url + "/", "scheme": "http", "reply_to": "pages"})
        db.sadd(hosts_key("b"), f"127.0.0.1:{server.port}")
        spider = DistributedBlogSpider(worker_id="seeder")
        queue = JobQueue(db, spider, QUEUE_KEY)
        for label in LABELS:  # Blogger's robots.txt disallows /search: none of these may be fetched
            url = f"{server.base_url}/search/label/{label}"
            queue.push(Request(url, callback=spider.parse, errback=spider.on_error,
                               meta={"blog": "b", "url": url, "kind": "label"}))
        done = subprocess.run([sys.executable, "-m", "blogport.cli", "worker", "--redis", redis_server.url,
                               "--idle-exit", "2", "--concurrency", "8"], cwd=PROJECT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert [r.path for r in server.requests] == ["/robots.txt"]
        replies = db.lrange("pages", 0, -1)
        assert len(replies) == len(LABELS) and all(b'"kind": "robots"' in r for r in replies)
        assert db.scard(open_key("b")) == 0  # every job answered


def _worker(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "blogport.cli", "worker", "--redis", url, "--id", "w1", *args],
                            cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _until(check: Callable[[], bool], proc: subprocess.Popen[str], what: str, limit: float = 90.0) -> None:
    deadline = time.monotonic() + limit
    while not check():
        assert proc.poll() is None, f"the worker ended before {what}: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, f"no {what} within {limit:.0f} s"
        time.sleep(0.1)


def _watching(db: redis.Redis) -> bool:
    """Whether worker w1's spider runs (its Redis watch is connected)."""
    try:
        return any(c.get("name") == watch_client_name("w1") for c in db.client_list())
    except redis.ConnectionError:
        return False


def _exit_after_redis_stops(redis_server: RedisServer, ready: Callable[[], bool], what: str) -> tuple[int, str]:
    """Start worker w1 (``--redis-wait 3``), wait until ``ready``, stop Redis: the worker's
    exit code and standard error."""
    proc = _worker(redis_server.url, "--redis-wait", "3")
    try:
        _until(ready, proc, what)
        redis_server.stop()
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, stderr


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr[-3000:]
    errors = [line for line in stderr.splitlines() if line.startswith("blogport: error:")]
    assert len(errors) == 1 and stderr.rstrip().endswith(errors[0]), stderr[-3000:]
    return errors[0]


def test_a_worker_gives_up_on_a_redis_that_went_away(redis_server: RedisServer) -> None:  # noqa: F811
    db = redis.Redis.from_url(redis_server.url)
    save_options(db, asdict(CrawlOptions(via="html", autothrottle=False)))
    code, stderr = _exit_after_redis_stops(redis_server, lambda: _watching(db), "spider")
    assert code == 2, stderr[-3000:]
    line = _one_error_line(stderr)
    assert f"lost Redis at {redis_server.url}" in line and "no answer for 3 s" in line


def test_a_worker_waiting_for_a_batch_gives_up_on_a_redis_that_went_away(
        redis_server: RedisServer) -> None:  # noqa: F811
    db = redis.Redis.from_url(redis_server.url)
    code, stderr = _exit_after_redis_stops(redis_server, lambda: bool(db.sismember(WORKERS_KEY, "w1")), "heartbeat")
    assert code == 2, stderr[-3000:]
    assert f"lost Redis at {redis_server.url}" in _one_error_line(stderr)


def test_a_worker_goes_on_when_redis_is_back_in_time(tmp_path: Path, redis_server: RedisServer) -> None:  # noqa: F811
    db = redis.Redis.from_url(redis_server.url)
    save_options(db, asdict(CrawlOptions(via="html", autothrottle=False)))
    port = redis_server.port
    proc = _worker(redis_server.url, "--redis-wait", "60")
    again: subprocess.Popen[bytes] | None = None
    try:
        _until(lambda: _watching(db), proc, "spider")
        redis_server.stop()
        time.sleep(1.5)  # the worker finds Redis gone
        again = subprocess.Popen([redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", str(tmp_path)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # the same worker, still walking: its watch reconnects and its heartbeat is renewed
        _until(lambda: _watching(db) and bool(db.exists(heartbeat_key("w1"))), proc, "reconnection")
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if again is not None:
            again.terminate()
            again.wait(timeout=10)
    assert proc.returncode == 0, stderr[-3000:]
    assert "lost Redis" not in stderr and "answers again" in stderr
