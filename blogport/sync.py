"""``blogport sync DIR``: bring a migration up to date with the live blog, asking for little.

The first ``migrate`` saved its configuration in ``DIR/blog.db`` (meta key ``config``); sync
repeats that migration incrementally:

1. **Is anything new?** Where the blog serves Blogger feeds, two small conditional requests
   (``/feeds/posts/default`` and ``/feeds/comments/default`` with ``max-results=1``, sent with
   the ETag / Last-Modified of the previous sync) answer ``304 Not Modified`` when nothing was
   published, edited, deleted or commented: an unchanged blog costs two empty responses.
2. **What changed?** Otherwise the feeds are read with ``updated-min=<start of the last
   successful run>`` for new and edited posts and new comments, and only those posts' pages
   (and their comment pages) are fetched, conditionally. ``openSearch:totalResults`` of the
   posts feed dropping below the number of known posts triggers a conditional check of every
   stored post page, which finds the ones now answering ``404``/``410``.
3. Where the blog serves no feeds (or the migration read a mirror or an export file), sync
   runs the crawl again in incremental mode: every stored page is requested conditionally.
4. When the archive changed, the exports are brought up to date (transform, export,
   validate). Before the transform the ``posts`` table is snapshotted; a post whose title or
   body changed keeps its older version in ``post_history``. Posts gone from the blog get
   ``posts.deleted_at`` (the time sync noticed), and are never removed. When nothing changed
   the exports are left alone, byte for byte.

Every run holds the folder's lock (``blogport.lock``) and is recorded in the ``runs`` table.
A migration whose crawl was interrupted (no exports written yet) is resumed first.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from blogport.config import MigrationConfig, load_config
from blogport.lock import hold_lock
from blogport.runs import finish_run, start_run
from crawler.plan import failed_pages
from crawler.run import SOURCES
from crawler.sources import Source, source_for
from kernel.archive import ARCHIVE_NAME, Archive, utc_now
from kernel.errors import ArchiveError, BlogportError, UnreachableError
from kernel.state import SyncState, load_sync_state, save_sync_state

log = logging.getLogger(__name__)

#: Statuses at which a post page counts as deleted from the blog.
GONE_STATUSES = frozenset({404, 410})
#: Safety margin subtracted from the cursor (clock skew between the blog and this machine).
CURSOR_MARGIN = timedelta(minutes=10)
#: Entries per feed request.
FEED_PAGE_SIZE = 500
#: Seconds before one HTTP request gives up.
TIMEOUT_S = 30.0
#: Longest ``Retry-After`` sync is willing to wait.
MAX_RETRY_AFTER_S = 60.0

POST_HISTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS post_history (
    id INTEGER PRIMARY KEY,
    post_id TEXT NOT NULL,
    url TEXT,
    title TEXT,
    body_html TEXT,
    published TEXT,
    updated TEXT,
    replaced_at TEXT NOT NULL,
    body_sha256 TEXT
)
"""
_HISTORY_INDEX = "CREATE INDEX IF NOT EXISTS post_history_post ON post_history(post_id)"
SNAPSHOT_TABLE = "sync_posts_before"
"""Posts as they were before a sync's transform. Kept until ``post_history`` is written, so
a run killed in between still records the older versions on the next run."""


# -- result ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass
class SyncResult:
    """What one sync did. ``exit_code``: 0 all well, 1 finished with item failures."""

    out_dir: Path
    source: str
    mode: str = "feeds"
    """"feeds" (feeds told what changed), "html" (incremental crawl), "resume" (an unfinished
    migration was completed) or "source" (mirror/export re-read)."""
    since: str | None = None
    """Cursor: changes since this time were asked for."""
    run_id: int | None = None
    posts: ItemCounts = field(default_factory=ItemCounts)
    comments: ItemCounts = field(default_factory=ItemCounts)
    failed: int = 0
    requests: int = 0
    not_modified: int = 0
    page_bytes: int = 0
    """Bytes of HTML page bodies downloaded."""
    feed_bytes: int = 0
    """Bytes of feed (and robots.txt) bodies downloaded."""
    exports_updated: bool = False
    deleted_urls: tuple[str, ...] = ()
    failures: list[str] = field(default_factory=list)
    stages: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    exit_code: int = 0

    @property
    def new(self) -> int:
        return self.posts.new + self.comments.new

    @property
    def changed(self) -> int:
        return self.posts.changed + self.comments.changed

    @property
    def unchanged(self) -> int:
        return self.posts.unchanged + self.comments.unchanged

    @property
    def deleted(self) -> int:
        return self.posts.deleted + self.comments.deleted

    def summary_lines(self) -> list[str]:
        how = {
            "feeds": "read the feeds",
            "html": "incremental crawl",
            "resume": "resumed the unfinished migration",
            "source": "re-read the source",
        }.get(self.mode, self.mode)
        since = f" since {self.since}" if self.since else ""
        lines = [f"Synced {self.source} into {self.out_dir / ARCHIVE_NAME} ({how}{since})"]
        p, c = self.posts, self.comments
        lines.append(f"  posts: {p.new} new, {p.changed} changed, {p.deleted} deleted, {p.unchanged} unchanged")
        lines.append(f"  comments: {c.new} new, {c.changed} changed, {c.unchanged} unchanged")
        lines.append(
            f"  requests: {self.requests} ({self.not_modified} not modified),"
            f" {self.page_bytes} bytes of pages, {self.feed_bytes} bytes of feeds, {self.elapsed_s:.1f} s"
        )
        lines.append("  exports: " + ("brought up to date" if self.exports_updated else "unchanged (nothing changed)"))
        lines.append(f"  failed: {self.failed}")
        lines.extend(f"    {f}" for f in self.failures[:20])
        for name, summary in self.stages.items():
            lines.append(f"[{name}]")
            lines.extend(f"  {line}" for line in summary.summary_lines())
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "source": self.source,
            "mode": self.mode,
            "since": self.since,
            "run_id": self.run_id,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "posts": asdict(self.posts),
            "comments": asdict(self.comments),
            "requests": self.requests,
            "not_modified": self.not_modified,
            "page_bytes": self.page_bytes,
            "feed_bytes": self.feed_bytes,
            "exports_updated": self.exports_updated,
            "deleted_urls": list(self.deleted_urls),
            "failures": list(self.failures),
            "stages": {k: v.as_dict() for k, v in self.stages.items()},
            "elapsed_s": round(self.elapsed_s, 3),
            "exit_code": self.exit_code,
        }


