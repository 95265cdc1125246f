"""Check 5: the export files as their consumers read them. The WXR parses strictly and
imports every item; every Markdown file loads; the SQLite database is sound. Per-item
presence is decided in the ledger; this check covers whole files."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from dateutil import parser as dateutil_parser

from blogport.checks.base import ERROR, Finding
from blogport.checks.context import Context, MarkdownFile
from loaders.options import ExportOptions
from loaders.run import EXPORTERS
from loaders.site import previous_flavor
from loaders.site_flavors import FLAVOR_TABLE, FLAVORS_BY_NAME, Flavor

_WXR_VERSION = re.compile(r"^\d+\.\d+$")
_HUGO_SHORTCODE = re.compile(r"\{\{[<%](?!\s*/\*)")
_JEKYLL_NAME = re.compile(r"(^|/)_posts/(\d{4}-\d{2}-\d{2})-[^/]+\.(md|markdown|html)$")
_PELICAN_STATUSES = frozenset({"published", "draft", "hidden", "skip"})


def check_exports(ctx: Context) -> list[Finding]:
    """Every export format of ``loaders.run.EXPORTERS`` read back by its check; a format with
    no check in ``FORMAT_CHECKS`` is an error, never a silent pass."""
    findings: list[Finding] = []
    for exporter in EXPORTERS:
        check = FORMAT_CHECKS.get(exporter.check)
        if check is None:
            if exporter.name in ctx.formats:
                findings.append(Finding(ERROR, "exports", f"no validation check reads the {exporter.name} export"
                                        f" (check {exporter.check!r} is unknown): it cannot be called complete",
                                        None, exporter.name))
            continue
        findings += check(ctx)
    return findings


def _check_wxr(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    if "wxr" not in ctx.formats:
        return findings
    seen_ids: Counter[str] = Counter()
    seen_keys: dict[tuple[str, str, str], str] = {}
    for wxr in ctx.wxr_files():
        if wxr.error:
            count = sum(1 for (fmt, _t, _i), loc in ctx.ledger.items() if fmt == "wxr" and loc == wxr.name)
            findings.append(Finding(ERROR, "exports", f"{wxr.name} {wxr.error}; the {count} items the ledger puts"
                                    " there cannot be imported", None, wxr.name))
            continue
        if not wxr.version or not _WXR_VERSION.match(wxr.version):
            findings.append(Finding(ERROR, "exports", f"{wxr.name} has no valid wp:wxr_version"
                                    f" ({wxr.version or 'missing'}): the WordPress importer rejects the file",
                                    None, wxr.name))
        for item in wxr.items:
            if not item.post_id:
                findings.append(Finding(ERROR, "exports", f"{wxr.name}: item “{item.title}” has no wp:post_id",
                                        None, wxr.name))
                continue
            seen_ids[item.post_id] += 1
            if seen_ids[item.post_id] == 2:
                findings.append(Finding(ERROR, "exports", f"wp:post_id {item.post_id} is used more than once: the"
                                        " importer skips the repeats", None, item.link))
            key = (item.title, item.post_date, item.post_type)
            if item.post_date and key in seen_keys:
                findings.append(Finding(ERROR, "exports", f"{item.link} has the same title, date and type as"
                                        f" {seen_keys[key]}: the importer skips it", None, item.link))
            else:
                seen_keys.setdefault(key, item.link)
    return findings


def markdown_flavor(ctx: Context) -> Flavor:
    """The flavour of the Markdown export, from the Flavor table: the one the site record
    names (``loaders.site``), else the one whose engine config is in ``DIR/markdown``, else
    the export's default flavour."""
    root = ctx.out_dir / "markdown"
    flavor = FLAVORS_BY_NAME.get(previous_flavor(root) or "")
    if flavor is None:
        found = [f for f in FLAVOR_TABLE if (root / f.config_file).is_file()]
        flavor = found[0] if len(found) == 1 else FLAVORS_BY_NAME[ExportOptions().flavor]
    return flavor


def _check_liquid(md: MarkdownFile, flavor: Flavor, rel: str) -> list[str]:
    """Jekyll: posts named as Jekyll reads them; no Liquid outside ``{% raw %}``."""
    problems = []
    posts_dir = flavor.post_path.rpartition("/")[0]
    if rel.startswith(posts_dir + "/") and not _JEKYLL_NAME.search(rel):
        problems.append(f"Jekyll reads only {posts_dir}/YYYY-MM-DD-slug.md and drops this file without a word")
    if ("{{" in md.body or "{%" in md.body) and "{% raw %}" not in md.body:
        problems.append("the body holds {{ or {% outside {% raw %}: Liquid fails the Jekyll build")
    return problems


