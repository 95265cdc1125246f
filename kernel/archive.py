"""The archive: ``DIR/blog.db``, every fetched page as it came plus the raw records from it.

Later stages read only from here, so they can be re-run without the network. Every write
that belongs together (a page, the records extracted from it, and its issues) is one
transaction: a run killed at any moment leaves whole pages or nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kernel.errors import ArchiveError, no_archive_message
from kernel.records import BlogInfo, RawComment, RawPost

if TYPE_CHECKING:
    import sqlite_utils

ARCHIVE_NAME = "blog.db"
SCHEMA_VERSION = 1
#: SQLite page size of a new archive, in bytes.
PAGE_SIZE = 16384

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    status INTEGER,
    fetched_at TEXT,
    etag TEXT,
    last_modified TEXT,
    sha256 TEXT,
    html TEXT,
    content_type TEXT,
    kind TEXT,
    size INTEGER,
    error TEXT
);
CREATE TABLE IF NOT EXISTS raw_posts (
    url TEXT PRIMARY KEY,
    post_id TEXT,
    page_url TEXT,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS raw_comments (
    key TEXT PRIMARY KEY,
    post_url TEXT NOT NULL,
    comment_id TEXT,
    page_url TEXT,
    position INTEGER,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS raw_comments_post ON raw_comments(post_url);
CREATE INDEX IF NOT EXISTS raw_comments_page ON raw_comments(page_url);
CREATE INDEX IF NOT EXISTS raw_posts_page ON raw_posts(page_url);
CREATE TABLE IF NOT EXISTS crawl_issues (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT,
    at TEXT
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS captures (
    url TEXT PRIMARY KEY,
    captured_at TEXT NOT NULL,
    archive TEXT NOT NULL,
    capture_url TEXT,
    status INTEGER
);
"""

_SCHEMA_STATEMENTS = tuple(s.strip() for s in _SCHEMA.split(";") if s.strip())
_RAW_OBJECTS = frozenset(re.search(r"IF NOT EXISTS (\w+)", s).group(1) for s in _SCHEMA_STATEMENTS)  # type: ignore[union-attr]
"""The tables and indexes of ``_SCHEMA``: an archive that has them all (and its schema version)
is opened without writing to it."""

ISSUE_KINDS = ("robots", "size", "http", "network", "parse", "incomplete", "offsite", "xml")
"""Kinds of ``crawl_issues`` rows: refused by robots.txt, over the size limit, an HTTP
error status, a network failure, a page that failed to parse, a page that arrived
incomplete (fetched again on the next run), a link or redirect off the blog's hosts, an
export/feed file that is not acceptable XML."""


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def comment_key(comment: RawComment) -> str:
    """Primary key of a raw comment: unique per post, stable across re-crawls."""
    ident = comment.comment_id if comment.comment_id else f"pos{comment.position}"
    return f"{comment.post_url}#{ident}"


@dataclass(frozen=True)
class StoredPage:
    url: str
    status: int | None
    fetched_at: str | None
    etag: str | None
    last_modified: str | None
    sha256: str | None
    html: str | None
    content_type: str | None
    kind: str | None
    size: int | None
    error: str | None


