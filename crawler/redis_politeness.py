"""Politeness shared by every worker of a distributed batch.

A blog must not get ``--concurrency`` requests at once from each of ten workers, nor a
request every ``--delay`` seconds from each. ``SharedPoliteness`` (a downloader middleware of
``blogport worker``) keeps, per host, one slot table in Redis: a sorted set of the requests in
flight from all workers (each entry expires, and goes at once when its worker's heartbeat
has), and the earliest time the next request may start. A request waits until one Lua script,
run against Redis's own clock, grants it a slot; the slot is given back with the response.
Scrapy's own per-process delay and AutoThrottle are off in a worker: this is the one limit.
"""

from __future__ import annotations

import uuid
from typing import Any

from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis.connection import get_redis_from_settings

from crawler.middlewares import _sleep
from crawler.redis_queue import PREFIX

#: Longest a slot is held if its worker neither answers nor dies (seconds past the timeout).
LEASE_MARGIN_S = 5.0
#: Longest single wait before asking Redis again (seconds).
MAX_WAIT_S = 0.25

# KEYS: slot set, next-start key. ARGV: limit, delay ms, member, lease ms, heartbeat key prefix.
# 0 when the slot is granted, else milliseconds to wait before asking again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local w = string.match(m, '^(.-)|')
  if w and redis.call('EXISTS', ARGV[5] .. w) == 0 then redis.call('ZREM', KEYS[1], m) end
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 10 end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return nxt - now end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[2], now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + 1000)
end
return 0
"""


def slot_keys(netloc: str) -> tuple[str, str]:
    return f"{PREFIX}:slot:{netloc}", f"{PREFIX}:slot:{netloc}:next"


class SharedPoliteness:
    """Settings: ``BLOGPORT_SHARED_CONCURRENCY`` (requests in flight per host, all workers
    together) and ``BLOGPORT_SHARED_DELAY`` (seconds between two requests to a host)."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.server = get_redis_from_settings(settings)
        self.limit = max(1, settings.getint("BLOGPORT_SHARED_CONCURRENCY", 8))
        self.delay_ms = int(settings.getfloat("BLOGPORT_SHARED_DELAY", 0.0) * 1000)
        self.lease_ms = int((settings.getfloat("DOWNLOAD_TIMEOUT", 30.0) + LEASE_MARGIN_S) * 1000)
        self._acquire = self.server.register_script(_ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SharedPoliteness":
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        netloc = urlparse_cached(request).netloc
        member = f"{self.crawler.spider.worker_id}|{uuid.uuid4().hex}"
        keys = list(slot_keys(netloc))
        while True:
            wait = int(self._acquire(keys=keys, args=[self.limit, self.delay_ms, member, self.lease_ms,
                                                      f"{PREFIX}:worker:"]))
            if wait == 0:
                break
            await _sleep(min(wait / 1000, MAX_WAIT_S))
        request.meta["blogport_slot"] = (keys[0], member)
        return None

    def _release(self, request: Request) -> None:
        slot = request.meta.pop("blogport_slot", None)
        if slot is not None:
            self.server.zrem(slot[0], slot[1])

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)
        return None
