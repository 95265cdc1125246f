"""Sync's bookkeeping in the archive: the ``SyncState``, deletions, post history, fingerprints.

``post_history`` keeps the older version of every edited post: ``posts`` is snapshotted
before the transform (``SNAPSHOT_TABLE``) and compared after it. Posts gone from the blog
get ``posts.deleted_at`` from ``SyncState.deleted`` and are never removed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import replace
from typing import Any

from kernel.archive import Archive
from kernel.state import SyncState, load_sync_state, save_sync_state

#: Statuses at which a post page counts as deleted from the blog.
GONE_STATUSES = frozenset({404, 410})

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
