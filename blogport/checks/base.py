"""Values every check produces: findings and ledger entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"

OK = "ok"
DEGRADED = "degraded"
FAILED = "failed"
DELETED = "deleted"
"""A post the author deleted from the live blog (``posts.deleted_at``): kept in blog.db, left
out of the exports on purpose; neither lost nor a failure."""
SKIPPED = "skipped"

LINK_PREFERENCE = ("markdown", "wxr", "sqlite")


@dataclass(frozen=True)
class Finding:
    """One problem the report shows: what, where it came from, where it went."""

    severity: str
    """"error" or "warning"."""
    check: str
    """"ledger", "totals", "dates", "content", "threads", "exports" or "crawl"."""
    message: str
    old_url: str | None = None
    item_link: str | None = None
    """Where the item went: a Markdown file relative to DIR, ``wordpress.xml#post-12``, or a
    SQLite row ``blog.db#posts/<id>``; None when it went nowhere."""
    item_type: str | None = None
    item_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "check": self.check, "message": self.message, "old_url": self.old_url,
                "item_link": self.item_link, "item_type": self.item_type, "item_id": self.item_id}


@dataclass(frozen=True)
class Placement:
    """Where one item went in one export format."""

    format: str
    status: str
    """"ok", "failed", or "skipped" (a deleted post, left out on purpose)."""
    location: str | None = None
    """As written in ``export_ledger``."""
    link: str | None = None
    """Relative link to the exported item (see ``Finding.item_link``)."""
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "status": self.status, "location": self.location, "link": self.link,
                "reason": self.reason}


@dataclass(frozen=True)
class LedgerEntry:
    """One post, page or comment found in the source, and its fate in every export."""

    item_type: str
    """"post", "page" or "comment"."""
    source_key: str
    """The raw record's key: the post URL, or ``<post url>#<comment id or posN>``."""
    item_id: str | None
    """Id in the normalised tables; None when the item never got there."""
    old_url: str | None
    title: str
    """Post title, or for a comment the title of its post."""
    month: str | None
    """"YYYY-MM" in the blog's time zone, from the normalised date or the old URL."""
    status: str
    """"ok", "degraded", "failed", or "deleted" (deleted from the live blog; left out on purpose)."""
    lost: tuple[str, ...] = ()
    """What was lost or flagged on the way (degraded), or why it failed."""
    placements: tuple[Placement, ...] = field(default_factory=tuple)

    @property
    def link(self) -> str | None:
        """The link a person can best open: the Markdown file, else the WXR item, else the row."""
        links = self.links()
        for fmt in LINK_PREFERENCE:
            if links.get(fmt):
                return links[fmt]
        return next(iter(links.values()), None)

    def placement(self, fmt: str) -> Placement | None:
        for p in self.placements:
            if p.format == fmt:
                return p
        return None

    def links(self) -> dict[str, str]:
        return {p.format: p.link for p in self.placements if p.link}

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_type": self.item_type,
            "source_key": self.source_key,
            "item_id": self.item_id,
            "old_url": self.old_url,
            "title": self.title,
            "month": self.month,
            "status": self.status,
            "lost": list(self.lost),
            "placements": [p.as_dict() for p in self.placements],
        }
