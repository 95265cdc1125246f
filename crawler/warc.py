"""A blog that survives in web archives: WARC / WACZ files as a crawl source.

``read_warc`` reads every ``response`` record of a ``.warc``, ``.warc.gz`` or ``.wacz`` file
(wget ``--warc-file``, grab-site, Heritrix, Webrecorder) with warcio. ``best_captures``
chooses one capture per canonical URL of the blog: status 200 first, then the newest, or with
``at`` (``YYYYMMDD``) the newest on or before that day. ``store_captures`` archives each
chosen page in ``blog.db`` as if it had been crawled: the same extraction as a live crawl and
a saved mirror (``crawler.spider.page_item``), the capture's time as the page's
``fetched_at``, and a ``captures`` row naming the capture (time, archive, replay URL).
Pages saved from a Wayback server's rewritten replay (the record names a replay URL, or the
page carries the banner) are read as the blog served them (``crawler.capture_rewrite``);
posts whose own page was never captured but that a captured feed holds are archived from the
feed entry (``crawler.capture_feeds``).

The whole file is read before anything is written: a WARC with no responses or a truncated
``.warc.gz`` ends with a ``SourceError`` and leaves no archive behind.
"""

from __future__ import annotations

import gzip
import logging
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

from crawler.options import CrawlOptions
from crawler.summary import CrawlSummary
from crawler.urls import blog_hosts, canonicalize, classify, comment_page_number, item_kind, post_url_of, same_blog
from kernel.archive import Archive, utc_now
from kernel.errors import SourceError

# warcio, the page extraction (crawler.extract, crawler.pipelines) and the capture helpers are
# imported by the functions that read a web archive, not with this module: every run imports
# it (``crawler.run`` detects a WARC source with ``WarcFile``), few read a WARC

log = logging.getLogger(__name__)

#: File name endings of a web-archive file.
WARC_SUFFIXES = (".warc", ".warc.gz", ".wacz")
#: Page kinds a capture is stored as (feeds, images, scripts are not pages of the blog).
PAGE_KINDS = frozenset({"home", "archive", "index", "label", "page", "post", "comments"})
#: Order in which chosen captures are stored: listings, then posts, then their comment pages,
#: so a post's own page wins over the text a listing showed of it.
_ORDER = {"home": 0, "archive": 1, "index": 1, "label": 1, "page": 2, "post": 2, "comments": 3}
_HEADERS_KEPT = ("Content-Type", "ETag", "Last-Modified")


@dataclass(frozen=True)
class Capture:
    """One archived HTTP response."""

    url: str
    """The URL as captured (``WARC-Target-URI``)."""
    timestamp: str
    """Capture time, 14 digits ``YYYYMMDDhhmmss`` (UTC), as Wayback servers write it."""
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    archive: str
    """The WARC file or replay server the capture is in."""
    capture_url: str | None = None
    """Where the capture can be replayed (a Wayback URL), when it came from a replay server."""
    truncated: str | None = None
    """Why the record's payload is shorter than it says, or None."""

    @property
    def captured_at(self) -> str:
        t = self.timestamp.ljust(14, "0")
        return f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}+00:00"

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


@dataclass
class CaptureSet:
    """Every capture read from one source, and what could not be read."""

    captures: list[Capture] = field(default_factory=list)
    records: int = 0
    """WARC records seen (requests, metadata, warcinfo included)."""


def _timestamp(warc_date: str | None) -> str:
    digits = "".join(ch for ch in (warc_date or "") if ch.isdigit())
    return digits[:14].ljust(14, "0") if digits else "00000000000000"


