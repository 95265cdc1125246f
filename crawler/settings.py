"""Scrapy settings for blogport's spiders: polite by default, fast on a local blog.

Only what a blog crawl needs is switched on: robots.txt, AutoThrottle, blogport's own retry
middleware (exponential backoff that honours ``429`` and ``Retry-After``), redirects, gzip,
and the archive pipeline. Cookies, the telnet console, memory usage checks, periodic log
stats, referer headers, depth tracking and Scrapy's request-fingerprint duplicate filter are
off: the spider keeps its own seen-set of canonical URLs.

What is off is left out of Scrapy's base component lists (``*_BASE``), not switched off with
``None`` in the override lists: Scrapy imports every component an override list names, even
a disabled one (the remote-control extension alone imports aiohttp, the cookies middleware
tldextract), which costs the crawl process a few tenths of a second at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.options import CrawlOptions

#: Concurrency used when AutoThrottle is off (``--no-throttle``: a blog on your own machine).
UNTHROTTLED_CONCURRENCY = 32
#: Download timeout in seconds.
DOWNLOAD_TIMEOUT = 30
#: Pages per archive transaction (whole pages only) and the longest a page waits for its batch.
BATCH_PAGES = 50
BATCH_SECONDS = 1.0

#: Twisted reactor for the crawl process (measured by ``bench/crawl.py``).
DEFAULT_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

_OFF = None

#: Scrapy's components a blog crawl does without (see the module docstring).
OFF_DOWNLOADER_MIDDLEWARES = frozenset({
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware",
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware",
    "scrapy.downloadermiddlewares.retry.RetryMiddleware",  # crawler.middlewares.BackoffRetryMiddleware
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware",  # crawler.robots
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware",
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware",
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware",
})
OFF_SPIDER_MIDDLEWARES = frozenset({
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware",
    "scrapy.spidermiddlewares.referer.RefererMiddleware",
    "scrapy.spidermiddlewares.depth.DepthMiddleware",
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware",
})
OFF_EXTENSIONS = frozenset({
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.throttle.AutoThrottle",  # crawler.throttle.NotModifiedAutoThrottle
    "scrapy.extensions.memusage.MemoryUsage",
    "scrapy.extensions.memdebug.MemoryDebugger",
    "scrapy.extensions.feedexport.FeedExporter",
    "scrapy.extensions.logstats.LogStats",
    "scrapy.extensions.spiderstate.SpiderState",
    "scrapy.extensions.remote_control.RemoteControl",
})
#: URL schemes whose download handlers are not even imported (a blog is http and https).
OFF_SCHEMES = ("s3", "ftp", "file", "data")


def _base_without(name: str, off: frozenset[str]) -> dict[str, int]:
    """Scrapy's default ``name`` (a ``*_BASE`` component list) without the ``off`` ones."""
    from scrapy.settings import default_settings  # the crawl process imports Scrapy anyway

    return {path: order for path, order in getattr(default_settings, name).items() if path not in off}


def build_settings(
    options: CrawlOptions,
    archive_path: Path,
    *,
    log_level: str = "WARNING",
    reactor: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The settings dict for one crawl into ``archive_path``."""
    concurrency = options.concurrency
    if not options.autothrottle:
        concurrency = max(concurrency, UNTHROTTLED_CONCURRENCY)
    settings: dict[str, Any] = {
        "BOT_NAME": "blogport",
        "USER_AGENT": options.user_agent,
        "ROBOTSTXT_OBEY": options.obey_robots,
        "ROBOTSTXT_USER_AGENT": None,
        # manners
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": options.delay,
        "DOWNLOAD_DELAY_JITTER": 0,  # --delay waits exactly that long, as wget --wait does
        "AUTOTHROTTLE_ENABLED": options.autothrottle,
        "AUTOTHROTTLE_START_DELAY": 0.5,
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": max(1.0, concurrency / 4),
        "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT,
        "DOWNLOAD_MAXSIZE": options.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "en",
        },
        "REDIRECT_MAX_TIMES": 5,
        # our own retry middleware replaces Scrapy's
        "RETRY_ENABLED": True,
        "RETRY_TIMES": options.retries,
        "RETRY_HTTP_CODES": [408, 429, 500, 502, 503, 504, 522, 524],
        "BLOGPORT_RETRY_BASE_DELAY": 0.5,
        "BLOGPORT_RETRY_MAX_DELAY": 60.0,
        "HTTPERROR_ALLOW_ALL": True,  # the spider records every status itself
        # nothing a blog crawl does not need
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "MEMUSAGE_ENABLED": False,
        "LOGSTATS_INTERVAL": 0,
        "REFERER_ENABLED": False,
        "METAREFRESH_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "STATS_DUMP": False,
        "DEPTH_STATS_VERBOSE": False,
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
        "DNSCACHE_ENABLED": True,
        "REACTOR_THREADPOOL_MAXSIZE": 4,
        "DOWNLOADER_MIDDLEWARES_BASE": _base_without("DOWNLOADER_MIDDLEWARES_BASE", OFF_DOWNLOADER_MIDDLEWARES),
        "DOWNLOADER_MIDDLEWARES": {
            # robots.txt asked for conditionally (a quiet sync downloads not even that)
            "crawler.robots.ConditionalRobotsTxtMiddleware": 100,
            "crawler.middlewares.BackoffRetryMiddleware": 550,
            "crawler.middlewares.StayOnBlogMiddleware": 650,  # before RedirectMiddleware (600) sees a response
        },
        "SPIDER_MIDDLEWARES_BASE": _base_without("SPIDER_MIDDLEWARES_BASE", OFF_SPIDER_MIDDLEWARES),
        "SPIDER_MIDDLEWARES": {},
        "EXTENSIONS_BASE": _base_without("EXTENSIONS_BASE", OFF_EXTENSIONS),
        "EXTENSIONS": {
            # a 304 shortens the delay as a 200 does (sync is mostly 304s); Scrapy's own is off
            # here too, for settings merged over a base list that holds it
            "scrapy.extensions.throttle.AutoThrottle": _OFF,
            "crawler.throttle.NotModifiedAutoThrottle": 0,
        },
        "DOWNLOAD_HANDLERS": dict.fromkeys(OFF_SCHEMES, _OFF),
        # Scrapy reads the source of every callback, on every response, to warn about a
        # generator that returns a value: blogport's spiders are checked by their tests
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "ITEM_PIPELINES": {"crawler.pipelines.ArchivePipeline": 300},
        # A page gives one item and a few requests: processing them one at a time avoids
        # Scrapy starting CONCURRENT_ITEMS worker tasks for every response.
        "CONCURRENT_ITEMS": 1,
        "BLOGPORT_ARCHIVE": str(archive_path),
        "BLOGPORT_LIMIT": options.limit,
        "BLOGPORT_BATCH_PAGES": BATCH_PAGES,
        "BLOGPORT_BATCH_SECONDS": BATCH_SECONDS,
        # quiet terminal: warnings only unless -v
        "LOG_LEVEL": log_level,
        "LOG_FORMAT": "%(levelname)s %(name)s: %(message)s",
        "LOG_VERSIONS": [],
        "LOG_COLOR": False,
    }
    settings["TWISTED_REACTOR"] = reactor or DEFAULT_REACTOR
    if extra:
        settings.update(extra)
    return settings
