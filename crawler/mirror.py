"""A saved copy of a blog (``wget --mirror``, HTTrack) as a crawl source.

Each saved HTML page gets back the URL it was fetched from: the host folder the mirroring
tool created (``127.0.0.1:8080/2009/08/x.html``, ``myblog.blogspot.com/2009/08/``), the file's
path below it (``index.html`` is its folder; a ``?query`` kept in the file name is the
query), and the scheme from the page's own ``link[rel=canonical]`` / ``og:url``. When there is
no host folder, the canonical URL is the page's URL. Then the same extraction as a live crawl
runs on the page and it is stored with status 200, so a mirror and a crawl of the same blog
give the same records.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from scrapy.http import HtmlResponse

from kernel.archive import Archive, utc_now
from kernel.errors import SourceError
from crawler.options import CrawlOptions
from crawler.pipelines import ArchiveWriter, IssueItem, count_item
from crawler.summary import CrawlSummary
from crawler.trial import newest
from crawler.urls import canonicalize, classify, comment_page_number, item_kind, post_url_of

log = logging.getLogger(__name__)

_HOST_DIR = re.compile(
    r"^(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})(?:[:+]\d+)?$",
    re.IGNORECASE,
)
_HTML_SUFFIXES = (".html", ".htm")
_SKIP_DIRS = {"hts-cache", "hts-log", ".git"}
_SNIFF = (b"<!doctype html", b"<html", b"<text id=")  # the last: a page kept in a CleanEval corpus
_SCRIPT_SUFFIXES = (".php", ".asp", ".aspx", ".shtml", ".cgi")  # classic blogs FTP-published as server pages
_LISTING_KINDS = frozenset({"home", "archive", "label", "index"})
_CANONICAL_XPATH = (
    "//link[translate(@rel,'CANONICAL','canonical')='canonical']/@href"
    " | //meta[@property='og:url']/@content"
)
#: Order in which saved pages are stored: posts before their comment pages.
_ORDER = {"home": 0, "archive": 1, "index": 1, "label": 1, "page": 2, "post": 2, "comments": 3}


class _Counts:
    """A stats-collector stand-in for ``count_item``."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


@dataclass(frozen=True)
class SavedPage:
    path: Path
    url: str
    kind: str


def is_host_dir(name: str) -> bool:
    return bool(_HOST_DIR.match(name))


def _looks_like_html(path: Path) -> bool:
    name = path.name.lower()
    base = name.split("?", 1)[0]
    if base.endswith(_HTML_SUFFIXES):
        return True
    if "." in base and not base.endswith(_HTML_SUFFIXES + _SCRIPT_SUFFIXES):
        return False  # images, css, robots.txt, feeds saved as .xml
    try:
        with path.open("rb") as handle:
            head = handle.read(1024).lstrip().lower()
    except OSError:
        return False
    return head.startswith(_SNIFF)


def inside(folder: Path, path: Path) -> bool:
    """Whether ``path``, its links followed, is within ``folder`` (an absolute, resolved path)."""
    try:
        path.resolve(strict=True).relative_to(folder)
    except (OSError, RuntimeError, ValueError):  # missing, a link loop, or outside
        return False
    return True


def saved_files(folder: Path, outside: list[Path] | None = None) -> Iterator[Path]:
    """The saved HTML pages below ``folder`` (resolved). A file that is a link to somewhere
    outside the folder is never read: it is added to ``outside``."""
    for path in sorted(folder.rglob("*")):
        if any(part in _SKIP_DIRS for part in path.relative_to(folder).parts):
            continue
        if not inside(folder, path):
            if outside is not None:
                outside.append(path)
            continue
        if path.is_file() and _looks_like_html(path):
            yield path


def path_url(host: str | None, parts: tuple[str, ...]) -> tuple[str, str]:
    """(path, query) of a saved file below its host folder."""
    *dirs, name = parts
    query = ""
    if "?" in name:
        name, query = name.split("?", 1)
        if query.lower().endswith(_HTML_SUFFIXES) and name.lower().endswith(_HTML_SUFFIXES):
            query = query.rsplit(".", 1)[0]  # wget --adjust-extension: x.html?commentPage=2.html
    if name.lower() in ("index.html", "index.htm"):
        path = "/" + "/".join(dirs) + ("/" if dirs else "")
    else:
        path = "/" + "/".join([*dirs, name])
    return path.replace("//", "/"), query


def _canonical_of(response: HtmlResponse) -> str | None:
    for value in response.xpath(_CANONICAL_XPATH).getall():
        value = value.strip()
        if value.lower().startswith(("http://", "https://")):
            return value
    return None


def reconstruct_url(folder: Path, path: Path, response: HtmlResponse | None = None, host: str | None = None) -> str | None:
    """The URL a saved file was fetched from (see module doc); None when it cannot be told."""
    rel = path.relative_to(folder).parts
    if host is None:
        if folder.name and is_host_dir(folder.name):
            host = folder.name
        elif len(rel) > 1 and is_host_dir(rel[0]):
            host, rel = rel[0], rel[1:]
    elif rel and rel[0] == host:
        rel = rel[1:]
    canonical = _canonical_of(response) if response is not None else None
    if host is None:
        if canonical is None:
            return None
        _, query = path_url(None, rel)
        parts = urlsplit(canonical)
        if query and not parts.query:
            canonical = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        return canonicalize(canonical)
    netloc = host.replace("+", ":")
    scheme = "http"
    if canonical is not None:
        cparts = urlsplit(canonical)
        if cparts.netloc.lower() == netloc.lower():
            scheme = cparts.scheme.lower()
    page_path, query = path_url(host, rel)
    return canonicalize(urlunsplit((scheme, netloc, page_path, query, "")), scheme)


