"""Check 2: dates. Unparsed, in the future, before the blog began, and the time zone slip
(the month in the old URL differs from the published month in the blog's time zone)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from blogport.checks.base import ERROR, WARNING, Finding
from blogport.checks.context import Context, url_month

FLOOR = datetime(1995, 1, 1, tzinfo=timezone.utc)
"""No weblog is older than this: an earlier date is a misread (epoch zero, two-digit year)."""


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def check_dates(ctx: Context, link_for: Callable[[str, str], str | None], now: datetime | None = None) -> list[Finding]:
    now = now or datetime.now(timezone.utc)
    horizon = now + timedelta(days=1)
    findings: list[Finding] = []
    posts = ctx.live_posts()

    # The archive widget's first month marks the blog's start only when the widget accounts
    # for every post (a collapsed widget lists recent months only).
    first_month = None
    if ctx.blog_info and ctx.blog_info.archive_months:
        counted = sum(m.count or 0 for m in ctx.blog_info.archive_months)
        dated = sum(1 for p in posts if p.get("published") and (p.get("kind") or "post") == "post"
                    and p.get("status") in (None, "published"))
        if counted >= dated:
            first_month = min(m.month for m in ctx.blog_info.archive_months)
    published = [d for d in (_parse(p.get("published")) for p in posts) if d and d >= FLOOR]
    first_post = min(published) if published else None

    def label(row: dict[str, Any], kind: str) -> str:
        if kind == "comment":
            post = ctx.posts.get(row["post_id"], {})
            return f"comment {row['id']} on “{post.get('title') or '(untitled)'}”"
        return f"{row.get('kind') or 'post'} “{row.get('title') or '(untitled)'}”"

    def common(row: dict[str, Any], kind: str, url: str | None) -> None:
        link = link_for(kind if kind == "comment" else (row.get("kind") or "post"), row["id"])
        item_type = "comment" if kind == "comment" else (row.get("kind") or "post")
        # A static page's date places it nowhere (no archive month, no dated URL): a warning.
        severity = WARNING if item_type == "page" else ERROR
        if row.get("date_flag") == "unparsed":
            findings.append(Finding(severity, "dates", f"{label(row, kind)}: date could not be read"
                                    f" ({row.get('date_raw') or 'no date text'!s})", url, link, item_type, row["id"]))
            return
        when = _parse(row.get("published"))
        if when is None:
            if row.get("status") not in ("draft", "scheduled"):
                findings.append(Finding(severity, "dates", f"{label(row, kind)}: has no date", url, link, item_type,
                                        row["id"]))
            return
        if when > horizon and row.get("status") not in ("draft", "scheduled"):
            findings.append(Finding(ERROR, "dates", f"{label(row, kind)}: dated in the future ({row['published']})",
                                    url, link, item_type, row["id"]))
        local_month = (row.get("published_local") or row["published"])[:7]
        if when < FLOOR:
            findings.append(Finding(ERROR, "dates", f"{label(row, kind)}: dated {row['published']}, before any blog"
                                    " existed", url, link, item_type, row["id"]))
        elif kind != "comment" and first_month and local_month < first_month:
            findings.append(Finding(ERROR, "dates", f"{label(row, kind)}: dated {local_month}, before the blog began"
                                    f" (its archive starts {first_month})", url, link, item_type, row["id"]))
        elif kind == "comment":
            start = first_post
            if first_month:
                month_start = datetime.fromisoformat(first_month + "-01").replace(tzinfo=timezone.utc) - timedelta(days=1)
                start = min(start, month_start) if start else month_start
            if start and when < start:
                findings.append(Finding(ERROR, "dates", f"{label(row, kind)}: dated {row['published']}, before the"
                                        f" blog began ({start.date().isoformat()})", url, link, item_type, row["id"]))
            else:
                post_when = _parse(ctx.posts.get(row["post_id"], {}).get("published"))
                if post_when and when < post_when - timedelta(days=1):
                    findings.append(Finding(WARNING, "dates", f"{label(row, kind)}: dated {row['published']}, before"
                                            f" its post ({post_when.isoformat()})", url, link, item_type, row["id"]))

    for row in posts:
        common(row, "post", row["url"])
        if row.get("date_flag") is None or row.get("date_flag") == "date-only":
            month = url_month(row["url"])
            local = row.get("published_local")
            if month and local and local[:7] != month:
                findings.append(Finding(
                    ERROR, "dates",
                    f"{label(row, 'post')}: the old URL says {month} but it was published {local[:7]}"
                    f" ({local}) in the blog's time zone: a time zone slip",
                    row["url"], link_for(row.get("kind") or "post", row["id"]), row.get("kind") or "post", row["id"]))
        if row.get("date_flag") == "date-only":
            findings.append(Finding(WARNING, "dates", f"{label(row, 'post')}: only the day is known, not the time",
                                    row["url"], link_for(row.get("kind") or "post", row["id"]),
                                    row.get("kind") or "post", row["id"]))
    for row in ctx.live_comments():
        post = ctx.posts.get(row["post_id"], {})
        common(row, "comment", row.get("url") or post.get("url"))
    return findings
