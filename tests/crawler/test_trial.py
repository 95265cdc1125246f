"""A trial run (``--limit N``): the newest N posts with all their comments, from a live blog
(HTML and feeds, over HTTP from the fixture server on 127.0.0.1), a saved mirror and a Blogger
backup file; the exports then hold N posts, and the saved migration keeps the limit for sync."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.options import CrawlOptions
from crawler.run import crawl
from crawler.urls import canonicalize, classify
from fixtures.blogger import FixtureBlog, add_post, generate_blog
from fixtures.export import render_blogger_export
from fixtures.mirror import write_mirror
from fixtures.server import FixtureServer
from kernel.archive import Archive
from tests.blogport.cli_process import blogport

FAST = CrawlOptions(via="html", autothrottle=False, progress=False)


def records(out: Path) -> dict[str, dict]:
    """Raw posts by URL with their comments (without the fields that name the source)."""
    result = {}
    with Archive.in_dir(out) as archive:
        for post in archive.raw_posts():
            data = json.loads(post.to_json())
            for key in ("source", "template", "comment_pages"):
                data.pop(key, None)
            data["comments"] = sorted(c.body_html for c in post.comments)
            result[data["url"]] = data
    return result


@pytest.fixture(scope="module")
def blog() -> FixtureBlog:
    return generate_blog(seed=14, posts=14, family="layout-threaded")


def trial_size(blog: FixtureBlog) -> int:
    """Enough of the newest posts to hold the one whose thread spans several comment pages,
    and more than the home page lists (7), so older ones come from the archive's months."""
    sizes = [len(p.comments) for p in blog.published_posts]
    return max(10, sizes.index(max(sizes)) + 1)


def newest(blog: FixtureBlog, base: str, n: int) -> set[str]:
    return {canonicalize(p.url(base)) for p in blog.published_posts[:n]}


@pytest.mark.parametrize("via", ["html", "feeds"])
def test_a_live_trial_archives_the_newest_posts_with_every_comment(blog: FixtureBlog, tmp_path: Path,
                                                                  via: str) -> None:
    n = trial_size(blog)
    with FixtureServer(blog) as server:
        base = server.base_url
        full = crawl(base + "/", tmp_path / "full", replace(FAST, via=via))
        server.clear_log()
        trial = crawl(base + "/", tmp_path / "trial", replace(FAST, via=via, limit=n))
        asked = {canonicalize(base + r.path) for r in server.requests}
    wanted = newest(blog, base, n)
    got = records(tmp_path / "trial")
    assert set(got) == wanted, "the newest posts, no others"
    everything = records(tmp_path / "full")
    assert got == {url: everything[url] for url in wanted}, "each with all its comments"
    assert max(len(p["comments"]) for p in got.values()) > 200, "comment pages followed"
    if via == "html":
        assert trial.pages_fetched < full.pages_fetched
        assert full.robots_refused and not trial.robots_refused, "older posts come from the archive's months"
        assert not [u for u in asked if classify(u) in ("label", "page")], "nothing else is walked"
    else:  # robots.txt, one page of the posts feed, then each post's comments feed (some have none)
        assert trial.pages_fetched <= n + 2 and "/feeds/pages/default" not in " ".join(asked)


def test_a_mirror_trial_keeps_the_newest_posts(blog: FixtureBlog, tmp_path: Path) -> None:
    n = trial_size(blog)
    with FixtureServer(blog) as server:
        crawl(server.base_url + "/", tmp_path / "full", FAST)
        write_mirror(server.site, tmp_path / "saved")
        base = server.base_url
    summary = crawl(str(tmp_path / "saved"), tmp_path / "trial", replace(FAST, limit=n))
    got = records(tmp_path / "trial")
    assert set(got) == newest(blog, base, n) and summary.posts_found == n
    everything = records(tmp_path / "full")
    assert all(got[url]["comments"] == everything[url]["comments"] for url in got)


def test_a_backup_file_trial_then_migrate_exports_n_posts_and_sync_keeps_the_limit(blog: FixtureBlog,
                                                                                   tmp_path: Path) -> None:
    backup = tmp_path / "blog.xml"
    backup.write_bytes(render_blogger_export(blog))
    out = tmp_path / "site"
    done = blogport("migrate", str(backup), "-o", str(out), "--limit", "4", "--no-download-images")
    assert done.returncode == 0, done.stdout + done.stderr
    conn = sqlite3.connect(out / "blog.db")
    try:
        titles = [row[0] for row in conn.execute("SELECT title FROM posts WHERE kind = 'post' ORDER BY published DESC")]
        comments = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
        config = json.loads(conn.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()[0])
    finally:
        conn.close()
    assert titles == [p.title for p in blog.published_posts[:4]]
    assert comments == sum(len(p.comments) for p in blog.published_posts[:4])
    assert config["crawl"]["limit"] == 4
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (trial,) = [f for f in report["findings"] if "trial run" in f["message"]]
    assert trial["severity"] == "warning" and "--limit 4" in trial["message"], "said once, not as missing posts"
    posts = list((out / "markdown" / "content" / "posts").glob("*.md"))
    assert len(posts) == 4
    assert (out / "wordpress.xml").read_text(encoding="utf-8").count("<wp:post_type><![CDATA[post]]>") == 4
    again = blogport("sync", str(out), "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(list((out / "markdown" / "content" / "posts").glob("*.md"))) == 4, "sync keeps the trial's size"


@pytest.mark.parametrize("via", ["html", "feeds"])
def test_sync_of_a_live_trial_stays_a_trial(tmp_path: Path, via: str) -> None:
    blog = generate_blog(seed=15, posts=12, family="layout-threaded")
    out = tmp_path / "site"
    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        done = blogport("migrate", url, "-o", str(out), "--limit", "3", "--via", via, "--no-throttle",
                        "--no-download-images")
        assert done.returncode == 0, done.stdout + done.stderr
        server.publish(add_post(blog, title="Fresh news", published=datetime.now(timezone.utc).replace(microsecond=0)))
        synced = blogport("sync", str(out), "--json")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    conn = sqlite3.connect(out / "blog.db")
    try:
        titles = {row[0] for row in conn.execute("SELECT title FROM posts WHERE kind = 'post'")}
    finally:
        conn.close()
    assert titles == {"Fresh news", *(p.title for p in blog.published_posts[:3])}, "the new post, nothing older"