# -- entry point -------------------------------------------------------------------------
def sync(out_dir: Path) -> SyncResult:
    """Bring ``out_dir`` up to date with its blog. See the module docstring.

    Raises ``ArchiveError`` when ``out_dir`` was not made by ``blogport migrate``,
    ``LockedError`` when another run holds the folder, ``UnreachableError`` when the blog
    cannot be reached at all.
    """
    out_dir = Path(out_dir)
    started_clock = time.monotonic()
    not_migrated = ArchiveError(f"{out_dir} was not made by blogport migrate; run migrate first")
    if not (out_dir / ARCHIVE_NAME).is_file():
        raise not_migrated
    with hold_lock(out_dir):
        try:
            archive = Archive.in_dir(out_dir)
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"{out_dir / ARCHIVE_NAME} is not a blogport archive ({exc})") from None
        with archive:
            config = load_config(archive)
            if config is None:
                raise not_migrated
            result = SyncResult(out_dir=out_dir, source=config.source)
            started = utc_now()
            result.run_id = start_run(archive, "sync", config.source, started=started)
            try:
                _run(archive, config, result, started)
            except BaseException as exc:
                details = {"error": f"{type(exc).__name__}: {exc}"}
                try:
                    finish_run(archive, result.run_id, exit_status=2, failed=result.failed, details=details)
                except sqlite3.Error:  # pragma: no cover - the archive itself is the problem
                    log.exception("could not record the failed run")
                raise
            result.elapsed_s = time.monotonic() - started_clock
            finish_run(
                archive,
                result.run_id,
                exit_status=result.exit_code,
                new=result.new,
                changed=result.changed,
                unchanged=result.unchanged,
                deleted=result.deleted,
                failed=result.failed,
                details={
                    "mode": result.mode,
                    "since": result.since,
                    "posts": asdict(result.posts),
                    "comments": asdict(result.comments),
                    "requests": result.requests,
                    "not_modified": result.not_modified,
                    "page_bytes": result.page_bytes,
                    "feed_bytes": result.feed_bytes,
                    "exports_updated": result.exports_updated,
                    "deleted_urls": list(result.deleted_urls),
                    "failures": result.failures[:100],
                },
            )
    return result


def _run(archive: Archive, config: MigrationConfig, result: SyncResult, started: str) -> None:
    out_dir = result.out_dir
    source = source_for(config.source, SOURCES)
    result.since = _cursor(archive)
    before = records_fingerprint(archive)
    finished_migration = _exports_written(archive)
    deleted_before = dict(sync_state(archive).deleted)
    if finished_migration and sync_state(archive).exported is None:
        # the migration's own exports were written from the archive as it is now; saved
        # before anything is fetched, so a sync killed later still knows the exports are behind
        update_state(archive, exported=_export_key(before, deleted_before))

    if not finished_migration:
        result.mode = "resume"
        _crawl(source, config, out_dir, result, refresh=False)
    elif not source.live:
        result.mode = "source"
        _crawl(source, config, out_dir, result, refresh=True)
    else:
        fetcher = Fetcher(config, archive)
        source_via = (archive.get_meta("source") or {}).get("via", "html")
        # The feeds are the cheap way to learn what changed, whichever way the archive was
        # filled (an HTML archive then fetches just the changed pages); FeedSync says when the
        # blog serves none, and the incremental HTML crawl takes over.
        used_feeds = FeedSync(archive, fetcher, config, result, source_via).run()
        if used_feeds:
            result.mode = "feeds"
        else:
            result.mode = "html"
            _crawl(source, config, out_dir, result, refresh=True)
        result.requests += fetcher.requests
        result.not_modified += fetcher.not_modified
        result.page_bytes += fetcher.page_bytes
        result.feed_bytes += fetcher.feed_bytes

    noticed = _note_deletions(archive, deleted_before, started)
    result.deleted_urls = tuple(sorted(noticed))
    after = records_fingerprint(archive)
    key_after = _export_key(after, dict(sync_state(archive).deleted))
    exported = sync_state(archive).exported
    if finished_migration and exported == key_after:
        result.exports_updated = False
        result.posts, result.comments = _counts_unchanged(archive)
    else:
        _update_exports(archive, config, result, started)
        update_state(archive, exported=key_after)
    result.exit_code = max(
        [1 if result.failed else 0] + [getattr(s, "exit_code", 0) for s in result.stages.values()]
    )


