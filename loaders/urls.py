"""New URLs of exported posts and pages, shared by the Markdown front matter and the redirect maps."""

from __future__ import annotations

import string

from crawler.errors import ExportError
from loaders.source import parse_iso

PATTERN_FIELDS = frozenset({"year", "month", "day", "slug"})


def check_pattern(pattern: str | None) -> None:
    """ExportError unless ``pattern`` is a path using only {year} {month} {day} {slug}."""
    if pattern is None:
        return
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
    except ValueError as exc:
        raise ExportError(f"new URL pattern {pattern!r} is not valid ({exc})") from None
    unknown = fields - PATTERN_FIELDS
    if unknown or "slug" not in fields or not pattern.startswith("/"):
        raise ExportError(
            f"new URL pattern {pattern!r} must start with / and use {{slug}} and only {{year}} {{month}} {{day}} {{slug}}"
        )


def new_url(flavor: str, kind: str, slug: str, published_local: str | None, pattern: str | None = None) -> str:
    """Where a post or page lives on the new site (a path starting with "/")."""
    if kind == "page":
        return f"/{slug}/" if flavor == "hugo" else f"/{slug}.html"
    dt = parse_iso(published_local)
    if pattern and dt is not None:
        return pattern.format(year=f"{dt.year:04d}", month=f"{dt.month:02d}", day=f"{dt.day:02d}", slug=slug)
    if pattern and "{year}" not in pattern and "{month}" not in pattern and "{day}" not in pattern:
        return pattern.format(slug=slug)
    if flavor == "hugo":
        return f"/posts/{slug}/"
    if dt is None:
        return "/"
    return f"/{dt.year:04d}/{dt.month:02d}/{dt.day:02d}/{slug}.html"
