"""``blogport sync`` on a migration that read the blog through its feeds (``--via feeds``):
the feed entries updated since the last run are the new records; deletions are found with
HEAD requests when the posts feed counts fewer posts than the archive holds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from tests.blogport.blog_changes import nightly_changes
from tests.blogport.cli_process import blogport




def test_sync_of_a_feed_built_archive(tmp_path: Path) -> None:
    blog = generate_blog(seed=13, posts=12)
    out = tmp_path / "site"
    with FixtureServer(blog) as server:
        migrated = blogport("migrate", server.base_url + "/", "-o", str(out), "--via", "feeds", "--no-throttle",
                            "--no-progress")
        assert migrated.returncode in (0, 1), migrated.stderr
        conn = sqlite3.connect(out / "blog.db")
        assert conn.execute("SELECT count(*) FROM pages WHERE kind='post'").fetchone() == (0,)

        night = nightly_changes(blog, title="Read From The Feed", reply_text="A reply found in the comments feed.",
                                edit_text="Edited, and the feed says so.")
        changed, commented, parent, reply = night.blog, night.commented, night.parent, night.reply
        edited, deleted = night.edited, night.deleted
        server.publish(changed)
        max_position = conn.execute("SELECT max(position) FROM raw_comments WHERE post_url=?",
                                    (server.base_url + commented.path,)).fetchone()[0]

        server.clear_log()
        synced = blogport("sync", str(out), "--json")
        assert synced.returncode in (0, 1), synced.stderr
        data = json.loads(synced.stdout)
        assert data["mode"] == "feeds" and data["failed"] == 0 and data["page_bytes"] == 0
        assert (data["posts"]["new"], data["posts"]["changed"], data["posts"]["deleted"]) == (1, 1, 1)
        assert data["comments"]["new"] == 1
        heads = [r for r in server.requests if r.method == "HEAD"]
        assert heads and all(not r.path.startswith("/feeds/") for r in heads)

        server.clear_log()
        quiet = blogport("sync", str(out), "--json")
        assert quiet.returncode == 0
        assert json.loads(quiet.stdout)["exports_updated"] is False
        assert sum(r.bytes_sent for r in server.requests) == 0

    new_url = server.base_url + changed.posts[-1].path
    assert json.loads(conn.execute("SELECT record FROM raw_posts WHERE url=?", (new_url,)).fetchone()[0])[
        "source"] == "feed"
    record, position = conn.execute("SELECT record, position FROM raw_comments WHERE comment_id=?",
                                    (reply.comment_id,)).fetchone()
    assert json.loads(record)["parent_id"] == parent.comment_id
    assert position == max_position + 1  # after the comments already stored
    assert conn.execute("SELECT parent_id FROM comments WHERE id=?", (reply.comment_id,)).fetchone() == (
        parent.comment_id,)
    assert "Edited, and the feed says so." in conn.execute(
        "SELECT body_text FROM posts WHERE id=?", (edited.post_id,)).fetchone()[0]
    assert conn.execute("SELECT max(version) FROM post_versions WHERE post_id=?", (edited.post_id,)).fetchone() == (2,)
    assert conn.execute("SELECT deleted_at IS NOT NULL FROM posts WHERE id=?", (deleted.post_id,)).fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL").fetchone() == (1,)
    wxr = (out / "wordpress.xml").read_text(encoding="utf-8")
    assert "Read From The Feed" in wxr and "A reply found in the comments feed." in wxr
    conn.close()
