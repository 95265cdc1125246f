"""Image download through Scrapy's ``FilesPipeline``: ``python -m crawler.images``.

The export stage asks for a list of image URLs to be fetched into a folder; like the crawl
(``crawler.process``), the Scrapy reactor runs in a child process, because it cannot be
restarted within one program. Protocol:

* stdin, first line: the job as JSON: ``urls`` (the images to fetch), ``store`` (the
  folder), ``max_bytes``, ``hosts`` (exact host names allowed) and ``host_suffixes``
  (allowed parent domains), ``user_agent``, ``retries``, ``log_level``, optional
  ``settings`` overrides. Closing stdin (the parent went away) stops the download.
* stdout: one ``BLOGPORT {json}`` line per image, ``{"type": "image", "url": ...,
  "ok": true, "name": "<sha256[:16]>.<ext>", "sha256": ..., "size": ..., "content_type":
  ...}`` or ``{"type": "image", "url": ..., "ok": false, "error": ..., "cause": ...}``,
  then ``{"type": "done"}``.

The same job also runs inside the crawl process of a ``migrate``, in the crawl's own reactor,
once its crawl has ended (``crawler.process``, ``images_after``; ``image_crawler``): the
export's pictures are then fetched with no second Python and Scrapy start.

What the pipeline does: retries with backoff (``crawler.middlewares.BackoffRetryMiddleware``,
5xx, 429 and network errors), redirects followed only within the allowed hosts (any request,
redirects included, to another host is refused by ``HostGuardMiddleware``), a size limit
(``DOWNLOAD_MAXSIZE``), only ``image/*`` responses kept, files named by the first 16 hex
digits of their SHA-256 (the same picture under two URLs is stored once) and written to a
temporary name first, so a killed run leaves no half-written image. robots.txt is not
consulted: the images are the owner's, embedded in the owner's pages.

Causes of a failure: ``gone`` (404, 410), ``http`` (another status, after the retries),
``too-large``, ``not-image``, ``network`` (after the retries), ``refused-host``, and
``disk-full`` (the store's disk is full: the download stops at once, and the parent ends
the export with one line).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from crawler.process import emit
from crawler.settings import OFF_DOWNLOADER_MIDDLEWARES as OFF_CRAWL_DOWNLOADER_MIDDLEWARES
from kernel.errors import is_disk_full

log = logging.getLogger(__name__)

#: File name suffixes by Content-Type; an unknown image type keeps the URL's suffix or ".img".
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
              "image/svg+xml": ".svg", "image/bmp": ".bmp", "image/x-icon": ".ico", "image/avif": ".avif",
              "image/tiff": ".tif", "image/heic": ".heic"}
#: Failures that a later run would meet again: not retried by the next export.
PERMANENT_CAUSES = ("gone", "too-large", "not-image", "refused-host")


class ImageRefused(Exception):
    """An image that was answered but cannot be kept, with the reason and its cause."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


def host_allowed(host: str, hosts: frozenset[str], suffixes: tuple[str, ...]) -> bool:
    host = host.lower()
    return host in hosts or any(host == s or host.endswith("." + s) for s in suffixes)


def content_type_of(headers: Any) -> str:
    raw = headers.get(b"Content-Type") or b""
    return raw.decode("latin-1").split(";")[0].strip().lower()


def suffix_for(content_type: str, url: str) -> str:
    if content_type in EXTENSIONS:
        return EXTENSIONS[content_type]
    path = url.split("?", 1)[0].rsplit("/", 1)[-1]
    if "." in path:
        ext = "." + path.rsplit(".", 1)[1].lower()
        if 2 <= len(ext) <= 6 and ext[1:].isalnum():
            return ext
    return ".img"


def describe_failure(value: BaseException) -> tuple[str, str]:
    """(message, cause) for what a media download failed with."""
    if isinstance(value, ImageRefused):
        return str(value), value.cause
    cause: BaseException | None = value
    while cause is not None:  # FilesPipeline wraps what failed while the file was stored
        if is_disk_full(cause):
            return getattr(cause, "filename", None) or str(cause), "disk-full"
        cause = cause.__cause__
    text = str(value) or type(value).__name__
    if "larger than download max size" in text or "maxsize" in text.lower():
        return "larger than the size limit", "too-large"
    if type(value).__name__ == "IgnoreRequest" or "refused host" in text:
        return text, "refused-host"
    return f"network: {text}", "network"


class HostGuardMiddleware:
    """Downloader middleware: refuses every request (redirect targets included) to a host
    that is neither the blog's nor one of Blogger's image hosts."""

    def __init__(self, hosts: frozenset[str], suffixes: tuple[str, ...]) -> None:
        self.hosts = hosts
        self.suffixes = suffixes

    @classmethod
    def from_crawler(cls, crawler: Any) -> "HostGuardMiddleware":
        settings = crawler.settings
        return cls(frozenset(h.lower() for h in settings.getlist("BLOGPORT_IMAGE_HOSTS")),
                   tuple(s.lower() for s in settings.getlist("BLOGPORT_IMAGE_HOST_SUFFIXES")))

    def process_request(self, request: Any, spider: Any = None) -> None:
        from scrapy.exceptions import IgnoreRequest
        from scrapy.utils.httpobj import urlparse_cached

        host = urlparse_cached(request).hostname or ""
        if not host_allowed(host, self.hosts, self.suffixes):
            raise IgnoreRequest(f"refused host {host}: not the blog's and not a Blogger image host")


