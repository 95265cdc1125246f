"""Run one real file through blogport's own pipeline, the way a user's source takes it.

A saved page is placed in a mirror folder at the path its URL gives (``HOST/2009/08/x.html``,
``HOST/index.html`` for a home page), as ``wget --mirror`` would have saved it; an export or
feed file is given as it is. ``crawler.run.crawl`` then reads the source into a real
``blog.db`` and ``transform.run.transform`` normalises it; what the gate judges is read back
from the normalised tables with SQL.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.options import CrawlOptions
from crawler.run import crawl
from kernel.errors import SourceError
from transform.options import TransformOptions
from transform.run import transform


@dataclass(frozen=True)
class GotComment:
    id: str
    author: str | None
    text: str
    parent_author: str | None
    has_parent: bool
    deleted: bool = False
    """Removed by its author or the blog owner: kept (a thread may hang from it) and counted."""


@dataclass(frozen=True)
class GotPost:
    url: str
    title: str
    author: str | None
    published_local: str | None
    kind: str
    status: str
    comments: tuple[GotComment, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What the pipeline made of one file; ``error`` is the one-line reason when it refused it."""

    posts: tuple[GotPost, ...] = ()
    error: str | None = None
    blog_title: str | None = None
    orphan_comments: int = 0
    details: dict[str, int] = field(default_factory=dict)


def mirror_path(url: str) -> Path:
    """Where ``wget --mirror`` saves the page of ``url``, relative to the mirror folder."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if path.endswith("/"):
        path += "index.html"
    return Path(parts.netloc) / path.lstrip("/")


def run_file(source: Path, url: str | None, work: Path) -> Outcome:
    """Crawl ``source`` (an HTML page saved from ``url``, or an export/feed file) and transform it."""
    out = work / "out"
    if source.suffix.lower() in (".xml", ".atom"):
        given = source
    else:
        if not url:
            return Outcome(error="no URL known for this saved page")
        folder = work / "mirror"
        target = folder / mirror_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        given = folder
    try:
        crawl(str(given), out, CrawlOptions(progress=False))
        transform(out, TransformOptions())
    except SourceError as exc:
        return Outcome(error=str(exc))
    return read_back(out / "blog.db")


_POSTS = """
SELECT p.id, p.url, p.title, a.name, p.published_local, p.kind, p.status
FROM posts AS p LEFT JOIN authors AS a ON a.id = p.author_id
WHERE p.deleted_at IS NULL ORDER BY p.url
"""
_COMMENTS = """
SELECT c.id, c.post_id, a.name, c.body_text, pa.name, c.parent_id IS NOT NULL, c.parent_ref, c.deleted
FROM comments AS c
LEFT JOIN authors AS a ON a.id = c.author_id
LEFT JOIN comments AS pc ON pc.id = c.parent_id
LEFT JOIN authors AS pa ON pa.id = pc.author_id
ORDER BY c.post_id, c.thread_order
"""


def read_back(db: Path) -> Outcome:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        by_post: dict[str, list[GotComment]] = {}
        for cid, post_id, author, text, parent_author, has_parent, parent_ref, deleted in conn.execute(_COMMENTS):
            by_post.setdefault(post_id, []).append(
                GotComment(cid, author, text or "", parent_author, bool(has_parent or parent_ref), bool(deleted))
            )
        (orphans,) = conn.execute(
            "SELECT count(*) FROM raw_comments AS c"
            " WHERE NOT EXISTS (SELECT 1 FROM raw_posts AS p WHERE p.url = c.post_url)"
        ).fetchone()
        posts = tuple(
            GotPost(url, title or "", author, local, kind, status, tuple(by_post.get(pid, ())))
            for pid, url, title, author, local, kind, status in conn.execute(_POSTS)
        )
        row = conn.execute("SELECT value FROM meta WHERE key = 'blog_info'").fetchone()
    finally:
        conn.close()
    title = None
    if row:
        title = json.loads(row[0]).get("title") if row[0] else None
    return Outcome(posts=posts, blog_title=title, orphan_comments=int(orphans))
