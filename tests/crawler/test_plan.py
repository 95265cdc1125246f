"""``crawler.plan``: change detection from listing pages and feeds, with no network.

Listing pages come from the fixture blog's renderer (before and after one night's changes);
feed pages are real Blogger posts feeds from ../shared/realdata.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from crawler.plan import (
    ArchiveState,
    ListedPost,
    Listing,
    StoredPost,
    failed_pages,
    load_archive_state,
    month_of,
    plan_changes,
    plan_feed_changes,
    read_feed_listing,
    read_listing,
)
from fixtures.blogger import FixtureBlog, generate_blog
from fixtures.site import render_site
from kernel.archive import Archive
from kernel.records import ArchiveMonth
from tests.blogport.blog_changes import nightly_changes

BASE = "http://127.0.0.1:9"
REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"


def listing_paths(blog: FixtureBlog) -> list[str]:
    site = render_site(blog, BASE)
    return sorted(k for k in site if k == "/" or (k.count("/") == 3 and k.endswith("/") and k[1:5].isdigit()))


def listings_of(blog: FixtureBlog) -> dict[str, Listing]:
    site = render_site(blog, BASE)
    return {BASE + path: read_listing(BASE + path, site[path].body) for path in listing_paths(blog)}


def state_of(blog: FixtureBlog, listings: dict[str, Listing]) -> ArchiveState:
    """What an archive of ``blog`` holds: every published post with its comment count."""
    posts = {}
    for post in blog.published_posts:
        if post.kind == "post":
            url = BASE + post.path
            posts[url] = StoredPost(url, comment_count=len(post.comments))  # removed ones count too
    home = listings[BASE + "/"]
    months = {m.month: m.count for m in home.months if m.count is not None}
    return ArchiveState(posts=posts, listings=listings, months=months)


@pytest.fixture(scope="module")
def night() -> tuple[FixtureBlog, object]:
    blog = generate_blog(seed=21, posts=14)
    changes = nightly_changes(blog, title="Planned Post", reply_text="A reply for the plan.",
                              edit_text="The plan sees this edit.")
    return blog, changes


def test_listing_pages_give_permalinks_comment_counts_and_month_counts(night) -> None:
    blog, _ = night
    listings = listings_of(blog)
    home = listings[BASE + "/"]
    assert home.posts and all(p.url.startswith(BASE + "/") and p.digest for p in home.posts)
    assert home.months and all(m.count is not None for m in home.months)
    listed = {p.url: p for listing in listings.values() for p in listing.posts}
    published = [p for p in blog.published_posts if p.kind == "post"]
    assert set(listed) == {BASE + p.path for p in published}
    assert sum(m.count or 0 for m in home.months) == len(published)
    some = next(p for p in published if p.comments)
    assert listed[BASE + some.path].comment_count == len(some.comments)


def test_unchanged_blog_plans_nothing(night) -> None:
    blog, _ = night
    listings = listings_of(blog)
    plan = plan_changes(state_of(blog, listings), listings.values())
    assert plan.empty and plan.fetch == ()


def test_one_night_of_changes_is_planned_exactly(night) -> None:
    blog, changes = night
    before = listings_of(blog)
    after = listings_of(changes.blog)
    plan = plan_changes(state_of(blog, before), after.values())
    new_post = changes.blog.posts[-1]
    assert plan.new == (BASE + new_post.path,)
    assert set(plan.changed) == {BASE + changes.commented.path, BASE + changes.edited.path}
    assert plan.check_gone == (BASE + changes.deleted.path,)
    assert plan.retry == ()
    assert len(plan.fetch) == 4


def test_deletions_are_checked_only_where_a_month_counts_fewer_posts(night) -> None:
    blog, changes = night
    before = listings_of(blog)
    state = state_of(blog, before)
    deleted = BASE + changes.deleted.path
    # the deleted post's month page is gone from what the blog lists; counts still say all is there
    kept = [replace(l, posts=tuple(p for p in l.posts if p.url != deleted)) for l in before.values()]
    assert plan_changes(state, kept).check_gone == ()
    month = month_of(deleted)
    lower = tuple(replace(m, count=(m.count or 1) - 1) if m.month == month else m for m in before[BASE + "/"].months)
    kept = [replace(l, months=lower) if l.url == BASE + "/" else l for l in kept]
    assert plan_changes(state, kept).check_gone == (deleted,)


def test_counts_without_numbers_check_every_post_no_listing_names() -> None:
    state = ArchiveState(posts={"https://b.example/2010/01/a.html": StoredPost("https://b.example/2010/01/a.html"),
                                "https://b.example/2010/01/b.html": StoredPost("https://b.example/2010/01/b.html")})
    listing = Listing("https://b.example/", (ListedPost("https://b.example/2010/01/a.html"),),
                      months=(ArchiveMonth("2010-01", None),))
    assert plan_changes(state, [listing]).check_gone == ("https://b.example/2010/01/b.html",)


def test_failed_pages_are_always_retried() -> None:
    url = "https://b.example/2010/01/broken.html"
    state = ArchiveState(failed=frozenset({url}))
    plan = plan_changes(state, [Listing("https://b.example/", (ListedPost(url),))])
    assert plan.retry == (url,) and plan.new == ()
    assert plan.fetch == (url,)


def realdata(name: str) -> Path:
    path = REALDATA / name
    if not path.is_file():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{path} is missing")
        pytest.skip(f"{path} is not here (../shared/realdata)")
    return path


def test_real_posts_feed_plans_comment_count_changes_and_deletions() -> None:
    path = realdata("feedjira/OlaBinionJavaLispRubyandAI.xml")
    expected = json.loads((REALDATA / "expected" / "feedjira" / (path.name + ".json")).read_text())
    listing = read_feed_listing(path.as_uri(), path.read_bytes(), scheme="http")
    assert len(listing.posts) == expected["posts"] == 25
    assert listing.total == 341
    counts = {p.url: p.comment_count for p in listing.posts}
    assert sum(c or 0 for c in counts.values()) == 147
    stored = {u: StoredPost(u, c, p.updated) for (u, c), p in zip(counts.items(), listing.posts)}
    assert plan_changes(ArchiveState(posts=stored), [listing]).empty
    first = next(iter(stored))
    bumped = dict(stored, **{first: replace(stored[first], comment_count=(stored[first].comment_count or 0) - 1)})
    assert plan_changes(ArchiveState(posts=bumped), [listing]).changed == (first,)
    # the feed counts 341 posts; an archive holding 342 has one too many: every post the feed
    # page does not name may be the one that went
    extra = {f"http://ola-bini.blogspot.com/2008/01/old-{i}.html": StoredPost(f"http://ola-bini.blogspot.com/2008/01/old-{i}.html")
             for i in range(342 - 25)}
    plan = plan_changes(ArchiveState(posts={**stored, **extra}), [listing])
    assert set(plan.check_gone) == set(extra)
    fewer = dict(list(extra.items())[:-1])
    assert plan_changes(ArchiveState(posts={**stored, **fewer}), [listing]).check_gone == ()


def test_archive_state_and_failed_pages_from_a_real_archive(tmp_path: Path) -> None:
    from kernel.records import BlogInfo, RawPost

    with Archive.in_dir(tmp_path) as archive:
        good = RawPost(url="https://b.example/2010/01/a.html", title="A", body_html="<p>a</p>", comment_count=3)
        archive.store_page(good.url, status=200, body="<html></html>", kind="post", etag='"e1"', posts=[good])
        archive.record_issue("https://b.example/2010/02/b.html", "network", "timed out")
        archive.record_issue("https://b.example/2010/03/c.html", "http", "HTTP 500")
        archive.store_page("https://b.example/2010/03/c.html", status=404, body="", kind="post")
        archive.record_issue("https://b.example/feeds/posts/default", "http", "HTTP 500")
        archive.set_blog_info(BlogInfo(url="https://b.example/", archive_months=(ArchiveMonth("2010-01", 1),)))
        state = load_archive_state(archive.conn)
        assert failed_pages(archive.conn) == {"https://b.example/2010/02/b.html"}
    assert state.posts == {good.url: StoredPost(good.url, 3, None, '"e1"')}
    assert state.months == {"2010-01": 1}
    assert state.failed == {"https://b.example/2010/02/b.html"}


def test_feeds_since_the_cursor_plan_every_post_they_name() -> None:
    """Read with ``updated-min``, a feed names only what changed: each post is new or changed,
    whatever its comment count says; a post with a new comment is changed too."""
    path = realdata("feedjira/OlaBinionJavaLispRubyandAI.xml")
    listing = read_feed_listing(path.as_uri(), path.read_bytes(), scheme="http")
    urls = [p.url for p in listing.posts]
    held = {u: StoredPost(u, p.comment_count, p.updated) for u, p in zip(urls[5:], listing.posts[5:])}
    failed = "http://ola-bini.blogspot.com/2007/12/cut-last-time.html"
    state = ArchiveState(posts=held, failed=frozenset({failed}))
    commented = "http://ola-bini.blogspot.com/2007/11/older.html"
    plan = plan_feed_changes(state, {u: "post" for u in urls[:7]}, [commented, urls[0]], total=None)
    assert plan.new == tuple(urls[:5])
    assert plan.changed == (urls[5], urls[6], commented)
    assert plan.retry == (failed,) and plan.check_gone == ()
    # the feed counts fewer posts than the archive holds plus the new ones: every other stored
    # post is checked; with as many, none
    total = len(held) + 5
    assert plan_feed_changes(state, {u: "post" for u in urls[:7]}, (), total=total).check_gone == ()
    gone = plan_feed_changes(state, {u: "post" for u in urls[:7]}, (), total=total - 1).check_gone
    assert set(gone) == set(urls[7:])
    # a new static page is fetched but does not count as a post
    assert plan_feed_changes(state, {urls[0]: "page"}, (), total=len(held)).check_gone == ()