def _check_unlinked_posts(
    archive: Archive, fetcher: "Fetcher", config: MigrationConfig, result: SyncResult, source_via: str,
    crawl_started: str,
) -> None:
    """After an incremental crawl: a deleted post is linked from nowhere, so the crawl never
    asks for it. When the blog's archive widget counts fewer posts than the archive holds (or
    gives no counts), each stored post the crawl did not refresh is checked with HEAD."""
    checker = FeedSync(archive, fetcher, config, result, source_via)
    known = checker._known_posts()
    info = archive.blog_info()
    months = info.archive_months if info is not None else ()
    if months and all(m.count is not None for m in months):
        if sum(m.count or 0 for m in months) >= len(known):
            return
    refreshed = {
        url for (url,) in archive.conn.execute(
            "SELECT url FROM pages WHERE status = 200 AND fetched_at >= ?", (crawl_started,))
    }
    for url in sorted(set(known) - refreshed):
        checker._check_gone(url)


def _exports_written(archive: Archive) -> bool:
    """Whether the migration got as far as writing its exports (else its crawl is resumed)."""
    try:
        row = archive.conn.execute("SELECT 1 FROM export_ledger LIMIT 1").fetchone()
    except sqlite3.OperationalError:
        return False
    return row is not None


def _cursor(archive: Archive) -> str | None:
    """Start of the last successful sync (less a safety margin), else of the first crawl.

    A sync that finished an interrupted migration does not count: the pages stored before
    the interruption were not fetched again, so changes made to them since are still due.
    """
    stamp = sync_state(archive).last
    if stamp is None:
        row = archive.conn.execute("SELECT min(fetched_at) FROM pages").fetchone()
        stamp = row[0] if row else None
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - CURSOR_MARGIN).astimezone(timezone.utc).replace(microsecond=0).isoformat()


def records_fingerprint(archive: Archive) -> str:
    """SHA-256 over every raw post and comment record (and page status): equal fingerprints,
    equal inputs to the transform."""
    digest = hashlib.sha256()
    for url, record in archive.conn.execute("SELECT url, record FROM raw_posts ORDER BY url"):
        digest.update(b"P\0" + url.encode() + b"\0" + record.encode() + b"\n")
    for key, page, position, record in archive.conn.execute(
        "SELECT key, page_url, position, record FROM raw_comments ORDER BY key"
    ):
        digest.update(f"C\0{key}\0{page}\0{position}\0".encode() + record.encode() + b"\n")
    return digest.hexdigest()


def _export_key(fingerprint: str, deleted: dict[str, str]) -> str:
    return hashlib.sha256((fingerprint + json.dumps(sorted(deleted), sort_keys=True)).encode()).hexdigest()


# -- crawl (fallback, resume) ------------------------------------------------------------
def _crawl(source: Source, config: MigrationConfig, out_dir: Path, result: SyncResult, *, refresh: bool) -> None:
    """The source's full crawl (an unfinished migration is resumed) or its refresh (only
    what changed since)."""
    options = replace(config.crawl, progress=False)
    summary = source.refresh(out_dir, options) if refresh else source.crawl(out_dir, options)
    result.stages["crawl"] = summary
    result.failed += int(getattr(summary, "errors", 0) or 0)
    result.requests += int(getattr(summary, "pages_fetched", 0) or 0)
    result.not_modified += int(getattr(summary, "not_modified", 0) or 0)
    result.page_bytes += int(getattr(summary, "bytes_downloaded", 0) or 0)
    if getattr(summary, "interrupted", False):
        result.failures.append("the crawl was interrupted; run sync again to resume")


# -- HTTP ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fetched:
    url: str
    """Final URL (after redirects)."""
    status: int
    body: bytes
    headers: Message

    def header(self, name: str) -> str | None:
        return self.headers.get(name) if self.headers is not None else None


class _NoErrors(urllib.request.HTTPErrorProcessor):
    """Hand every status back to the caller instead of raising."""

    def http_response(self, request: Any, response: Any) -> Any:
        return response

    https_response = http_response


