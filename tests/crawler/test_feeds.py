"""Atom entries -> raw records (crawler.feeds), the feed spider against the fixture server, and
the fixture blog's export file against its ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.archive import Archive
from kernel.errors import SourceError, UnsafeXMLError
from crawler.backup_file import read_backup
from crawler.feed_spider import unavailable_reason
from crawler.feeds import (
    FeedContext,
    check_prolog,
    entry_kind,
    entry_to_comment,
    feed_url,
    next_start_index,
    parse_feed,
    split_blogger_id,
)
from crawler.options import CrawlOptions
from kernel.records import RawPost
from crawler.urls import canonicalize
from tests.conftest import realdata_path

fixtures_blogger = pytest.importorskip("fixtures.blogger")
fixtures_server = pytest.importorskip("fixtures.server")
fixtures_export = pytest.importorskip("fixtures.export")


# -- the real comments feed ----------------------------------------------------------------------
def test_real_comments_feed_maps_to_a_comment_on_its_post() -> None:
    body = realdata_path("feedparser/atomthreadingwithentry.xml").read_bytes()
    page = parse_feed(body, "atomthreadingwithentry.xml")
    header = page.header
    assert header.blog_id == "893591374313312737" and header.is_blogger
    assert (header.total_results, header.start_index, header.items_per_page) == (30, 1, 25)
    assert header.next_url and "start-index=26" in header.next_url
    assert next_start_index(page, 1) == 2  # one entry on this page, 30 in all
    (entry,) = page.entries
    assert entry_kind(entry) == "comment"  # no kind category in a feed: thr:in-reply-to says it
    ctx = FeedContext(blog_url="http://salmon-test.blogspot.com/", template="feed", source="feed",
                      owner_uri="http://www.blogger.com/profile/12344017489797258795")
    comment = entry_to_comment(entry, ctx)
    assert comment.post_url == canonicalize("http://salmon-test.blogspot.com/2009/10/test-post.html")
    assert comment.comment_id == "4788628857625737701"
    assert comment.author_text == "John" and comment.author_url.endswith("/profile/12344017489797258795")
    assert comment.is_blog_author  # same profile as the owner, whatever the scheme
    assert comment.datetime_attr == "2009-12-08T16:59:02.544-08:00"
    assert comment.timestamp_ms == 1260320342544
    assert comment.body_html.startswith("bloffo bliff by <a href=")
    assert comment.parent_id is None


def test_split_blogger_id() -> None:
    assert split_blogger_id("tag:blogger.com,1999:blog-123.post-456") == ("123", "456")
    assert split_blogger_id("tag:blogger.com,1999:blog-123.page-789") == ("123", "789")
    assert split_blogger_id("tag:blogger.com,1999:blog-123") == ("123", None)
    assert split_blogger_id("tag:blogger.com,1999:blog-123.settings.BLOG_LOCALE") == ("123", None)
    assert split_blogger_id("urn:uuid:1") == (None, None)


def test_feed_url() -> None:
    assert feed_url("https://x.blogspot.com/2009/08/a.html") == (
        "https://x.blogspot.com/feeds/posts/default?start-index=1&max-results=500"
    )
    assert feed_url("http://127.0.0.1:8000/", "comments", 501, 100, "2009-08-15T06:12:00-04:00") == (
        "http://127.0.0.1:8000/feeds/comments/default?start-index=501&max-results=100"
        "&updated-min=2009-08-15T06%3A12%3A00-04%3A00"
    )
    assert feed_url("https://x.blogspot.com", "comments", post_id="42").startswith(
        "https://x.blogspot.com/feeds/42/comments/default?"
    )
    with pytest.raises(ValueError):
        feed_url("https://x.blogspot.com", "labels")


@pytest.mark.parametrize(
    "head",
    [
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "b">]><a/>',
        b'<!-- hi --><!DOCTYPE a SYSTEM "http://example.com/a.dtd"><a/>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY a "b">]><a/>'.encode("utf-16"),
    ],
)
def test_check_prolog_refuses_entities(head: bytes) -> None:
    with pytest.raises(UnsafeXMLError):
        check_prolog(head)


def test_check_prolog_accepts_plain_documents() -> None:
    check_prolog(b"<?xml version='1.0'?><?xml-stylesheet href='a.css'?><feed><title>&lt;!ENTITY</title></feed>")
    check_prolog(b"<!DOCTYPE feed><feed/>")


@pytest.mark.parametrize(
    "status,ctype,body,usable",
    [
        (200, "application/atom+xml; charset=UTF-8", b"<?xml version='1.0'?><feed xmlns='x'/>", True),
        (404, "text/html", b"<html>Not found</html>", False),
        (403, "application/atom+xml", b"<feed/>", False),
        (200, "text/html; charset=UTF-8", b"<!DOCTYPE html><html><body>blog</body></html>", False),
        (200, "application/json", b"{}", False),
    ],
)
def test_unavailable_reason(status: int, ctype: str, body: bytes, usable: bool) -> None:
    assert (unavailable_reason(status, ctype, body) is None) == usable


# -- the fixture blog ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def blog():
    return fixtures_blogger.generate_blog(seed=3, posts=30)


def _truth(blog, base: str, *, visible_only: bool = True) -> dict[str, object]:
    items = blog.visible_items if visible_only else blog.posts
    return {canonicalize(base.rstrip("/") + p.path): p for p in items if p.status == "published"} | (
        {} if visible_only else {f"draft:{p.post_id}": p for p in items if p.status != "published"}
    )


def _compare(truth: dict[str, object], posts: list[RawPost]) -> None:
    got = {p.url: p for p in posts}
    assert set(got) == set(truth)
    for url, expected in truth.items():
        post = got[url]
        assert (post.post_id, post.title, post.kind) == (expected.post_id, expected.title, expected.kind), url
        assert post.published_attr and post.author_name == expected.author_name
        assert sorted(lab.name for lab in post.labels) == sorted(expected.labels)
        # every comment, in time order, with its parent
        assert [c.comment_id for c in post.comments] == [c.comment_id for c in expected.comments], url
        assert [c.position for c in post.comments] == list(range(len(expected.comments)))
        assert [c.parent_id for c in post.comments] == [c.parent_id for c in expected.comments], url
        assert all(c.post_url == url for c in post.comments)
        assert [c.deleted for c in post.comments] == [c.deleted for c in expected.comments], url


def test_fixture_export_matches_ground_truth(blog, tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(fixtures_export.render_blogger_export(blog))
    with Archive.in_dir(tmp_path / "out") as archive:
        summary = read_backup(path, archive)
        posts = list(archive.raw_posts())
        info = archive.blog_info()
    published = [p for p in posts if p.status == "published"]
    _compare(_truth(blog, blog.public_url), published)
    hidden = {p.post_id: p.status for p in posts if p.status != "published"}
    assert hidden == {p.post_id: p.status for p in blog.posts if p.status != "published"}
    assert set(hidden.values()) == {"draft", "scheduled"}
    assert summary.drafts == sum(p.status == "draft" for p in blog.posts)
    assert summary.scheduled == sum(p.status == "scheduled" for p in blog.posts)
    assert summary.comments == sum(len(p.comments) for p in blog.posts)
    assert info.language == blog.language and info.timezone == blog.timezone and info.title == blog.title
    # the owner's replies are marked
    owner_comments = {c.comment_id for p in blog.posts for c in p.comments if c.is_owner}
    marked = {c.comment_id for p in posts for c in p.comments if c.is_blog_author}
    assert owner_comments and owner_comments <= marked


def _crawl_feeds(server, out: Path, **settings):
    from crawler.run import crawl

    options = CrawlOptions(via="feeds", progress=False, autothrottle=False)
    return crawl(server.base_url, out, options, settings=settings or None)


def test_fixture_feeds_match_ground_truth(blog, tmp_path: Path) -> None:
    with fixtures_server.FixtureServer(blog) as server:
        summary = _crawl_feeds(server, tmp_path, BLOGPORT_FEED_MAX_RESULTS=100)
        paths = server.requested_paths()
        base = server.base_url
    assert summary.exit_code == 0 and summary.via == "feeds"
    with Archive.in_dir(tmp_path) as archive:
        posts = list(archive.raw_posts())
        info = archive.blog_info()
        pages = {url: archive.page(url) for url in archive.page_urls()}
    _compare(_truth(blog, base), posts)
    assert all(p.source == "feed" and p.template == "feed" for p in posts)
    # paged by the openSearch totals: several comment pages, never an HTML page
    assert sum("/feeds/comments/default" in p for p in paths) >= 3
    assert not [p for p in paths if not p.startswith(("/feeds/", "/robots.txt"))]
    assert all(page.kind == "feed" and page.status == 200 for page in pages.values())
    assert info.title == blog.title and info.blog_id == blog.blog_id


def test_fixture_feeds_without_global_comments_feed(blog, tmp_path: Path) -> None:
    with fixtures_server.FixtureServer(blog) as server:
        server.fail("/feeds/comments/default", [404] * 5)
        summary = _crawl_feeds(server, tmp_path)
        paths = server.requested_paths()
        base = server.base_url
    assert summary.exit_code == 0
    per_post = [p for p in paths if p.startswith("/feeds/") and "/comments/default" in p and "/feeds/comments/" not in p]
    asked = {p.split("/")[2] for p in per_post}
    with_comments = {p.post_id for p in blog.visible_items if p.comments}
    pages = {p.post_id for p in blog.visible_items if p.kind == "page"}  # pages declare no count
    assert with_comments <= asked <= with_comments | pages
    with Archive.in_dir(tmp_path) as archive:
        _compare(_truth(blog, base), list(archive.raw_posts()))


def test_blog_without_feeds_is_reported(tmp_path: Path) -> None:
    no_feeds = fixtures_blogger.generate_blog(seed=4, posts=5, feeds=False)
    with fixtures_server.FixtureServer(no_feeds) as server:
        with pytest.raises(SourceError) as info:
            _crawl_feeds(server, tmp_path)
    assert "feed" in str(info.value) and "\n" not in str(info.value)


# -- the same blog through its feeds and through its HTML ---------------------------------------------
_TABLES = {
    "posts": "SELECT id, url, title, slug, published, published_local, author_id, kind, status, body_text"
             " FROM posts ORDER BY id",
    "comments": "SELECT id, post_id, parent_id, author_id, published, published_local, depth, thread_order,"
                " body_text, deleted FROM comments ORDER BY id",
    "authors": "SELECT id, name, url, is_owner FROM authors ORDER BY id",
    "tags": "SELECT id, name, url FROM tags ORDER BY id",
    "post_tags": "SELECT post_id, tag_id FROM post_tags ORDER BY post_id, tag_id",
}


@pytest.mark.parametrize("family", ["layout-threaded", "modern"])
def test_feeds_and_html_give_the_same_tables(family: str, tmp_path: Path) -> None:
    import sqlite3

    from crawler.run import crawl

    transform_run = pytest.importorskip("transform.run")
    from transform.options import TransformOptions

    blog = fixtures_blogger.generate_blog(seed=2, posts=20, family=family)
    tables = {}
    with fixtures_server.FixtureServer(blog) as server:
        for via in ("html", "feeds"):
            out = tmp_path / via
            summary = crawl(server.base_url, out, CrawlOptions(via=via, progress=False, autothrottle=False))
            assert summary.exit_code == 0 and summary.via == via
            transform_run.transform(out, TransformOptions())
            db = sqlite3.connect(out / "blog.db")
            try:
                tables[via] = {name: db.execute(sql).fetchall() for name, sql in _TABLES.items()}
            finally:
                db.close()
    assert len(tables["feeds"]["comments"]) == len(blog.all_comments)
    for name in _TABLES:
        assert tables["feeds"][name] == tables["html"][name], name
