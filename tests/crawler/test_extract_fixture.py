"""Extraction on the rendered fixture blog, compared with the generator's ground truth, for
every markup family and language."""

from __future__ import annotations

from functools import lru_cache

import pytest
from scrapy.http import HtmlResponse

from crawler.extract import (
    comment_page_of,
    detect_template,
    extract_blog_info,
    extract_comments,
    extract_post,
    extract_posts,
    is_blogger_page,
)
from kernel.records import RawComment, RawPost
from crawler.urls import canonicalize
from fixtures.blogger import FAMILIES, THREADED_FAMILIES, FixtureBlog, FixturePost, generate_blog
from fixtures.locale import LANGUAGES, locale
from fixtures.site import Site, render_site

BASE = "http://127.0.0.1:8123"
CASES = [(family, language) for family in FAMILIES for language in LANGUAGES]


@lru_cache(maxsize=None)
def built(family: str, language: str) -> tuple[FixtureBlog, Site]:
    blog = generate_blog(seed=3, family=family, language=language)
    return blog, render_site(blog, BASE)


def response(site: Site, key: str) -> HtmlResponse:
    page = site.resolve(key)
    assert page is not None, key
    return HtmlResponse(url=BASE + key, body=page.body, encoding="utf-8")


def all_comments(site: Site, post: RawPost) -> list[RawComment]:
    """The post's comments from its page and every further comment page, as the spider reads them."""
    comments = list(post.comments)
    for url in post.comment_pages:
        assert url.startswith(BASE)
        more = extract_comments(
            response(site, url[len(BASE):]), post.url, page=comment_page_of(url), position_offset=len(comments)
        )
        comments.extend(more)
    return comments


def path_of(url: str) -> str:
    assert url.startswith(BASE), url
    return url[len(BASE):]


@pytest.mark.parametrize("family, language", CASES)
def test_item_pages_match_ground_truth(family: str, language: str) -> None:
    blog, site = built(family, language)
    loc = locale(language)
    threaded = family in THREADED_FAMILIES
    checked_comments = 0
    for truth in blog.visible_items:
        page = response(site, truth.path)
        assert is_blogger_page(page)
        post = extract_post(page)
        assert post.url == canonicalize(BASE + truth.path)
        assert post.title == truth.title
        assert post.post_id == truth.post_id
        assert post.kind == truth.kind
        assert post.template == family
        assert post.language == language
        assert post.author_name and post.author_name.endswith(truth.author_name)
        assert [label.name for label in post.labels] == list(truth.labels)
        assert truth.body_text.split()[0] in post.body_html
        if truth.kind == "post":
            assert post.comment_count == len(truth.comments)
            if family == "modern":
                assert post.published_attr and post.published_attr.startswith(truth.published.strftime("%Y-%m-%dT%H:%M"))
                assert post.published_text == loc.long_date(truth.published)
                assert post.date_header is None
            else:
                assert post.published_text == loc.time(truth.published)
                assert post.date_header == loc.date_header(truth.published)
        comments = all_comments(site, post)
        assert [c.comment_id for c in comments] == [c.comment_id for c in _page_order(truth, threaded)]
        assert [c.position for c in comments] == list(range(len(comments)))
        assert all(c.post_url == post.url for c in comments)
        for got in comments:
            want = truth.comment(got.comment_id)
            assert got.parent_id == (want.parent_id if threaded else None)
            assert got.deleted == want.deleted
            assert want.author_name in (got.author_text or "")
            if family != "classic":
                assert got.is_blog_author == want.is_owner
                assert got.timestamp_ms == want.timestamp_ms
                assert got.date_text == loc.comment_datetime(want.published)
            else:
                assert got.date_text == loc.short_datetime(want.published)
            if threaded:
                # cite.user and span.datetime glued, as a text copy of the page shows them
                assert got.author_text == want.author_name
                assert got.header_text == want.author_name + loc.comment_datetime(want.published)
            else:
                assert got.author_text == f"{want.author_name} {loc.said}"
            if want.deleted:
                assert loc.deleted_comment in got.body_html
            elif want.author_url:
                assert got.author_url == want.author_url
            checked_comments += 1
    assert checked_comments == sum(len(p.comments) for p in blog.visible_items)
    assert checked_comments > 200


