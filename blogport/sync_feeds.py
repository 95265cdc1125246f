"""Sync's feed side: ask the blog's Atom feeds what changed, and fold the answer into the result.

Every request is made by ``crawler.feed_sync.FeedSyncSpider`` in the crawl's child process
(``crawler.feed_sync_run``): two conditional probes, the feeds read with ``updated-min``, the
changed pages fetched conditionally, stored posts checked with ``HEAD`` when the posts feed
counts fewer than the archive holds. This module only hands it the cursor and the way the
archive was filled, and adds what it did to the ``SyncResult``. Where the blog serves no usable
feeds, the same child process runs the incremental HTML crawl next, whose summary is folded in
as ``blogport.sync`` folds any crawl's.
"""

from __future__ import annotations

from dataclasses import replace

from blogport.config import MigrationConfig
from blogport.sync_result import SyncResult
from crawler.feed_sync_run import sync_through_feeds
from crawler.run import KeptCrawlProcess
from kernel.archive import Archive


def sync_feeds(archive: Archive, config: MigrationConfig, blog_url: str, result: SyncResult,
               keep: KeptCrawlProcess | None = None) -> str | None:
    """Bring the archive up to date through the feeds of the blog at ``blog_url``; where the
    blog serves no usable feeds, through the incremental HTML crawl, run by the same crawl
    process. Returns the sync's mode: "feeds", "html", or None when the feeds were not usable
    and no crawl ran (the caller runs it). Raises ``KeyboardInterrupt`` when the feed side was
    interrupted (everything stored so far is kept). With ``keep``, the crawl process stays
    once it is done, for the export's pictures (``crawler.run.KeptCrawlProcess``)."""
    source_via = (archive.get_meta("source") or {}).get("via", "html")
    report = sync_through_feeds(
        blog_url, archive.path.parent, replace(config.crawl, progress=False),
        since=result.since, source_via=source_via, fallback_html=True, keep=keep,
    )
    result.requests += report.requests
    result.not_modified += report.not_modified
    result.page_bytes += report.page_bytes
    result.feed_bytes += report.feed_bytes
    result.failed += report.failed
    result.failures.extend(report.failures)
    if report.interrupted:
        raise KeyboardInterrupt
    if report.crawl is not None:
        result.add_crawl(report.crawl)
        return "html"
    return "feeds" if report.usable else None