class Fetcher:
    """Small, polite HTTP client for the handful of requests a sync makes.

    Conditional requests, the migration's User-Agent, robots.txt (kept in the archive's meta
    and itself re-checked conditionally), retries with backoff on network errors, 429 and 5xx.
    """

    def __init__(self, config: MigrationConfig, archive: Archive) -> None:
        self.config = config
        self.archive = archive
        self.user_agent = config.crawl.user_agent
        self.retries = max(0, config.crawl.retries)
        self.max_bytes = config.crawl.max_page_bytes
        self.opener = urllib.request.build_opener(_NoErrors())
        self.requests = 0
        self.not_modified = 0
        self.page_bytes = 0
        self.feed_bytes = 0
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    # validators of auxiliary URLs (feed probes, robots.txt), kept in the SyncState
    def validators(self, url: str) -> dict[str, Any]:
        return dict(sync_state(self.archive).validators.get(url, {}))

    def remember(self, url: str, fetched: Fetched, **extra: Any) -> None:
        probes = dict(sync_state(self.archive).validators)
        probes[url] = {
            "etag": fetched.header("ETag"),
            "last_modified": fetched.header("Last-Modified"),
            **extra,
        }
        update_state(self.archive, validators=probes)

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        method: str = "GET",
        feed: bool = False,
    ) -> Fetched:
        """One request; network failures raise ``UnreachableError`` after the retries."""
        if not self.allowed(url):
            raise _Refused(url)
        headers = {"User-Agent": self.user_agent, "Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            request = urllib.request.Request(url, headers=headers, method=method)
            try:
                with self.opener.open(request, timeout=TIMEOUT_S) as response:
                    status = response.status
                    body = response.read(self.max_bytes + 1) if method == "GET" else b""
                    fetched = Fetched(response.geturl(), status, body, response.headers)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                if attempt <= self.retries:
                    time.sleep(min(2 ** (attempt - 1) * 0.5, 8.0))
                    continue
                reason = getattr(exc, "reason", exc)
                raise UnreachableError(f"cannot reach {url} ({reason})") from None
            if (status == 429 or status >= 500) and attempt <= self.retries:
                time.sleep(self._retry_after(fetched, attempt))
                continue
            if status == 304:
                self.not_modified += 1
            elif feed:
                self.feed_bytes += len(fetched.body)
            else:
                self.page_bytes += len(fetched.body)
            if len(fetched.body) > self.max_bytes:
                raise _TooLarge(url)
            return fetched

    @staticmethod
    def _retry_after(fetched: Fetched, attempt: int) -> float:
        value = fetched.header("Retry-After")
        if value and value.strip().isdigit():
            return min(float(value.strip()), MAX_RETRY_AFTER_S)
        return min(2 ** (attempt - 1) * 0.5, 8.0)

    def allowed(self, url: str) -> bool:
        if not self.config.crawl.obey_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        parser = self._robots[origin]
        return True if parser is None else parser.can_fetch(self.user_agent, url)

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        url = origin + "/robots.txt"
        known = self.validators(url)
        self._robots[origin] = None  # robots.txt itself is always allowed
        try:
            fetched = self.get(url, etag=known.get("etag"), last_modified=known.get("last_modified"),
                               accept="text/plain,*/*;q=0.5", feed=True)
        except UnreachableError:
            raise
        except _Refused:  # pragma: no cover
            return None
        if fetched.status == 304 and "body" in known:
            text = known["body"]
        elif fetched.status == 200:
            text = fetched.body.decode("utf-8", errors="replace")
            self.remember(url, fetched, body=text)
        else:
            return None  # no robots.txt: everything is allowed
        parser = urllib.robotparser.RobotFileParser(url)
        parser.parse(text.splitlines())
        return parser


class _Refused(Exception):
    """robots.txt does not allow the URL."""


class _TooLarge(Exception):
    """The page is over the size limit."""


# -- feeds -----------------------------------------------------------------------------------
class FeedSync:
    """Finds what changed through the blog's feeds and refreshes only that."""

    def __init__(
        self, archive: Archive, fetcher: Fetcher, config: MigrationConfig, result: SyncResult, source_via: str
    ) -> None:
        from crawler.feeds import FeedContext

        self.archive = archive
        self.fetcher = fetcher
        self.config = config
        self.result = result
        parts = urlsplit(config.source.strip())
        self.base = f"{parts.scheme}://{parts.netloc}/"
        self.scheme = parts.scheme
        self.source_via = source_via
        self.ctx = FeedContext(blog_url=self.base, template="feed", source="feed", scheme=self.scheme)
        self._pending_probes: list[tuple[str, Fetched, int | None]] = []
        self._feed_pages: list[tuple[str, Fetched]] = []

    def run(self) -> bool:
        """False when the blog serves no usable feeds (the caller falls back to the HTML crawl)."""
        from crawler.feeds import feed_url

        failed_before = self.result.failed
        posts_probe = self._probe(feed_url(self.base, "posts", 1, 1))
        if posts_probe is None:
            return False
        comments_probe = self._probe(feed_url(self.base, "comments", 1, 1))
        if comments_probe is None and self.source_via != "feeds":
            # without the comments feed, new comments on old posts show only on their pages
            log.info("the blog serves no comments feed: falling back to an incremental crawl")
            return False
        posts_changed, total = posts_probe
        comments_changed = comments_probe[0] if comments_probe is not None else False
        if comments_probe is None:
            log.warning("the blog serves no comments feed: sync cannot see new comments on old posts;"
                        " a migrate with --via html can")

        affected: dict[str, str] = {}  # post URL -> kind
        feed_posts: dict[str, Any] = {}
        feed_comments: list[Any] = []
        if posts_changed:
            for entry_post in self._entries("posts"):
                if entry_post.kind in ("post", "page") and entry_post.status == "published":
                    affected[entry_post.url] = entry_post.kind
                    feed_posts[entry_post.url] = entry_post
        if comments_changed:
            for comment in self._entries("comments"):
                affected.setdefault(comment.post_url, _kind_of(comment.post_url))
                feed_comments.append(comment)

        if self.source_via != "feeds":
            # pages that failed or arrived incomplete in an earlier run, whatever the feeds say
            for url in sorted(failed_pages(self.archive.conn)):
                affected.setdefault(url, _retry_kind(url))
        known = self._known_posts()
        suspects: set[str] = set()
        if posts_changed and total is not None:
            new_posts = sum(1 for url, post in feed_posts.items() if post.kind == "post" and url not in known)
            if total < len(known) + new_posts:
                log.info("posts feed counts %d posts, the archive %d (+%d new): checking stored posts",
                         total, len(known), new_posts)
                suspects = set(known)

        if self.source_via == "feeds":
            self._store_feed_records(feed_posts, feed_comments)
            # deletions can only be seen on the post pages themselves
            for url in sorted(suspects - set(feed_posts)):
                self._check_gone(url)
        else:
            for url in sorted(affected):
                if affected[url] == "comments":
                    self._refresh_comments(url, None)
                else:
                    self._refresh_page(url, affected[url])
            for url in sorted(suspects - set(affected)):
                self._check_gone(url)
        if self.result.failed == failed_before:
            self.commit_probes()  # else the next run asks again, and retries what failed
        return True

    # probes
    def _probe(self, url: str) -> tuple[bool, int | None] | None:
        """(changed since the last sync?, openSearch totalResults), or None when the blog
        serves no usable feed at ``url``."""
        from crawler.feed_spider import unavailable_reason
        from crawler.feeds import parse_feed

        known = self.fetcher.validators(url)
        try:
            fetched = self.fetcher.get(
                url, etag=known.get("etag"), last_modified=known.get("last_modified"),
                accept="application/atom+xml,application/xml;q=0.9,*/*;q=0.5", feed=True,
            )
        except (_Refused, _TooLarge):
            return None
        if fetched.status == 304 and known:
            return False, known.get("total")
        if unavailable_reason(fetched.status, fetched.header("Content-Type"), fetched.body):
            return None
        try:
            page = parse_feed(fetched.body, url)
        except BlogportError:
            return None
        total = page.header.total_results
        changed = known.get("sha256") != hashlib.sha256(fetched.body).hexdigest() or not known
        self._pending_probes.append((url, fetched, total))
        return changed, total

    def commit_probes(self) -> None:
        """Remember the probes' validators, once what they announced has been stored."""
        for url, fetched, total in self._pending_probes:
            self.fetcher.remember(url, fetched, total=total, sha256=hashlib.sha256(fetched.body).hexdigest())
        self._pending_probes = []

    def _entries(self, kind: str) -> Any:
        """Every post (kind "posts") or comment (kind "comments") updated since the cursor."""
        from crawler.feeds import (
            entry_kind,
            entry_to_comment,
            entry_to_post,
            feed_url,
            next_start_index,
            parse_feed,
        )

        start: int | None = 1
        seen_pages = 0
        while start is not None and seen_pages < 10_000:
            seen_pages += 1
            url = feed_url(self.base, kind, start, FEED_PAGE_SIZE, self.result.since)
            fetched = self.fetcher.get(url, accept="application/atom+xml,application/xml;q=0.9,*/*;q=0.5", feed=True)
            if fetched.status != 200:
                self._fail(url, "http", f"HTTP {fetched.status} for a feed page")
                return
            try:
                page = parse_feed(fetched.body, url)
            except BlogportError as exc:
                self._fail(url, "xml", str(exc))
                return
            self._feed_pages.append((url, fetched))
            for entry in page.entries:
                try:
                    if kind == "posts":
                        if entry_kind(entry, "post") in ("post", "page"):
                            yield entry_to_post(entry, self.ctx)
                    elif entry_kind(entry, "comment") == "comment":
                        yield entry_to_comment(entry, self.ctx)
                except ValueError as exc:
                    self._fail(url, "parse", str(exc))
            start = next_start_index(page, start)

    def _known_posts(self) -> dict[str, str]:
        """URL -> kind of every published post the archive holds that is not known to be gone."""
        deleted = sync_state(self.archive).deleted
        gone = {
            url for (url,) in self.archive.conn.execute(
                "SELECT url FROM pages WHERE status IN (404, 410)"
            )
        }
        out: dict[str, str] = {}
        for url, record in self.archive.conn.execute("SELECT url, record FROM raw_posts"):
            data = json.loads(record)
            if data.get("kind", "post") != "post" or data.get("status", "published") != "published":
                continue
            if url in deleted or url in gone:
                continue
            out[url] = "post"
        return out

    def _fail(self, url: str, kind: str, reason: str) -> None:
        self.result.failed += 1
        self.result.failures.append(f"{url}: {reason}")
        self.archive.record_issue(url, kind, reason)

    # HTML-built archives: fetch the affected post pages conditionally
    def _refresh_page(self, url: str, kind: str) -> None:
        from crawler.spider import page_item

        stored = self.archive.page(url)
        conditional = stored is not None and stored.status == 200
        try:
            fetched = self.fetcher.get(
                url,
                etag=stored.etag if conditional else None,
                last_modified=stored.last_modified if conditional else None,
            )
        except _Refused:
            self.archive.record_issue(url, "robots", "disallowed by robots.txt")
            return
        except _TooLarge:
            self._fail(url, "size", f"larger than the {self.fetcher.max_bytes}-byte page size limit")
            return
        except UnreachableError as exc:
            self._fail(url, "network", str(exc))
            return
        if fetched.status == 304 and stored is not None:
            first = _stored_item(stored, page_item)
        elif fetched.status in GONE_STATUSES:
            if stored is not None and stored.status in {200, *GONE_STATUSES}:
                self._store_gone(stored, fetched.status, page_item)
            else:
                self._fail(url, "http", f"HTTP {fetched.status}")
            return
        elif fetched.status == 200:
            from scrapy.http import HtmlResponse

            response = HtmlResponse(
                url, status=200, body=fetched.body,
                headers={k: v for k, v in fetched.headers.items()},
            )
            first = page_item(response, url, stored.kind if stored is not None and stored.kind else kind)
            self._store(first)
        else:
            self._fail(url, "http", f"HTTP {fetched.status}")
            return
        if first is None:
            return
        for post in first.posts:
            per_page = len(post.comments) or None
            for extra in post.comment_pages:
                self._refresh_comments(_canonical(extra, self.scheme), per_page)

    def _refresh_comments(self, url: str, per_page: int | None) -> None:
        from scrapy.http import HtmlResponse

        from crawler.spider import DEFAULT_COMMENTS_PER_PAGE, page_item
        from crawler.urls import comment_page_number

        stored = self.archive.page(url)
        conditional = stored is not None and stored.status == 200
        try:
            fetched = self.fetcher.get(
                url,
                etag=stored.etag if conditional else None,
                last_modified=stored.last_modified if conditional else None,
            )
        except (_Refused, _TooLarge, UnreachableError) as exc:
            self._fail(url, "network", f"{type(exc).__name__}: {exc}")
            return
        if fetched.status == 304:
            return
        if fetched.status != 200:
            if not (fetched.status in GONE_STATUSES and stored is not None):
                self._fail(url, "http", f"HTTP {fetched.status}")
            return
        offset = (comment_page_number(url) - 1) * (per_page or DEFAULT_COMMENTS_PER_PAGE)
        response = HtmlResponse(url, status=200, body=fetched.body, headers={k: v for k, v in fetched.headers.items()})
        self._store(page_item(response, url, "comments", comment_offset=offset))

    def _store(self, item: Any) -> None:
        with self.archive.transaction():
            self.archive.store_page(
                item.url, status=item.status, body=item.body, kind=item.kind, etag=item.etag,
                last_modified=item.last_modified, content_type=item.content_type, error=item.error,
                posts=item.posts, comments=item.comments,
            )
            if item.error and item.status == 200:
                self.archive.record_issue(item.url, "parse", item.error)
                self.result.failed += 1
                self.result.failures.append(f"{item.url}: {item.error}")

    def _store_gone(self, stored: Any, status: int, page_item: Any) -> None:
        """The blog no longer serves a stored page: keep its HTML and records, update its status
        (as the incremental crawl does)."""
        item = _stored_item(stored, page_item)
        if item is None:
            return
        item.status = status
        with self.archive.transaction():
            self.archive.store_page(
                item.url, status=status, body=item.body, kind=item.kind, etag=stored.etag,
                last_modified=stored.last_modified, content_type=stored.content_type, error=item.error,
                posts=item.posts, comments=item.comments,
            )
            self.archive.record_issue(item.url, "http", f"HTTP {status}: gone from the blog since the last crawl")

    # feed-built archives: the feed entries are the records
    def _store_feed_records(self, posts: dict[str, Any], comments: list[Any]) -> None:
        from crawler.feeds import assign_positions

        if not posts and not comments:
            return
        existing: dict[str, int] = {}
        known_keys: dict[str, int] = {}
        for key, post_url, position in self.archive.conn.execute(
            "SELECT key, post_url, position FROM raw_comments"
        ):
            existing[post_url] = max(existing.get(post_url, -1), position)
            known_keys[key] = position
        from kernel.archive import comment_key

        fresh = [c for c in comments if comment_key(c) not in known_keys]
        kept = [replace(c, position=known_keys[comment_key(c)]) for c in comments if comment_key(c) in known_keys]
        numbered = []
        for comment in assign_positions(fresh):
            numbered.append(replace(comment, position=existing.get(comment.post_url, -1) + 1 + comment.position))
        with self.archive.transaction():
            for url, fetched in self._feed_pages:
                self.archive.store_page(url, status=200, body=fetched.body, kind="feed",
                                        content_type=fetched.header("Content-Type"))
            page_url = self._feed_pages[0][0] if self._feed_pages else self.base
            self.archive.store_records(page_url, posts=list(posts.values()), comments=kept + numbered)

    def _check_gone(self, url: str) -> None:
        """Is a stored post still there? A HEAD request (no body) answers; a page that is gone
        keeps its HTML and records and gets the 404/410 status."""
        stored = self.archive.page(url)
        conditional = stored is not None and stored.status == 200
        try:
            fetched = self.fetcher.get(
                url, method="HEAD",
                etag=stored.etag if conditional else None,
                last_modified=stored.last_modified if conditional else None,
            )
        except (_Refused, _TooLarge):
            return
        except UnreachableError as exc:
            self._fail(url, "network", str(exc))
            return
        if fetched.status in (405, 501):  # no HEAD on this server: a conditional GET then
            self._refresh_page(url, _kind_of(url))
            return
        if fetched.status not in GONE_STATUSES:
            return
        if stored is not None and stored.status in {200, *GONE_STATUSES}:
            self._store_gone(stored, fetched.status, _page_item())
            return
        deleted = dict(sync_state(self.archive).deleted)
        if url not in deleted:
            deleted[url] = utc_now()
            with self.archive.transaction():
                update_state(self.archive, deleted=deleted)
                self.archive.record_issue(
                    url, "http", f"HTTP {fetched.status}: gone from the blog since the last crawl")


def _page_item() -> Any:
    from crawler.spider import page_item

    return page_item


def _kind_of(url: str) -> str:
    from crawler.urls import classify, item_kind

    kind = item_kind(classify(url))
    return kind if kind in ("post", "page") else "post"


def _retry_kind(url: str) -> str:
    from crawler.urls import classify, item_kind

    kind = item_kind(classify(url))
    return kind if kind in ("post", "page", "comments") else "post"


def _canonical(url: str, scheme: str) -> str:
    from crawler.urls import canonicalize

    return canonicalize(url, scheme)


def _stored_item(stored: Any, page_item: Any) -> Any:
    from scrapy.http import HtmlResponse

    if stored.html is None:
        return None
    response = HtmlResponse(stored.url, body=stored.html.encode("utf-8"), encoding="utf-8")
    item = page_item(response, stored.url, stored.kind or "post")
    item.etag, item.last_modified, item.content_type = stored.etag, stored.last_modified, stored.content_type
    return item


# -- state ---------------------------------------------------------------------------------
def sync_state(archive: Archive) -> SyncState:
    return load_sync_state(archive.conn)


def update_state(archive: Archive, **changes: Any) -> SyncState:
    """Change fields of the SyncState, in the caller's transaction when there is one."""
    with archive.transaction() as conn:
        state = replace(load_sync_state(conn), **changes)
        save_sync_state(conn, state)
    return state


# -- deletions -----------------------------------------------------------------------------
def _note_deletions(archive: Archive, before: dict[str, str], noticed_at: str) -> set[str]:
    """Update ``SyncState.deleted`` from the post pages' statuses; returns URLs newly gone."""
    deleted = dict(sync_state(archive).deleted)
    rows = archive.conn.execute(
        "SELECT p.url, p.status FROM pages p JOIN raw_posts r ON r.url = p.url"
        " WHERE p.kind IN ('post', 'page')"
    ).fetchall()
    for url, status in rows:
        if status in GONE_STATUSES:
            deleted.setdefault(url, noticed_at)
        elif status == 200 and url in deleted:
            del deleted[url]  # it came back
    if deleted != dict(sync_state(archive).deleted):
        update_state(archive, deleted=deleted)
    return set(deleted) - set(before)


def apply_deletions(conn: sqlite3.Connection, deleted: dict[str, str]) -> None:
    """Set ``posts.deleted_at`` from the deleted map (and clear it for posts that came back)."""
    conn.executemany(
        "UPDATE posts SET deleted_at = ? WHERE url = ? AND deleted_at IS NULL",
        [(when, url) for url, when in sorted(deleted.items())],
    )
    marks = ",".join("?" for _ in deleted)
    if deleted:
        conn.execute(f"UPDATE posts SET deleted_at = NULL WHERE deleted_at IS NOT NULL AND url NOT IN ({marks})",
                     sorted(deleted))
    else:
        conn.execute("UPDATE posts SET deleted_at = NULL WHERE deleted_at IS NOT NULL")


# -- exports -------------------------------------------------------------------------------
def _table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def _comment_state(conn: sqlite3.Connection) -> dict[str, str]:
    if not _table_exists(conn, "comments"):
        return {}
    return {
        cid: hashlib.sha256((body or "").encode()).hexdigest()
        for cid, body in conn.execute("SELECT id, body_html FROM comments")
    }


def _counts_unchanged(archive: Archive) -> tuple[ItemCounts, ItemCounts]:
    conn = archive.conn
    posts = comments = 0
    if _table_exists(conn, "posts"):
        (posts,) = conn.execute("SELECT count(*) FROM posts WHERE deleted_at IS NULL").fetchone()
    if _table_exists(conn, "comments"):
        (comments,) = conn.execute(
            "SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.deleted_at IS NULL"
        ).fetchone()
    return ItemCounts(unchanged=posts), ItemCounts(unchanged=comments)


def snapshot_posts(archive: Archive) -> None:
    """Copy ``posts`` into the snapshot table (unless a killed run left one: that is older)."""
    with archive.transaction() as conn:
        if _table_exists(conn, SNAPSHOT_TABLE) or not _table_exists(conn, "posts"):
            return
        conn.execute(
            f"CREATE TABLE {SNAPSHOT_TABLE} AS SELECT id, url, title, body_html, published, updated, deleted_at"
            " FROM posts"
        )


def record_history(archive: Archive, replaced_at: str) -> tuple[set[str], set[str], set[str]]:
    """Compare ``posts`` with the snapshot: write ``post_history`` rows for edited posts and drop
    the snapshot, in one transaction. Returns (new ids, changed ids, ids before)."""
    with archive.transaction() as conn:
        conn.execute(POST_HISTORY_SCHEMA)
        conn.execute(_HISTORY_INDEX)
        now = {
            pid: (title, body)
            for pid, title, body in conn.execute("SELECT id, title, body_html FROM posts")
        }
        if not _table_exists(conn, SNAPSHOT_TABLE):
            return set(now), set(), set()
        before = conn.execute(
            f"SELECT id, url, title, body_html, published, updated FROM {SNAPSHOT_TABLE}"
        ).fetchall()
        changed: set[str] = set()
        rows = []
        for pid, url, title, body, published, updated in before:
            if pid in now and now[pid] != (title, body):
                changed.add(pid)
                rows.append((pid, url, title, body, published, updated, replaced_at,
                             hashlib.sha256((body or "").encode("utf-8")).hexdigest()))
        conn.executemany(
            "INSERT INTO post_history (post_id, url, title, body_html, published, updated, replaced_at,"
            " body_sha256) VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute(f"DROP TABLE {SNAPSHOT_TABLE}")
        ids_before = {row[0] for row in before}
        return set(now) - ids_before, changed, ids_before


def ensure_history_table(archive: Archive) -> None:
    with archive.transaction() as conn:
        conn.execute(POST_HISTORY_SCHEMA)
        conn.execute(_HISTORY_INDEX)


def _update_exports(archive: Archive, config: MigrationConfig, result: SyncResult, started: str) -> None:
    from loaders.run import export
    from transform.run import transform

    out_dir = result.out_dir
    ensure_history_table(archive)
    comments_before = _comment_state(archive.conn)
    live_before = set()
    if _table_exists(archive.conn, "posts"):
        live_before = {pid for (pid,) in archive.conn.execute("SELECT id FROM posts WHERE deleted_at IS NULL")}
    snapshot_posts(archive)
    result.stages["transform"] = transform(out_dir, config.transform)
    new_ids, changed_ids, ids_before = record_history(archive, started)
    deleted = dict(sync_state(archive).deleted)
    with archive.transaction() as conn:
        apply_deletions(conn, deleted)
    live_after = {pid for (pid,) in archive.conn.execute("SELECT id FROM posts WHERE deleted_at IS NULL")}
    gone_now = live_before - live_after
    comments_after = _comment_state(archive.conn)
    new_comments = set(comments_after) - set(comments_before)
    changed_comments = {c for c in comments_after if c in comments_before and comments_after[c] != comments_before[c]}
    result.posts = ItemCounts(
        new=len(new_ids),
        changed=len(changed_ids - gone_now),
        deleted=len(gone_now),
        unchanged=len((live_after & ids_before) - changed_ids),
    )
    result.comments = ItemCounts(
        new=len(new_comments),
        changed=len(changed_comments),
        unchanged=len(set(comments_after) - new_comments - changed_comments),
    )
    result.stages["export"] = export(out_dir, config.export)
    from blogport.validate import ValidateOptions, validate

    result.stages["validate"] = validate(out_dir, ValidateOptions())
    result.exports_updated = True
