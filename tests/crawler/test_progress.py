"""The crawl's live line shows the total and a percentage when the counts announce one, from
the blog's own announcement, as a person sees it on a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from crawler.progress import CrawlProgress
from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from tests.blogport.test_progress import run_on_a_terminal


def render(counts: dict) -> str:  # type: ignore[type-arg]
    progress = CrawlProgress("https://example.blogspot.com/", console=Console(file=io.StringIO(), width=200))
    progress.counts = counts
    return progress._render().plain


def test_the_live_line_has_a_total_and_percentage_when_known() -> None:
    line = render({"pages_fetched": 30, "posts": 12, "posts_expected": 48, "comments": 7})
    assert "posts 12/48 (25%)" in line and "comments 7" in line


def test_the_live_line_has_no_percentage_without_a_total() -> None:
    line = render({"pages_fetched": 30, "posts": 12})
    assert "posts 12 " in line and "%" not in line


def test_more_posts_than_announced_stay_at_100_percent() -> None:
    assert "posts 50/48 (100%)" in render({"posts": 50, "posts_expected": 48})


@pytest.mark.parametrize("via", ["html", "feeds"])
def test_a_live_crawl_on_a_terminal_counts_up_to_the_announced_total(tmp_path: Path, via: str) -> None:
    """On a real pseudo-terminal, with the fixture blog served on 127.0.0.1: the live line
    carries the total the blog announces (archive widget or feed), and its last frame says
    100%; a trial run's total is its --limit."""
    blog = generate_blog(seed=14, posts=14, family="layout-threaded")
    total = len(blog.published_posts)
    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        code, screen = run_on_a_terminal("crawl", url, "-o", str(tmp_path / "all"), "--no-throttle", "--via", via)
        trial_code, trial = run_on_a_terminal("crawl", url, "-o", str(tmp_path / "trial"), "--no-throttle",
                                              "--via", via, "--limit", "3")
    assert code == 0 and trial_code == 0, screen[-2000:] + trial[-2000:]
    assert f"posts {total}/{total} (100%)" in screen, screen[-2000:]
    assert "posts 3/3 (100%)" in trial and f"/{total} (" not in trial, trial[-2000:]
