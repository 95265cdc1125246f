"""The crawl's Scrapy settings: the components a blog crawl does without are not even
imported, and the ones it needs are all there."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import PROJECT

# in a child process: what a fresh crawl process imports is the point
DRIVER = r"""
import json, sys
from pathlib import Path
from scrapy.utils.reactor import install_reactor
from crawler.settings import DEFAULT_REACTOR
install_reactor(DEFAULT_REACTOR)  # as the crawl process does, first
from scrapy.core.downloader.handlers import DownloadHandlers
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.core.spidermw import SpiderMiddlewareManager
from scrapy.extension import ExtensionManager
from scrapy.utils.test import get_crawler
from crawler.options import CrawlOptions
from crawler.settings import build_settings

crawler = get_crawler(settings_dict=build_settings(CrawlOptions(), Path(sys.argv[1])))
names = {}
for key, manager in (("downloader", DownloaderMiddlewareManager), ("spider", SpiderMiddlewareManager),
                     ("extensions", ExtensionManager)):
    names[key] = sorted(type(mw).__module__ + "." + type(mw).__name__ for mw in manager.from_crawler(crawler).middlewares)
handlers = DownloadHandlers(crawler)
names["schemes"] = sorted(handlers._schemes)
names["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in ("aiohttp", "tldextract", "botocore")
                          or m.startswith(("scrapy.extensions.remote_control", "scrapy.extensions.telnet",
                                           "scrapy.downloadermiddlewares.cookies", "scrapy.core.downloader.handlers.ftp",
                                           "scrapy.core.downloader.handlers.s3", "scrapy.extensions.feedexport")))
print(json.dumps(names))
"""


def test_the_crawl_imports_only_the_components_it_uses(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path / "blog.db")], capture_output=True, text=True,
                          timeout=120, cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["modules"] == []
    assert got["schemes"] == ["http", "https"]
    downloader = got["downloader"]
    for name in ("crawler.robots.ConditionalRobotsTxtMiddleware", "crawler.middlewares.BackoffRetryMiddleware",
                 "crawler.middlewares.StayOnBlogMiddleware",
                 "scrapy.downloadermiddlewares.redirect.RedirectMiddleware",
                 "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware",
                 "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware",
                 "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware",
                 "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware",
                 "scrapy.downloadermiddlewares.stats.DownloaderStats"):
        assert name in downloader
    for name in ("scrapy.downloadermiddlewares.retry.RetryMiddleware",
                 "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware",
                 "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware"):
        assert name not in downloader
    assert "scrapy.spidermiddlewares.referer.RefererMiddleware" not in got["spider"]
    assert "crawler.throttle.NotModifiedAutoThrottle" in got["extensions"]
    assert "scrapy.extensions.corestats.CoreStats" in got["extensions"]
    assert "scrapy.extensions.throttle.AutoThrottle" not in got["extensions"]
