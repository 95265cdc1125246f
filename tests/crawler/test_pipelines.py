"""The archive pipeline's extraction: the worker process reads pages without Scrapy and
gives the records a Scrapy response gives, and it takes over right after the home page of a
big blog while a small blog stays inline."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler.extract_page import DecodedPage, page_item
from tests.conftest import PROJECT, realdata_path
from tests.crawler.test_fast_paths import REAL_PAGES, _page_url

#: Real Blogger pages of every template generation in ../shared/realdata.
PAGES = (
    *REAL_PAGES,
    "mozilla-readability/source.html",
    "metascraper/integration__blogger__input.html",
    "metascraper/integration__fastersite__input.html",
    "extractus-article-extractor/test__data__blogContent.html",
    "omnivore/popular_reads__elad_meetings-original.html",
    "graby/content__bjori.blogspot.com_2015_04_next-gen-mongodb-driver.html",
)
#: How a page may come: (its body re-encoded to, the Content-Type the server sent).
SERVED = (
    ("utf-8", "text/html; charset=UTF-8"),
    ("utf-8", None),  # Scrapy reads the page's own <meta charset> or guesses
    ("windows-1252", "text/html; charset=windows-1252"),
)


def _decoded(response: HtmlResponse) -> DecodedPage:
    """The page as the extraction process gets it: the text the crawl's response decoded."""
    content_type = response.headers.get(b"Content-Type")
    headers = {b"Content-Type": content_type} if content_type else None
    return DecodedPage(response.url, response.status, response.body, response.text, response.encoding, headers)


@pytest.mark.parametrize("rel", PAGES)
def test_a_decoded_page_gives_the_records_a_scrapy_response_gives(rel: str) -> None:
    text = realdata_path(rel).read_bytes().decode("utf-8")
    url = _page_url(text.encode("utf-8"))
    for encoding, content_type in SERVED:
        body = text.encode(encoding, errors="xmlcharrefreplace")
        headers = {"Content-Type": content_type} if content_type else None
        for kind in ("post", "home"):
            scrapy_item = page_item(HtmlResponse(url, body=body, headers=headers), url, kind)
            decoded_item = page_item(_decoded(HtmlResponse(url, body=body, headers=headers)), url, kind)
            assert decoded_item == scrapy_item, (rel, encoding, content_type, kind)


def test_a_decoded_comment_page_gives_the_comments_a_scrapy_response_gives() -> None:
    """A post's further comment page reads the same both ways (its numbering included)."""
    from fixtures.blogger import generate_blog
    from fixtures.site import render_site

    base = "http://127.0.0.1:9"
    site = render_site(generate_blog(seed=5, posts=12, family="layout-threaded", big_thread=True), base)
    comment_pages = [key for key in site if "commentPage=" in key]
    assert comment_pages
    for key in comment_pages:
        url, body = base + key, site[key].body
        headers = {"Content-Type": site[key].content_type}
        want = page_item(HtmlResponse(url, body=body, headers=headers), url, "comments")
        got = page_item(_decoded(HtmlResponse(url, body=body, headers=headers)), url, "comments")
        assert got == want and want.comments


# The pipeline runs in a child process of its own: its worker's clock is Twisted's reactor,
# which this test process must not install.
DRIVER = r"""
import json, sys
from pathlib import Path
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from crawler.options import CrawlOptions
from crawler.pipelines import ArchivePipeline, FetchedPage
from crawler.settings import build_settings
from crawler.urls import classify, item_kind
from fixtures.blogger import generate_blog
from fixtures.site import render_site

archive, posts, extra = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
blog = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
if "comments_per_page" in blog:  # the fixture's comment pages hold fewer than Blogger's 200
    import fixtures.site
    fixtures.site.COMMENTS_PER_PAGE = blog["comments_per_page"]
base = "http://127.0.0.1:9"
site = render_site(generate_blog(seed=3, posts=posts, family=blog.get("family", "layout-flat"),
                                 big_thread=blog.get("big_thread", False)), base)
settings = build_settings(CrawlOptions(autothrottle=False), Path(archive), extra=extra)
crawler = get_crawler(settings_dict=settings)
pipeline = ArchivePipeline.from_crawler(crawler)
pipeline.open_spider()
started_after = None
pages = sorted(site, key=lambda key: key != "/")  # the home page first, as a crawl fetches it
for n, key in enumerate(k for k in pages if "html" in site[k].content_type):
    url = base + key
    response = HtmlResponse(url, body=site[key].body, headers={"Content-Type": site[key].content_type})
    kind = "home" if key == "/" else item_kind(classify(url))
    pipeline.process_item(FetchedPage(url, 200, response.body, kind, content_type=site[key].content_type,
                                      text=response.text, encoding=response.encoding))
    if started_after is None and pipeline.worker is not None:
        started_after = n + 1
pipeline.close_spider()
print(json.dumps({"started_after": started_after, "stored": crawler.stats.get_value("blogport/pages_stored"),
                  "posts": crawler.stats.get_value("blogport/posts"),
                  "comments": crawler.stats.get_value("blogport/comments"),
                  "extracted_here": crawler.stats.get_value("blogport/extracted_by_crawl_process") or 0,
                  "comment_pages": sum(1 for key in site if "commentPage=" in key)}))
"""


