"""``crawler.feed_sync_read``: what sync's probes and feed pages say, judged with no network,
on real Blogger feeds from ../shared/realdata."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crawler.feed_sync_read import CHANGED, FAILED, UNCHANGED, UNUSABLE, read_entries, read_probe
from crawler.feeds import FeedContext
from kernel.errors import BlogportError

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
ATOM = "application/atom+xml; charset=UTF-8"


def realdata(name: str) -> Path:
    path = REALDATA / name
    if not path.is_file():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{path} is missing")
        pytest.skip(f"{path} is not here (../shared/realdata)")
    return path


def ctx(blog: str) -> FeedContext:
    return FeedContext(blog_url=blog, template="feed", source="feed", scheme="http")


def test_probe_of_a_real_posts_feed_changed_then_unchanged() -> None:
    body = realdata("feedjira/OlaBinionJavaLispRubyandAI.xml").read_bytes()
    first = read_probe({}, 200, body, content_type=ATOM, etag='"v1"', last_modified="Tue, 20 Jan 2009 07:24:04 GMT")
    assert first.verdict == CHANGED and first.usable
    assert first.total == 341
    assert first.validators["etag"] == '"v1"' and first.validators["total"] == 341
    # the same bytes again (a server without validators): nothing to read
    assert read_probe(first.validators, 200, body, content_type=ATOM).verdict == UNCHANGED
    # 304 to the conditional probe: unchanged, with the total remembered
    again = read_probe(first.validators, 304, b"")
    assert (again.verdict, again.total, dict(again.validators)) == (UNCHANGED, 341, {})
    # one byte different: changed
    assert read_probe(first.validators, 200, body.replace(b"Ola", b"Olo", 1), content_type=ATOM).verdict == CHANGED


def test_probe_answers_that_are_no_feed_and_answers_that_failed() -> None:
    body = realdata("feedjira/OlaBinionJavaLispRubyandAI.xml").read_bytes()
    html = b"<!DOCTYPE html><html><body>Blog</body></html>"
    assert read_probe({}, 200, html, content_type="text/html").verdict == UNUSABLE
    assert read_probe({}, 404, b"Not found", content_type="text/html").verdict == UNUSABLE
    busy = read_probe({}, 503, b"busy", content_type="text/html")
    assert (busy.verdict, busy.reason) == (FAILED, "HTTP 503")
    cut = read_probe({}, 200, body[: len(body) // 2], content_type=ATOM)
    assert cut.verdict == FAILED and not cut.usable and cut.reason


def test_entries_of_a_real_posts_feed_page() -> None:
    path = realdata("feedjira/OlaBinionJavaLispRubyandAI.xml")
    expected = json.loads((REALDATA / "expected" / "feedjira" / (path.name + ".json")).read_text())
    entries = read_entries("posts", path.read_bytes(), path.as_uri(), ctx("http://ola-bini.blogspot.com/"), 1)
    assert len(entries.posts) == expected["posts"] == 25
    assert entries.comments == () and entries.errors == ()
    assert sum(p.comment_count or 0 for p in entries.posts) == expected["thr_total_sum"]
    assert all(p.url.startswith("https://ola-bini.blogspot.com/") and p.kind == "post" for p in entries.posts)
    assert entries.next_start == 26  # 25 of 341


def test_entries_of_a_real_comments_feed_page() -> None:
    path = realdata("feedparser/atomthreadingwithentry.xml")
    entries = read_entries("comments", path.read_bytes(), path.as_uri(), ctx("http://salmon-test.blogspot.com/"), 1)
    assert [c.post_url for c in entries.comments] == ["https://salmon-test.blogspot.com/2009/10/test-post.html"]
    assert entries.posts == ()  # blogspot.com URLs are canonical in https, as Blogger serves them


def test_a_feed_page_cut_short_is_refused() -> None:
    body = realdata("feedjira/OlaBinionJavaLispRubyandAI.xml").read_bytes()
    with pytest.raises(BlogportError):
        read_entries("posts", body[: len(body) * 2 // 3], "cut.xml", ctx("http://ola-bini.blogspot.com/"), 1)
