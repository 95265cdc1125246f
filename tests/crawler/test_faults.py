"""The live crawl under faults, on real HTTP: a fault-injecting server of the test's own on
127.0.0.1 (cut bodies, error statuses, redirects to another host on 127.0.0.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.archive import Archive
from crawler.options import CrawlOptions
from crawler.run import crawl
from crawler.urls import canonicalize
from fixtures.blogger import generate_blog
from tests.conftest import realdata_path
from tests.crawler.faultserver import Cut, FaultServer, Redirect, Status
from crawler.items import PageItem
from crawler.pipelines import incomplete_reason
from crawler.spider import page_item
from scrapy.http import HtmlResponse

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


def test_a_page_cut_short_is_stored_as_failed_and_fetched_again(tmp_path: Path) -> None:
    blog = generate_blog(seed=33, posts=6, family="layout-threaded", big_thread=False)
    post = blog.published_posts[1]
    with FaultServer(blog) as server:
        post_url = canonicalize(server.url(post.path))
        server.add(post.path, Cut(0.6))  # HTTP/1.0, no Content-Length, connection closed mid-page
        first = crawl(server.base_url + "/", tmp_path, HTML)
        with Archive.in_dir(tmp_path) as archive:
            page = archive.page(post_url)
            issues = [i for i in archive.issues() if i["url"] == post_url]
            stored = {p.url for p in archive.raw_posts()}
        assert page is not None and page.error and "incomplete" in page.error
        assert [i["kind"] for i in issues] == ["incomplete"] and "closing" in issues[0]["reason"]
        assert post_url not in stored, "a cut post must not reach the records"
        assert first.errors >= 1 and first.exit_code == 1
        before = len(server.requested(post.path))
        again = crawl(server.base_url + "/", tmp_path, HTML)  # resume: the failed page is fetched again
        assert len(server.requested(post.path)) == before + 1
    with Archive.in_dir(tmp_path) as archive:
        page = archive.page(post_url)
        stored = {p.url: p for p in archive.raw_posts()}
    assert page is not None and page.error is None
    assert post_url in stored and post.title in stored[post_url].title
    assert again.errors == 0


def _real_post(body: bytes) -> PageItem:
    url = "https://example.blogspot.com/2010/01/post.html"
    return page_item(HtmlResponse(url, body=body), url, "post")


def test_a_real_page_missing_comments_it_declares_is_incomplete() -> None:
    body = realdata_path("haul/blogspot.html").read_bytes()
    whole = _real_post(body)
    assert whole.posts and whole.posts[0].comment_count == len(whole.posts[0].comments) > 0
    assert incomplete_reason(body, whole) is None
    # the connection dropped inside the comment thread: the end of the page is gone
    cut = body[: body.find(b"comment-body", len(body) // 2)]
    assert "closing" in (incomplete_reason(cut, _real_post(cut)) or "")
    # a proxy that closed the page itself (appended the closing tags) still lost comments
    patched = cut + b"</div></div></body></html>"
    reason = incomplete_reason(patched, _real_post(patched))
    assert reason is not None and f"of the {whole.posts[0].comment_count} comments" in reason


def test_every_whole_real_page_is_complete() -> None:
    for name in ("goose3/test_issue129.html", "nreadability/SampleInput_02.html", "wcxb/dev__4456.html",
                 "trafilatura/cache__plentylife.blogspot.pamela-reif.html", "mozilla-readability/source.html"):
        body = realdata_path(name).read_bytes()
        assert incomplete_reason(body, _real_post(body)) is None, name


FEEDS = CrawlOptions(via="feeds", autothrottle=False, progress=False)
QUICK_RETRIES = {"BLOGPORT_RETRY_BASE_DELAY": 0.01}


@pytest.mark.parametrize("fault", [Status(500), Cut(0.5)], ids=["http-500", "cut-short"])
def test_a_failed_pages_feed_falls_back_to_the_html_and_is_not_all_well(tmp_path: Path, fault) -> None:
    blog = generate_blog(seed=35, posts=5, family="layout-threaded", big_thread=False, feeds=True)
    assert blog.pages, "the fixture blog needs static pages"
    with FaultServer(blog) as server:
        server.add("/feeds/pages/default", *[fault] * 10)  # every attempt fails
        summary = crawl(server.base_url + "/", tmp_path, FEEDS, settings=QUICK_RETRIES)
        static_fetched = server.requested("/p/")
    with Archive.in_dir(tmp_path) as archive:
        stored = {p.url: p for p in archive.raw_posts()}
        issues = [i for i in archive.issues() if "/feeds/pages/" in i["url"]]
    wanted = {canonicalize(p.url(server.base_url)) for p in blog.pages}
    assert wanted <= set(stored), "static pages must not be lost when the pages feed fails"
    assert static_fetched
    assert all(stored[url].kind == "page" for url in wanted)
    assert issues and "pages feed failed" in issues[0]["reason"]
    assert summary.errors >= 1 and summary.exit_code == 1  # never "all well" for a failed feed
    posts = {canonicalize(p.url(server.base_url)) for p in blog.published_posts if p.visible}
    assert posts <= set(stored)  # the posts still come from the posts feed


def test_a_blog_without_a_pages_feed_is_read_without_an_issue(tmp_path: Path) -> None:
    blog = generate_blog(seed=36, posts=4, family="layout-threaded", big_thread=False, feeds=True)
    with FaultServer(blog) as server:
        server.add("/feeds/pages/default", Status(404))
        summary = crawl(server.base_url + "/", tmp_path, FEEDS, settings=QUICK_RETRIES)
    with Archive.in_dir(tmp_path) as archive:
        stored = {p.url for p in archive.raw_posts()}
    assert {canonicalize(p.url(server.base_url)) for p in blog.pages} <= stored
    assert summary.errors == 0


AUTO = CrawlOptions(via="auto", autothrottle=False, progress=False)


def test_auto_retries_a_transient_error_on_the_feed_probe_and_robots_txt(tmp_path: Path) -> None:
    blog = generate_blog(seed=37, posts=4, family="layout-threaded", big_thread=False, feeds=True)
    with FaultServer(blog) as server:
        server.add("/robots.txt", Status(503, retry_after=0))
        server.add("/feeds/posts/default", Status(500), Status(429, retry_after=0))
        summary = crawl(server.base_url + "/", tmp_path, AUTO, settings=QUICK_RETRIES)
        asked = server.requested()
    assert summary.via == "feeds"
    assert asked.count("/robots.txt") >= 2  # asked again after the 503
    assert not any(p.endswith(".html") and not p.startswith("/p/") for p in asked)
    with Archive.in_dir(tmp_path) as archive:
        assert archive.get_meta("source")["via"] == "feeds"
        stored = {p.url for p in archive.raw_posts()}
    assert {canonicalize(p.url(server.base_url)) for p in blog.visible_items} <= stored


def test_auto_walks_the_html_when_the_feed_keeps_failing(tmp_path: Path) -> None:
    blog = generate_blog(seed=38, posts=4, family="layout-threaded", big_thread=False, feeds=True)
    with FaultServer(blog) as server:
        server.add("/feeds/posts/default", *[Status(500)] * 10)
        summary = crawl(server.base_url + "/", tmp_path, AUTO, settings=QUICK_RETRIES)
    assert summary.via == "html" and summary.posts_found == len(blog.visible_items)
