"""The crawl's live line shows the total and a percentage when the counts announce one."""

from __future__ import annotations

import io

from rich.console import Console

from crawler.progress import CrawlProgress


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
