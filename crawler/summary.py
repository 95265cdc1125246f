"""``CrawlSummary``: what one crawl did, whichever source it read (the crawl stage's result)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kernel.archive import ARCHIVE_NAME


@dataclass(frozen=True)
class CrawlSummary:
    """What one crawl did."""

    source: str
    out_dir: str
    via: str
    """"html", "feeds", "mirror" or "export"."""
    pages_fetched: int = 0
    posts_found: int = 0
    comments_found: int = 0
    errors: int = 0
    """Pages that could not be archived or parsed (HTTP/network failures, size limit, parse errors)."""
    not_modified: int = 0
    bytes_downloaded: int = 0
    elapsed_s: float = 0.0
    pages_per_s: float = 0.0
    interrupted: bool = False
    gone: int = 0
    """Stored pages the blog now answers with 404/410 (kept in the archive)."""
    reused: int = 0
    """Pages already in the archive that were not fetched again (resume)."""
    robots_refused: int = 0
    issues: int = 0
    details: tuple[str, ...] = field(default_factory=tuple)
    """Extra summary lines from the source reader (export files)."""

    @classmethod
    def from_stats(cls, source: str, out_dir: Path | str, via: str, stats: Any, *, pages: int, elapsed: float,
                   bytes_downloaded: int = 0, extra_issues: int = 0) -> "CrawlSummary":
        """The summary of a crawl that counted its items with ``count_item`` (the ``blogport/...``
        stats of a mirror, a web-archive file or a distributed crawl)."""
        return cls(
            source=source,
            out_dir=str(out_dir),
            via=via,
            pages_fetched=pages,
            posts_found=int(stats.get("blogport/posts", 0)),
            comments_found=int(stats.get("blogport/comments", 0)),
            errors=int(stats.get("blogport/errors", 0)),
            bytes_downloaded=bytes_downloaded,
            elapsed_s=round(elapsed, 3),
            pages_per_s=round(pages / elapsed, 1) if elapsed > 0 else 0.0,
            robots_refused=int(stats.get("blogport/issues/robots", 0)),
            issues=int(stats.get("blogport/issues", 0)) + extra_issues,
        )

    @property
    def exit_code(self) -> int:
        """0 when every page was archived; 1 when some failed or the run was interrupted."""
        return 1 if self.errors or self.interrupted else 0

    def summary_lines(self) -> list[str]:
        archive = Path(self.out_dir) / ARCHIVE_NAME
        lines = list(self.details) or [f"Crawled {self.source} into {archive}"]
        if self.via in ("html", "feeds", "mirror"):
            size = _human_bytes(self.bytes_downloaded)
            verb = "read" if self.via == "mirror" else "fetched"
            lines.append(
                f"  pages {verb}: {self.pages_fetched} ({size}) in {self.elapsed_s:.1f} s,"
                f" {self.pages_per_s:.0f} pages/s"
            )
            lines.append(f"  posts found: {self.posts_found}, comments found: {self.comments_found}")
            extra = []
            if self.reused:
                extra.append(f"already stored: {self.reused}")
            if self.not_modified:
                extra.append(f"not modified: {self.not_modified}")
            if self.gone:
                extra.append(f"gone from the blog: {self.gone}")
            if self.robots_refused:
                extra.append(f"refused by robots.txt: {self.robots_refused}")
            if extra:
                lines.append("  " + ", ".join(extra))
        lines.append(f"  errors: {self.errors}" + (" (see crawl_issues in the archive)" if self.errors else ""))
        if self.interrupted:
            lines.append("  interrupted: everything stored so far is kept; run the same command again to resume")
        return lines

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["details"] = list(self.details)
        data["exit_code"] = self.exit_code
        return data


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
