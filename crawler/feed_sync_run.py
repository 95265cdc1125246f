"""``sync_through_feeds``: run ``crawler.feed_sync.FeedSyncSpider`` in the crawl's child process.

The same child process as every live crawl (``crawler.run.run_child``): Scrapy's reactor
cannot be restarted, Ctrl-C stops the child gracefully, and the child never outlives its
parent. What the spider did comes back as a ``FeedSyncReport``. With ``fallback_html``, a blog
whose feeds are not usable gets the incremental HTML crawl (``crawler.incremental``) in the
same child process, right after the feed spider: one process start-up, not two; its summary is
the report's ``crawl``. Given a ``KeptCrawlProcess``, the process stays once it is done, for
the export's pictures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from crawler.options import CrawlOptions
from crawler.process import FEED_SYNC
from crawler.run import KeptCrawlProcess, child_job, crawl_summary, run_child
from crawler.summary import CrawlSummary
from kernel.archive import ARCHIVE_NAME
from kernel.errors import DiskFullError, SourceError, UnreachableError

#: The ``via`` of the child's job that runs the feed sync spider (see ``crawler.process``).
VIA = FEED_SYNC


@dataclass(frozen=True)
class FeedSyncReport:
    usable: bool
    """False when the blog serves no usable feeds: the incremental HTML crawl takes over."""
    reason: str | None = None
    failed: int = 0
    failures: tuple[str, ...] = ()
    """"URL: reason" of each page that failed (asked for again by the next sync)."""
    requests: int = 0
    """Requests the blog answered (robots.txt and retries included)."""
    not_modified: int = 0
    page_bytes: int = 0
    feed_bytes: int = 0
    """Body bytes of feed pages and robots.txt."""
    interrupted: bool = False
    """The feed spider was stopped (Ctrl-C) before it was done."""
    crawl: CrawlSummary | None = None
    """The incremental HTML crawl that ran instead, in the same process (``fallback_html``)."""


def sync_through_feeds(
    source: str,
    out_dir: Path,
    options: CrawlOptions,
    *,
    since: str | None,
    source_via: str,
    settings: dict[str, Any] | None = None,
    fallback_html: bool = False,
    keep: KeptCrawlProcess | None = None,
) -> FeedSyncReport:
    """Ask the blog's feeds what changed since ``since`` and store only that in
    ``out_dir/blog.db``; with ``fallback_html``, where the feeds are not usable, the
    incremental HTML crawl runs instead in the same process (its summary recorded in the
    archive as every crawl's). Raises ``UnreachableError`` when the blog cannot be reached,
    ``DiskFullError`` when the disk fills up, and what ``crawler.run.crawl`` raises for the
    HTML crawl. With ``keep``, a process whose crawl ended normally is kept there, for the
    export's pictures (as ``crawler.run.crawl``'s)."""
    archive_path = Path(out_dir) / ARCHIVE_NAME
    extra = {"images_after": True} if keep is not None else {}
    job = child_job(source, archive_path, options, VIA, settings,
                    spider_args={"since": since, "source_via": source_via}, fallback_html=fallback_html, **extra)
    result = run_child(job, source, options.progress, keep)
    done = result.done
    if done is None:
        if result.interrupted:
            return FeedSyncReport(usable=True, interrupted=True)
        tail = "\n".join(result.stderr_tail[-15:])
        raise RuntimeError(f"the sync process stopped unexpectedly (exit code {result.returncode}):\n{tail}")
    fatal = done.get("fatal")
    if fatal:
        if fatal.get("kind") == "unreachable":
            raise UnreachableError(fatal.get("message") or f"cannot reach {source}")
        if fatal.get("kind") == "disk_full":
            raise DiskFullError(fatal.get("path") or archive_path)
        raise SourceError(fatal.get("message") or f"cannot sync {source}")
    report = done.get("report") or {}
    crawl = None
    fallback = done.get("fallback")
    if fallback is not None:
        elapsed = float(fallback.get("elapsed_s") or result.elapsed_s)
        crawl = crawl_summary(source, Path(out_dir), "html", fallback, replace(result, elapsed_s=elapsed))
    return FeedSyncReport(
        usable=bool(report.get("usable", False)),
        reason=report.get("reason"),
        failed=int(report.get("failed", 0)),
        failures=tuple(report.get("failures", ())),
        requests=int(report.get("requests", 0)),
        not_modified=int(report.get("not_modified", 0)),
        page_bytes=int(report.get("page_bytes", 0)),
        feed_bytes=int(report.get("feed_bytes", 0)),
        # Ctrl-C during the HTML crawl is that crawl's (``crawl.interrupted``)
        interrupted=(result.interrupted and crawl is None) or report.get("finish_reason") == "shutdown",
        crawl=crawl,
    )