class Archive:
    """A ``blog.db`` archive. Use as a context manager or call ``close()``."""

    def __init__(self, path: str | Path, *, _opened: "_Opened | None" = None) -> None:
        self.path = Path(path)
        if _opened is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        else:  # open_archive has checked the file on this connection and read its schema
            conn = _opened.conn
        # Pages of a few tens of KB each: 16 KiB database pages keep each one in fewer
        # overflow pages (measured by bench/crawl.py). Takes effect only for a new file.
        conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        self.conn = conn
        if _opened is None:
            objects = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
            versioned = _RAW_OBJECTS <= objects and self.get_meta("schema_version") is not None
        else:
            objects, versioned = _opened.objects, _opened.version is not None
        if _RAW_OBJECTS <= objects and versioned:
            return  # a complete archive is only looked at: no write, no transaction to commit
        with self.transaction():
            for statement in _SCHEMA_STATEMENTS:
                conn.execute(statement)
            if self.get_meta("schema_version") is None:
                self._set_meta(conn, "schema_version", SCHEMA_VERSION)

    @cached_property
    def db(self) -> "sqlite_utils.Database":
        """The connection as a ``sqlite_utils.Database``, made when first asked for: the
        archive itself uses ``sqlite3`` only, and importing sqlite-utils costs start-up time
        (imported here, lazily, for that reason only)."""
        import sqlite_utils

        # no sqlite-utils plugins are used: not loading them saves a scan of every installed package
        return sqlite_utils.Database(self.conn, execute_plugins=False)

    @classmethod
    def in_dir(cls, out_dir: str | Path) -> "Archive":
        return cls(Path(out_dir) / ARCHIVE_NAME)

    # -- lifecycle -------------------------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception. Nested use joins the outer one."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:  # SQLite ends it itself on some errors (a full disk)
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # -- writes ----------------------------------------------------------------------
    def store_page(
        self,
        url: str,
        *,
        status: int | None,
        body: bytes | str | None,
        kind: str,
        etag: str | None = None,
        last_modified: str | None = None,
        content_type: str | None = None,
        error: str | None = None,
        posts: Iterable[RawPost] = (),
        comments: Iterable[RawComment] = (),
        fetched_at: str | None = None,
    ) -> None:
        """Store one fetched page and everything extracted from it, in one transaction.

        Records previously extracted from the same page are replaced, so a re-fetch never
        duplicates them. ``comments`` are stored in addition to each post's own comments.
        """
        if isinstance(body, bytes):
            raw = body
            html = body.decode("utf-8", errors="replace")
        else:
            html = body
            raw = body.encode("utf-8") if body is not None else None
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO pages (url, status, fetched_at, etag, last_modified, sha256, html,"
                " content_type, kind, size, error) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(url) DO UPDATE SET status=excluded.status, fetched_at=excluded.fetched_at,"
                " etag=excluded.etag, last_modified=excluded.last_modified, sha256=excluded.sha256,"
                " html=excluded.html, content_type=excluded.content_type, kind=excluded.kind,"
                " size=excluded.size, error=excluded.error",
                (
                    url,
                    status,
                    fetched_at or utc_now(),
                    etag,
                    last_modified,
                    sha256_hex(raw) if raw is not None else None,
                    html,
                    content_type,
                    kind,
                    len(raw) if raw is not None else None,
                    error,
                ),
            )
            conn.execute("DELETE FROM raw_comments WHERE page_url = ?", (url,))
            conn.execute("DELETE FROM raw_posts WHERE page_url = ?", (url,))
            self._write_records(conn, url, posts, comments)

    def store_records(
        self, page_url: str, posts: Iterable[RawPost] = (), comments: Iterable[RawComment] = ()
    ) -> None:
        """Store records that came from a source with no page of its own (export, feed entry)."""
        with self.transaction() as conn:
            self._write_records(conn, page_url, posts, comments)

    def _write_records(
        self,
        conn: sqlite3.Connection,
        page_url: str,
        posts: Iterable[RawPost],
        comments: Iterable[RawComment],
    ) -> None:
        all_comments: list[RawComment] = list(comments)
        for post in posts:
            conn.execute(
                "INSERT INTO raw_posts (url, post_id, page_url, record) VALUES (?,?,?,?)"
                " ON CONFLICT(url) DO UPDATE SET post_id=excluded.post_id,"
                " page_url=excluded.page_url, record=excluded.record",
                (post.url, post.post_id, page_url, post.to_json()),
            )
            all_comments.extend(post.comments)
        if all_comments:
            conn.executemany(
                "INSERT INTO raw_comments (key, post_url, comment_id, page_url, position, record)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET post_url=excluded.post_url,"
                " comment_id=excluded.comment_id, page_url=excluded.page_url,"
                " position=excluded.position, record=excluded.record",
                [
                    (comment_key(c), c.post_url, c.comment_id, page_url, c.position, c.to_json())
                    for c in all_comments
                ],
            )

    def record_issue(self, url: str, kind: str, reason: str) -> None:
        """Record a page that was not stored, or not parsed, and why."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO crawl_issues (url, kind, reason, at) VALUES (?,?,?,?)",
                (url, kind, reason, utc_now()),
            )

    def record_capture(
        self, url: str, *, captured_at: str, archive: str, capture_url: str | None = None, status: int | None = None
    ) -> None:
        """Which web-archive capture (time, WARC file or replay server) a stored page came from.

        The page's ``fetched_at`` becomes the capture time, joining the page's transaction
        when called inside one."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO captures (url, captured_at, archive, capture_url, status) VALUES (?,?,?,?,?)"
                " ON CONFLICT(url) DO UPDATE SET captured_at=excluded.captured_at, archive=excluded.archive,"
                " capture_url=excluded.capture_url, status=excluded.status",
                (url, captured_at, archive, capture_url, status),
            )
            conn.execute("UPDATE pages SET fetched_at = ? WHERE url = ?", (captured_at, url))

    def captures(self) -> dict[str, dict[str, Any]]:
        """Stored pages that came from a web archive: url -> captured_at, archive, capture_url, status."""
        rows = self.conn.execute("SELECT url, captured_at, archive, capture_url, status FROM captures")
        return {r[0]: dict(zip(("captured_at", "archive", "capture_url", "status"), r[1:])) for r in rows}

    def set_meta(self, key: str, value: Any) -> None:
        with self.transaction() as conn:
            self._set_meta(conn, key, value)

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, key: str, value: Any) -> None:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, json.dumps(value, ensure_ascii=False, sort_keys=True)),
        )

    def set_blog_info(self, info: BlogInfo) -> None:
        self.set_meta("blog_info", json.loads(info.to_json()))

    # -- reads -----------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def blog_info(self) -> BlogInfo | None:
        data = self.get_meta("blog_info")
        return BlogInfo.from_json(json.dumps(data)) if data else None

    def page(self, url: str) -> StoredPage | None:
        row = self.conn.execute(
            "SELECT url, status, fetched_at, etag, last_modified, sha256, html, content_type,"
            " kind, size, error FROM pages WHERE url = ?",
            (url,),
        ).fetchone()
        return StoredPage(*row) if row else None

    def has_whole_page(self, url: str) -> bool:
        """Whether ``url`` is stored as fetched whole and read (status 200, no error)."""
        row = self.conn.execute("SELECT 1 FROM pages WHERE url = ? AND status = 200 AND error IS NULL", (url,)).fetchone()
        return row is not None

    def page_urls(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT url FROM pages")}

    def raw_posts(self) -> Iterator[RawPost]:
        """Every raw post with all its comments (from every comment page), in URL order."""
        by_post: dict[str, list[RawComment]] = {}
        for (record,) in self.conn.execute("SELECT record FROM raw_comments ORDER BY post_url, position"):
            comment = RawComment.from_json(record)
            by_post.setdefault(comment.post_url, []).append(comment)
        for url, record in self.conn.execute("SELECT url, record FROM raw_posts ORDER BY url"):
            comments = by_post.get(url, [])
            comments.sort(key=lambda c: (c.page, c.position))
            yield RawPost.from_json(record, tuple(comments))

    def orphan_raw_comments(self) -> list[RawComment]:
        """Raw comments whose post was never stored (its page failed): kept for the report."""
        return [
            RawComment.from_json(r)
            for (r,) in self.conn.execute(
                "SELECT record FROM raw_comments WHERE post_url NOT IN (SELECT url FROM raw_posts)"
            )
        ]

    def issues(self) -> list[dict[str, Any]]:
        return [
            dict(zip(("url", "kind", "reason", "at"), row))
            for row in self.conn.execute("SELECT url, kind, reason, at FROM crawl_issues ORDER BY id")
        ]


#: What each stage needs an archive to hold: tables, and what to tell the user otherwise.
ARCHIVE_NEEDS: dict[str, tuple[frozenset[str], str]] = {
    "raw": (
        frozenset({"raw_posts", "raw_comments", "meta"}),
        "{path} is not a blogport archive (no raw_posts/raw_comments/meta tables)",
    ),
    "normalised": (
        frozenset({"authors", "tags", "posts", "post_tags", "comments"}),
        "{path} has no normalised posts yet: run blogport transform {out_dir} first",
    ),
}


def open_archive(out_dir: str | Path, need: str = "raw") -> Archive:
    """The archive in ``out_dir``, checked before anything is written to it: ``ArchiveError``
    when it is missing, is not a blogport archive, has another schema version, or lacks what
    the stage needs (``need``: a key of ``ARCHIVE_NEEDS``: "raw" records for the transform,
    "normalised" tables for the exports)."""
    path = Path(out_dir) / ARCHIVE_NAME
    if not path.is_file():
        raise ArchiveError(no_archive_message(path, out_dir))
    tables, missing = ARCHIVE_NEEDS[need]
    # the checks read the file on the connection the archive then uses (nothing is written
    # before they pass): one connection and one read of the schema instead of two
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path} is not a blogport archive ({exc})") from None
    try:
        try:
            rows = conn.execute("SELECT type, name FROM sqlite_master").fetchall()
            present = {name for kind, name in rows if kind == "table"}
            version = None
            if "meta" in present:
                row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                version = row[0] if row else None
            live = raw = 0
            if need == "normalised" and tables <= present:
                (live,) = conn.execute("SELECT count(*) FROM posts WHERE deleted_at IS NULL").fetchone()
                if "raw_posts" in present:
                    (raw,) = conn.execute("SELECT count(*) FROM raw_posts").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"{path} is not a blogport archive ({exc})") from None
        if not tables <= present:
            raise ArchiveError(missing.format(path=path, out_dir=out_dir))
        if version is not None and str(version) != str(SCHEMA_VERSION):
            raise ArchiveError(f"{path} has archive schema version {version}; this blogport reads {SCHEMA_VERSION}")
        if need == "normalised" and live == 0 and raw:
            raise ArchiveError(f"{path} holds {raw} crawled posts but none transformed: run blogport transform {out_dir} first")
        return Archive(path, _opened=_Opened(conn, frozenset(name for _, name in rows), version))
    except BaseException:
        conn.close()
        raise


@dataclass(frozen=True)
class _Opened:
    """A connection ``open_archive`` checked the file on, the names in its schema and its
    schema version (None when unset)."""

    conn: sqlite3.Connection
    objects: frozenset[str]
    version: Any
