"""What one ``blogport sync`` did: ``SyncResult`` (the summary, ``--json`` and the runs row)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kernel.archive import ARCHIVE_NAME


@dataclass(frozen=True)
class ItemCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass
class SyncResult:
    """What one sync did. ``exit_code``: 0 all well, 1 finished with item failures."""

    out_dir: Path
    source: str
    mode: str = "feeds"
    """"feeds" (feeds told what changed), "html" (incremental crawl), "resume" (an unfinished
    migration was completed) or "source" (mirror/export re-read)."""
    since: str | None = None
    """Cursor: changes since this time were asked for."""
    run_id: int | None = None
    posts: ItemCounts = field(default_factory=ItemCounts)
    comments: ItemCounts = field(default_factory=ItemCounts)
    failed: int = 0
    requests: int = 0
    not_modified: int = 0
    page_bytes: int = 0
    """Bytes of HTML page bodies downloaded."""
    feed_bytes: int = 0
    """Bytes of feed (and robots.txt) bodies downloaded."""
    exports_updated: bool = False
    deleted_urls: tuple[str, ...] = ()
    failures: list[str] = field(default_factory=list)
    stages: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    exit_code: int = 0

    def add_crawl(self, summary: Any) -> None:
        """Fold a crawl's summary (a ``CrawlSummary``) in: stage "crawl", its requests, 304s,
        page bytes and failures."""
        self.stages["crawl"] = summary
        self.failed += int(getattr(summary, "errors", 0) or 0)
        self.requests += int(getattr(summary, "pages_fetched", 0) or 0)
        self.not_modified += int(getattr(summary, "not_modified", 0) or 0)
        self.page_bytes += int(getattr(summary, "bytes_downloaded", 0) or 0)
        if getattr(summary, "interrupted", False):
            self.failures.append("the crawl was interrupted; run sync again to resume")

    @property
    def new(self) -> int:
        return self.posts.new + self.comments.new

    @property
    def changed(self) -> int:
        return self.posts.changed + self.comments.changed

    @property
    def unchanged(self) -> int:
        return self.posts.unchanged + self.comments.unchanged

    @property
    def deleted(self) -> int:
        return self.posts.deleted + self.comments.deleted

    def summary_lines(self) -> list[str]:
        how = {
            "feeds": "read the feeds",
            "html": "incremental crawl",
            "resume": "resumed the unfinished migration",
            "source": "re-read the source",
        }.get(self.mode, self.mode)
        since = f" since {self.since}" if self.since else ""
        lines = [f"Synced {self.source} into {self.out_dir / ARCHIVE_NAME} ({how}{since})"]
        p, c = self.posts, self.comments
        lines.append(f"  posts: {p.new} new, {p.changed} changed, {p.deleted} deleted, {p.unchanged} unchanged")
        lines.append(f"  comments: {c.new} new, {c.changed} changed, {c.unchanged} unchanged")
        lines.append(
            f"  requests: {self.requests} ({self.not_modified} not modified),"
            f" {self.page_bytes} bytes of pages, {self.feed_bytes} bytes of feeds, {self.elapsed_s:.1f} s"
        )
        lines.append("  exports: " + ("brought up to date" if self.exports_updated else "unchanged (nothing changed)"))
        lines.append(f"  failed: {self.failed}")
        lines.extend(f"    {f}" for f in self.failures[:20])
        for name, summary in self.stages.items():
            lines.append(f"[{name}]")
            lines.extend(f"  {line}" for line in summary.summary_lines())
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "source": self.source,
            "mode": self.mode,
            "since": self.since,
            "run_id": self.run_id,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "posts": asdict(self.posts),
            "comments": asdict(self.comments),
            "requests": self.requests,
            "not_modified": self.not_modified,
            "page_bytes": self.page_bytes,
            "feed_bytes": self.feed_bytes,
            "exports_updated": self.exports_updated,
            "deleted_urls": list(self.deleted_urls),
            "failures": list(self.failures),
            "stages": {k: v.as_dict() for k, v in self.stages.items()},
            "elapsed_s": round(self.elapsed_s, 3),
            "exit_code": self.exit_code,
        }


