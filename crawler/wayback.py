"""A blog read from a Wayback server (the Internet Archive, a pywb collection) instead of its host.

``crawl_wayback`` asks the server's CDX index which URLs of the blog were captured, chooses
the best capture of each (``crawler.warc.best_captures``: status 200, then the newest, or
the newest on or before ``--at``), and fetches each one raw (the ``id_`` replay form: the
page as the blog served it, no banner, no rewritten link). The fetching is a Scrapy crawl in
a child process (``python -m crawler.wayback``: Scrapy's reactor cannot be restarted) with
retries and AutoThrottle; it sends requests to the Wayback server only, never to the blog's
own host. A capture the server has no raw form of is fetched as its rewritten replay (pywb's
framed replay: the frame's ``mp_`` page) and its banner, inserted scripts and replay URLs
undone (``crawler.capture_rewrite``). A CDX or replay server that answers 429 or 503 with
``Retry-After`` is waited for, up to ``RETRY_AFTER_MAX_S``, by the crawl's backoff middleware
(``crawler.middlewares.BackoffRetryMiddleware``), then asked again. The child writes what it
fetched as a WARC file, which is then archived exactly as a WARC source is
(``crawler.warc.store_captures``), each page with its capture time and its replay URL.

Defaults: for ``https://web.archive.org/web`` the CDX server is
``https://web.archive.org/cdx/search/cdx``; for a pywb collection ``http://HOST:PORT/COLL``
it is ``http://HOST:PORT/COLL/cdx``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlencode, urlsplit

import scrapy
from scrapy.http import TextResponse
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import crawler
from crawler.capture_rewrite import is_frame_wrapper, needs_unrewrite, unrewrite_body
from crawler.middlewares import parse_retry_after
from crawler.options import CrawlOptions
from crawler.process import PARENT_PID_ENV, die_with_parent
from crawler.summary import CrawlSummary
from crawler.warc import Capture, best_captures, read_warc, store_captures
from crawler.urls import blog_hosts, canonicalize, same_blog
from kernel.errors import SourceError

#: Seconds the fetching child may run before it is stopped.
CHILD_TIMEOUT_S = 3600
#: The longest ``Retry-After`` of a CDX or replay server that is waited for (seconds); a
#: server that asks for more is answered as failing.
RETRY_AFTER_MAX_S = 120.0
#: How the Internet Archive passes on the headers the blog sent (``X-Archive-Orig-ETag``).
ORIG_PREFIX = "x-archive-orig-"
#: Replay forms asked for, in order: raw (``id_``, the page as the blog served it), then
#: the rewritten replay (banner and archive URLs, undone by ``crawler.capture_rewrite``), and
#: pywb's frame content (``mp_``) where the rewritten replay is a framed one.
RAW, REWRITTEN, FRAMED = "id_", "", "mp_"
#: Wayback servers whose CDX endpoint is not ``PREFIX/cdx``.
CDX_DEFAULTS = {"web.archive.org": "https://web.archive.org/cdx/search/cdx"}


def default_cdx(prefix: str) -> str:
    host = urlsplit(prefix).netloc.lower()
    return CDX_DEFAULTS.get(host) or prefix.rstrip("/") + "/cdx"


def cdx_query(cdx: str, blog_url: str) -> str:
    host = urlsplit(canonicalize(blog_url)).netloc
    return cdx + "?" + urlencode({"url": f"{host}/*", "output": "json"})


def parse_cdx(text: str, prefix: str) -> list[Capture]:
    """Captures (without bodies) from a CDX answer: JSON lines (pywb) or a JSON table (the
    Internet Archive: a header row, then one row per capture)."""
    text = text.strip()
    rows: list[dict[str, Any]] = []
    if text.startswith("["):
        table = json.loads(text)
        if table:
            head = table[0]
            rows = [dict(zip(head, row)) for row in table[1:]]
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    result = []
    for row in rows:
        url = row.get("original") or row.get("url")
        ts = str(row.get("timestamp") or "")
        status = str(row.get("statuscode") or row.get("status") or "0")
        if not url or not ts:
            continue
        result.append(Capture(url, ts, int(status) if status.isdigit() else 0, (), b"", prefix,
                              capture_url=f"{prefix.rstrip('/')}/{ts}id_/{url}"))
    return result


# -- the child: a Scrapy crawl of the chosen captures ------------------------------------
class CaptureSpider(scrapy.Spider):
    """Asks the CDX server, then fetches the chosen captures raw into a WARC file."""

    name = "blogport-wayback"

    def __init__(self, job: dict[str, Any], **kw: Any) -> None:
        super().__init__(**kw)
        self.job = job
        self.handle = open(job["warc"], "wb")
        self.writer = WARCWriter(self.handle, gzip=True)
        self.failure: str | None = None

    async def start(self):  # type: ignore[override]
        yield scrapy.Request(self.job["cdx_query"], callback=self.on_cdx, errback=self.on_cdx_error,
                             dont_filter=True, meta={"handle_httpstatus_all": True})

    def on_cdx_error(self, failure: Any) -> None:
        self.failure = f"the CDX server {self.job['cdx']} cannot be reached ({failure.getErrorMessage()})"

    def on_cdx(self, response: Any) -> Any:
        if response.status != 200:
            wait = parse_retry_after(response.headers.get(b"Retry-After"))
            later = f", asking to wait {wait:.0f} s: try again later" if wait is not None else ""
            self.failure = f"the CDX server {self.job['cdx']} answered HTTP {response.status}{later}"
            return
        try:
            captures = parse_cdx(response.text, self.job["prefix"])
        except ValueError as exc:
            self.failure = f"the CDX server {self.job['cdx']} answered something that is not a CDX index ({exc})"
            return
        chosen = best_captures(captures, self.job.get("at") or None)
        if not chosen:
            self.failure = f"the CDX server {self.job['cdx']} knows no capture of {self.job['blog']}"
            return
        hosts = blog_hosts([self.job["blog"]])

        for url, capture in sorted(chosen.items()):
            if same_blog(url, hosts):
                yield self._replay(capture, RAW)

    def on_page(self, response: Any) -> Any:
        capture: Capture = response.meta["capture"]
        form = response.meta.get("form", RAW)
        if form == RAW and response.status != capture.status and capture.status == 200:
            # no raw form of this capture here: the rewritten replay, undone below
            yield self._replay(capture, REWRITTEN)
            return
        body = response.body
        text = response.text if isinstance(response, TextResponse) else ""
        if form != RAW or needs_unrewrite(text):
            if is_frame_wrapper(text):  # pywb's framed replay: the capture is in the frame
                if form != FRAMED:
                    yield self._replay(capture, FRAMED)
                return
            body = unrewrite_body(body, getattr(response, "encoding", None), self.job["prefix"])
        self._write(capture, response, body)

    def _replay(self, capture: Capture, form: str) -> scrapy.Request:
        url = f"{self.job['prefix']}/{capture.timestamp}{form}/{capture.url}"
        return scrapy.Request(url, callback=self.on_page, dont_filter=True,
                              meta={"capture": capture, "form": form, "handle_httpstatus_all": True})

    def _write(self, capture: Capture, response: Any, body: bytes) -> None:
        skip = {b"content-encoding", b"content-length", b"transfer-encoding"}
        skip_text = {k.decode() for k in skip}
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items()
                   if k.lower() not in skip for v in vs]
        names = {k.lower() for k, _ in headers}
        for key, value in list(headers):  # the blog's own headers, as some servers rename them
            if key.lower().startswith(ORIG_PREFIX) and key[len(ORIG_PREFIX):].lower() not in names | skip_text:
                headers.append((key[len(ORIG_PREFIX):], value))
        status = StatusAndHeaders(f"{response.status} OK", headers, protocol="HTTP/1.1")
        t = capture.timestamp
        record = self.writer.create_warc_record(
            capture.url, "response", payload=BytesIO(body), http_headers=status,
            warc_headers_dict={"WARC-Date": f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z",
                               "WARC-Source-URI": response.url or capture.capture_url or ""},
        )
        self.writer.write_record(record)

    def closed(self, reason: str) -> None:
        self.handle.close()
        Path(self.job["result"]).write_text(json.dumps({"failure": self.failure, "reason": reason}))


def main() -> int:
    die_with_parent(int(os.environ.get(PARENT_PID_ENV) or 0) or None)
    job = json.loads(sys.stdin.readline())
    from scrapy.crawler import CrawlerProcess

    options = CrawlOptions(**job["options"])
    process = CrawlerProcess({
        "USER_AGENT": options.user_agent,
        "ROBOTSTXT_OBEY": False,  # the Wayback server's own pages, not the blog's
        "AUTOTHROTTLE_ENABLED": options.autothrottle,
        "DOWNLOAD_DELAY": options.delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": min(options.concurrency, 4),
        "RETRY_TIMES": options.retries,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        # Retry-After of a 429/503 waited for (up to RETRY_AFTER_MAX_S), else exponential backoff
        "DOWNLOADER_MIDDLEWARES": {"scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
                                   "crawler.middlewares.BackoffRetryMiddleware": 550},
        "BLOGPORT_RETRY_BASE_DELAY": 1.0,
        "BLOGPORT_RETRY_MAX_DELAY": RETRY_AFTER_MAX_S,
        "DOWNLOAD_MAXSIZE": options.max_page_bytes,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
    })
    process.crawl(CaptureSpider, job=job)
    process.start()
    return 0


# -- the parent ------------------------------------------------------------------------------
def crawl_wayback(blog_url: str, prefix: str, out_dir: Path, options: CrawlOptions, cdx: str = "") -> CrawlSummary:
    """Archive the blog's captures on the Wayback server at ``prefix`` in ``out_dir/blog.db``."""
    prefix = prefix.rstrip("/")
    cdx = cdx or default_cdx(prefix)
    with tempfile.TemporaryDirectory(prefix="blogport-wayback-") as tmp:
        job = {"blog": blog_url, "prefix": prefix, "cdx": cdx, "cdx_query": cdx_query(cdx, blog_url),
               "at": options.at, "options": asdict(options), "warc": str(Path(tmp) / "fetched.warc.gz"),
               "result": str(Path(tmp) / "result.json")}
        env = dict(os.environ)
        root = str(Path(crawler.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env[PARENT_PID_ENV] = str(os.getpid())  # the fetching process dies with this one
        try:
            done = subprocess.run([sys.executable, "-m", "crawler.wayback"], input=json.dumps(job) + "\n",
                                  capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, env=env)
        except subprocess.TimeoutExpired:
            raise SourceError(f"reading {blog_url} from {prefix} took longer than {CHILD_TIMEOUT_S} s") from None
        result_path = Path(job["result"])
        if not result_path.exists():
            tail = " ".join(done.stderr.strip().splitlines()[-1:])
            raise SourceError(f"reading {blog_url} from {prefix} failed ({tail or done.returncode})")
        failure = json.loads(result_path.read_text()).get("failure")
        if failure:
            raise SourceError(failure)
        fetched = read_warc(Path(job["warc"]), max_page_bytes=options.max_page_bytes)
        chosen = best_captures(fetched.captures)
        meta = {"wayback": prefix, "cdx": cdx, **({"at_date": options.at} if options.at else {})}
        return store_captures(chosen, Path(out_dir), options, source=blog_url, via=WaybackArchive.name, meta=meta,
                              archive_label=prefix)


@dataclass(frozen=True)
class WaybackArchive:
    """The blog's captures on a Wayback server (``--wayback PREFIX``); the blog is not contacted."""

    location: str
    prefix: str
    cdx: str = ""
    name: ClassVar[str] = "wayback"
    live: ClassVar[bool] = False

    @classmethod
    def detect(cls, text: str) -> "WaybackArchive | None":
        return None  # chosen by ``--wayback``, never by the SOURCE text alone

    def crawl(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary:
        location = self.location if "://" in self.location else f"https://{self.location}"
        return crawl_wayback(location, self.prefix, Path(out_dir), options, self.cdx)

    def refresh(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary:
        return self.crawl(out_dir, options, settings)  # the CDX index again: new captures are stored

    def hosts(self) -> frozenset[str]:
        return frozenset()


if __name__ == "__main__":
    sys.exit(main())