def _members(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    if path.name.lower().endswith(".wacz"):
        try:
            with zipfile.ZipFile(path) as package:
                names = sorted(n for n in package.namelist() if n.lower().endswith((".warc", ".warc.gz")))
                if not names:
                    raise SourceError(f"{path}: a WACZ package with no WARC file in it")
                for name in names:
                    with package.open(name) as member:
                        yield f"{path.name}/{name}", member
        except zipfile.BadZipFile as exc:
            raise SourceError(f"{path}: not a readable WACZ package ({exc})") from None
        return
    if path.name.lower().endswith(".gz"):
        _check_whole_gzip(path)
    with path.open("rb") as handle:
        yield path.name, handle


def _check_whole_gzip(path: Path) -> None:
    """warcio stops quietly where a cut ``.warc.gz`` ends; gzip itself notices."""
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(1 << 20):
                pass
    except (EOFError, OSError, zlib.error) as exc:
        raise SourceError(f"{path}: truncated or damaged .warc.gz ({exc})") from None


def read_warc(path: Path, *, max_page_bytes: int = 10 * 1024 * 1024) -> CaptureSet:
    """Every ``response`` record of a WARC/WACZ file (see the module docstring)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    from crawler.capture_feeds import feed_kind, is_feed_type
    from crawler.capture_rewrite import is_frame_wrapper, needs_unrewrite, replay_original, unrewrite_body

    result = CaptureSet()
    try:
        for label, stream in _members(path):
            for record in ArchiveIterator(stream, check_digests=False):
                result.records += 1
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                uri = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<> ")
                if not uri.lower().startswith(("http://", "https://")):
                    continue
                timestamp = _timestamp(record.rec_headers.get_header("WARC-Date"))
                replay_prefix, source_uri = None, record.rec_headers.get_header("WARC-Source-URI")
                if (replayed := replay_original(uri)) is not None:  # saved from a Wayback replay
                    source_uri = uri
                    uri, timestamp, replay_prefix = replayed
                try:
                    status = int(record.http_headers.get_statuscode() or 0)
                except ValueError:
                    status = 0
                ctype = record.http_headers.get_header("Content-Type") or ""
                kind = item_kind(classify(canonicalize(uri)))
                feed = kind == "feed" and feed_kind(uri) is not None and is_feed_type(ctype)
                if not feed and (kind not in PAGE_KINDS or (ctype and "html" not in ctype.lower())):
                    record.raw_stream.read()  # skip the payload
                    continue
                body = record.content_stream().read(max_page_bytes + 1)
                declared = record.http_headers.get_header("Content-Length")
                truncated = None
                if declared and declared.isdigit() and not record.http_headers.get_header("Content-Encoding"):
                    if len(body) < int(declared) and len(body) <= max_page_bytes:
                        truncated = f"the capture holds {len(body)} of its {declared} bytes"
                if not feed and (replay_prefix or needs_unrewrite(body[:65536].decode("latin-1"))):
                    text = body.decode("latin-1")
                    if is_frame_wrapper(text):
                        continue  # a framed replay's top frame: the page itself is in another record
                    body = unrewrite_body(body, _charset(ctype), replay_prefix)
                headers = tuple(
                    (name, value) for name in _HEADERS_KEPT if (value := record.http_headers.get_header(name))
                )
                result.captures.append(
                    Capture(uri, timestamp, status, headers, body, label, capture_url=source_uri, truncated=truncated)
                )
    except SourceError:
        raise
    except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
        raise SourceError(f"{path}: not a readable WARC file, or truncated ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # zlib.error and friends from a cut .warc.gz
        raise SourceError(f"{path}: truncated or damaged WARC file ({type(exc).__name__}: {exc})") from None
    if result.records == 0:
        raise SourceError(f"{path}: not a WARC file (no WARC records in it)")
    if not result.captures:
        raise SourceError(f"{path}: no archived HTML pages in it ({result.records} WARC records, no page responses)")
    return result


def _rank(capture: Capture) -> tuple[int, str]:
    return (1 if capture.status == 200 and not capture.truncated else 0, capture.timestamp)


def best_captures(captures: Iterable[Capture], at: str | None = None) -> dict[str, Capture]:
    """One capture per canonical URL: status 200 (whole) first, then the newest; with ``at``
    (``YYYYMMDD``) only captures made on or before that day count."""
    limit = (at.ljust(8, "0")[:8] + "235959") if at else None
    best: dict[str, Capture] = {}
    for capture in captures:
        if limit is not None and capture.timestamp > limit:
            continue
        url = canonicalize(capture.url)
        current = best.get(url)
        if current is None or _rank(capture) > _rank(current):
            best[url] = capture
    return best


def blog_hosts_of(chosen: dict[str, Capture]) -> frozenset[str]:
    """The blog's hosts: the host of its captured home page, else the host most pages are on."""
    from scrapy.http import HtmlResponse  # imported when a web archive is read: not at start-up

    from crawler import extract

    homes: Counter[str] = Counter()
    pages: Counter[str] = Counter()
    for url, capture in chosen.items():
        if capture.status != 200:
            continue
        netloc = urlsplit(url).netloc
        pages[netloc] += 1
        if classify(url) == "home" and extract.is_blogger_page(HtmlResponse(url, body=capture.body)):
            homes[netloc] += 1
    pick = homes or pages
    if not pick:
        return frozenset()
    return blog_hosts([pick.most_common(1)[0][0]])


class _Counts:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def store_captures(
    chosen: dict[str, Capture], out_dir: Path, options: CrawlOptions, *, source: str, via: str,
    meta: dict[str, Any] | None = None, archive_label: str | None = None,
) -> CrawlSummary:
    """Archive the chosen captures of the blog in ``out_dir/blog.db`` (see the module docstring)."""
    from scrapy.http import HtmlResponse  # imported when a web archive is read: not at start-up

    from crawler import extract
    from crawler.capture_feeds import FeedCapture, feed_items, feed_kind
    from crawler.pipelines import ArchiveWriter, IssueItem, count_item

    started = time.monotonic()
    hosts = blog_hosts_of(chosen)
    pages: list[tuple[str, str, Capture]] = []
    feeds: dict[str, Capture] = {}
    for url, capture in chosen.items():
        if not same_blog(url, hosts):
            continue
        kind = item_kind(classify(url))
        if kind in PAGE_KINDS:
            pages.append((url, kind, capture))
        elif kind == "feed" and capture.status == 200 and feed_kind(url):
            feeds[url] = capture
    if not any(c.status == 200 and extract.is_blogger_page(HtmlResponse(u, body=c.body)) for u, _, c in pages):
        raise SourceError(f"{source}: the archived pages are not those of a Blogger blog")
    pages.sort(key=lambda p: (_ORDER.get(p[1], 1), p[0]))
    counts = _Counts()
    per_page: dict[str, int] = {}
    total = 0
    own_pages: set[str] = set()  # posts archived from their own page
    listed: set[str] = set()  # posts a listing page showed
    with Archive.in_dir(out_dir) as archive:
        writer = ArchiveWriter(archive, batch_pages=10**9, batch_seconds=float("inf"))
        for start in range(0, len(pages), 200):
            batch = pages[start:start + 200]
            with archive.transaction():  # pages, their records and their captures together
                stored: list[tuple[str, Capture]] = []
                for url, kind, capture in batch:
                    item = _item_for(url, kind, capture, per_page, options)
                    writer.add(item)
                    count_item(counts, item)
                    if not isinstance(item, IssueItem):
                        stored.append((url, capture))
                        total += len(capture.body)
                        (own_pages if kind in ("post", "page") else listed).update(
                            canonicalize(p.url) for p in item.posts)
                writer.flush()
                _record(archive, stored, archive_label)
        # posts the archive holds only in a feed, archived from their entries (crawler.capture_feeds)
        extra = feed_items([FeedCapture(url, c.body, c.header("Content-Type")) for url, c in sorted(feeds.items())],
                           own_pages, listed)
        if extra:
            with archive.transaction():
                for item in extra:
                    writer.add(item)
                    count_item(counts, item)
                    total += len(item.body)
                writer.flush()
                _record(archive, [(item.url, feeds[item.url]) for item in extra], archive_label)
        archive.set_meta("source", {"source": source, "via": via, "at": utc_now(), **(meta or {})})
    values = counts.values
    elapsed = time.monotonic() - started
    read = len(pages)
    return CrawlSummary.from_stats(source, out_dir, via, values, pages=read, elapsed=elapsed, bytes_downloaded=total)


def _record(archive: Archive, stored: list[tuple[str, Capture]], label: str | None) -> None:
    for url, capture in stored:
        archive.record_capture(url, captured_at=capture.captured_at, archive=label or capture.archive,
                               capture_url=capture.capture_url, status=capture.status)


def _item_for(url: str, kind: str, capture: Capture, per_page: dict[str, int], options: CrawlOptions) -> object:
    from scrapy.http import HtmlResponse  # imported when a web archive is read: not at start-up

    from crawler.pipelines import IssueItem, incomplete_reason, mark_incomplete
    from crawler.spider import page_item

    if capture.status != 200:
        return IssueItem(url, "http", f"archived only with HTTP status {capture.status} ({capture.timestamp})")
    if len(capture.body) > options.max_page_bytes:
        return IssueItem(url, "size", f"larger than the {options.max_page_bytes}-byte page size limit")
    headers = {name: value for name, value in capture.headers}
    response = HtmlResponse(url, status=200, body=capture.body, headers=headers, encoding=_encoding(capture))
    offset = None
    if kind == "comments":
        first = per_page.get(post_url_of(url))
        if first:
            offset = (comment_page_number(url) - 1) * first
    item = page_item(response, url, kind, comment_offset=offset)
    for post in item.posts:
        if post.comment_pages:
            per_page[url] = len(post.comments)
    reason = capture.truncated or incomplete_reason(capture.body, item)
    if reason:
        mark_incomplete(item, reason)
    return item


def _encoding(capture: Capture) -> str | None:
    return _charset(capture.header("Content-Type") or "")


def _charset(content_type: str) -> str | None:
    ctype = content_type.lower()
    if "charset=" in ctype:
        return ctype.split("charset=", 1)[1].split(";", 1)[0].strip().strip("\"'") or None
    return None


def crawl_warc(path: Path, out_dir: Path, options: CrawlOptions, at: str | None = None) -> CrawlSummary:
    """Archive the blog a WARC/WACZ file holds in ``out_dir/blog.db``."""
    path = Path(path)
    captures = read_warc(path, max_page_bytes=options.max_page_bytes)
    chosen = best_captures(captures.captures, at)
    if not chosen:
        raise SourceError(f"{path}: no capture made on or before {at}")
    meta = {"at_date": at} if at else {}
    return store_captures(chosen, Path(out_dir), options, source=str(path.resolve()), via=WarcFile.name, meta=meta)


@dataclass(frozen=True)
class WarcFile:
    """A web-archive file (``.warc``, ``.warc.gz``, ``.wacz``) holding the blog's pages."""

    location: str
    name: ClassVar[str] = "warc"
    live: ClassVar[bool] = False

    @classmethod
    def detect(cls, text: str) -> "WarcFile | None":
        text = text.strip()
        if "://" in text or not text.lower().endswith(WARC_SUFFIXES):
            return None
        return cls(str(Path(text).expanduser()))

    def crawl(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary:
        if not Path(self.location).is_file():
            raise SourceError(f"{self.location}: no such web-archive file")
        return crawl_warc(Path(self.location), Path(out_dir), options, options.at or None)

    def refresh(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary:
        return self.crawl(out_dir, options, settings)  # read again: captures added since are stored

    def hosts(self) -> frozenset[str]:
        return frozenset()
