"""A page that fails (an error status, a page cut short): exit 1, recorded, and retried by the next sync."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fixtures.blogger import add_post, generate_blog
from fixtures.server import FixtureServer
from tests.blogport.cli_process import blogport
from tests.crawler.faultserver import Cut, FaultServer




def test_failed_page_is_exit_1_and_retried_next_time(tmp_path: Path) -> None:
    blog = generate_blog(seed=14, posts=8)
    out = tmp_path / "site"
    with FixtureServer(blog) as server:
        migrated = blogport("migrate", server.base_url + "/", "-o", str(out), "--no-throttle", "--no-progress", "--via", "html")
        assert migrated.returncode in (0, 1), migrated.stderr
        changed = add_post(blog, title="Flaky Page", published=datetime.now(timezone.utc).replace(microsecond=0))
        new = changed.posts[-1]
        server.publish(changed)
        server.fail(new.path, [404])  # the blog's front end hiccups once on the new page

        first = blogport("sync", str(out), "--json")
        assert first.returncode == 1, first.stderr
        data = json.loads(first.stdout)
        assert data["exit_code"] == 1 and data["failed"] == 1
        assert data["failures"] == [f"{server.base_url}{new.path}: HTTP 404"]

        second = blogport("sync", str(out), "--json")
        assert second.returncode == 0, second.stdout[-2000:]
        data2 = json.loads(second.stdout)
        assert data2["failed"] == 0 and data2["posts"]["new"] == 1
        assert data2["since"] == data["since"]  # the failed run did not move the cursor

    conn = sqlite3.connect(out / "blog.db")
    assert conn.execute("SELECT title FROM posts WHERE id=?", (new.post_id,)).fetchone() == ("Flaky Page",)
    runs = conn.execute("SELECT command, exit_status, failed, new FROM runs ORDER BY id").fetchall()
    assert runs[0][0] == "migrate"
    assert runs[1:] == [("sync", 1, 1, data["new"]), ("sync", 0, 0, data2["new"])]
    issue = conn.execute("SELECT kind, reason FROM crawl_issues WHERE url=?", (server.base_url + new.path,)).fetchall()
    assert issue == [("http", "HTTP 404")]
    conn.close()


def test_feed_mode_sync_retries_a_page_that_failed_during_migrate(tmp_path: Path) -> None:
    blog = generate_blog(seed=15, posts=8)
    out = tmp_path / "site"
    old = next(p for p in reversed(blog.published_posts) if p.kind == "post" and not p.is_seed)
    with FixtureServer(blog) as server:
        server.fail(old.path, [500] * 4)  # the first request and the crawl's 3 retries: the page fails
        migrated = blogport("migrate", server.base_url + "/", "-o", str(out), "--no-throttle", "--no-progress",
                            "--via", "html")
        assert migrated.returncode == 1, migrated.stdout[-2000:]
        url = server.base_url + old.path
        conn = sqlite3.connect(out / "blog.db")
        assert conn.execute("SELECT count(*) FROM raw_posts WHERE url=?", (url,)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM crawl_issues WHERE url=?", (url,)).fetchone()[0] >= 1
        conn.close()

        server.clear_log()
        synced = blogport("sync", str(out), "--json")  # nothing changed on the blog; the feeds say so
        assert synced.returncode == 0, synced.stdout[-2000:]
        data = json.loads(synced.stdout)
        assert data["mode"] == "feeds" and data["failed"] == 0
        assert old.path in {r.path for r in server.requests if r.status == 200}
        assert data["posts"]["new"] == 1

        server.clear_log()
        again = blogport("sync", str(out), "--json")
        assert again.returncode == 0
        assert old.path not in {r.path for r in server.requests}  # retried until it succeeded, then no more

    conn = sqlite3.connect(out / "blog.db")
    assert conn.execute("SELECT title FROM posts WHERE id=?", (old.post_id,)).fetchone() == (old.title,)
    conn.close()


@pytest.mark.parametrize("feeds", [False, True], ids=["incremental-crawl", "feeds"])
def test_a_page_cut_short_last_time_is_fetched_again_by_the_next_sync(tmp_path: Path, feeds: bool) -> None:
    """A post page whose connection dropped mid-page during the migration is stored as
    incomplete (none of its records), and the next sync, whichever way it reads the blog,
    asks for it again and stores it whole."""
    blog = generate_blog(seed=16, posts=8, feeds=feeds)
    out = tmp_path / "site"
    old = next(p for p in reversed(blog.published_posts) if p.kind == "post" and not p.is_seed)
    with FaultServer(blog) as server:
        server.add(old.path, Cut(0.5))
        migrated = blogport("migrate", server.base_url + "/", "-o", str(out), "--no-throttle", "--no-progress",
                            "--via", "html")
        assert migrated.returncode == 1, migrated.stdout[-2000:]
        url = server.base_url + old.path
        conn = sqlite3.connect(out / "blog.db")
        assert conn.execute("SELECT error LIKE 'incomplete page:%' FROM pages WHERE url=?", (url,)).fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM raw_posts WHERE url=?", (url,)).fetchone() == (0,)
        assert ("incomplete",) in conn.execute("SELECT kind FROM crawl_issues WHERE url=?", (url,)).fetchall()
        conn.close()

        before = len(server.log)
        synced = blogport("sync", str(out), "--json")
        assert synced.returncode == 0, synced.stdout[-2000:] + synced.stderr[-2000:]
        data = json.loads(synced.stdout)
        assert data["mode"] == ("feeds" if feeds else "html") and data["failed"] == 0
        assert old.path in server.log[before:]

    conn = sqlite3.connect(out / "blog.db")
    assert conn.execute("SELECT status, error FROM pages WHERE url=?", (url,)).fetchone() == (200, None)
    assert conn.execute("SELECT title FROM posts WHERE id=?", (old.post_id,)).fetchone() == (old.title,)
    conn.close()
