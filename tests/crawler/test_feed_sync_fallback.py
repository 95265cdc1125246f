"""A feed sync of a blog whose feeds are off runs the incremental HTML crawl in the same
crawl process (``fallback_html``), against the fixture blog served on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from crawler.feed_sync_run import sync_through_feeds
from crawler.options import CrawlOptions
from crawler.run import crawl
from crawler.summary import CrawlSummary
from fixtures.blogger import add_post, generate_blog
from fixtures.server import FixtureServer

OPTIONS = CrawlOptions(via="html", autothrottle=False, progress=False)


def test_feeds_off_the_html_crawl_runs_in_the_same_child(tmp_path: Path) -> None:
    blog = generate_blog(seed=31, posts=8, feeds=False)
    out = tmp_path / "site"
    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        crawl(url, out, OPTIONS)
        changed = add_post(blog, title="Published Since", published=datetime.now(timezone.utc).replace(microsecond=0))
        new_path = changed.posts[-1].path
        server.publish(changed)

        # without the fallback: the feeds are found unusable and nothing else is asked for
        server.clear_log()
        report = sync_through_feeds(url, out, OPTIONS, since=None, source_via="html")
        assert report.usable is False and report.reason and report.crawl is None
        assert all(r.path.startswith(("/feeds/", "/robots.txt")) for r in server.requests), server.requested_paths

        server.clear_log()
        report = sync_through_feeds(url, out, OPTIONS, since=None, source_via="html", fallback_html=True)
        assert report.usable is False and not report.interrupted
        summary = report.crawl
        assert isinstance(summary, CrawlSummary) and summary.via == "html" and not summary.interrupted
        downloaded = {r.path for r in server.requests if r.status == 200 and r.bytes_sent}
        assert new_path in downloaded
        assert summary.pages_fetched > 0 and summary.errors == 0
        # the HTML crawl's own counts: the feed probes are the report's, not the crawl's
        assert summary.pages_fetched == sum(1 for r in server.requests
                                            if not r.path.startswith(("/feeds/", "/robots.txt")))

    conn = sqlite3.connect(out / "blog.db")
    try:
        (record,) = conn.execute("SELECT record FROM raw_posts WHERE url = ?", (url.rstrip("/") + new_path,)).fetchone()
        assert json.loads(record)["title"] == "Published Since"
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('source', 'last_crawl')").fetchall())
    finally:
        conn.close()
    # recorded as every crawl is: how the archive was filled, and this crawl's summary
    assert json.loads(meta["source"])["via"] == "html"
    assert json.loads(meta["last_crawl"]) == summary.as_dict()


def test_usable_feeds_run_no_html_crawl(tmp_path: Path) -> None:
    blog = generate_blog(seed=32, posts=6, feeds=True)
    out = tmp_path / "site"
    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        crawl(url, out, OPTIONS)
        server.clear_log()
        report = sync_through_feeds(url, out, replace(OPTIONS, via="auto"), since=None, source_via="html",
                                    fallback_html=True)
        assert report.usable is True and report.crawl is None
        assert any(r.path.startswith("/feeds/") for r in server.requests)