def _pipeline_class() -> type:
    from scrapy.pipelines.files import FilesPipeline

    class ImageFilesPipeline(FilesPipeline):
        """FilesPipeline that keeps images only, names them by content and reports each one."""

        def media_to_download(self, request: Any, info: Any, *, item: Any = None) -> None:
            return None  # the parent sends only what it does not have yet

        async def media_downloaded(self, response: Any, request: Any, info: Any, *, item: Any = None) -> Any:
            if response.status in (404, 410):
                raise ImageRefused(f"HTTP {response.status}", "gone")
            if response.status != 200:
                raise ImageRefused(f"HTTP {response.status}", "http")
            ctype = content_type_of(response.headers)
            if not ctype.startswith("image/"):
                raise ImageRefused(f"not an image (Content-Type {ctype or 'missing'})", "not-image")
            if not response.body:
                raise ImageRefused("empty response", "http")
            limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            if limit and len(response.body) > limit:
                raise ImageRefused("larger than the size limit", "too-large")
            return await super().media_downloaded(response, request, info, item=item)

        def media_failed(self, failure: Any, request: Any, info: Any) -> Any:
            raise failure.value

        def file_path(self, request: Any, response: Any = None, info: Any = None, *, item: Any = None) -> str:
            if response is None:
                return "missing"
            digest = hashlib.sha256(response.body).hexdigest()
            return digest[:16] + suffix_for(content_type_of(response.headers), request.url)

        def file_downloaded(self, response: Any, request: Any, info: Any, *, item: Any = None) -> str:
            path = Path(self.crawler.settings["FILES_STORE"]) / self.file_path(request, response, info, item=item)
            digest = hashlib.sha256(response.body).hexdigest()
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                try:
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(response.body)
                    os.chmod(tmp, 0o666 & ~_umask())
                    os.replace(tmp, path)
                except BaseException as exc:
                    Path(tmp).unlink(missing_ok=True)
                    if isinstance(exc, OSError) and is_disk_full(exc):
                        raise OSError(exc.errno, exc.strerror, str(path)) from exc
                    raise
            return digest

        def item_completed(self, results: list[Any], item: Any, info: Any) -> Any:
            self.completed = getattr(self, "completed", 0) + 1
            if self.completed == len(getattr(self.crawler.spider, "urls", ())):
                _close_soon(self.crawler)  # every image is done: no need to wait for Scrapy's idle check
            url = item["url"]
            for ok, value in results:
                if ok:
                    path = value["path"]
                    size = (Path(self.crawler.settings["FILES_STORE"]) / path).stat().st_size
                    emit(sys.stdout, {"type": "image", "url": url, "ok": True, "name": path, "sha256": value["checksum"],
                                      "size": size, "fetched_url": value["url"]})
                else:
                    message, cause = describe_failure(value.value)
                    log.info("image not downloaded: %s (%s)", url, message)
                    emit(sys.stdout, {"type": "image", "url": url, "ok": False, "error": message, "cause": cause})
                    if cause == "disk-full":  # nothing more can be stored: stop now
                        os.kill(os.getpid(), signal.SIGINT)
            return item

    return ImageFilesPipeline


