"""crawler.early: the crawl process started before the command line is parsed.

Real processes: ``start_ahead`` starts a real ``python -m crawler.process``; the tests look it
up in /proc and see it ended, taken once, or never started."""

from __future__ import annotations

import os

import pytest

from crawler import early
from tests.crawler.test_child_process import _children


@pytest.mark.parametrize(("argv", "crawls"), [
    (["crawl", "http://myblog.blogspot.com/", "-o", "out"], True),
    (["migrate", "HTTPS://myblog.blogspot.com", "-o", "out", "--no-throttle"], True),
    (["-v", "migrate", "https://myblog.blogspot.com", "-o", "out"], True),
    (["crawl", "https://myblog.blogspot.com", "--help"], False),
    (["--version"], False),
    (["migrate", "export.xml", "-o", "out"], False),
    (["migrate", "./mirror", "-o", "out"], False),
    (["sync", "out"], False),
    (["validate", "http://myblog.blogspot.com"], False),
    (["crawl"], False),
    ([], False),
])
def test_only_a_crawl_or_migrate_of_a_url_starts_the_process_ahead(argv: list[str], crawls: bool) -> None:
    assert early.crawls_a_url(argv) is crawls


def test_a_process_started_ahead_is_taken_once_or_ended_unused() -> None:
    early.start_ahead(["crawl", "http://127.0.0.1:9/", "-o", "out"])
    proc = early.take_ahead()
    assert proc is not None and proc.poll() is None
    assert proc.pid in _children(os.getpid())
    assert early.take_ahead() is None, "taken once"
    early.end_unused(proc)
    assert proc.pid not in _children(os.getpid())

    early.start_ahead(["migrate", "https://127.0.0.1:9/", "-o", "out"])
    unused = early._ahead
    assert unused is not None
    early.close_ahead()
    assert unused.returncode is not None and unused.pid not in _children(os.getpid())
    assert early.take_ahead() is None


def test_nothing_is_started_for_a_command_that_does_not_crawl_a_url() -> None:
    before = set(_children(os.getpid()))
    early.start_ahead(["migrate", "export.xml", "-o", "out"])
    early.start_ahead(["crawl", "https://myblog.blogspot.com", "-h"])
    assert early._ahead is None and set(_children(os.getpid())) == before


def test_a_process_that_died_waiting_is_not_handed_out() -> None:
    early.start_ahead(["crawl", "http://127.0.0.1:9/", "-o", "out"])
    proc = early._ahead
    assert proc is not None
    proc.kill()
    proc.wait()
    assert early.take_ahead() is None and early._ahead is None


def test_a_crawl_of_a_source_that_is_no_live_blog_ends_the_process_started_ahead(tmp_path) -> None:
    from crawler.options import CrawlOptions
    from crawler.run import crawl
    from fixtures.blogger import generate_blog
    from fixtures.export import render_blogger_export

    export = tmp_path / "export.xml"
    export.write_bytes(render_blogger_export(generate_blog(seed=4, posts=3)))
    early.start_ahead(["crawl", "https://myblog.blogspot.com/", "-o", "out"])  # a wrong guess
    proc = early._ahead
    assert proc is not None
    summary = crawl(str(export), tmp_path / "out", CrawlOptions(progress=False))
    assert summary.posts_found > 0
    assert early._ahead is None and proc.returncode is not None and proc.pid not in _children(os.getpid())
