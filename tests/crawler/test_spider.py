"""The live crawl, end to end: real HTTP to the fixture server, a real archive on disk."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from kernel.archive import Archive
from crawler.options import CrawlOptions
from crawler.run import crawl
from crawler.urls import canonicalize
from fixtures.blogger import FixtureBlog, generate_blog
from fixtures.server import FixtureServer
from fixtures.site import render_site

FAST = CrawlOptions(via="html", autothrottle=False, progress=False, retries=2)


def truth_urls(blog: FixtureBlog, base: str) -> set[str]:
    return {canonicalize(base + p.path) for p in blog.visible_items}


def truth_comments(blog: FixtureBlog, base: str) -> dict[str, int]:
    return {canonicalize(base + p.path): len(p.comments) for p in blog.visible_items}


def page_requests(server: FixtureServer) -> Counter[str]:
    return Counter(r.path for r in server.requests if r.path != "/robots.txt")


@pytest.mark.parametrize("family", ["layout-threaded", "layout-flat", "classic", "modern"])
def test_full_crawl_stores_every_post_once(tmp_path: Path, family: str) -> None:
    blog = generate_blog(seed=11, posts=12, family=family)
    with FixtureServer(blog) as server:
        summary = crawl(server.base_url + "/", tmp_path, FAST)
        requests = page_requests(server)
    base = server.base_url
    assert summary.exit_code == 0 and summary.errors == 0 and not summary.interrupted
    # every page fetched once: the spider's own seen-set, no duplicate requests
    assert requests and max(requests.values()) == 1, [p for p, n in requests.items() if n > 1]
    # robots.txt (Disallow: /search) obeyed: no label pages or pager fetched
    assert not any(path.startswith("/search") for path in requests)
    with Archive.in_dir(tmp_path) as archive:
        posts = list(archive.raw_posts())
        issues = archive.issues()
        info = archive.blog_info()
    assert {p.url for p in posts} == truth_urls(blog, base)
    want = truth_comments(blog, base)
    assert {p.url: len(p.comments) for p in posts} == want
    assert summary.posts_found == len(want)
    assert summary.comments_found == sum(want.values())
    # refusals are recorded, not silently dropped
    robots = [i for i in issues if i["kind"] == "robots"]
    assert robots and all("/search" in i["url"] for i in robots)
    assert summary.robots_refused == len(robots)
    assert info is not None and info.title == blog.title


def test_big_thread_comment_pages(tmp_path: Path) -> None:
    blog = generate_blog(seed=5, posts=8, family="layout-threaded")
    big = max(blog.visible_items, key=lambda p: len(p.comments))
    assert len(big.comments) > 200  # the fixture's big thread spans comment pages
    with FixtureServer(blog) as server:
        crawl(server.base_url + "/", tmp_path, FAST)
        requests = page_requests(server)
    assert requests[f"{big.path}?commentPage=2"] == 1
    url = canonicalize(server.base_url + big.path)
    with Archive.in_dir(tmp_path) as archive:
        post = next(p for p in archive.raw_posts() if p.url == url)
        page = archive.page(url + "?commentPage=2")
    assert page is not None and page.kind == "comments" and page.status == 200
    assert len(post.comments) == len(big.comments)
    assert {c.page for c in post.comments} == {1, 2}
    positions = [c.position for c in post.comments]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    ids = [c.comment_id for c in post.comments]
    assert len(set(ids)) == len(ids)


def test_ignore_robots_fetches_search_pages(tmp_path: Path) -> None:
    blog = generate_blog(seed=2, posts=10, family="layout-flat")
    with FixtureServer(blog) as server:
        options = CrawlOptions(via="html", autothrottle=False, progress=False, obey_robots=False)
        summary = crawl(server.base_url + "/", tmp_path, options)
        requests = page_requests(server)
    assert any(path.startswith("/search/label/") for path in requests)
    assert max(requests.values()) == 1
    assert summary.robots_refused == 0
    with Archive.in_dir(tmp_path) as archive:
        kinds = {row[0] for row in archive.conn.execute("SELECT DISTINCT kind FROM pages")}
        assert not [i for i in archive.issues() if i["kind"] == "robots"]
        assert {p.url for p in archive.raw_posts()} == truth_urls(blog, server.base_url)
    assert "label" in kinds


def test_429_with_retry_after_then_success(tmp_path: Path) -> None:
    blog = generate_blog(seed=3, posts=6, family="modern", big_thread=False)
    target = blog.published_posts[2].path
    with FixtureServer(blog, fail={target: [429, 503]}) as server:
        started = time.monotonic()
        summary = crawl(server.base_url + "/", tmp_path, FAST)
        elapsed = time.monotonic() - started
        statuses = [r.status for r in server.requests if r.path == target]
    assert statuses == [429, 503, 200]
    assert elapsed >= 2.0  # waited Retry-After: 1 twice before asking again
    assert summary.errors == 0
    with Archive.in_dir(tmp_path) as archive:
        page = archive.page(canonicalize(server.base_url + target))
        assert page is not None and page.status == 200 and page.error is None
        assert not [i for i in archive.issues() if i["kind"] == "http"]


def test_gives_up_after_retries_and_records_it(tmp_path: Path) -> None:
    blog = generate_blog(seed=3, posts=6, family="modern", big_thread=False)
    target = blog.published_posts[1].path
    with FixtureServer(blog, fail={target: [500, 500, 500, 500]}) as server:
        options = CrawlOptions(via="html", autothrottle=False, progress=False, retries=1)
        summary = crawl(server.base_url + "/", tmp_path, options)
    url = canonicalize(server.base_url + target)
    assert summary.errors == 1 and summary.exit_code == 1
    with Archive.in_dir(tmp_path) as archive:
        issues = [i for i in archive.issues() if i["url"] == url]
        page = archive.page(url)
    assert [i["kind"] for i in issues] == ["http"] and "500" in issues[0]["reason"]
    assert page is not None and page.status == 500 and page.error  # stored with the reason


def test_oversized_page_is_skipped_and_recorded(tmp_path: Path) -> None:
    blog = generate_blog(seed=5, posts=8, family="layout-threaded")
    sizes = {key: len(page.body) for key, page in render_site(blog, "http://127.0.0.1:1").items()
             if page.content_type.startswith("text/html") and not key.startswith("/search")}
    biggest = max(sizes, key=sizes.get)
    limit = sorted(sizes.values())[-1] - 1
    assert sorted(sizes.values())[-2] < limit  # only one page is over the limit
    with FixtureServer(blog) as server:
        options = CrawlOptions(via="html", autothrottle=False, progress=False, max_page_bytes=limit)
        summary = crawl(server.base_url + "/", tmp_path, options)
    url = canonicalize(server.base_url + biggest)
    with Archive.in_dir(tmp_path) as archive:
        size_issues = [i for i in archive.issues() if i["kind"] == "size"]
        assert archive.page(url) is None
    assert [i["url"] for i in size_issues] == [url]
    assert summary.errors == 1 and summary.exit_code == 1


def test_archive_is_real_sqlite(tmp_path: Path) -> None:
    blog = generate_blog(seed=9, posts=5, family="classic", big_thread=False)
    with FixtureServer(blog) as server:
        crawl(server.base_url + "/", tmp_path, FAST)
    conn = sqlite3.connect(tmp_path / "blog.db")
    try:
        kinds = dict(conn.execute("SELECT kind, count(*) FROM pages GROUP BY kind").fetchall())
        urls = [r[0] for r in conn.execute("SELECT url FROM pages")]
    finally:
        conn.close()
    assert kinds["home"] == 1 and kinds["post"] == len(blog.published_posts) and kinds.get("archive", 0) >= 1
    assert len(urls) == len(set(urls)) and all(u == canonicalize(u) for u in urls)


def test_extraction_worker_gives_the_same_archive(tmp_path: Path) -> None:
    """Large blogs hand extraction to a second process; the records must not change."""
    blog = generate_blog(seed=5, posts=10, family="layout-threaded")
    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        inline = crawl(url, tmp_path / "inline", FAST, settings={"BLOGPORT_EXTRACT_WORKER": False})
        worker = crawl(url, tmp_path / "worker", FAST, settings={"BLOGPORT_WORKER_AFTER": 3})

    def dump(out: Path) -> list[str]:
        with Archive.in_dir(out) as archive:
            return [p.to_json() + "".join(c.to_json() for c in p.comments) for p in archive.raw_posts()]

    assert dump(tmp_path / "worker") == dump(tmp_path / "inline")
    assert (worker.posts_found, worker.comments_found, worker.pages_fetched) == (
        inline.posts_found, inline.comments_found, inline.pages_fetched)
    assert worker.posts_found == len(blog.visible_items)