def _run_pipeline(tmp_path: Path, name: str, posts: int, extra: dict,
                  blog: dict | None = None) -> tuple[dict, list[tuple]]:
    archive = tmp_path / name / "blog.db"
    archive.parent.mkdir()
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(archive), str(posts), json.dumps(extra),
                           json.dumps(blog or {})],
                          capture_output=True, text=True, timeout=300, cwd=PROJECT,
                          env={**os.environ, "PYTHONPATH": str(PROJECT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    conn = sqlite3.connect(archive)
    try:
        rows = conn.execute("SELECT * FROM raw_posts ORDER BY url").fetchall()
    finally:
        conn.close()
    return result, rows


def test_a_big_blog_goes_to_the_worker_right_after_its_home_page(tmp_path: Path) -> None:
    # the home page's archive widget announces 30 posts: at least BLOGPORT_WORKER_AFTER
    worker, worker_rows = _run_pipeline(tmp_path, "worker", 30, {"BLOGPORT_WORKER_AFTER": 20})
    inline, inline_rows = _run_pipeline(tmp_path, "inline", 30, {"BLOGPORT_EXTRACT_WORKER": False})
    assert worker["started_after"] == 1
    assert inline["started_after"] is None
    assert (worker["stored"], worker["posts"]) == (inline["stored"], inline["posts"])
    assert worker["posts"] >= 30
    assert worker_rows == inline_rows and len(worker_rows) == worker["posts"]


def _comments(archive: Path) -> list[tuple]:
    conn = sqlite3.connect(archive)
    try:
        return conn.execute("SELECT * FROM raw_comments ORDER BY key").fetchall()
    finally:
        conn.close()


def test_post_pages_the_crawl_process_extracts_while_the_worker_is_behind_give_the_same_archive(
        tmp_path: Path) -> None:
    # BLOGPORT_WORKER_BEHIND 0: the worker always counts as behind, so this process extracts
    # every post page after the home page and the worker only the comment pages, numbering
    # their comments from the first pages it was handed extracted (120 comments a page, not
    # the 200 it would assume without them)
    blog = {"family": "layout-threaded", "big_thread": True, "comments_per_page": 120}
    shared, shared_rows = _run_pipeline(tmp_path, "shared", 30, {"BLOGPORT_WORKER_AFTER": 20,
                                                                  "BLOGPORT_WORKER_BEHIND": 0}, blog)
    alone, alone_rows = _run_pipeline(tmp_path, "alone", 30, {"BLOGPORT_WORKER_AFTER": 20,
                                                               "BLOGPORT_WORKER_BEHIND": 10**6}, blog)
    inline, inline_rows = _run_pipeline(tmp_path, "inline", 30, {"BLOGPORT_EXTRACT_WORKER": False}, blog)
    assert shared["comment_pages"] > 0
    assert shared["started_after"] == alone["started_after"] == 1
    assert shared["extracted_here"] == shared["stored"] - 1 - shared["comment_pages"] > 0
    assert alone["extracted_here"] == inline["extracted_here"] == 0
    assert shared_rows == alone_rows == inline_rows and len(shared_rows) == shared["posts"]
    comments = _comments(tmp_path / "shared" / "blog.db")
    assert comments == _comments(tmp_path / "alone" / "blog.db") == _comments(tmp_path / "inline" / "blog.db")
    assert len(comments) == shared["comments"] == inline["comments"] > 0
    assert (shared["stored"], shared["posts"]) == (inline["stored"], inline["posts"])


def test_a_small_blog_is_extracted_inline(tmp_path: Path) -> None:
    small, rows = _run_pipeline(tmp_path, "small", 12, {"BLOGPORT_WORKER_AFTER": 100})
    assert small["started_after"] is None  # 12 posts announced, fewer than 100 pages
    assert small["posts"] >= 12 and len(rows) == small["posts"]


def test_a_trial_run_counts_only_the_posts_it_archives(tmp_path: Path) -> None:
    # the home page announces 12 posts, but a trial run of 3 archives 3 (below
    # BLOGPORT_WORKER_AFTER): the worker takes over once that many pages were extracted inline
    trial, _ = _run_pipeline(tmp_path, "trial", 12, {"BLOGPORT_WORKER_AFTER": 5, "BLOGPORT_LIMIT": 3})
    assert trial["started_after"] == 5
