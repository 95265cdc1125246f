"""Where every old Blogger URL lives on the new site: the one old -> new mapping behind the
Markdown front matter, the redirect maps and the internal links rewritten in exported bodies.

Targets: "hugo", "jekyll" and "pelican" (the Markdown flavours) and "wordpress" (the WXR).
Pelican targets are Pelican's default settings (written out in ``markdown/pelicanconf.py``):
a post at ``/<slug>.html`` (``ARTICLE_URL``), a page at ``/pages/<slug>.html``, a label at
``/tag/<slug>.html`` (the slug Pelican's ``slugify`` gives the name), month and year archives
at ``/archives.html`` (Pelican makes no per-month pages by default), feeds (labels' too: no
tag feeds by default) at ``/feeds/all.atom.xml``. WordPress
targets follow what the WXR declares under the "Month and name" permalink structure
(``/%year%/%monthnum%/%postname%/``, Settings > Permalinks; choose it on the new site, or
give a ``new_url_pattern`` matching the structure the site uses): a post at
``/YYYY/MM/<wp:post_name>/`` (its ``wp:post_date``), a page at ``/<post_name>/``, a label at
``/tag/<wp:tag_slug>/`` (``/category/...`` with labels as categories), the month and year
archives at ``/YYYY/MM/`` and ``/YYYY/``, the feed at ``/feed/``. A post without a date
(WordPress gives it the import date) is reached as ``/?name=<post_name>``, which WordPress
answers under any permalink structure. A custom ``new_url_pattern`` applies to every target.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

from slugify import slugify

from kernel.errors import ExportError
from loaders.pelican import pelican_slugify, tag_name
from loaders.site_flavors import TARGETS, URL_TARGETS, fill
from loaders.source import ExportSource, hugo_urlize, parse_iso, url_path

PATTERN_FIELDS = frozenset({"year", "month", "day", "slug"})
_POST_PATH_DATE = re.compile(r"^/(\d{4})/(\d{2})/")
_SAFE_NEW = "/-_.~:+?="
OLD_FEEDS = ("/feeds/posts/default", "/feeds/posts/summary", "/feeds/comments/default", "/atom.xml", "/rss.xml")


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
    """Where a post or page lives on the new site (a path starting with "/"); ``flavor`` is a
    target of ``loaders.site_flavors.URL_TARGETS``: "hugo", "jekyll", "pelican" or "wordpress"."""
    urls = URL_TARGETS[flavor]
    if kind == "page":
        return urls.page_url.format(slug=slug)
    dt = parse_iso(published_local)
    if pattern and dt is not None:
        return fill(pattern, slug, dt)
    if pattern and "{year}" not in pattern and "{month}" not in pattern and "{day}" not in pattern:
        return pattern.format(slug=slug)
    if dt is None:
        return urls.undated_url.format(slug=slug)
    return fill(urls.post_url, slug, dt)


def encode_new(path: str) -> str:
    """A new path as it is written in a redirect rule or a link (percent-encoded UTF-8)."""
    return quote(path, safe=_SAFE_NEW)


def tag_target(target: str, name: str, slug: str, tags_as: str = "tags") -> tuple[str, str]:
    """(label page, label feed) on the new site."""
    if target == "hugo":
        term = hugo_urlize(name) or slug
        return f"/tags/{term}/", f"/tags/{term}/index.xml"
    if target == "wordpress":
        base = "/category/" if tags_as == "categories" else "/tag/"
        return f"{base}{slug}/", f"{base}{slug}/feed/"
    if target == "pelican":
        return f"/tag/{pelican_slugify(tag_name(name)) or slug}.html", "/feeds/all.atom.xml"
    term = slugify(name, allow_unicode=True) or slug
    return f"/tag/{term}/", "/feed.xml"


@dataclass(frozen=True)
class UrlMove:
    """One old path and where it lives on the new site."""

    old_path: str
    """The path as old URLs carry it (percent-encoded), no query string."""
    new: str
    """The new path, decoded (``encode_new`` gives it as written)."""
    kind: str
    """post, page, comment-feed, label, label-feed, month, year, feed or home."""
    mobile: bool = True
    """Blogger also served this path with ``?m=1``."""
    post_id: str | None = None


def url_moves(source: ExportSource, target: str = "hugo", pattern: str | None = None,
              tags_as: str = "tags") -> Iterator[UrlMove]:
    """Every old path of the blog with its new home, in a stable order. An old path may come
    more than once (the same path on two hosts); ``first_moves`` settles which entry counts."""
    if target not in TARGETS:
        raise ExportError(f"unknown URL target {target!r}; choose from {', '.join(TARGETS)}")
    months: set[tuple[str, str]] = set()
    archive, feed = URL_TARGETS[target].archive_url, URL_TARGETS[target].feed_url
    for post_id, _number, slug, url, kind, status, published_local in source.refs():
        if status == "draft":
            continue
        new = new_url(target, kind or "post", slug, published_local, pattern)
        old = url_path(url)
        yield UrlMove(old, new, "page" if kind == "page" else "post", post_id=post_id)
        if post_id and post_id.isdigit():
            yield UrlMove(f"/feeds/{post_id}/comments/default", new, "comment-feed", mobile=False, post_id=post_id)
        m = _POST_PATH_DATE.match(old)
        if m and kind != "page":
            months.add((m.group(1), m.group(2)))
    for tag in source.tags.values():
        page, tag_feed = tag_target(target, tag.name, tag.slug, tags_as)
        old = url_path(tag.url) if tag.url and "/search/label/" in tag.url else "/search/label/" + quote(tag.name, safe="")
        yield UrlMove(old, page, "label")
        yield UrlMove("/feeds/posts/default/-/" + old.rsplit("/", 1)[-1], tag_feed, "label-feed", mobile=False)
    for year, month in sorted(months):
        month_page = archive or f"/{year}/{month}/"
        yield UrlMove(f"/{year}/{month}/", month_page, "month")
        yield UrlMove(f"/{year}_{month}_01_archive.html", month_page, "month")
    for year in sorted({y for y, _ in months}):
        yield UrlMove(f"/{year}/", archive or f"/{year}/", "year")
    for old_feed in OLD_FEEDS:
        yield UrlMove(old_feed, feed, "feed", mobile=False)
    yield UrlMove("/", "/", "home")


def moves_to_itself(move: UrlMove) -> bool:
    """True when the old path stays the same on the new site (no redirect rule is written)."""
    return unquote(move.old_path) == unquote(move.new)


class UrlMap:
    """``url_moves`` for one target, looked up by decoded old path; kept in a temporary table
    of the archive connection (constant memory however large the blog).

    The entry that counts for a path is the one the redirect maps write: the first that does
    not point at itself; a path that only ever points at itself maps to itself (the new site
    serves it under the same path)."""

    def __init__(self, source: ExportSource, target: str = "hugo", pattern: str | None = None,
                 tags_as: str = "tags") -> None:
        self.conn = source.conn
        self.table = f"temp.url_map_{target}"
        conn = self.conn
        conn.execute(f"DROP TABLE IF EXISTS {self.table}")
        conn.execute(f"CREATE TABLE {self.table} (key TEXT PRIMARY KEY, new TEXT NOT NULL, kind TEXT NOT NULL,"
                     " post_id TEXT, to_itself INTEGER NOT NULL)")
        batch: list[tuple[str, str, str, str | None, int]] = []
        for move in url_moves(source, target, pattern, tags_as):
            batch.append((unquote(move.old_path), move.new, move.kind, move.post_id, int(moves_to_itself(move))))
            if len(batch) >= 1000:
                self._insert(batch)
        self._insert(batch)

    def _insert(self, batch: list[tuple[str, str, str, str | None, int]]) -> None:
        # row by row, in order: a later entry replaces only one that points at itself
        self.conn.executemany(
            f"INSERT INTO {self.table} (key, new, kind, post_id, to_itself) VALUES (?,?,?,?,?)"
            " ON CONFLICT(key) DO UPDATE SET new = excluded.new, kind = excluded.kind, post_id = excluded.post_id,"
            " to_itself = 0 WHERE to_itself = 1 AND excluded.to_itself = 0",
            batch,
        )
        batch.clear()

    def lookup(self, decoded_path: str) -> tuple[str, str, str | None] | None:
        """(new path, kind, post id) for an old path (decoded), or None when it is not the blog's."""
        row = self.conn.execute(f"SELECT new, kind, post_id FROM {self.table} WHERE key = ?",
                                (decoded_path,)).fetchone()
        return (row[0], row[1], row[2]) if row else None
