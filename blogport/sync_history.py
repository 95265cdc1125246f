"""Sync's bookkeeping in the archive: the ``SyncState``, deletions, post versions, fingerprints.

``post_versions`` holds every version of every post: ``record_versions`` runs before a sync
fetches anything (the posts as the exports show them) and after its transform (a post whose
title or body changed gets its next version; the older ones stay). Posts gone from the blog
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

POST_VERSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS post_versions (
    post_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    fetched_at TEXT,
    content_sha256 TEXT NOT NULL,
    title TEXT,
    body_html TEXT,
    url TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (post_id, version)
)
"""
"""Every version of every post the archive has held: version 1 as first archived, then one row
per edit sync found. ``fetched_at`` is when the page (or feed) it came from was fetched;
``content_sha256`` is over the title and the body."""
_LEGACY_TABLES = ("post_history", "sync_posts_before")
"""Where an older blogport kept earlier versions (edited posts' older versions, and a copy of
``posts`` taken before a transform); folded into ``post_versions`` once, then dropped."""


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


def content_sha256(title: str | None, body_html: str | None) -> str:
    return hashlib.sha256(f"{title or ''}\0{body_html or ''}".encode("utf-8")).hexdigest()


def record_versions(archive: Archive, recorded_at: str) -> set[str]:
    """Add a ``post_versions`` row for every post whose title or body differs from its latest
    version (version 1 for a post seen the first time), in one transaction; returns the ids of
    the posts that got a second or later version (edited).

    Called before a sync fetches anything (the archive's posts as the exports show them: a
    run killed after its transform is caught up here) and after its transform (the edits)."""
    with archive.transaction() as conn:
        conn.execute(POST_VERSIONS_SCHEMA)
        latest: dict[str, tuple[int, str]] = {
            pid: (version, digest) for pid, version, digest in conn.execute(
                "SELECT post_id, max(version), content_sha256 FROM post_versions GROUP BY post_id")
        }
        rows: list[tuple[Any, ...]] = []
        edited: set[str] = set()

        def add(pid: str, url: str | None, title: str | None, body: str | None, fetched_at: str | None,
                at: str) -> None:
            digest = content_sha256(title, body)
            version, last = latest.get(pid, (0, None))
            if last == digest:
                return
            latest[pid] = (version + 1, digest)
            rows.append((pid, version + 1, fetched_at, digest, title, body, url, at))
            if version:
                edited.add(pid)

        legacy = (
            ("post_history", "SELECT post_id, url, title, body_html, replaced_at FROM post_history ORDER BY id"),
            ("sync_posts_before", "SELECT id, url, title, body_html, NULL FROM sync_posts_before"),
        )
        for table, query in legacy:  # older versions an older blogport kept elsewhere
            if _table_exists(conn, table):
                for pid, url, title, body, at in conn.execute(query).fetchall():
                    add(pid, url, title, body, None, at or recorded_at)
        if _table_exists(conn, "posts"):
            fetched = dict(conn.execute(
                "SELECT r.url, coalesce(own.fetched_at, src.fetched_at) FROM raw_posts r"
                " LEFT JOIN pages own ON own.url = r.url LEFT JOIN pages src ON src.url = r.page_url"
            ))
            for pid, url, title, body in conn.execute("SELECT id, url, title, body_html FROM posts ORDER BY id"):
                add(pid, url, title, body, fetched.get(url), recorded_at)
        conn.executemany("INSERT INTO post_versions (post_id, version, fetched_at, content_sha256, title,"
                         " body_html, url, recorded_at) VALUES (?,?,?,?,?,?,?,?)", rows)
        for table in _LEGACY_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        return edited
