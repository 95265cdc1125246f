"""The Scrapy floor of the crawl benchmarks (``bench.floor``) fetches exactly what a crawl
fetched, once each, from a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.floor import fetched_urls, floor_settings
from crawler.options import CrawlOptions
from crawler.run import crawl
from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from tests.conftest import PROJECT

FAST = CrawlOptions(via="html", autothrottle=False, progress=False, retries=2)


def test_the_floor_requests_the_urls_the_crawl_requested(tmp_path: Path) -> None:
    blog = generate_blog(seed=4, posts=8, family="layout-threaded")
    with FixtureServer(blog) as server:
        crawl(server.base_url + "/", tmp_path / "crawl", FAST)
        crawled = Counter(r.path for r in server.requests)
        server.clear_log()
        urls = fetched_urls(tmp_path / "crawl" / "blog.db")
        listing = tmp_path / "urls.txt"
        listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "bench.floor", str(listing)], capture_output=True, text=True,
                              timeout=120, cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)})
        floored = Counter(r.path for r in server.requests)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert urls[0] == server.base_url + "/robots.txt"
    assert json.loads(proc.stdout.strip().splitlines()[-1])["pages"] == len(urls)
    assert floored == crawled and set(floored.values()) == {1}


def test_the_floor_has_the_crawls_scrapy_settings_without_blogports_code() -> None:
    settings = floor_settings()
    assert settings["CONCURRENT_REQUESTS"] == settings["CONCURRENT_REQUESTS_PER_DOMAIN"] >= 32
    assert not any(settings[key] for key in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS",
                                             "ITEM_PIPELINES"))
    assert not any(key.startswith("BLOGPORT_") for key in settings)
    components = [*settings["DOWNLOADER_MIDDLEWARES_BASE"], *settings["SPIDER_MIDDLEWARES_BASE"],
                  *settings["EXTENSIONS_BASE"]]
    assert components and not any(path.startswith("crawler.") for path in components)
    assert floor_settings(concurrency=40)["CONCURRENT_REQUESTS"] == 40
