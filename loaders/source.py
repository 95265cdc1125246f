"""Reading the normalised tables for export: one ordered, numbered plan of the posts, cursors
over posts and comments, and the export ledger.

Everything here is deterministic: the same archive gives the same numbers, slugs and order,
so re-running an export writes byte-identical files. Nothing is held for the whole blog but a
few small per-run sets; the plan itself lives in a temporary SQLite table.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from slugify import slugify


log = logging.getLogger(__name__)

ARCHIVE_NAME = "blog.db"

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""The characters XML 1.0 forbids: every one but tab, line feed, carriage return, U+0020-U+D7FF,
U+E000-U+FFFD and U+10000-U+10FFFF (named as a set, not as that complement: compiled in a
tenth of the time, 3 ms of start-up)."""
_SLUG_PATTERN = r"[^-a-z0-9_]+"
RESERVED_SLUGS = frozenset(
    {"index", "posts", "post", "tags", "tag", "categories", "category", "page", "feeds", "search",
     "images", "static", "assets", "data", "content", "drafts", "404", "feed", "sitemap"}
)
"""Names a post or page slug may not take: they would clash with a site's own sections,
index files (``index.md`` turns a Hugo section into a bundle) or asset folders."""


def xml_safe(text: str | None) -> str:
    """``text`` without the characters XML 1.0 forbids (C0 controls, lone surrogates, U+FFFE/F)."""
    if not text:
        return ""
    return _XML_FORBIDDEN.sub("", text)


WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                              *(f"lpt{i}" for i in range(10))})
"""File names Windows refuses whatever their extension: people copy these folders between machines."""


def slug_part(text: str | None, max_length: int = 80) -> str:
    """An ASCII slug (CJK and accents transliterated) safe as a file name and URL segment, on
    every system: a name Windows reserves (``con``, ``nul``, ``com1``...) gets ``-1`` appended."""
    if not text:
        return ""
    slug = slugify(text, max_length=max_length, word_boundary=True, regex_pattern=_SLUG_PATTERN)
    slug = slug.strip("-_")
    if slug.split(".")[0].lower() in WINDOWS_RESERVED:
        slug += "-1"
    return slug


def hugo_urlize(name: str) -> str:
    """The path segment Hugo gives a taxonomy term (its ``urlize``, approximated): letters,
    digits and ``._#+~%`` kept and lower-cased, runs of spaces and hyphens become one hyphen
    (none at the ends), everything else dropped."""
    out: list[str] = []
    hyphen = False
    for ch in unicodedata.normalize("NFC", name):
        if ch.isalnum() or unicodedata.category(ch).startswith("M") or ch in "._#+~%":
            if hyphen and out:
                out.append("-")
            hyphen = False
            out.append(ch.lower())
        elif ch == "-" or ch.isspace():
            hyphen = True
    return "".join(out)


def url_path(url: str) -> str:
    """Path of an old URL, always starting with "/", no query string or fragment."""
    path = urlsplit(url).path or "/"
    return path if path.startswith("/") else "/" + path


