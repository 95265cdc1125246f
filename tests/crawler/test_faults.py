"""The live crawl under faults, on real HTTP: a fault-injecting server of the test's own on
127.0.0.1 (cut bodies, error statuses, redirects to another host on 127.0.0.2)."""

from __future__ import annotations

from pathlib import Path

from kernel.archive import Archive
from crawler.options import CrawlOptions
from crawler.run import crawl
from crawler.urls import canonicalize
from fixtures.blogger import generate_blog
from tests.crawler.faultserver import FaultServer, Redirect

HTML = CrawlOptions(via="html", autothrottle=False, progress=False)


def test_a_redirect_to_another_host_is_refused_and_recorded(tmp_path: Path) -> None:
    blog = generate_blog(seed=31, posts=6, family="layout-flat", big_thread=False)
    post = blog.published_posts[2]
    with FaultServer(host="127.0.0.2") as other, FaultServer(blog) as server:
        server.add(post.path, *[Redirect(other.url(post.path))] * 5)
        summary = crawl(server.base_url + "/", tmp_path, HTML)
        other_requests = other.requested()
    assert other_requests == [], "no request may leave the blog's own host, robots.txt included"
    post_url = canonicalize(server.url(post.path))
    with Archive.in_dir(tmp_path) as archive:
        issues = [i for i in archive.issues() if i["url"] == post_url]
        stored = {p.url for p in archive.raw_posts()}
    assert [i["kind"] for i in issues] == ["offsite"]
    assert other.url(post.path) in issues[0]["reason"]
    assert post_url not in stored
    assert len(stored) == len(blog.visible_items) - 1  # every other post is archived
    assert summary.issues >= 1


def test_a_redirect_within_the_blog_is_followed(tmp_path: Path) -> None:
    blog = generate_blog(seed=32, posts=4, family="layout-flat", big_thread=False)
    post, other = blog.published_posts[0], blog.published_posts[1]
    with FaultServer(blog) as server:
        # the same host spelled another way (localhost is not the blog: 127.0.0.1 with a path move)
        server.add(post.path, Redirect(server.url(post.path) + "?m=1"))
        crawl(server.base_url + "/", tmp_path, HTML)
        asked = server.requested(post.path)
    assert len(asked) >= 2  # the redirect was followed on the blog's own host
    with Archive.in_dir(tmp_path) as archive:
        stored = {p.url for p in archive.raw_posts()}
        kinds = {i["kind"] for i in archive.issues()}
    assert canonicalize(server.url(post.path)) in stored and canonicalize(server.url(other.path)) in stored
    assert "offsite" not in kinds
