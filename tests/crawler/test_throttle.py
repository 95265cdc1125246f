"""``crawler.throttle``: a 304 moves AutoThrottle's delay as a 200 does; errors still cannot."""

from __future__ import annotations

from pathlib import Path

from scrapy.core.downloader import Slot
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from crawler.options import CrawlOptions
from crawler.settings import build_settings
from crawler.throttle import NotModifiedAutoThrottle

URL = "http://127.0.0.1:9/2010/01/post.html"


def delay_after(cls: type[AutoThrottle], status: int, tmp_path: Path, *, answers: int = 20) -> tuple[float, float]:
    """(start delay, delay after ``answers`` quick responses with ``status``), as the
    throttle computes it for blogport's own settings."""
    crawler = get_crawler(settings_dict=build_settings(CrawlOptions(), tmp_path / "blog.db"))
    throttle = cls(crawler)
    throttle.mindelay = throttle._min_delay()
    throttle.maxdelay = throttle._max_delay()
    start = throttle._start_delay()
    slot = Slot(concurrency=4, delay=start, jitter=0)
    for _ in range(answers):
        throttle._adjust_delay(slot, 0.002, Response(URL, status=status, request=Request(URL)))
    return start, slot.delay


def test_blogport_crawls_use_the_304_aware_throttle(tmp_path: Path) -> None:
    extensions = build_settings(CrawlOptions(), tmp_path / "blog.db")["EXTENSIONS"]
    assert extensions["scrapy.extensions.throttle.AutoThrottle"] is None
    assert "crawler.throttle.NotModifiedAutoThrottle" in extensions


def test_not_modified_shortens_the_delay_like_ok(tmp_path: Path) -> None:
    start, after_304 = delay_after(NotModifiedAutoThrottle, 304, tmp_path)
    _, after_200 = delay_after(NotModifiedAutoThrottle, 200, tmp_path)
    assert start > 0
    assert after_304 < start / 10
    assert after_304 == after_200


def test_scrapys_throttle_alone_never_shortens_on_304(tmp_path: Path) -> None:
    start, after = delay_after(AutoThrottle, 304, tmp_path)
    assert after == start  # the crawl would crawl along at the start delay


def test_errors_still_cannot_shorten_the_delay(tmp_path: Path) -> None:
    for status in (404, 500, 503, 301):
        start, after = delay_after(NotModifiedAutoThrottle, status, tmp_path)
        assert after == start, status