def wp_datetime(iso: str | None) -> str:
    """"2009-08-15T09:50:00-07:00" -> "2009-08-15 09:50:00" (the clock time as written)."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ""


def parse_iso(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


@dataclass(frozen=True)
class BlogMeta:
    url: str
    """Base URL without a trailing slash, e.g. "http://example.blogspot.com"."""
    host: str
    title: str
    language: str


@dataclass(frozen=True)
class TagRow:
    id: str
    name: str
    slug: str
    url: str | None
    number: int


@dataclass(frozen=True)
class PostRow:
    id: str
    number: int
    """1..N in export order (published time, then id): WordPress post ids and stable order."""
    slug: str
    """Unique across the export, safe as a file name."""
    url: str
    old_path: str
    title: str
    body_html: str
    body_text: str
    published: str | None
    published_local: str | None
    updated: str | None
    author_id: str | None
    author_name: str | None
    author_url: str | None
    kind: str
    status: str
    date_raw: str | None
    date_flag: str | None
    tags: tuple[TagRow, ...]


@dataclass(frozen=True)
class CommentRow:
    id: str
    post_id: str
    parent_id: str | None
    author_id: str | None
    author_name: str | None
    author_url: str | None
    author_is_owner: bool
    published: str | None
    published_local: str | None
    body_html: str
    body_text: str
    depth: int
    thread_order: int
    url: str | None
    deleted: bool
    orphan: bool


class ExportSource:
    """The normalised tables of one archive, as the loaders read them."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        # The temporary tables of an export (plan, URL maps, seen sets, ledger) are scratch:
        # their rollback journal stays in memory instead of a temporary file written and
        # truncated at every statement (thousands of system calls per export).
        conn.execute("PRAGMA temp.journal_mode=MEMORY")
        self.meta = self._blog_meta()
        self.tags = self._tags()
        self.post_count = 0
        self.page_count = 0
        self.comment_count = 0
        self._groups: set[str] = set()
        self._plan()

    # -- blog ---------------------------------------------------------------------------
    def _blog_meta(self) -> BlogMeta:
        info: dict = {}
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'blog_info'").fetchone()
            if row and row[0]:
                info = json.loads(row[0]) or {}
        except sqlite3.OperationalError:
            info = {}
        url = info.get("url") or ""
        if not url:
            row = self.conn.execute(
                "SELECT url FROM posts WHERE deleted_at IS NULL ORDER BY published IS NULL, published, id LIMIT 1"
            ).fetchone()
            url = row[0] if row else "http://localhost/"
        parts = urlsplit(url)
        scheme = parts.scheme or "http"
        host = parts.netloc or "localhost"
        return BlogMeta(
            url=f"{scheme}://{host}",
            host=host,
            title=info.get("title") or host,
            language=info.get("language") or "",
        )

    def _tags(self) -> dict[str, TagRow]:
        tags: dict[str, TagRow] = {}
        used: set[str] = set()
        rows = self.conn.execute("SELECT id, name, url FROM tags ORDER BY id").fetchall()
        for number, (tag_id, name, url) in enumerate(rows, start=1):
            base = slug_part(tag_id) or slug_part(name) or "tag"
            slug, n = base, 1
            while slug in used:
                n += 1
                slug = f"{base}-{n}"
            used.add(slug)
            tags[tag_id] = TagRow(tag_id, name, slug, url, number)
        return tags

    # -- plan ---------------------------------------------------------------------------
    def _plan(self) -> None:
        conn = self.conn
        conn.execute("DROP TABLE IF EXISTS temp.export_plan")
        conn.execute(
            "CREATE TEMP TABLE export_plan (post_id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE,"
            " slug TEXT NOT NULL UNIQUE)"
        )
        reader = conn.execute(
            "SELECT id, slug, title, kind FROM posts WHERE deleted_at IS NULL"
            " ORDER BY published IS NULL, published, id"
        )
        batch: list[tuple[str, int, str]] = []
        used_in_batch: set[str] = set()
        number = 0
        for post_id, old_slug, title, kind in reader:
            number += 1
            if kind == "page":
                self.page_count += 1
            else:
                self.post_count += 1
            base = slug_part(old_slug) or slug_part(title) or ("page" if kind == "page" else "untitled")
            if base in RESERVED_SLUGS:
                base = f"{base}-{'page' if kind == 'page' else 'post'}"
            slug, n = base, 1
            while slug in used_in_batch or self._slug_taken(slug):
                n += 1
                slug = f"{base}-{n}"
            batch.append((post_id, number, slug))
            used_in_batch.add(slug)
            if len(batch) >= 500:
                conn.executemany("INSERT INTO temp.export_plan VALUES (?,?,?)", batch)
                batch.clear()
                used_in_batch.clear()
        if batch:
            conn.executemany("INSERT INTO temp.export_plan VALUES (?,?,?)", batch)
        (self.comment_count,) = conn.execute(
            "SELECT count(*) FROM comments c JOIN temp.export_plan p ON p.post_id = c.post_id"
        ).fetchone()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Many writes to the temporary tables in one transaction (the connection autocommits)."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def remember(self, group: str, key: str) -> bool:
        """Add ``key`` to a per-run set kept in a temporary table (constant memory);
        False when it was already there."""
        if group not in self._groups:
            self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS seen_{group} (key TEXT PRIMARY KEY)")
            self.conn.execute(f"DELETE FROM temp.seen_{group}")
            self._groups.add(group)
        cursor = self.conn.execute(f"INSERT OR IGNORE INTO temp.seen_{group} (key) VALUES (?)", (key,))
        return cursor.rowcount == 1

    def seen(self, group: str, key: str) -> bool:
        if group not in self._groups:
            return False
        return self.conn.execute(f"SELECT 1 FROM temp.seen_{group} WHERE key = ?", (key,)).fetchone() is not None

    def _slug_taken(self, slug: str) -> bool:
        return self.conn.execute("SELECT 1 FROM temp.export_plan WHERE slug = ?", (slug,)).fetchone() is not None

    # -- reads --------------------------------------------------------------------------
    def posts(self) -> Iterator[PostRow]:
        """Every exported post and page, in plan order, read with a cursor."""
        cursor = self.conn.execute(
            "SELECT p.id, x.number, x.slug, p.url, p.title, p.body_html, p.body_text, p.published,"
            " p.published_local, p.updated, p.author_id, a.name, a.url, p.kind, p.status, p.date_raw,"
            " p.date_flag FROM temp.export_plan x JOIN posts p ON p.id = x.post_id"
            " LEFT JOIN authors a ON a.id = p.author_id ORDER BY x.number"
        )
        for row in cursor:
            (pid, number, slug, url, title, body_html, body_text, published, published_local, updated,
             author_id, author_name, author_url, kind, status, date_raw, date_flag) = row
            tag_ids = [r[0] for r in self.conn.execute(
                "SELECT tag_id FROM post_tags WHERE post_id = ? ORDER BY tag_id", (pid,))]
            tags = tuple(sorted((self.tags[t] for t in tag_ids if t in self.tags), key=lambda t: (t.name.casefold(), t.id)))
            yield PostRow(
                id=pid, number=number, slug=slug, url=url, old_path=url_path(url), title=title or "",
                body_html=body_html or "", body_text=body_text or "", published=published,
                published_local=published_local or published, updated=updated, author_id=author_id,
                author_name=author_name, author_url=author_url, kind=kind or "post",
                status=status or "published", date_raw=date_raw, date_flag=date_flag, tags=tags,
            )

    def refs(self) -> Iterator[tuple[str, int, str, str, str, str | None, str | None]]:
        """Light rows for redirect maps: (id, number, slug, url, kind, status, published_local)."""
        yield from self.conn.execute(
            "SELECT p.id, x.number, x.slug, p.url, p.kind, p.status, coalesce(p.published_local, p.published)"
            " FROM temp.export_plan x JOIN posts p ON p.id = x.post_id ORDER BY x.number"
        )

    def comments(self, post_id: str) -> list[CommentRow]:
        """A post's comments in reading order, every parent before its replies."""
        rows = [
            CommentRow(
                id=r[0], post_id=r[1], parent_id=r[2], author_id=r[3], author_name=r[4], author_url=r[5],
                author_is_owner=bool(r[6]), published=r[7], published_local=r[8] or r[7], body_html=r[9] or "",
                body_text=r[10] or "", depth=r[11] or 0, thread_order=r[12] or 0, url=r[13],
                deleted=bool(r[14]), orphan=bool(r[15]),
            )
            for r in self.conn.execute(
                "SELECT c.id, c.post_id, c.parent_id, c.author_id, a.name, a.url, coalesce(a.is_owner, 0),"
                " c.published, c.published_local, c.body_html, c.body_text, c.depth, c.thread_order, c.url,"
                " c.deleted, c.orphan FROM comments c LEFT JOIN authors a ON a.id = c.author_id"
                " WHERE c.post_id = ? ORDER BY c.thread_order, c.published, c.id",
                (post_id,),
            )
        ]
        return parents_first(rows)

    def post_bodies(self) -> Iterator[str]:
        """The HTML body of every exported post and page, in plan order, read with a cursor."""
        for (body,) in self.conn.execute(
            "SELECT p.body_html FROM temp.export_plan x JOIN posts p ON p.id = x.post_id ORDER BY x.number"
        ):
            yield body or ""

    def comment_bodies(self) -> Iterator[str]:
        """The HTML body of every comment of an exported post, read with a cursor."""
        for (body,) in self.conn.execute(
            "SELECT c.body_html FROM temp.export_plan x JOIN comments c ON c.post_id = x.post_id"
            " ORDER BY x.number, c.thread_order, c.id"
        ):
            yield body or ""

    def post_authors(self) -> list[tuple[str, str, str | None, bool]]:
        """(id, name, url, is_owner) of everyone who wrote an exported post, by id."""
        return [
            (r[0], r[1], r[2], bool(r[3]))
            for r in self.conn.execute(
                "SELECT DISTINCT a.id, a.name, a.url, a.is_owner FROM authors a"
                " JOIN posts p ON p.author_id = a.id JOIN temp.export_plan x ON x.post_id = p.id ORDER BY a.id"
            )
        ]