def _page_order(post: FixturePost, threaded: bool) -> list:
    """Ground-truth comments in the order a page shows them: replies right after their thread's top."""
    if not threaded:
        return list(post.comments)
    ids = {c.comment_id for c in post.comments}
    replies: dict[str, list] = {}
    tops = []
    for c in post.comments:
        if c.parent_id and c.parent_id in ids:
            replies.setdefault(c.parent_id, []).append(c)
        else:
            tops.append(c)
    return [c for top in tops for c in [top, *replies.get(top.comment_id, [])]]


@pytest.mark.parametrize("family", FAMILIES)
def test_big_thread_spans_comment_pages(family: str) -> None:
    blog, site = built(family, "en")
    big = max(blog.visible_items, key=lambda p: len(p.comments))
    assert len(big.comments) > 200
    post = extract_post(response(site, big.path))
    assert post.comment_count == len(big.comments)
    assert post.comment_pages == (canonicalize(f"{BASE}{big.path}?commentPage=2"),)
    assert 0 < len(post.comments) <= 200
    comments = all_comments(site, post)
    assert len(comments) == len(big.comments)
    assert {c.page for c in comments[: len(post.comments)]} == {1}
    assert {c.page for c in comments[len(post.comments):]} == {2}
    assert len({c.comment_id for c in comments}) == len(comments)
    # page 2 links back to page 1 only: no further pages from there
    second = extract_posts(response(site, f"{big.path}?commentPage=2"))
    assert len(second) == 1 and second[0].url == post.url


@pytest.mark.parametrize("family, language", CASES)
def test_listing_pages_share_date_headers(family: str, language: str) -> None:
    blog, site = built(family, language)
    loc = locale(language)
    listings = [k for k in site if k == "/" or k.startswith("/search/label/") or (k.endswith("/") and k[1:5].isdigit())]
    assert len(listings) > 10
    shared_header_seen = False
    for key in listings:
        page = response(site, key)
        posts = extract_posts(page)
        assert posts, key
        for post in posts:
            truth = blog.post_by_path(path_of(post.url))
            assert post.title == truth.title
            assert post.post_id == truth.post_id
            assert post.comments == () and post.comment_pages == ()
            assert post.comment_count == len(truth.comments)
            if family == "modern":
                assert post.date_header is None
            else:
                assert post.date_header == loc.date_header(truth.published)
            if family.startswith("layout"):
                assert post.template.startswith("layout-")
            else:
                assert post.template == family
        headers = [p.date_header for p in posts]
        if any(a == b and a is not None for a, b in zip(headers, headers[1:])):
            shared_header_seen = True
    if family != "modern":
        assert shared_header_seen, "the fixture puts several posts under one date header"


@pytest.mark.parametrize("family, language", CASES)
def test_blog_info_from_home_page(family: str, language: str) -> None:
    blog, site = built(family, language)
    info = extract_blog_info(response(site, "/"))
    assert info is not None
    assert info.title == blog.title
    assert info.blog_id == blog.blog_id
    assert info.language == language
    assert info.generator == "blogger"
    assert info.feeds == (f"{BASE}/feeds/posts/default",)
    months: dict[str, int] = {}
    for post in blog.published_posts:
        key = f"{post.published.year:04d}-{post.published.month:02d}"
        months[key] = months.get(key, 0) + 1
    got = {m.month: m.count for m in info.archive_months}
    assert set(got) == set(months)
    if family != "classic":  # the classic archive list shows no counts
        assert got == months
    assert all(m.url == f"{BASE}/{m.month.replace('-', '/')}/" for m in info.archive_months)
    assert detect_template(response(site, "/")).split("-")[0] == family.split("-")[0]
