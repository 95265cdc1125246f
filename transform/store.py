"""The normalised tables in ``DIR/blog.db`` and the upserts that fill them.

Rows are keyed on the source's own ids, so re-running the transform updates rows in place
and never duplicates them. Foreign keys are real; full-text search covers posts and comments.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from transform.models import Author, Comment, CruftHit, Post, Tag

NORMALISED_SCHEMA = """
CREATE TABLE IF NOT EXISTS authors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT,
    is_owner INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tags (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT
);
CREATE TABLE IF NOT EXISTS posts (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    published TEXT,
    published_local TEXT,
    updated TEXT,
    author_id TEXT REFERENCES authors(id),
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'post',
    status TEXT NOT NULL DEFAULT 'published',
    date_raw TEXT,
    date_flag TEXT,
    comment_count_declared INTEGER,
    language TEXT,
    source TEXT,
    deleted_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS posts_url ON posts(url);
CREATE TABLE IF NOT EXISTS post_tags (
    post_id TEXT NOT NULL REFERENCES posts(id),
    tag_id TEXT NOT NULL REFERENCES tags(id),
    PRIMARY KEY (post_id, tag_id)
);
CREATE TABLE IF NOT EXISTS comments (
    id TEXT PRIMARY KEY,
    post_id TEXT NOT NULL REFERENCES posts(id),
    parent_id TEXT REFERENCES comments(id),
    parent_ref TEXT,
    author_id TEXT REFERENCES authors(id),
    published TEXT,
    published_local TEXT,
    body_html TEXT NOT NULL,
    body_text TEXT NOT NULL,
    depth INTEGER NOT NULL DEFAULT 0,
    thread_order INTEGER NOT NULL DEFAULT 0,
    url TEXT,
    date_raw TEXT,
    date_flag TEXT,
    orphan INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    cycle INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS comments_post ON comments(post_id, thread_order);
CREATE TABLE IF NOT EXISTS cruft_hits (
    item_type TEXT NOT NULL,
    item_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (item_type, item_id, rule)
);
"""

_POST_COLUMNS = (
    "id", "url", "title", "slug", "published", "published_local", "updated", "author_id",
    "body_html", "body_text", "kind", "status", "date_raw", "date_flag",
    "comment_count_declared", "language", "source",
)
_COMMENT_COLUMNS = (
    "id", "post_id", "parent_id", "parent_ref", "author_id", "published", "published_local",
    "body_html", "body_text", "depth", "thread_order", "url", "date_raw", "date_flag",
    "orphan", "deleted", "cycle",
)
_ADDED_COLUMNS = {"comments": {"cycle": "INTEGER NOT NULL DEFAULT 0"}}
"""Columns added after the first schema: ``ensure_schema`` adds them to older databases."""


_FTS: dict[str, tuple[str, ...]] = {"posts": ("title", "body_text"), "comments": ("body_text",)}
"""Full-text search (FTS5, Porter stemming, kept current by triggers) over these columns."""
_TRIGGERS = ("ai", "ad", "au")
"""The suffixes of each index's triggers: after insert, after delete, after update."""


def fts_statements(table: str, columns: tuple[str, ...]) -> list[str]:
    """The statements of sqlite-utils' ``enable_fts(columns, create_triggers=True,
    tokenize="porter")``, word for word (so ``detect_fts`` and Datasette find the index),
    to run inside one transaction."""
    cols = ", ".join(f'"{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    fts = f'"{table}_fts"'
    delete = f"INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES('delete', old.rowid, {old});"
    insert = f"INSERT INTO {fts} (rowid, {cols}) VALUES (new.rowid, {new});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING FTS5 (\n    {cols},\n    tokenize='porter',\n    content=\"{table}\"\n)",
        f'INSERT INTO {fts} (rowid, {cols})\n    SELECT rowid, {cols} FROM "{table}";',
        f'CREATE TRIGGER "{table}_ai" AFTER INSERT ON "{table}" BEGIN\n  {insert}\nEND',
        f'CREATE TRIGGER "{table}_ad" AFTER DELETE ON "{table}" BEGIN\n  {delete}\nEND',
        f'CREATE TRIGGER "{table}_au" AFTER UPDATE ON "{table}" BEGIN\n  {delete}\n  {insert}\nEND',
    ]


_SCHEMA_STATEMENTS = tuple(s.strip() for s in NORMALISED_SCHEMA.split(";") if s.strip())
_TABLE_OBJECTS = frozenset(
    re.search(r"IF NOT EXISTS (\w+)", s).group(1) for s in _SCHEMA_STATEMENTS  # type: ignore[union-attr]
)
_SCHEMA_OBJECTS = _TABLE_OBJECTS | {f"{t}_fts" for t in _FTS} | {f"{t}_{k}" for t in _FTS for k in _TRIGGERS}


def _schema_present(conn: sqlite3.Connection) -> tuple[set[str], list[tuple[str, str, str]]]:
    """(the names in the schema, the (table, column, declaration) of ``_ADDED_COLUMNS`` that
    a present table lacks)."""
    present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    missing_columns = [
        (table, name, decl)
        for table, columns in _ADDED_COLUMNS.items()
        if table in present
        for have in [{row[1] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}]
        for name, decl in columns.items()
        if name not in have
    ]
    return present, missing_columns


def _table_statements(missing_columns: list[tuple[str, str, str]]) -> list[str]:
    return [*_SCHEMA_STATEMENTS, *(f"ALTER TABLE {table} ADD COLUMN {name} {decl}" for table, name, decl in missing_columns)]


def ensure_schema(db: HasConnection) -> None:
    """Create the normalised tables and their full-text search. Safe to repeat: a database
    that has them all is only looked at (one query); what is missing is made in one
    transaction (each statement its own commit cost more than the transform of a small blog)."""
    conn: sqlite3.Connection = db.conn
    present, missing_columns = _schema_present(conn)
    if _SCHEMA_OBJECTS <= present and not missing_columns:
        return
    statements = _table_statements(missing_columns)
    for table, columns in _FTS.items():
        if f"{table}_fts" not in present:
            statements += fts_statements(table, columns)
    own_transaction = not conn.in_transaction
    if own_transaction:
        conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in statements:
            conn.execute(statement)
    except BaseException:
        if own_transaction:
            conn.execute("ROLLBACK")
        raise
    if own_transaction:
        conn.execute("COMMIT")


class HasConnection(Protocol):
    """What the functions here write through: an object with a ``conn`` (a
    ``sqlite_utils.Database``, a ``kernel.archive.Archive``)."""

    @property
    def conn(self) -> sqlite3.Connection: ...


class Saver(Protocol):
    """:func:`save` without its schema check, in the caller's transaction."""

    def __call__(self, *, authors: Iterable[Author] = (), tags: Iterable[Tag] = (), posts: Iterable[Post] = (),
                 comments: Iterable[Comment] = (), cruft_hits: Iterable[CruftHit] = ()) -> None: ...


@contextmanager
def search_index_rebuilt_after(db: HasConnection) -> Iterator[Saver]:
    """Saves that rewrite most rows, inside the caller's transaction: yields a ``save`` of
    the same arguments as :func:`save`, for a schema known to be there. The full-text
    triggers are set aside while the saves run and each index is made once from its table
    at the end (then the triggers are made again), which costs a third of indexing row by
    row (and a row updated by a trigger is indexed twice). An index that is not there yet
    (the first transform of an archive) is created only then, before its one rebuild. A
    failure rolls the caller's transaction back with the triggers."""
    conn: sqlite3.Connection = db.conn
    if not conn.in_transaction:
        raise RuntimeError("search_index_rebuilt_after needs an open transaction")
    present, missing_columns = _schema_present(conn)
    if not _TABLE_OBJECTS <= present or missing_columns:
        for statement in _table_statements(missing_columns):
            conn.execute(statement)
    for table in _FTS:
        for suffix in _TRIGGERS:
            if f"{table}_{suffix}" in present:
                conn.execute(f'DROP TRIGGER "{table}_{suffix}"')
    yield functools.partial(_write, conn)
    # a save() of the caller's may have made the indexes meanwhile (it ensures the schema)
    present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    for table, columns in _FTS.items():
        create, _fill, *triggers = fts_statements(table, columns)
        if f"{table}_fts" not in present:
            conn.execute(create)  # filled by the rebuild: the same index, to the byte
        for suffix in _TRIGGERS:
            if f"{table}_{suffix}" in present:
                conn.execute(f'DROP TRIGGER "{table}_{suffix}"')
        conn.execute(f"INSERT INTO \"{table}_fts\"(\"{table}_fts\") VALUES('rebuild')")
        for statement in triggers:
            conn.execute(statement)


def _upsert_sql(table: str, columns: tuple[str, ...]) -> str:
    cols = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{c}=excluded.{c}" for c in columns if c != "id")
    return f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {updates}"


def save(
    db: HasConnection,
    *,
    authors: Iterable[Author] = (),
    tags: Iterable[Tag] = (),
    posts: Iterable[Post] = (),
    comments: Iterable[Comment] = (),
    cruft_hits: Iterable[CruftHit] = (),
) -> None:
    """Upsert models in foreign-key order, in one transaction.

    ``comments`` must come parents before children (thread order), as transform yields them.
    A post's tags and cruft hits are replaced, not merged, so a re-run reflects the archive.
    """
    ensure_schema(db)
    conn: sqlite3.Connection = db.conn
    own_transaction = not conn.in_transaction
    if own_transaction:
        conn.execute("BEGIN IMMEDIATE")
    try:
        _write(conn, authors=authors, tags=tags, posts=posts, comments=comments, cruft_hits=cruft_hits)
    except BaseException:
        if own_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        if own_transaction:
            conn.execute("COMMIT")


def _write(
    conn: sqlite3.Connection,
    *,
    authors: Iterable[Author] = (),
    tags: Iterable[Tag] = (),
    posts: Iterable[Post] = (),
    comments: Iterable[Comment] = (),
    cruft_hits: Iterable[CruftHit] = (),
) -> None:
    """The upserts of :func:`save`, in the caller's transaction."""
    posts = list(posts)
    comments = list(comments)
    cruft_hits = list(cruft_hits)
    conn.executemany(
        "INSERT INTO authors (id, name, url, is_owner) VALUES (?,?,?,?) ON CONFLICT(id) DO UPDATE"
        " SET name=excluded.name, url=excluded.url, is_owner=MAX(authors.is_owner, excluded.is_owner)",
        [(a.id, a.name, a.url, int(a.is_owner)) for a in authors],
    )
    conn.executemany(
        "INSERT INTO tags (id, name, url) VALUES (?,?,?) ON CONFLICT(id) DO UPDATE"
        " SET name=excluded.name, url=excluded.url",
        [(t.id, t.name, t.url) for t in tags],
    )
    conn.executemany(
        _upsert_sql("posts", _POST_COLUMNS),
        [tuple(getattr(p, c) for c in _POST_COLUMNS) for p in posts],
    )
    conn.executemany("DELETE FROM post_tags WHERE post_id = ?", [(p.id,) for p in posts])
    conn.executemany(
        "INSERT OR IGNORE INTO post_tags (post_id, tag_id) VALUES (?, ?)",
        [(p.id, t) for p in posts for t in p.tags],
    )
    conn.executemany(
        _upsert_sql("comments", _COMMENT_COLUMNS),
        [
            tuple(int(v) if isinstance(v, bool) else v for v in (getattr(c, col) for col in _COMMENT_COLUMNS))
            for c in comments
        ],
    )
    items = {(h.item_type, h.item_id) for h in cruft_hits}
    items |= {("post", p.id) for p in posts} | {("comment", c.id) for c in comments}
    conn.executemany("DELETE FROM cruft_hits WHERE item_type = ? AND item_id = ?", sorted(items))
    conn.executemany(
        "INSERT INTO cruft_hits (item_type, item_id, rule, count) VALUES (?,?,?,?)"
        " ON CONFLICT(item_type, item_id, rule) DO UPDATE SET count=excluded.count",
        [(h.item_type, h.item_id, h.rule, h.count) for h in cruft_hits],
    )
