"""WordPress eXtended RSS (WXR 1.2), written as a stream in constant memory.

Follows what the WordPress importer reads (see CONSUMERS.md): every text in CDATA with any
``]]>`` split, no character XML 1.0 forbids, unique post and comment ids (1..N, in export
order), parents before replies (comment ids rise in file order too, since the importer sorts
comments by id), no two items with the same title, date and type, and one ``wp:author`` per
post author with a unique login slug. ``max_size`` splits the export into complete files,
each with the authors and terms, never splitting an item.

Links to the old blog in post and comment bodies are rewritten (``loaders.links``) to the
new permalinks relative to the site root, as WordPress serves them with the "Month and name"
permalink structure and the ``wp:post_name``/``wp:tag_slug`` written here (see
``loaders.urls``); ``<link>``, ``<guid>`` and the ``blogger_permalink`` meta keep the old URL.
A comment anchor (``#c123``) is kept as written: the importer gives comments new ids, so no
``#comment-N`` can be known in advance.

Titles are text: WordPress shows ``post_title`` as HTML, so a title is written HTML-escaped
(a title "&lt;script&gt;" on the old blog shows as that text, never runs). Term names and
comment authors are escaped by WordPress itself and go as they are.

Pictures (``loaders.wxr_media``): each post body names its movable pictures by their
full-size URLs, and each distinct picture gets one ``attachment`` item after the first post
using it, so "Download and import file attachments" brings the images in and the importer
rewrites the posts to the new files.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import loaders
from kernel.errors import ExportError
from loaders.atomic import AtomicFile
from loaders.image_urls import rewrite_images
from loaders.images import source_hosts
from loaders.links import LinkRewriter
from loaders.source import CommentRow, ExportSource, Ledger, PostRow, slug_part, wp_datetime, xml_safe
from loaders.urls import UrlMap
from loaders.wxr_media import Attachments, attachment_xml
from loaders.wxr_xml import cdata, gmt_datetime, pub_date, quoteattr, text

log = logging.getLogger(__name__)

WXR_VERSION = "1.2"
PERMALINK_META_KEY = "blogger_permalink"
"""The key the WordPress Blogger Importer stores the old post path under; redirect plugins
for moved Blogger blogs read it."""
SOURCE_ID_META_KEY = "_blogport_source_id"
NAMESPACES = (
    ("excerpt", "http://wordpress.org/export/1.2/excerpt/"),
    ("content", "http://purl.org/rss/1.0/modules/content/"),
    ("wfw", "http://wellformedweb.org/CommentAPI/"),
    ("dc", "http://purl.org/dc/elements/1.1/"),
    ("wp", "http://wordpress.org/export/1.2/"),
)
STATUS = {"published": "publish", "draft": "draft", "scheduled": "future"}
_WORDS = re.compile(r"\S+")


def untitled_title(post: PostRow) -> str:
    """A title for an untitled post: its first words, or "Untitled (date)"."""
    words = _WORDS.findall(xml_safe(post.body_text))
    if words:
        title = " ".join(words[:8])
        if len(title) > 70:
            title = title[:69].rstrip()
        return title + ("…" if len(words) > 8 or len(title) < len(" ".join(words[:8])) else "")
    stamp = wp_datetime(post.published_local)[:16]
    return f"Untitled ({stamp})" if stamp else "Untitled"


@dataclass
class WxrResult:
    files: list[Path] = field(default_factory=list)
    posts: int = 0
    pages: int = 0
    comments: int = 0
    retitled: int = 0
    oversized_items: int = 0
    links_rewritten: int = 0
    attachments: int = 0


class _Authors:
    def __init__(self, source: ExportSource) -> None:
        self.rows: list[tuple[int, str, str, str]] = []  # (number, login, display name, id)
        self.login_by_id: dict[str, str] = {}
        self.number_by_id: dict[str, int] = {}
        used: set[str] = set()
        for number, (author_id, name, _url, _owner) in enumerate(source.post_authors(), start=1):
            base = slug_part(name, max_length=50) or slug_part(author_id.split(":", 1)[-1], 50) or "author"
            login, n = base, 1
            while login in used:
                n += 1
                login = f"{base}-{n}"
            used.add(login)
            self.rows.append((number, login, name, author_id))
            self.login_by_id[author_id] = login
            self.number_by_id[author_id] = number


def _header(source: ExportSource, authors: _Authors, tags_as: str) -> str:
    meta = source.meta
    # looked up here, not at import: a big blog's WXR is written in a child process
    # (``loaders.run``), which then reads the package metadata instead of the export's parent
    __version__ = loaders.BLOGPORT_VERSION
    ns = "\n".join(f'    xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES)
    lines = [
        '<?xml version="1.0" encoding="UTF-8" ?>',
        f"<!-- WordPress eXtended RSS (WXR {WXR_VERSION}) written by blogport {__version__} -->",
        "<!-- Import it with Tools > Import > WordPress. -->",
        f'<rss version="2.0"\n{ns}\n>',
        "<channel>",
        f"    <title>{cdata(meta.title)}</title>",
        f"    <link>{text(meta.url)}</link>",
        "    <description></description>",
        f"    <language>{text(meta.language)}</language>",
        f"    <wp:wxr_version>{WXR_VERSION}</wp:wxr_version>",
        f"    <wp:base_site_url>{text(meta.url)}</wp:base_site_url>",
        f"    <wp:base_blog_url>{text(meta.url)}</wp:base_blog_url>",
        "",
    ]
    for number, login, name, _aid in authors.rows:
        lines.append(
            f"    <wp:author><wp:author_id>{number}</wp:author_id><wp:author_login>{cdata(login)}</wp:author_login>"
            f"<wp:author_email>{cdata('')}</wp:author_email><wp:author_display_name>{cdata(name)}"
            f"</wp:author_display_name><wp:author_first_name>{cdata('')}</wp:author_first_name>"
            f"<wp:author_last_name>{cdata('')}</wp:author_last_name></wp:author>"
        )
    lines.append("")
    for tag in source.tags.values():
        if tags_as == "categories":
            lines.append(
                f"    <wp:category><wp:term_id>{tag.number}</wp:term_id><wp:category_nicename>{cdata(tag.slug)}"
                f"</wp:category_nicename><wp:category_parent>{cdata('')}</wp:category_parent>"
                f"<wp:cat_name>{cdata(tag.name)}</wp:cat_name></wp:category>"
            )
        else:
            lines.append(
                f"    <wp:tag><wp:term_id>{tag.number}</wp:term_id><wp:tag_slug>{cdata(tag.slug)}</wp:tag_slug>"
                f"<wp:tag_name>{cdata(tag.name)}</wp:tag_name></wp:tag>"
            )
    lines.append("")
    lines.append(f"    <generator>blogport/{__version__}</generator>")
    lines.append("")
    return "\n".join(lines) + "\n"


FOOTER = "</channel>\n</rss>\n"


def _unchanged(html: str) -> str:
    return html


def _comment_xml(c: CommentRow, number: int, parent_number: int, owner_user_id: int, body_html: str) -> str:
    name = c.author_name or "Anonymous"
    return (
        "        <wp:comment>\n"
        f"            <wp:comment_id>{number}</wp:comment_id>\n"
        f"            <wp:comment_author>{cdata(name)}</wp:comment_author>\n"
        f"            <wp:comment_author_email>{cdata('')}</wp:comment_author_email>\n"
        f"            <wp:comment_author_url>{cdata(c.author_url or '')}</wp:comment_author_url>\n"
        f"            <wp:comment_author_IP>{cdata('')}</wp:comment_author_IP>\n"
        f"            <wp:comment_date>{cdata(wp_datetime(c.published_local))}</wp:comment_date>\n"
        f"            <wp:comment_date_gmt>{cdata(gmt_datetime(c.published))}</wp:comment_date_gmt>\n"
        f"            <wp:comment_content>{cdata(body_html)}</wp:comment_content>\n"
        f"            <wp:comment_approved>{cdata('1')}</wp:comment_approved>\n"
        f"            <wp:comment_type>{cdata('comment')}</wp:comment_type>\n"
        f"            <wp:comment_parent>{parent_number}</wp:comment_parent>\n"
        f"            <wp:comment_user_id>{owner_user_id}</wp:comment_user_id>\n"
        f"            <wp:commentmeta><wp:meta_key>{cdata(SOURCE_ID_META_KEY)}</wp:meta_key>"
        f"<wp:meta_value>{cdata(c.id)}</wp:meta_value></wp:commentmeta>\n"
        "        </wp:comment>\n"
    )


def _item_xml(post: PostRow, title: str, creator: str, tags_as: str, comments_xml: str, body_html: str) -> str:
    domain = "category" if tags_as == "categories" else "post_tag"
    cats = "".join(
        f"        <category domain=\"{domain}\" nicename={quoteattr(tag.slug)}>{cdata(tag.name)}</category>\n"
        for tag in post.tags
    )
    post_date = wp_datetime(post.published_local)
    meta = [(PERMALINK_META_KEY, post.old_path), (SOURCE_ID_META_KEY, post.id)]
    if post.date_flag == "unparsed" and post.date_raw:
        meta.append(("_blogport_date_raw", post.date_raw))
    metas = "".join(
        f"        <wp:postmeta><wp:meta_key>{cdata(k)}</wp:meta_key><wp:meta_value>{cdata(v)}</wp:meta_value></wp:postmeta>\n"
        for k, v in meta
    )
    return (
        "    <item>\n"
        f"        <title>{cdata(html.escape(title, quote=False))}</title>\n"
        f"        <link>{text(post.url)}</link>\n"
        f"        <pubDate>{text(pub_date(post.published))}</pubDate>\n"
        f"        <dc:creator>{cdata(creator)}</dc:creator>\n"
        f"        <guid isPermaLink=\"false\">{text(post.url)}</guid>\n"
        "        <description></description>\n"
        f"        <content:encoded>{cdata(body_html)}</content:encoded>\n"
        f"        <excerpt:encoded>{cdata('')}</excerpt:encoded>\n"
        f"        <wp:post_id>{post.number}</wp:post_id>\n"
        f"        <wp:post_date>{cdata(post_date)}</wp:post_date>\n"
        f"        <wp:post_date_gmt>{cdata(gmt_datetime(post.published))}</wp:post_date_gmt>\n"
        f"        <wp:post_modified>{cdata(wp_datetime(post.updated) or post_date)}</wp:post_modified>\n"
        f"        <wp:post_modified_gmt>{cdata(gmt_datetime(post.updated) or gmt_datetime(post.published))}</wp:post_modified_gmt>\n"
        f"        <wp:comment_status>{cdata('open')}</wp:comment_status>\n"
        f"        <wp:ping_status>{cdata('closed')}</wp:ping_status>\n"
        f"        <wp:post_name>{cdata(post.slug)}</wp:post_name>\n"
        f"        <wp:status>{cdata(STATUS.get(post.status, 'draft'))}</wp:status>\n"
        "        <wp:post_parent>0</wp:post_parent>\n"
        "        <wp:menu_order>0</wp:menu_order>\n"
        f"        <wp:post_type>{cdata('page' if post.kind == 'page' else 'post')}</wp:post_type>\n"
        f"        <wp:post_password>{cdata('')}</wp:post_password>\n"
        "        <wp:is_sticky>0</wp:is_sticky>\n"
        f"{cats}{metas}{comments_xml}"
        "    </item>\n"
    )


class _PartWriter:
    """Writes items into one file, or into numbered parts under ``max_size`` bytes each."""

    def __init__(self, out_dir: Path, header: bytes, max_size: int | None) -> None:
        self.out_dir = out_dir
        self.header = header
        self.footer = FOOTER.encode("utf-8")
        self.max_size = max_size
        if max_size is not None and len(self.header) + len(self.footer) >= max_size:
            raise ExportError(
                f"--max-size {max_size} bytes is smaller than the WXR header with authors and terms "
                f"({len(self.header) + len(self.footer)} bytes); choose a larger size"
            )
        self.parts: list[AtomicFile] = []
        self.items_in_part = 0
        self.oversized = 0
        self._open()

    def _open(self) -> None:
        part = AtomicFile(self.out_dir / f"wordpress-{len(self.parts) + 1:03d}.xml", "wb", None)
        part.write(self.header)
        self.parts.append(part)
        self.items_in_part = 0

    @property
    def current_index(self) -> int:
        return len(self.parts)

    def will_start_new(self, size: int) -> bool:
        if self.max_size is None or self.items_in_part == 0:
            return False
        return self.parts[-1].bytes_written + size + len(self.footer) > self.max_size

    def write_item(self, data: bytes) -> None:
        if self.will_start_new(len(data)):
            self.parts[-1].write(self.footer)
            self._open()
        if self.max_size is not None and len(self.header) + len(data) + len(self.footer) > self.max_size:
            self.oversized += 1
            log.warning("one WXR item is larger than --max-size on its own; it gets a file of its own")
        self.parts[-1].write(data)
        self.items_in_part += 1

    def names(self) -> list[str]:
        if len(self.parts) == 1:
            return ["wordpress.xml"]
        return [f"wordpress-{i:03d}.xml" for i in range(1, len(self.parts) + 1)]

    def commit(self) -> list[Path]:
        self.parts[-1].write(self.footer)
        paths = [part.commit(self.out_dir / name) for part, name in zip(self.parts, self.names())]
        keep = {p.name for p in paths}
        for stale in sorted(self.out_dir.glob("wordpress*.xml")):
            if stale.name not in keep and re.fullmatch(r"wordpress(-\d{3})?\.xml", stale.name):
                stale.unlink()
        return paths

    def discard(self) -> None:
        for part in self.parts:
            part.discard()


def write_wxr(source: ExportSource, out_dir: Path, *, tags_as: str = "tags", max_size: int | None = None,
              ledger: Ledger | None = None, rewrite_links: bool = True,
              new_url_pattern: str | None = None) -> WxrResult:
    """Write ``DIR/wordpress.xml`` (or ``wordpress-001.xml``... under ``max_size``).

    With ``rewrite_links``, links to the old blog in post and comment bodies point at the new
    WordPress permalinks, relative to the site root (``loaders.urls``, target "wordpress":
    ``/YYYY/MM/<wp:post_name>/``, pages ``/<post_name>/``, ``/tag/<slug>/``... or
    ``new_url_pattern``)."""
    if tags_as not in ("tags", "categories"):
        raise ExportError(f"tags_as must be 'tags' or 'categories', not {tags_as!r}")
    links = LinkRewriter(source, UrlMap(source, "wordpress", new_url_pattern, tags_as)) if rewrite_links else None
    relink = links.rewrite if links is not None else _unchanged
    authors = _Authors(source)
    owner_numbers = authors.number_by_id
    header = _header(source, authors, tags_as).encode("utf-8")
    writer = _PartWriter(out_dir, header, max_size)
    hosts = source_hosts(source)
    media = Attachments(source, hosts, source.post_count + source.page_count + 1)
    result = WxrResult()
    comment_number = 0
    pending_ledger: list[tuple[str, str, int]] = []  # (item_type, id, part index)
    try:
        for post in source.posts():
            post_type = "page" if post.kind == "page" else "post"
            title = xml_safe(post.title).strip()
            if not title:
                title = untitled_title(post)
                result.retitled += 1
            base_title = title
            n = 1
            date = wp_datetime(post.published_local)
            # the importer skips an item with the same title, date and type as an earlier one
            while not source.remember("wxr_title", f"{post_type}\x1f{date}\x1f{title.casefold()}"):
                n += 1
                title = f"{base_title} ({n})"
            if n > 1:
                result.retitled += 1
            numbers: dict[str, int] = {}
            chunks: list[str] = []
            comment_ids: list[str] = []
            for c in source.comments(post.id):
                comment_number += 1
                numbers[c.id] = comment_number
                parent = numbers.get(c.parent_id, 0) if c.parent_id else 0
                user_id = owner_numbers.get(c.author_id, 0) if c.author_is_owner and c.author_id else 0
                chunks.append(_comment_xml(c, comment_number, parent, user_id, relink(c.body_html)))
                comment_ids.append(c.id)
            creator = authors.login_by_id.get(post.author_id or "", "")
            body = rewrite_images(relink(post.body_html), hosts)
            item = _item_xml(post, title, creator, tags_as, "".join(chunks), body)
            # a post and the attachments it introduces stay in one file: their parent is there
            item += "".join(attachment_xml(number, url, name, post, creator)
                            for number, url, name in media.new_for(post))
            writer.write_item(item.encode("utf-8"))
            if post_type == "page":
                result.pages += 1
            else:
                result.posts += 1
            result.comments += len(comment_ids)
            if ledger is not None:
                part = writer.current_index
                pending_ledger.append((post_type, post.id, part))
                pending_ledger.extend(("comment", cid, part) for cid in comment_ids)
                if len(pending_ledger) > 2000:
                    _flush(ledger, pending_ledger)
        if ledger is not None:
            _flush(ledger, pending_ledger)
        result.oversized_items = writer.oversized
        result.attachments = media.count
        result.links_rewritten = links.rewritten if links is not None else 0
        result.files = writer.commit()
    except BaseException:
        writer.discard()
        raise
    if ledger is not None:
        finalise_ledger(ledger, result.files)
    return result


def _flush(ledger: Ledger, pending: list[tuple[str, str, int]]) -> None:
    """Send ledger rows early; the file name is only final at the end, so record the part
    index now and rename "part:N" locations in ``finalise_ledger``."""
    for item_type, item_id, part in pending:
        ledger.add("wxr", item_type, item_id, f"part:{part}")
    pending.clear()


def finalise_ledger(ledger: Ledger, files: list[Path]) -> None:
    """Turn "part:N" ledger locations into the file names the parts finally got."""
    ledger.flush()
    names = [p.name for p in files]
    for i, name in enumerate(names, start=1):
        ledger.conn.execute(
            "UPDATE temp.ledger_new SET location = ? WHERE format = 'wxr' AND location = ?", (name, f"part:{i}")
        )
