"""Check 3: content. Empty titles and bodies, duplicates, leftover cruft in the exported
bodies, links still pointing at the old blog, and pictures still hot-linked (reported once
per cause by ``blogport.checks.images``)."""

from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from blogport.checks.base import ERROR, WARNING, Finding
from blogport.checks.context import Context
from blogport.checks.cruft import CruftScanner, load_scanner
from blogport.checks.images import ImageTally
from loaders.image_urls import is_blogger_image_host
from transform.clean import html_to_text
from transform.cruft import parse_fragment

_HTML_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)", re.I)
_HTML_A = re.compile(r"<a\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)", re.I)
_MD_IMG = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_AUTHOR_CRUFT = re.compile(rf"\bsaid\s*(\.\.\.|…)\s*$|[a-z](?:{_MONTHS}) \d{{1,2}}, \d{{4}}", re.I)
_MD_A = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)")


_STRING_VALUE = etree.XPath("string()")


_BR_OR_ENTITY = re.compile(r"<br\s*/?>|&(?:amp|lt|gt|quot|#39|nbsp);", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_NOT_PLAIN = re.compile("[<&\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Markup, or a character the HTML parser may drop or refuse."""


def _plain_text(html: str) -> str | None:
    """The text of a body that is only text, line breaks and the common entities (most
    comments), without a parser; None for any other body."""
    if _NOT_PLAIN.search(_BR_OR_ENTITY.sub("", html)):
        return None
    return " ".join(unescape(_BR.sub("", html)).split())


@functools.lru_cache(maxsize=4096)
def html_text(html: str) -> str:
    if not html or not html.strip():
        return ""
    plain = _plain_text(html)
    if plain is not None:
        return plain
    try:
        return " ".join(_STRING_VALUE(parse_fragment(html)).split())  # what lxml.html's text_content() gives
    except (etree.ParserError, ValueError):
        return " ".join(re.sub(r"<[^>]+>", " ", html).split())


_FENCED_CODE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)


def outside_code(markdown: str) -> str:
    """A Markdown body without its fenced code blocks and code spans: what they hold is text
    shown as written (a post about Blogger templates shows their ``<div style='clear: both;'/>``),
    never markup of the post, so the cruft rules must not read it as such."""
    if "`" not in markdown and "~~~" not in markdown:
        return markdown
    return _CODE_SPAN.sub(" ", _FENCED_CODE.sub("\n", markdown))


def _find_wxr_item(ctx: Context, file: str, post: dict[str, Any]) -> Any:
    wxr = ctx.wxr(file)
    if wxr.error:
        return None
    for key in (post["id"], post["url"]):
        if key in wxr.index:
            return wxr.index[key]
    return None


def exported_bodies(ctx: Context, item_type: str, row: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(format, body, is_html) for every export that holds this item. With no export yet, the
    normalised row stands in."""
    bodies: list[tuple[str, str, bool]] = []
    post = row if item_type != "comment" else ctx.posts.get(row["post_id"])
    for fmt in ctx.formats:
        location = ctx.ledger.get((fmt, item_type, row["id"]))
        if location is None:
            continue
        if fmt == "sqlite":
            bodies.append((fmt, row.get("body_html") or "", True))
        elif fmt == "wxr" and post is not None:
            item = _find_wxr_item(ctx, location, post)
            if item is None:
                continue
            if item_type != "comment":
                bodies.append((fmt, item.content, True))
            else:
                siblings = ctx.comments_by_post.get(post["id"], [])
                position = item.comment_position(row["id"])
                match = item.comments[position] if position is not None else None
                if match is None and len(siblings) == len(item.comments):
                    index = next(i for i, c in enumerate(siblings) if c["id"] == row["id"])
                    match = item.comments[index]
                if match is not None:
                    bodies.append((fmt, match.content, True))
        elif fmt == "markdown":
            if item_type != "comment":
                md = ctx.markdown_body(location)
                if md.exists:
                    bodies.append((fmt, md.body, False))
            else:
                data = ctx.data_file(location)
                record = data.records.get(row["id"])
                if isinstance(record, dict):
                    body = next((record[k] for k in ("body_html", "body", "content", "text")
                                 if isinstance(record.get(k), str)), None)
                    if body is not None:
                        bodies.append((fmt, body, True))
    if not ctx.formats:
        bodies.append(("normalised", row.get("body_html") or "", True))
    return bodies


_IMAGE_PATH = re.compile(r"\.(png|jpe?g|gif|webp|bmp|svg)$", re.I)


def _urls(body: str, is_html: bool) -> tuple[set[str], set[str]]:
    """(links, images) in a body; a link to an image file (the full-size copy around a
    thumbnail) counts as an image."""
    links = set(_HTML_A.findall(body))
    images = set(_HTML_IMG.findall(body))
    if not is_html:
        images |= set(_MD_IMG.findall(body))
        links |= set(_MD_A.findall(body))
    pictures = {u for u in links if _IMAGE_PATH.search(urlsplit(u).path if "://" in u else u)}
    return links - pictures, images | pictures


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def _short(urls: list[str], limit: int = 3) -> str:
    shown = ", ".join(urls[:limit])
    return shown + (f" and {len(urls) - limit} more" if len(urls) > limit else "")


def check_content(ctx: Context, link_for: Callable[..., str | None],
                  scanner: CruftScanner | None = None) -> list[Finding]:
    scanner = scanner or load_scanner()
    findings: list[Finding] = []
    old_hosts = ctx.old_hosts()
    raw_by_url = {raw.url: raw for raw in ctx.raw_posts}
    pictures = ImageTally.for_context(ctx)
    # remembered for this check: the source, SQLite and WXR bodies are often the same markup,
    # and the same pictures and links recur in every export
    text_of = functools.cache(html_text)
    host_of = functools.cache(_host)

    def item_findings(item_type: str, row: dict[str, Any], url: str | None, label: str) -> None:
        link = link_for(item_type, row["id"])
        bodies = exported_bodies(ctx, item_type, row)
        texts = [text_of(body) if is_html else body for _fmt, body, is_html in bodies]
        # the cruft rules read the HTML bodies with their text, a Markdown one without its code
        scanned = []
        for (fmt, body, is_html), text in zip(bodies, texts):
            if not is_html:
                body = text = outside_code(body)
            scanned.append((fmt, body, text))
        hits = scanner.scan(item_type, scanned)
        for severity in (ERROR, WARNING):
            mine = [hit for _name, hit in sorted(hits.items()) if hit.severity == severity]
            if not mine:
                continue
            formats = sorted(set().union(*(hit.formats for hit in mine)))
            described = "; ".join(f"{hit.rule}" + (f" “{hit.snippet}”" if hit.snippet else "")
                                  + (f" ×{hit.count}" if hit.count > 1 else "") for hit in mine)
            findings.append(Finding(severity, "content", f"{label}: leftover cruft in the {', '.join(formats)}"
                                    f" export: {described}", url, link_for(item_type, row["id"], formats[0]),
                                    item_type, row["id"]))
        normal_text = (row.get("body_text") or "").strip() or text_of(row.get("body_html") or "")
        for (fmt, _body, _html), text in zip(bodies, texts):
            if normal_text and not text.strip():
                findings.append(Finding(ERROR, "content", f"{label}: the body is empty in the {fmt} export",
                                        url, link, item_type, row["id"]))
        old_links: set[str] = set()
        for fmt, body, is_html in bodies:
            if fmt == "sqlite":
                continue  # the SQLite tables keep the source's links on purpose: they are the record
            links, images = _urls(body, is_html)
            old_links |= {u for u in links if host_of(u) in old_hosts}
            for image in images:
                host = host_of(image)
                if host in old_hosts or is_blogger_image_host(host):
                    pictures.add(fmt, image.replace("&amp;", "&"), item_type, row["id"], url, link)
        if old_links:
            found = sorted(old_links)
            findings.append(Finding(WARNING, "content", f"{label}: {len(found)} link(s) still point at the old blog:"
                                    f" {_short(found)}", url, link, item_type, row["id"]))

    by_title_date: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    by_body: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in ctx.live_posts():
        kind = row.get("kind") or "post"
        label = f"{kind} “{row.get('title') or '(untitled)'}”"
        link = link_for(kind, row["id"])
        if not (row.get("title") or "").strip():
            findings.append(Finding(WARNING, "content", f"{kind} {row['id']} has an empty title", row["url"], link,
                                    kind, row["id"]))
        text = (row.get("body_text") or "").strip() or text_of(row.get("body_html") or "")
        raw = raw_by_url.get(row["url"])
        raw_text = text_of(raw.body_html) if raw else ""
        if not text:
            # the source's writing as the transform reads it: no script, style or form control's value
            written = " ".join(html_to_text(raw.body_html).split()) if raw and raw_text else ""
            if written:
                findings.append(Finding(ERROR, "content", f"{label}: the body is empty but the source had"
                                        f" {len(written)} characters of text", row["url"], link, kind, row["id"]))
            else:
                findings.append(Finding(WARNING, "content", f"{label}: the body is empty (as in the source)",
                                        row["url"], link, kind, row["id"]))
        elif raw_text and len(raw_text) >= 200 and len(text) < 0.5 * len(raw_text):
            findings.append(Finding(WARNING, "content", f"{label}: the body kept {len(text)} of the source's"
                                    f" {len(raw_text)} characters of text", row["url"], link, kind, row["id"]))
        if row.get("published"):
            by_title_date[(kind, (row.get("title") or "").strip().lower(), row["published"][:19])].append(row)
        if len(text) >= 20:
            by_body[hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()].append(row)
        item_findings(kind, row, row["url"], label)

    for (kind, _title, date), rows in by_title_date.items():
        if len(rows) > 1:
            for row in rows[1:]:
                # A warning here: whether WordPress drops one is decided on the WXR itself (exports check).
                findings.append(Finding(WARNING, "content", f"{kind} “{row.get('title') or '(untitled)'}” has the same"
                                        f" title and date ({date}) as {rows[0]['url']}",
                                        row["url"], link_for(kind, row["id"]), kind, row["id"]))
    for rows in by_body.values():
        if len(rows) > 1:
            for row in rows[1:]:
                kind = row.get("kind") or "post"
                findings.append(Finding(WARNING, "content", f"{kind} “{row.get('title') or '(untitled)'}” has the same"
                                        f" body as {rows[0]['url']}", row["url"], link_for(kind, row["id"]),
                                        kind, row["id"]))

    for author_id, name in ctx.author_names:
        if _AUTHOR_CRUFT.search(name or ""):
            findings.append(Finding(ERROR, "content", f"author name “{name}” still carries cruft"
                                    " (“said...” or a glued date)", None, f"blog.db#authors/{author_id}",
                                    "author", author_id))

    for row in ctx.live_comments():
        post = ctx.posts.get(row["post_id"], {})
        label = f"comment {row['id']} on “{post.get('title') or '(untitled)'}”"
        url = row.get("url") or post.get("url")
        if not row.get("deleted") and not ((row.get("body_text") or "").strip() or text_of(row.get("body_html") or "")):
            findings.append(Finding(WARNING, "content", f"{label}: the body is empty", url,
                                    link_for("comment", row["id"]), "comment", row["id"]))
        item_findings("comment", row, url, label)
    findings += pictures.findings()
    ctx.image_counts = pictures.counts()
    return findings