def _close_soon(crawler: Any) -> None:
    from twisted.internet import reactor

    # the same graceful stop as Ctrl-C; the pipeline's work is done, so nothing is cut short
    reactor.callLater(0, os.kill, os.getpid(), signal.SIGINT)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _spider_class() -> type:
    import scrapy

    class ImageSpider(scrapy.Spider):
        """Gives one item per image URL; the pipeline fetches it."""

        name = "blogport-images"

        def __init__(self, urls: list[str], **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.urls = urls

        async def start(self) -> Any:
            for url in self.urls:
                yield {"url": url, "file_urls": [url]}

    return ImageSpider


#: Scrapy's downloader middlewares an image download does without: the crawl's (see
#: ``crawler.settings``), less the meta-refresh redirect, which image downloads follow.
OFF_DOWNLOADER_MIDDLEWARES = OFF_CRAWL_DOWNLOADER_MIDDLEWARES - {"scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"}


def build_settings(job: dict[str, Any]) -> dict[str, Any]:
    """Scrapy settings for one image download job. What is off is left out of Scrapy's base
    component lists, as in the crawl's settings: a component named with ``None`` is still
    imported (aiohttp for the remote-control extension alone), a few tenths of a second of
    every download's start."""
    from crawler.settings import DEFAULT_REACTOR, OFF_EXTENSIONS, OFF_SCHEMES, _base_without

    concurrency = int(job.get("concurrency", 8))
    settings: dict[str, Any] = {
        "BOT_NAME": "blogport",
        "USER_AGENT": job["user_agent"],
        "ROBOTSTXT_OBEY": False,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "CONCURRENT_ITEMS": concurrency,
        "DOWNLOAD_TIMEOUT": int(job.get("timeout", 30)),
        "DOWNLOAD_MAXSIZE": int(job["max_bytes"]),
        "DOWNLOAD_WARNSIZE": 0,
        "DEFAULT_REQUEST_HEADERS": {"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"},
        "MEDIA_ALLOW_REDIRECTS": True,
        "REDIRECT_MAX_TIMES": 5,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": int(job.get("retries", 3)),
        "RETRY_HTTP_CODES": [408, 429, 500, 502, 503, 504, 522, 524],
        "BLOGPORT_RETRY_BASE_DELAY": float(job.get("retry_base_delay", 0.5)),
        "BLOGPORT_RETRY_MAX_DELAY": 60.0,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "MEMUSAGE_ENABLED": False,
        "LOGSTATS_INTERVAL": 0,
        "REFERER_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "STATS_DUMP": False,
        "FILES_STORE": job["store"],
        "BLOGPORT_IMAGE_HOSTS": list(job.get("hosts", [])),
        "BLOGPORT_IMAGE_HOST_SUFFIXES": list(job.get("host_suffixes", [])),
        "DOWNLOADER_MIDDLEWARES_BASE": _base_without("DOWNLOADER_MIDDLEWARES_BASE", OFF_DOWNLOADER_MIDDLEWARES),
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.images.HostGuardMiddleware": 50,
            "crawler.middlewares.BackoffRetryMiddleware": 550,
        },
        "EXTENSIONS_BASE": _base_without("EXTENSIONS_BASE", OFF_EXTENSIONS),
        "EXTENSIONS": {},
        "DOWNLOAD_HANDLERS": dict.fromkeys(OFF_SCHEMES),  # images come over http and https only
        "ITEM_PIPELINES": {"crawler.images.ImageFilesPipeline": 1},
        "LOG_LEVEL": job.get("log_level", "WARNING"),
        "LOG_FORMAT": "%(levelname)s %(name)s: %(message)s",
        "LOG_VERSIONS": [],
        "TWISTED_REACTOR": DEFAULT_REACTOR,
    }
    settings.update(job.get("settings") or {})
    return settings


def __getattr__(name: str) -> Any:
    # Scrapy loads the pipeline by its dotted name; it is built on first use so that importing
    # this module does not import Scrapy.
    if name == "ImageFilesPipeline":
        cls = _pipeline_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


#: Seconds a download whose parent went away gets to stop gracefully before it is ended.
ORPHAN_GRACE_S = 3.0


def _watch_stdin() -> None:
    """The parent went away (stdin closed): stop, and never outlive it by more than a moment
    (images are written to a temporary name first, so ending at once loses nothing)."""
    try:
        while sys.stdin.readline():
            pass
    except (OSError, ValueError):
        pass
    os.kill(os.getpid(), signal.SIGINT)
    timer = threading.Timer(ORPHAN_GRACE_S, os._exit, args=(1,))
    timer.daemon = True
    timer.start()


def _quiet_failures(log_level: str) -> None:
    if log_level == "WARNING":
        # every failure is reported to the parent, which summarises them
        for name in ("scrapy.pipelines.files", "scrapy.pipelines.media", "scrapy.core.scraper"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def image_crawler(job: dict[str, Any], reactor: str) -> tuple[Any, dict[str, Any]]:
    """A Scrapy crawler for ``job`` and its spider's arguments, for a process whose reactor
    (``reactor``, its dotted name) is installed already: the crawl process runs it after its
    crawl (``crawler.process``). Its messages are this module's."""
    from scrapy.crawler import Crawler

    settings = build_settings(job)
    settings["TWISTED_REACTOR"] = reactor
    Path(job["store"]).mkdir(parents=True, exist_ok=True)
    _quiet_failures(settings["LOG_LEVEL"])
    return Crawler(_spider_class(), settings), {"urls": list(job["urls"])}


def run_job(job: dict[str, Any]) -> None:
    from scrapy.utils.reactor import install_reactor

    settings = build_settings(job)
    install_reactor(settings["TWISTED_REACTOR"])
    from scrapy.crawler import CrawlerProcess

    Path(job["store"]).mkdir(parents=True, exist_ok=True)
    process = CrawlerProcess(settings, install_root_handler=True)
    _quiet_failures(settings["LOG_LEVEL"])
    threading.Thread(target=_watch_stdin, daemon=True).start()
    process.crawl(_spider_class(), urls=list(job["urls"]))
    process.start()


def main() -> int:
    line = sys.stdin.readline()
    if not line:
        return 2
    job = json.loads(line)
    run_job(job)
    emit(sys.stdout, {"type": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
