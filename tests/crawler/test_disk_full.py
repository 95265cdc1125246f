"""A full disk during a live crawl: the crawl ends at once with one line naming the file,
exit 2, and the archive holds whole pages (a small tmpfs; needs root to mount it)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.options import CrawlOptions
from crawler.run import crawl
from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from kernel.errors import DiskFullError
from tests.disks import small_tmpfs

PROJECT = Path(__file__).resolve().parents[2]
#: Size of the small disk: well below the archive of the blog below.
DISK_SIZE = "2M"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path, DISK_SIZE) as mount:
        yield mount


@pytest.fixture(scope="module")
def big_blog_server() -> Iterator[FixtureServer]:
    blog = generate_blog(seed=41, posts=150, family="layout-threaded", big_thread=False, comments_per_post=6)
    with FixtureServer(blog) as server:
        yield server


def _archive_is_whole(path: Path) -> int:
    """Integrity check of the archive; the number of pages it holds."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        posts = conn.execute("SELECT count(*) FROM raw_posts").fetchone()[0]
        pages = conn.execute("SELECT count(*) FROM pages WHERE kind='post'").fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM pages WHERE kind='post' AND status=200 AND url NOT IN (SELECT page_url FROM raw_posts)"
        ).fetchone()[0]
        assert orphans == 0, "a post page was stored without its records"
        assert posts >= pages
        return pages
    finally:
        conn.close()


@pytest.mark.parametrize(
    "via,settings",
    [
        ("html", {"BLOGPORT_WORKER_AFTER": 5}),  # the extraction worker meets the full disk
        ("html", {"BLOGPORT_EXTRACT_WORKER": False}),  # the crawl process itself does
        ("feeds", {"BLOGPORT_FEED_MAX_RESULTS": 10}),
    ],
    ids=["html-worker", "html-inline", "feeds"],
)
def test_a_full_disk_ends_the_crawl_with_the_file_it_was_writing(
    small_disk: Path, big_blog_server: FixtureServer, via: str, settings: dict
) -> None:
    out = small_disk / "blog"
    options = CrawlOptions(via=via, autothrottle=False, progress=False)
    with pytest.raises(DiskFullError) as caught:
        crawl(big_blog_server.base_url + "/", out, options, settings=settings)
    message = str(caught.value)
    assert str(out / "blog.db") in message and str(small_disk) in message
    assert message.startswith("no space left on ") and "run the same command again" in message
    if (out / "blog.db").exists():
        _archive_is_whole(out / "blog.db")


def test_the_command_prints_one_line_and_exits_2(small_disk: Path, big_blog_server: FixtureServer) -> None:
    out = small_disk / "blog"
    proc = subprocess.run(
        [sys.executable, "-m", "blogport.cli", "crawl", big_blog_server.base_url + "/", "-o", str(out),
         "--via", "html", "--no-throttle", "--no-progress"],
        capture_output=True, text=True, timeout=300, cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("blogport: error:")]
    assert errors == [
        f"blogport: error: no space left on tmpfs (mounted on {small_disk}) while writing {out / 'blog.db'};"
        " nothing was lost, free some space and run the same command again"
    ], proc.stderr
    assert "Traceback" not in proc.stderr
    _archive_is_whole(out / "blog.db")
