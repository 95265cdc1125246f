"""``blogport worker`` against a real redis-server and a fixture blog: robots.txt holds for
every request a worker takes at once for a host it has not asked yet."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import redis
from scrapy import Request

from crawler.options import CrawlOptions
from crawler.redis_queue import QUEUE_KEY, JobQueue, blog_key, hosts_key, open_key, save_options
from crawler.redis_spider import DistributedBlogSpider
from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from tests.redis_server import RedisServer, redis_server  # noqa: F401 - the fixture

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
