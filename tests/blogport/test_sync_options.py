"""``blogport sync DIR`` takes the crawl options; those given replace the ones the migration
saved (for this and later runs), the others stay as they were."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from fixtures.blogger import generate_blog
from fixtures.export import render_blogger_export
from tests.blogport.cli_process import blogport


def saved_crawl_options(out: Path) -> dict:  # type: ignore[type-arg]
    conn = sqlite3.connect(out / "blog.db")
    try:
        return json.loads(conn.execute("SELECT value FROM meta WHERE key='config'").fetchone()[0])["crawl"]
    finally:
        conn.close()


def test_sync_saves_the_crawl_options_it_is_given(tmp_path: Path) -> None:
    backup = tmp_path / "blog.xml"
    backup.write_bytes(render_blogger_export(generate_blog(seed=6, posts=5)))
    out = tmp_path / "site"
    done = blogport("migrate", str(backup), "-o", str(out), "--via", "html", "--user-agent", "first-agent/1")
    assert done.returncode == 0, done.stderr
    before = saved_crawl_options(out)
    assert before["delay"] == 0.0 and before["concurrency"] == 8

    synced = blogport("sync", str(out), "--delay", "0.25", "--concurrency", "2", "--ignore-robots", "--json")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    json.loads(synced.stdout)
    after = saved_crawl_options(out)
    assert after == {**before, "delay": 0.25, "concurrency": 2, "obey_robots": False}
    assert after["user_agent"] == "first-agent/1" and after["via"] == "html"

    quiet = blogport("sync", str(out), "-q")
    assert quiet.returncode == 0 and quiet.stdout == ""
    assert saved_crawl_options(out) == after, "a sync without options changed the saved ones"
