"""robots.txt is asked for conditionally once the archive holds a copy, and still obeyed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from crawler.options import CrawlOptions
from crawler.run import crawl
from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from kernel.state import load_sync_state

FAST = CrawlOptions(via="html", autothrottle=False, progress=False)


def test_robots_txt_is_conditional_and_obeyed(tmp_path: Path) -> None:
    blog = generate_blog(seed=8, posts=6)
    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        first = crawl(url, tmp_path, FAST)
        (robots,) = [r for r in server.requests if r.path == "/robots.txt"]
        assert robots.status == 200 and robots.bytes_sent > 0 and not robots.conditional
        with sqlite3.connect(tmp_path / "blog.db") as conn:
            kept = load_sync_state(conn).validators[server.base_url + "/robots.txt"]
        assert kept["etag"] and "Disallow" in kept["body"]
        server.clear_log()
        again = crawl(url, tmp_path, CrawlOptions(via="html", autothrottle=False, progress=False, incremental=True))
        (robots,) = [r for r in server.requests if r.path == "/robots.txt"]
        assert robots.status == 304 and robots.bytes_sent == 0 and robots.conditional
        refused = {r.path for r in server.requests if "/search" in r.path and "updated-max" not in r.path}
    assert first.robots_refused > 0
    assert not refused  # what robots.txt disallows is still never asked for
    assert again.errors == 0
