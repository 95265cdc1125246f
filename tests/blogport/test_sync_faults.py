"""Feed-mode ``blogport sync`` meets a faulty blog, over real HTTP on 127.0.0.1: every request
goes through the crawl's Scrapy stack (retries with backoff, robots.txt, the blog's hosts
only), and what fails is recorded and asked for again by the next sync, never dropped."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from fixtures.blogger import FixtureBlog, add_post, generate_blog
from fixtures.server import FixtureServer
from fixtures.site import Page, render_site
from tests.blogport.cli_process import blogport
from tests.crawler.faultserver import Cut, FaultServer, Redirect, Slow


def migrate(url: str, out: Path) -> None:
    done = blogport("migrate", url + "/", "-o", str(out), "--no-throttle", "--no-progress", "--via", "html")
    assert done.returncode in (0, 1), done.stderr


def sync(out: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    proc = blogport("sync", str(out), "--json")
    assert proc.returncode in (0, 1) and proc.stdout.startswith("{"), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def new_post(blog: FixtureBlog, title: str) -> FixtureBlog:
    return add_post(blog, title=title, published=datetime.now(timezone.utc).replace(microsecond=0))


def stored_titles(out: Path) -> set[str]:
    conn = sqlite3.connect(out / "blog.db")
    try:
        return {json.loads(r)["title"] for (r,) in conn.execute("SELECT record FROM raw_posts")}
    finally:
        conn.close()


def test_a_busy_feed_is_retried_with_backoff_then_a_persistent_one_fails_and_is_asked_again(tmp_path: Path) -> None:
    blog = generate_blog(seed=21, posts=6)
    out = tmp_path / "site"
    with FixtureServer(blog) as server:
        migrate(server.base_url, out)
        assert sync(out)[0] == 0  # remembers the probes' validators
        changed = new_post(blog, "After A Busy Moment")
        server.publish(changed)

        server.clear_log()
        server.fail("/feeds/posts/default", [503])  # once: Scrapy's retry asks again
        code, data = sync(out)
        assert code == 0 and data["mode"] == "feeds" and data["failed"] == 0
        probes = [r.status for r in server.requests if r.path.startswith("/feeds/posts/default?start-index=1&max-results=1")]
        assert probes == [503, 200]
        assert "After A Busy Moment" in stored_titles(out)

        later = new_post(changed, "While The Feed Is Down")
        server.publish(later)
        server.clear_log()
        server.fail("/feeds/posts/default", [503] * 4)  # the request and its 3 retries
        code, data = sync(out)
        assert code == 1 and data["failed"] >= 1
        probe_url = f"{server.base_url}/feeds/posts/default?max-results=1&start-index=1"  # as stored: canonical
        assert f"{probe_url}: HTTP 503 (a feed probe)" in data["failures"]
        assert data["mode"] == "html"  # the listings found the new post instead
        assert "While The Feed Is Down" in stored_titles(out)

        server.clear_log()
        code, data = sync(out)  # the feed is back: asked again, the cursor did not move
        assert code == 0 and data["mode"] == "feeds" and data["failed"] == 0
        assert any(r.path.startswith("/feeds/posts/default") and "updated-min=" in r.path for r in server.requests)


def test_a_feed_page_cut_short_is_recorded_and_read_again_next_time(tmp_path: Path) -> None:
    blog = generate_blog(seed=22, posts=6)
    out = tmp_path / "site"
    with FaultServer(blog) as server:
        migrate(server.base_url, out)
        changed = new_post(blog, "Behind A Cut Feed")
        server.site = render_site(changed, server.base_url)
        server.add("/feeds/posts/default", Slow(0), Cut(0.5))  # the probe whole, the feed page cut
        code, data = sync(out)
        assert code == 1 and data["mode"] == "feeds"
        (failure,) = data["failures"]
        assert failure.startswith(f"{server.base_url}/feeds/posts/default?") and "updated-min=" in failure
        assert "Behind A Cut Feed" not in stored_titles(out)
        conn = sqlite3.connect(out / "blog.db")
        cut_url = failure.split(": ", 1)[0]
        assert conn.execute("SELECT count(*) FROM pages WHERE url=?", (cut_url,)).fetchone() == (0,)
        assert conn.execute("SELECT kind FROM crawl_issues WHERE url=?", (cut_url,)).fetchall() == [("parse",)]
        conn.close()

        code, data = sync(out)
        assert code == 0 and data["failed"] == 0 and data["posts"]["new"] == 1
        assert "Behind A Cut Feed" in stored_titles(out)
        conn = sqlite3.connect(out / "blog.db")
        kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM pages WHERE url LIKE ?", (f"%/feeds/%",))}
        conn.close()
        assert kinds == {"feed"}  # the feed pages read are stored like other pages


def test_robots_txt_keeps_sync_off_the_feeds(tmp_path: Path) -> None:
    blog = generate_blog(seed=23, posts=6)
    out = tmp_path / "site"
    with FaultServer(blog) as server:
        server.site["/robots.txt"] = Page(b"User-agent: *\nDisallow: /feeds/\n", "text/plain")
        migrate(server.base_url, out)
        server.site = render_site(new_post(blog, "Robots Said No Feeds"), server.base_url)
        server.site["/robots.txt"] = Page(b"User-agent: *\nDisallow: /feeds/\n", "text/plain")
        before = len(server.log)
        code, data = sync(out)
        assert code == 0 and data["mode"] == "html"
        assert not [p for p in server.log[before:] if p.startswith("/feeds/")]
        assert "Robots Said No Feeds" in stored_titles(out)


def test_a_feed_redirected_to_another_host_is_not_followed(tmp_path: Path) -> None:
    blog = generate_blog(seed=24, posts=6)
    out = tmp_path / "site"
    with FaultServer(blog) as server, FaultServer(None, host="127.0.0.2") as elsewhere:
        migrate(server.base_url, out)
        server.site = render_site(new_post(blog, "Feeds Moved Away"), server.base_url)
        server.add("/feeds/posts/default", Redirect(elsewhere.url("/feeds/posts/default")))
        code, data = sync(out)
        assert elsewhere.log == []
        assert code == 0 and data["mode"] == "html"
        assert "Feeds Moved Away" in stored_titles(out)