def _check_shortcodes(md: MarkdownFile, _flavor: Flavor, _rel: str) -> list[str]:
    """Hugo: no shortcode call left unescaped."""
    if _HUGO_SHORTCODE.search(md.body):
        return ["the body holds an unescaped {{< or {{%: Hugo runs it as a shortcode and fails the build"]
    return []


BODY_CHECKS: dict[str, Callable[[MarkdownFile, Flavor, str], list[str]]] = {
    "liquid": _check_liquid,
    "shortcodes": _check_shortcodes,
}
"""What keeps a body from the engine's template language (``Flavor.body_protection``), checked."""


def _check_markdown(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    if "markdown" not in ctx.formats:
        return findings
    flavor = markdown_flavor(ctx)
    for (fmt, item_type, item_id), location in sorted(ctx.ledger.items()):
        if fmt != "markdown" or item_type == "comment":
            continue
        md = ctx.markdown(location)
        if md.error:
            continue  # reported per item by the ledger
        post = ctx.posts.get(item_id, {})
        if md.form == "pelican" or flavor.front_matter == "pelican":
            findings += _check_pelican(md, post, location, item_type, item_id)
        body_check = BODY_CHECKS.get(flavor.body_protection or "")
        if body_check is not None:
            rel = location.removeprefix("markdown/")
            for problem in body_check(md, flavor, rel):
                findings.append(Finding(ERROR, "exports", f"{location}: {problem}", post.get("url"), location,
                                        item_type, item_id))
    data_files = sorted({loc for (fmt, t, _i), loc in ctx.ledger.items() if fmt == "markdown" and t == "comment"})
    for location in data_files:
        data = ctx.data_file(location)
        if data.error:
            findings.append(Finding(ERROR, "exports", f"comments file {location} {data.error}", None, location))
    return findings


def _pelican_date(value: object) -> bool:
    """True when Pelican's ``get_date`` (dateutil) reads ``value``."""
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        datetime.fromisoformat(value)
        return True
    except ValueError:
        pass
    try:
        dateutil_parser.parse(value.replace("_", " "))
    except (ValueError, OverflowError):
        return False
    return True


def _check_pelican(md: MarkdownFile, post: dict[str, Any], location: str, item_type: str,
                   item_id: str) -> list[Finding]:
    """A file in Pelican's metadata form, as Pelican's Markdown reader and generators take it:
    they skip (and still exit 0) a post without a title or a readable date, and a file whose
    status they do not know."""
    meta = md.meta or {}
    url = post.get("url")
    findings: list[Finding] = []

    def error(message: str) -> None:
        findings.append(Finding(ERROR, "exports", f"{location}: {message}", url, location, item_type, item_id))

    status = meta.get("status", "published")
    if not isinstance(status, str) or status.strip() not in _PELICAN_STATUSES:
        error(f"Status {status!r} is not one Pelican knows (published, draft, hidden): Pelican skips the file")
    for key in ("date", "modified"):
        if key in meta and not _pelican_date(meta[key]):
            error(f"{key.capitalize()} {meta[key]!r} is not a date Pelican reads: Pelican skips the file")
    if item_type != "page" and "date" not in meta:
        error("no Date: Pelican skips a post without one (and still exits 0) unless DEFAULT_DATE is set")
    return findings


def _check_sqlite(conn: sqlite3.Connection) -> list[Finding]:
    findings: list[Finding] = []
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return [Finding(ERROR, "exports", f"blog.db fails PRAGMA integrity_check: {exc}", None, "blog.db")]
    if result != ["ok"]:
        findings.append(Finding(ERROR, "exports", f"blog.db fails PRAGMA integrity_check: {'; '.join(result[:5])}",
                                None, "blog.db"))
    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
    by_table: Counter[tuple[str, str]] = Counter((row[0], row[2]) for row in problems)
    for (table, parent), count in sorted(by_table.items()):
        findings.append(Finding(ERROR, "exports", f"blog.db: {count} row(s) of {table} point at missing rows"
                                f" of {parent} (PRAGMA foreign_key_check)", None, f"blog.db#{table}"))
    return findings


FORMAT_CHECKS: dict[str, Callable[[Context], list[Finding]]] = {
    "wxr": _check_wxr,
    "markdown": _check_markdown,
    "sqlite": lambda ctx: _check_sqlite(ctx.conn),
}
"""The validation check of each export format, by the name its ``loaders.run.Exporter`` gives."""

__all__ = ["FORMAT_CHECKS", "check_exports"]
