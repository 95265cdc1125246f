"""Blogs migrated from a web archive (a WARC file, a Wayback server): where each post came from.

``capture_rows`` says, for every post, which capture its page came from (time, archive),
whether the comment pages it links were captured, and whether its own page was never
captured (the post is known only from a listing page or a feed, kept with the text that
showed). ``check_captures`` turns the gaps into findings of the report's "crawl" section:
facts about what the archive held, each with the post's URL. An archive filled from the live
blog has no ``captures`` rows and gets no finding.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from blogport.checks.base import WARNING, Finding
from blogport.checks.context import Context
from crawler.urls import classify


@dataclass(frozen=True)
class CaptureRow:
    post_url: str
    post_id: str | None
    captured_at: str | None
    """When the archive captured the post's own page; None when it never did."""
    archive: str | None
    capture_url: str | None
    comment_pages: int
    """Further comment pages the post links (``?commentPage=N``)."""
    comment_pages_captured: int
    known_from: str | None
    """The listing or feed page the post is known from, when its own page was never captured."""
    comment_pages_missing: tuple[str, ...] = ()
    """The further comment pages the archive never captured."""
    known_via: str | None = None
    """``feed`` or ``listing``: what kind of page ``known_from`` is."""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["comment_pages_missing"] = list(self.comment_pages_missing)
        return data


def _captures(conn: sqlite3.Connection) -> dict[str, tuple[str, str, str | None]]:
    try:
        rows = conn.execute("SELECT url, captured_at, archive, capture_url FROM captures").fetchall()
    except sqlite3.OperationalError:
        return {}  # an archive made before web-archive sources existed
    return {url: (at, archive, replay) for url, at, archive, replay in rows}


def capture_rows(ctx: Context) -> list[CaptureRow]:
    captures = _captures(ctx.conn)
    if not captures:
        return []
    page_of = dict(ctx.conn.execute("SELECT url, page_url FROM raw_posts"))
    rows: list[CaptureRow] = []
    for raw in ctx.raw_posts:
        own = captures.get(raw.url)
        listed = page_of.get(raw.url)
        missing = tuple(url for url in raw.comment_pages if url not in captures)
        known_from = None if own else listed
        rows.append(CaptureRow(
            post_url=raw.url,
            post_id=raw.post_id,
            captured_at=own[0] if own else None,
            archive=own[1] if own else (captures.get(listed or "", (None, None, None))[1]),
            capture_url=own[2] if own else None,
            comment_pages=len(raw.comment_pages),
            comment_pages_captured=len(raw.comment_pages) - len(missing),
            known_from=known_from,
            comment_pages_missing=missing,
            known_via=None if known_from is None else ("feed" if classify(known_from) == "feed" else "listing"),
        ))
    return rows


def capture_report(ctx: Context) -> dict[str, Any]:
    """The report's ``captures`` block: per post the capture it came from and the comment
    pages never captured; empty for a blog not read from a web archive."""
    rows = capture_rows(ctx)
    if not rows:
        return {}
    return {
        "archives": sorted({row.archive for row in rows if row.archive}),
        "posts_captured": sum(1 for row in rows if row.known_from is None),
        "posts_known_only_from": {via: sum(1 for row in rows if row.known_via == via) for via in ("listing", "feed")},
        "comment_pages_missing": sum(len(row.comment_pages_missing) for row in rows),
        "posts": [row.as_dict() for row in rows],
    }


def check_captures(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    for row in capture_rows(ctx):
        if row.known_via == "feed":
            findings.append(Finding(
                WARNING, "crawl",
                f"the archive never captured this post's own page: it is kept from its entry in the feed"
                f" {row.known_from} (comments, and the full text of a summary feed, may be missing)",
                row.post_url, None, "post", row.post_id,
            ))
        elif row.known_from is not None:
            findings.append(Finding(
                WARNING, "crawl",
                f"the archive never captured this post's own page: it is kept with the text {row.known_from}"
                " showed (comments and the full text may be missing)",
                row.post_url, None, "post", row.post_id,
            ))
        elif row.comment_pages_captured < row.comment_pages:
            missing = row.comment_pages - row.comment_pages_captured
            findings.append(Finding(
                WARNING, "crawl",
                f"{missing} of the post's {row.comment_pages} further comment pages were never captured"
                f" (post captured {row.captured_at} in {row.archive}): their comments are missing",
                row.post_url, None, "post", row.post_id,
            ))
    return findings
