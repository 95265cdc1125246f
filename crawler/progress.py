"""Live progress of a crawl on the terminal (stderr), drawn with rich.

One line, refreshed a few times a second: pages fetched, posts and comments found (with the
total and a percentage when the counts carry ``posts_expected``: the archive widget's month
counts, or the feed's total, at most a trial run's ``--limit``; the line is drawn at once
when the total becomes known), the rate in pages per second, errors. ``NullProgress`` is the
silent stand-in (``--no-progress``, or stderr is not a terminal).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text


class NullProgress:
    """No display; lines from the crawl's log are passed on to stderr as they come."""

    def __enter__(self) -> "NullProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, counts: dict[str, Any]) -> None:
        return None

    def log(self, line: str) -> None:
        sys.stderr.write(line if line.endswith("\n") else line + "\n")
        sys.stderr.flush()


class CrawlProgress:
    """``with CrawlProgress(source) as progress: progress.update(counts)``."""

    def __init__(self, source: str, console: Console | None = None) -> None:
        self.source = source
        self.console = console or Console(stderr=True)
        self.started = time.monotonic()
        self.counts: dict[str, Any] = {}
        self._live = Live(self._render(), console=self.console, refresh_per_second=4, transient=True)

    def _render(self) -> Text:
        c = self.counts
        elapsed = max(time.monotonic() - self.started, 1e-6)
        pages = int(c.get("pages_fetched", 0))
        text = Text()
        text.append("crawling ", style="bold")
        text.append(self.source, style="cyan")
        text.append(f"  pages {pages}")
        if c.get("reused"):
            text.append(f" (+{c['reused']} already stored)")
        posts, expected = int(c.get("posts", 0)), int(c.get("posts_expected") or 0)
        if expected:  # the archive widget's month counts (or the feed's total) announce the total
            posts = int(c.get("blog_posts", posts))  # of the kind the total counts: no static pages
            text.append(f"  posts {posts}/{expected} ({min(100, 100 * posts // expected)}%)")
        else:
            text.append(f"  posts {posts}")
        text.append(f"  comments {c.get('comments', 0)}")
        text.append(f"  {pages / elapsed:.0f} pages/s")
        if c.get("not_modified"):
            text.append(f"  not modified {c['not_modified']}")
        errors = int(c.get("errors", 0))
        text.append(f"  errors {errors}", style="red" if errors else "")
        return text

    def __enter__(self) -> "CrawlProgress":
        self.started = time.monotonic()
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(*exc)  # type: ignore[arg-type]

    def update(self, counts: dict[str, Any]) -> None:
        announced = counts.get("posts_expected") != self.counts.get("posts_expected")
        self.counts = counts
        # the line with the total is drawn as soon as the total is known, not at the next tick
        self._live.update(self._render(), refresh=announced)

    def log(self, line: str) -> None:
        self.console.print(line.rstrip("\n"), markup=False, highlight=False)


def make_progress(source: str, enabled: bool) -> CrawlProgress | NullProgress:
    return CrawlProgress(source) if enabled else NullProgress()
