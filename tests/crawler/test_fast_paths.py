"""The crawl's fast paths give exactly what the slow ones give.

* ``crawler.links.discover_links`` (a scan of the page's anchors, used by the spider) finds
  the same URL set as ``extract_links(...).all()`` (the lxml parse) on every page of every
  fixture family and on the real Blogger pages.
* ``RawPost.to_json`` / ``RawComment.to_json`` write the same bytes as
  ``json.dumps(dataclasses.asdict(...), sort_keys=True)``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from functools import lru_cache

import pytest
from scrapy.http import HtmlResponse

from crawler.extract import extract_comments, extract_post
from crawler.links import discover_links, extract_links
from kernel.records import RawComment, RawLabel, RawPost
from crawler.urls import classify, item_kind, post_url_of
from fixtures.blogger import FAMILIES, generate_blog
from fixtures.site import render_site
from tests.conftest import realdata_path

BASE = "http://127.0.0.1:8123"
REAL_PAGES = (
    "trafilatura/cache__blog.python.org.html",
    "trafilatura/cache__chineselyrics4u.com.zhineng.html",
    "trafilatura/cache__plentylife.blogspot.pamela-reif.html",
    "trafilatura/eval__abookshelffullofsunshine.blogspot.com.interview.html",
    "trafilatura/eval__bumsbutzener-gumpfen.blogspot.com.tach-auch.html",
    "trafilatura/eval__emacspeak.blogspot.com.meta.html",
    "trafilatura/eval__hassanchef.com.bhindi.html",
    "trafilatura/eval__security.googleblog.com.protection.html",
    "trafilatura/eval__sibenlab.blogspot.com.privacy.html",
    "trafilatura/eval__weinlachgummis.blogspot.com.rezi.html",
    "htmldate/eval__juliasleseblog.blogspot.com.irland.html",
    "htmldate/test_set__1653190016.html",
)


@lru_cache(maxsize=None)
def _site(family: str, language: str) -> tuple[tuple[str, bytes], ...]:
    site = render_site(generate_blog(seed=3, posts=30, family=family, language=language), BASE)
    return tuple((BASE + path, page.body) for path, page in site.items() if "html" in page.content_type)


def _response(url: str, body: bytes) -> HtmlResponse:
    return HtmlResponse(url, body=body, encoding="utf-8")


def _same_links(url: str, body: bytes, hosts: list[str] | None, scheme: str | None) -> frozenset[str] | None:
    want = extract_links(_response(url, body), hosts, scheme).all()
    got = discover_links(_response(url, body), hosts, scheme)
    if got is not None:
        assert got == want, f"{url}: only parsed {sorted(want - got)[:3]}, only scanned {sorted(got - want)[:3]}"
    return got


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("family", FAMILIES)
def test_discovery_matches_the_parse_on_fixture_pages(family: str, language: str) -> None:
    pages = _site(family, language)
    assert len(pages) > 40
    scanned = 0
    for url, body in pages:
        for hosts, scheme in ((None, None), ([BASE], "http"), ([BASE, "other.blogspot.co.uk"], "https")):
            if _same_links(url, body, hosts, scheme) is not None:
                scanned += 1
    assert scanned == 3 * len(pages)  # fixture pages never need the parse


def _page_url(body: bytes) -> str:
    match = re.search(rb"<link[^>]*rel=.canonical[^>]*href=[\"']([^\"']+)", body) or re.search(
        rb"<link[^>]*href=[\"']([^\"']+)[^>]*rel=.canonical", body
    )
    return match.group(1).decode() if match else "https://example.blogspot.com/2020/01/post.html"


@pytest.mark.parametrize("rel", REAL_PAGES)
def test_discovery_matches_the_parse_on_real_pages(rel: str) -> None:
    body = realdata_path(rel).read_bytes()
    url = _page_url(body)
    results = [
        _same_links(url, body, hosts, scheme)
        for hosts, scheme in ((None, None), ([url, "http://www.blogger.com/"], "https"), (["x.blogspot.de"], "http"))
    ]
    if "<base" not in body.decode("utf-8", "replace").lower():
        assert all(result is not None for result in results)


def test_tricky_markup() -> None:
    url = "http://blog.example.com/2020/01/post.html"
    html = """<html><head><title><a href="/2020/01/in-title.html">x</a></title>
    <script>document.write('<a href="/2020/01/in-script.html">x</a>');</script>
    <style>a[href="/2020/01/in-style.html"] {}</style></head><body>
    <!-- <a href="/2020/01/in-comment.html">x</a> -->
    <A CLASS='x' HREF='/2020/01/upper.html?a=1&amp;b=2'>x</A>
    <a title="a > b" href="/2020/01/after-gt.html">x</a>
    <a href=/2020/01/unquoted.html>x</a>
    <a href="/2020/01/first.html" href="/2020/01/second.html">x</a>
    <a href="/search/label/A&sectionId=1">x</a>
    <a href="/search/label/B&copy x">x</a>
    <a class="blog-pager-newer-link" href="/2020/02/newer.html#top">Newer</a>
    <a class="blog-pager-older-link" href="/2019/12/older.html?showComment=123#c4">Older</a>
    <a href="http://blog.example.com/2020/01/post.html?showComment=1#c1">permalink</a>
    <a href="https://www.blogger.com/share-post.g?blogID=1&postID=2">share</a>
    <textarea><a href="/2020/01/in-textarea.html">x</a></textarea>
    <SCRIPT>document.write('<a href="/2020/01/in-upper-script.html">x</a>');</Script >
    <ſcript><a href="/2020/01/long-s.html">not a script: its name is no ASCII "script"</a></ſcript>
    <a href="/">home</a></body></html>"""
    body = html.encode("utf-8")
    urls = _same_links(url, body, None, None)
    assert urls is not None
    assert "http://blog.example.com/2020/01/upper.html?a=1&b=2" in urls
    assert "http://blog.example.com/2020/01/after-gt.html" in urls
    assert "http://blog.example.com/2020/01/first.html" in urls
    assert "http://blog.example.com/2020/01/second.html" not in urls
    assert not any("in-" in u for u in urls)
    assert "http://blog.example.com/2020/01/long-s.html" in urls
    # a page with a <base> element is left to the parse
    based = html.replace("<head>", '<head><base href="http://blog.example.com/x/">')
    assert discover_links(_response(url, based.encode("utf-8"))) is None


def _asdict_json(record: RawPost | RawComment) -> str:
    data = dataclasses.asdict(record)
    if isinstance(record, RawPost):
        data.pop("comments")
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


@pytest.mark.parametrize("family", FAMILIES)
def test_to_json_is_asdict_json(family: str) -> None:
    checked = 0
    for url, body in _site(family, "en"):
        kind = item_kind(classify(url))
        response = _response(url, body)
        if kind in ("post", "page"):
            post = extract_post(response)
            assert post.to_json() == _asdict_json(post)
            assert RawPost.from_json(post.to_json(), post.comments) == post
            records = list(post.comments)
        elif kind == "comments":
            records = list(extract_comments(response, post_url_of(url), page=2, position_offset=200))
        else:
            continue
        for comment in records:
            assert comment.to_json() == _asdict_json(comment)
            assert RawComment.from_json(comment.to_json()) == comment
            checked += 1
    assert checked > 100


def test_to_json_of_unusual_values() -> None:
    post = RawPost(
        url="https://x.blogspot.com/2020/01/p.html",
        title="Ünïcode \u2028 \"quoted\"",
        body_html="<p>x</p>",
        labels=(RawLabel("a", None), RawLabel("b", "https://x.blogspot.com/search/label/b")),
        comment_pages=("https://x.blogspot.com/2020/01/p.html?commentPage=2",),
        comment_count=3,
    )
    assert post.to_json() == _asdict_json(post)
    # values the fast path does not know fall back to dataclasses.asdict
    odd = dataclasses.replace(post, labels=[RawLabel("c")], comment_pages=["u"])  # type: ignore[arg-type]
    assert odd.to_json() == _asdict_json(odd)
    comment = RawComment(post_url=post.url, comment_id=None, position=0, body_html="é", is_blog_author=True)
    assert comment.to_json() == _asdict_json(comment)
    nested = dataclasses.replace(comment, author_text=("tuple",))  # type: ignore[arg-type]
    assert nested.to_json() == _asdict_json(nested)