def _kind_by_content(response: HtmlResponse) -> str | None:
    """"post" or "index" for a Blogger page whose URL says neither; None for anything else."""
    from crawler import extract

    if not extract.is_blogger_page(response) or not extract.extract_posts(response):
        return None
    return "post" if extract.is_item_page(response) else "index"


def _listing_posts(response: HtmlResponse, saved_urls: set[str]) -> list:
    """The whole posts a listing page shows whose own page is not in the mirror (a post page,
    where there is one, wins over its copy on a listing)."""
    from crawler import extract

    try:
        return [post for post in extract.extract_posts(response) if post.url not in saved_urls]
    except Exception as exc:  # the page itself is stored; its posts are read again next time
        log.warning("could not read the posts of %s: %s: %s", response.url, type(exc).__name__, exc)
        return []


def _trial_pages(pages: list[tuple[SavedPage, HtmlResponse | None, str | None]],
                 limit: int) -> list[tuple[SavedPage, HtmlResponse | None, str | None]]:
    """A trial run (``crawler.trial``): the newest ``limit`` posts, their comment pages, and
    the home page for the blog's details (not the posts it lists)."""
    from crawler import extract

    dated: list[tuple[str, str | None]] = []
    for saved, response, _too_big in pages:
        if saved.kind == "post" and response is not None:
            try:
                published = extract.extract_post(response).published_attr
            except Exception:  # an unreadable page is stored with the reason later; here: dated by its URL
                published = None
            month = re.search(r"/(\d{4})/(\d{2})/", saved.url)
            dated.append((saved.url, published or (f"{month[1]}-{month[2]}-01" if month else None)))
    keep = newest(dated, limit)
    return [p for p in pages if p[0].kind == "home" or (p[0].kind == "post" and p[0].url in keep)
            or (p[0].kind == "comments" and post_url_of(p[0].url) in keep)]


def crawl_mirror(folder: Path, out_dir: Path, options: CrawlOptions) -> CrawlSummary:
    """Store every page of a saved mirror folder in ``out_dir/blog.db``."""
    from crawler import extract
    from crawler.spider import page_item

    started = time.monotonic()
    folder = folder.resolve()
    outside: list[Path] = []
    files = list(saved_files(folder, outside))
    if outside:
        log.warning("%d links to files outside %s were not followed (e.g. %s)", len(outside), folder, outside[0])
    if not files:
        raise SourceError(
            f"{folder}: no saved HTML pages found (expected a copy of a blog made with wget --mirror or HTTrack)"
        )
    pages: list[tuple[SavedPage, HtmlResponse | None, str | None]] = []
    unknown: list[Path] = []
    blogger = False
    for path in files:
        size = path.stat().st_size
        body = path.read_bytes() if size <= options.max_page_bytes else b""
        response = HtmlResponse("http://saved.invalid/", body=body) if body else None
        url = reconstruct_url(folder, path, response)
        if url is None:
            unknown.append(path)
            log.debug("%s: cannot tell which URL this saved page had; skipped", path)
            continue
        kind = item_kind(classify(url))
        if kind == "feed" or (kind == "other" and response is None):
            continue
        if response is not None:
            response = HtmlResponse(url, body=body)
            if kind == "other":
                kind = _kind_by_content(response)  # a classic blog published under its own paths
                if kind is None:
                    continue
            if not blogger and extract.is_blogger_page(response):
                blogger = True
        pages.append((SavedPage(path, url, kind), response, None if response is not None else f"{size} bytes"))
    if not blogger:
        raise SourceError(f"{folder} does not look like a saved Blogger blog")
    if unknown:
        log.warning("%d saved pages were skipped: cannot tell which URL they had (e.g. %s)", len(unknown), unknown[0])

    if options.limit > 0:
        pages = _trial_pages(pages, options.limit)
    pages.sort(key=lambda p: (_ORDER.get(p[0].kind, 1), p[0].url))
    saved_urls = {saved.url for saved, _, _ in pages}
    counts = _Counts()
    per_page: dict[str, int] = {}
    total_bytes = 0
    seen: set[str] = set()
    with Archive.in_dir(out_dir) as archive:
        writer = ArchiveWriter(archive, batch_pages=200, batch_seconds=5.0)
        for saved, response, too_big in pages:
            if saved.url in seen:
                continue
            seen.add(saved.url)
            if response is None:
                item: object = IssueItem(saved.url, "size", f"larger than the {options.max_page_bytes}-byte page size limit ({too_big})")
            else:
                kind = "home" if saved.kind == "home" else saved.kind
                offset = None
                if kind == "comments":
                    first = per_page.get(post_url_of(saved.url))
                    if first:
                        offset = (comment_page_number(saved.url) - 1) * first
                page = page_item(response, saved.url, kind, comment_offset=offset)
                if kind in _LISTING_KINDS and page.error is None and not options.limit:
                    page.posts = _listing_posts(response, saved_urls)
                for post in page.posts:
                    if post.comment_pages:
                        per_page[saved.url] = len(post.comments)
                total_bytes += len(response.body)
                counts.inc_value("pages_read")
                item = page
            writer.add(item)
            count_item(counts, item)
        writer.flush()
        archive.set_meta("source", {"source": str(folder), "via": "mirror", "at": utc_now()})
    elapsed = time.monotonic() - started
    values = counts.values
    read = values.get("pages_read", 0)
    return CrawlSummary.from_stats(str(folder), out_dir, "mirror", values, pages=read, elapsed=elapsed,
                                   bytes_downloaded=total_bytes, extra_issues=len(unknown))