def parents_first(rows: list[CommentRow]) -> list[CommentRow]:
    """Keep the given order but move any reply that precedes its parent to just after it."""
    ids = {c.id for c in rows}
    emitted: set[str] = set()
    waiting: dict[str, list[CommentRow]] = {}
    out: list[CommentRow] = []

    def emit(comment: CommentRow) -> None:
        stack = [comment]
        while stack:
            c = stack.pop()
            if c.id in emitted:
                continue
            out.append(c)
            emitted.add(c.id)
            stack.extend(reversed(waiting.pop(c.id, [])))

    for c in rows:
        if c.parent_id and c.parent_id in ids and c.parent_id not in emitted and c.parent_id != c.id:
            waiting.setdefault(c.parent_id, []).append(c)
        else:
            emit(c)
    for pending in list(waiting.values()):  # cycles: keep every comment all the same
        for c in pending:
            emit(c)
    return out


class Ledger:
    """Rows of ``export_ledger`` gathered in a temporary table, swapped in by ``commit`` in one
    transaction so the ledger always describes one whole export."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS export_ledger (format TEXT NOT NULL, item_type TEXT NOT NULL,"
        " item_id TEXT NOT NULL, location TEXT NOT NULL, PRIMARY KEY (format, item_type, item_id))"
    )

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("DROP TABLE IF EXISTS temp.ledger_new")
        conn.execute(
            "CREATE TEMP TABLE ledger_new (format TEXT, item_type TEXT, item_id TEXT, location TEXT,"
            " PRIMARY KEY (format, item_type, item_id))"
        )
        self._buffer: list[tuple[str, str, str, str]] = []

    def add(self, fmt: str, item_type: str, item_id: str, location: str) -> None:
        self._buffer.append((fmt, item_type, item_id, location))
        if len(self._buffer) >= 2000:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            own = not self.conn.in_transaction  # one commit for the rows, not one per row
            if own:
                self.conn.execute("BEGIN")
            try:
                self.conn.executemany("INSERT OR REPLACE INTO temp.ledger_new VALUES (?,?,?,?)", self._buffer)
            except BaseException:
                if own:
                    self.conn.execute("ROLLBACK")
                raise
            if own:
                self.conn.execute("COMMIT")
            self._buffer.clear()

    def commit(self) -> int:
        self.flush()
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(self.SCHEMA)
            conn.execute("DELETE FROM export_ledger")
            conn.execute(
                "INSERT INTO export_ledger (format, item_type, item_id, location)"
                " SELECT format, item_type, item_id, location FROM temp.ledger_new"
                " ORDER BY format, item_type, item_id"
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        (count,) = conn.execute("SELECT count(*) FROM export_ledger").fetchone()
        # temp.ledger_new is not dropped: dropping it would copy each of its pages into the
        # in-memory journal (tens of MB on a big blog, the export's peak); it goes with the
        # connection, and a later Ledger on the same connection starts by dropping it.
        return count
