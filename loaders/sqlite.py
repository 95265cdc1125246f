"""The SQLite export: ``DIR/blog.db`` itself, shaped for Datasette and SQL users.

``ensure_db_shape`` is safe to repeat: real foreign keys (from the normalised schema),
full-text search as sqlite-utils makes it (``transform.store``; rebuilt here), indexes for
the common joins, and views whose names say what they hold. ``DIR/datasette-metadata.json`` describes tables, columns
and views (``datasette blog.db -m datasette-metadata.json``).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from loaders.atomic import write_if_changed
from transform.store import HasConnection, ensure_schema

INDEXES = (
    "CREATE INDEX IF NOT EXISTS posts_published ON posts(published)",
    "CREATE INDEX IF NOT EXISTS posts_author ON posts(author_id)",
    "CREATE INDEX IF NOT EXISTS posts_kind_status ON posts(kind, status)",
    "CREATE INDEX IF NOT EXISTS comments_author ON comments(author_id)",
    "CREATE INDEX IF NOT EXISTS comments_parent ON comments(parent_id)",
    "CREATE INDEX IF NOT EXISTS post_tags_tag ON post_tags(tag_id)",
)

VIEWS: dict[str, str] = {
    "posts_by_date": """
        SELECT p.id, p.published_local AS date, p.title, a.name AS author_name,
               (SELECT count(*) FROM comments c WHERE c.post_id = p.id) AS comments,
               substr(p.body_text, 1, 280) AS excerpt, p.url, p.kind, p.status
        FROM posts p LEFT JOIN authors a ON a.id = p.author_id
        WHERE p.deleted_at IS NULL
        ORDER BY coalesce(p.published, '') DESC, p.id""",
    "posts_with_comment_counts": """
        SELECT p.id, p.title, p.url, p.published, p.published_local, p.kind, p.status,
               a.name AS author_name,
               (SELECT count(*) FROM comments c WHERE c.post_id = p.id) AS comment_count,
               p.comment_count_declared
        FROM posts p LEFT JOIN authors a ON a.id = p.author_id
        WHERE p.deleted_at IS NULL
        ORDER BY p.published, p.id""",
    "comment_threads": """
        SELECT c.id, c.post_id, p.title AS post_title, c.thread_order, c.depth, c.parent_id,
               a.name AS author_name, a.is_owner AS author_is_owner, c.published, c.published_local,
               c.body_text, c.orphan, c.deleted
        FROM comments c
        JOIN posts p ON p.id = c.post_id
        LEFT JOIN authors a ON a.id = c.author_id
        WHERE p.deleted_at IS NULL
        ORDER BY p.published, p.id, c.thread_order, c.id""",
    "authors_with_counts": """
        SELECT a.id, a.name, a.url, a.is_owner,
               (SELECT count(*) FROM posts p WHERE p.author_id = a.id AND p.deleted_at IS NULL) AS post_count,
               (SELECT count(*) FROM comments c WHERE c.author_id = a.id) AS comment_count
        FROM authors a
        ORDER BY post_count DESC, comment_count DESC, a.id""",
    "posts_by_month": """
        SELECT substr(coalesce(p.published_local, p.published), 1, 7) AS month,
               count(*) AS posts,
               sum((SELECT count(*) FROM comments c WHERE c.post_id = p.id)) AS comments
        FROM posts p
        WHERE p.deleted_at IS NULL AND p.kind = 'post' AND coalesce(p.published_local, p.published) IS NOT NULL
        GROUP BY month
        ORDER BY month""",
    "tags_with_counts": """
        SELECT t.id, t.name, t.url, count(p.id) AS post_count
        FROM tags t
        LEFT JOIN post_tags pt ON pt.tag_id = t.id
        LEFT JOIN posts p ON p.id = pt.post_id AND p.deleted_at IS NULL
        GROUP BY t.id
        ORDER BY post_count DESC, t.name""",
}

DESCRIPTIONS: dict[str, dict] = {
    "posts": {
        "description": "Posts and static pages, cleaned of widget cruft. Times: published in UTC, published_local with the blog's offset.",
        "columns": {
            "id": "Blogger post id (or u + hash of the URL)", "url": "The old URL", "slug": "From the old URL",
            "body_html": "Cleaned, sanitised HTML", "body_text": "Plain text of body_html",
            "published": "UTC, ISO 8601", "published_local": "With the blog's original offset",
            "kind": "post or page", "status": "published, draft or scheduled",
            "date_flag": "unparsed or date-only when the date is not sure", "date_raw": "The date text as found",
            "deleted_at": "Set when the post disappeared from the live blog",
        },
    },
    "comments": {
        "description": "Every comment, threaded: parent_id, depth and thread_order (reading order within the post).",
        "columns": {
            "parent_id": "Resolved parent comment", "parent_ref": "Parent the source named, even if missing",
            "orphan": "1 when the named parent is not among the post's comments",
            "deleted": "1 for 'This comment has been removed' placeholders",
        },
    },
    "authors": {"description": "One identity per person: blogger:<profile>, url:<site> or name:<folded name>."},
    "tags": {"description": "Blogger labels; id is the label's slug."},
    "post_tags": {"description": "Which labels each post carries."},
    "cruft_hits": {"description": "Widget cruft stripped from each item, by rule (for the validation report)."},
    "export_ledger": {"description": "Where each post, page and comment went in the last export (format, location)."},
    "posts_by_date": {"description": "Start here: posts and pages, newest first, with the first lines of their text."},
    "posts_with_comment_counts": {"description": "Posts with their author and number of comments kept."},
    "comment_threads": {"description": "Comments in reading order with post title, author name and depth."},
    "authors_with_counts": {"description": "Authors with the number of posts and comments they wrote."},
    "posts_by_month": {"description": "Posts and comments per month (blog's local time)."},
    "tags_with_counts": {"description": "Labels with the number of posts carrying them."},
}


def ensure_db_shape(db: HasConnection) -> None:
    """Foreign keys, full-text search, indexes and views on the normalised tables. Safe to repeat.

    ``db`` is anything with a ``conn`` (an archive, a ``sqlite_utils.Database``): the full-text
    indexes are rebuilt with the statement sqlite-utils' ``rebuild_fts`` runs, without
    importing sqlite-utils (and the plugin machinery it loads) for it."""
    ensure_schema(db)
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in INDEXES:
            conn.execute(statement)
        for name, sql in VIEWS.items():
            conn.execute(f"DROP VIEW IF EXISTS {name}")
            conn.execute(f"CREATE VIEW {name} AS {sql.strip()}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    for table in FTS_TABLES:
        _rebuild_fts(conn, f"{table}_fts")


FTS_TABLES = ("posts", "comments")
"""The tables with a full-text index (``TABLE_fts``, made by ``transform.store.ensure_schema``)."""


def _rebuild_fts(conn: sqlite3.Connection, fts_table: str) -> None:
    """The FTS5 ``rebuild`` of ``fts_table`` in a transaction of its own (a savepoint inside
    the caller's), as sqlite-utils' ``Table.rebuild_fts`` runs it."""
    statement = f'INSERT INTO "{fts_table}"("{fts_table}") VALUES(\'rebuild\')'
    if conn.in_transaction:
        conn.execute("SAVEPOINT blogport_rebuild_fts;")
        try:
            conn.execute(statement)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO SAVEPOINT blogport_rebuild_fts;")
                conn.execute("RELEASE SAVEPOINT blogport_rebuild_fts;")
            raise
        conn.execute("RELEASE SAVEPOINT blogport_rebuild_fts;")
        return
    conn.execute("BEGIN")
    try:
        conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


VISIBLE_TABLES = frozenset({"posts", "comments", "authors", "tags", "post_tags", "post_versions", "runs",
                            "crawl_issues"})
"""Tables a reader of the blog looks at; every other table of the archive (the fetched
``pages``, ``raw_*`` records, ``meta``, ``export_ledger``, ``cruft_hits``...) is hidden in
Datasette (still there, listed under "hidden tables")."""

TABLE_OPTIONS: dict[str, dict] = {
    "posts": {"sort_desc": "published", "label_column": "title", "facets": ["kind", "status", "author_id"],
              "size": 50},
    "comments": {"sort_desc": "published", "facets": ["post_id", "author_id", "depth", "deleted"], "size": 50},
    "authors": {"label_column": "name", "facets": ["is_owner"]},
    "tags": {"label_column": "name"},
    "runs": {"sort_desc": "id"},
    "post_versions": {"sort_desc": "recorded_at", "facets": ["post_id"]},
}
"""Datasette table options: newest first, the facets people filter by, readable labels for
foreign keys. Full-text search (``posts_fts``, ``comments_fts``) Datasette finds by itself."""


def _table_names(out_dir: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{Path(out_dir, 'blog.db')}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        conn.close()


def datasette_metadata(title: str, tables: list[str]) -> dict:
    """``datasette-metadata.json`` for an archive holding ``tables``."""
    fts = {f"{name}_fts" for name in tables}
    described: dict[str, dict] = {}
    for name in sorted(set(tables) | set(DESCRIPTIONS)):
        if name in VIEWS:
            described[name] = dict(DESCRIPTIONS.get(name, {}))
            continue
        if any(name == f or name.startswith(f + "_") for f in fts):
            continue  # full-text search tables: Datasette hides them itself
        entry = {**DESCRIPTIONS.get(name, {}), **TABLE_OPTIONS.get(name, {})}
        if name not in VISIBLE_TABLES:
            entry["hidden"] = True
        described[name] = entry
    return {
        "title": title,
        "description": "Written by blogport: the blog's posts, comments, authors and labels."
                       " Start with the posts_by_date view; search the posts and comments tables.",
        "databases": {"blog": {"tables": described}},
    }


def write_datasette_metadata(out_dir: Path, title: str) -> Path:
    """``DIR/datasette-metadata.json`` (``datasette DIR/blog.db -m DIR/datasette-metadata.json``)."""
    path = Path(out_dir) / "datasette-metadata.json"
    data = datasette_metadata(title, _table_names(out_dir))
    write_if_changed(path, (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return path
