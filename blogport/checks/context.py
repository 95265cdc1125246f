"""Everything the checks read, loaded once: the archive, the normalised tables, the export
ledger and the exported files themselves (parsed back as their consumers read them)."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from lxml import etree

from kernel.archive import ARCHIVE_NAME, Archive, comment_key
from kernel.errors import ArchiveError, no_archive_message
from kernel.records import BlogInfo, RawComment, RawPost

log = logging.getLogger(__name__)

WP_NS_DEFAULT = "http://wordpress.org/export/1.2/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
URL_MONTH = re.compile(r"^https?://[^/]+/(\d{4})/(\d{2})/")
_POST_DIGITS = re.compile(r"post-(\d+)")


def url_month(url: str | None) -> str | None:
    """"YYYY-MM" from a Blogger post URL (``/2009/08/slug.html``), else None."""
    if not url:
        return None
    match = URL_MONTH.match(url)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{match.group(1)}-{match.group(2)}"


def iso_month(value: str | None) -> str | None:
    if value and re.match(r"^\d{4}-\d{2}", value):
        return value[:7]
    return None


# -- WXR -------------------------------------------------------------------------------
@dataclass
class WxrComment:
    comment_id: str
    parent: str
    content: str
    keys: set[str]


@dataclass
class WxrItem:
    file: str
    post_id: str
    title: str
    post_type: str
    post_date: str
    content: str
    keys: set[str]
    comments: list[WxrComment] = field(default_factory=list)
    _positions: dict[str, int] | None = field(default=None, repr=False, compare=False)

    @property
    def link(self) -> str:
        return f"{self.file}#post-{self.post_id}"

    def comment_position(self, *keys: str | None) -> int | None:
        """The position of the first comment that any of ``keys`` names (None: none does); the
        index of keys is built at the first call, once per item rather than once per comment."""
        positions = self._positions
        if positions is None:
            positions = {}
            for position, comment in enumerate(self.comments):
                for key in comment.keys:
                    positions.setdefault(key, position)
            self._positions = positions
        found = [positions[key] for key in keys if key and key in positions]
        return min(found) if found else None


@dataclass
class WxrFile:
    name: str
    error: str | None = None
    version: str | None = None
    items: list[WxrItem] = field(default_factory=list)
    index: dict[str, WxrItem] = field(default_factory=dict)


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _first(element: etree._Element, tag: str) -> etree._Element | None:
    """``element.find(tag)`` for a plain tag name: its first child of that tag, by lxml's own
    child iteration (ElementPath parses the path again at every call, a third of the parse)."""
    for child in element.iterchildren(tag):
        return child
    return None


def _first_text(element: etree._Element, tag: str) -> str:
    """``element.findtext(tag) or ""``."""
    child = _first(element, tag)
    return (child.text or "") if child is not None else ""


def parse_wxr(path: Path, name: str) -> WxrFile:
    """Parse a WXR file strictly (``recover=False``), as a careful importer would."""
    result = WxrFile(name)
    if not path.is_file():
        result.error = "file is missing"
        return result
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except (etree.XMLSyntaxError, OSError) as exc:
        result.error = f"not well-formed XML: {exc}"
        return result
    wp = root.nsmap.get("wp") or WP_NS_DEFAULT
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        result.error = "not a WXR file (no rss/channel)"
        return result
    result.version = _text(_first(channel, f"{{{wp}}}wxr_version")) or None
    post_id_tag, meta_tag, value_tag = f"{{{wp}}}post_id", f"{{{wp}}}postmeta", f"{{{wp}}}meta_value"
    comment_tag, comment_id_tag, comment_meta_tag = f"{{{wp}}}comment", f"{{{wp}}}comment_id", f"{{{wp}}}commentmeta"
    for node in channel.iterchildren("item"):
        keys: set[str] = set()
        post_id = _text(_first(node, post_id_tag))
        guid = _text(_first(node, "guid"))
        link = _text(_first(node, "link"))
        for value in (post_id, guid, link):
            if value:
                keys.add(value)
                keys.update(_POST_DIGITS.findall(value))
        for meta in node.iterchildren(meta_tag):
            value = _text(_first(meta, value_tag))
            if value:
                keys.add(value)
        item = WxrItem(
            file=name,
            post_id=post_id,
            title=_first_text(node, "title").strip(),
            post_type=_text(_first(node, f"{{{wp}}}post_type")) or "post",
            post_date=_text(_first(node, f"{{{wp}}}post_date_gmt")) or _text(_first(node, f"{{{wp}}}post_date")),
            content=_first_text(node, f"{{{CONTENT_NS}}}encoded"),
            keys=keys,
        )
        for cnode in node.iterchildren(comment_tag):
            cid = _text(_first(cnode, comment_id_tag))
            ckeys = {cid} if cid else set()
            for meta in cnode.iterchildren(comment_meta_tag):
                value = _text(_first(meta, value_tag))
                if value:
                    ckeys.add(value)
            item.comments.append(
                WxrComment(
                    comment_id=cid,
                    parent=_text(_first(cnode, f"{{{wp}}}comment_parent")),
                    content=_first_text(cnode, f"{{{wp}}}comment_content"),
                    keys=ckeys,
                )
            )
        result.items.append(item)
        for key in keys:
            result.index.setdefault(key, item)
    return result


# -- Markdown --------------------------------------------------------------------------
@dataclass
class MarkdownFile:
    path: str
    exists: bool
    meta: dict[str, Any] | None = None
    body: str = ""
    error: str | None = None
    form: str = "yaml"
    """How the metadata is written: "yaml" or "toml" front matter, or "pelican" (``Key: value``
    lines up to the first blank line, as Pelican's Markdown reader takes them)."""
    front: str | None = field(default=None, repr=False, compare=False)
    """The YAML or TOML front matter as written, when read but not loaded (``load_front_matter``)."""


_YAML_STR = "tag:yaml.org,2002:str"


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """``yaml.safe_load``'s loader, in C when PyYAML has it (same rules, faster), that makes a
    string node its string directly: what its constructor gives, without the dispatch that
    was a sixth of loading a post's front matter (most of its values are strings)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.__class__ is yaml.ScalarNode and node.tag == _YAML_STR:
            return node.value
        return super().construct_object(node, deep)


_SAFE_LOADER = _SafeLoader
_FRONT = re.compile(r"\A(---|\+\+\+)[ \t]*\r?\n(.*?)^(---|\.\.\.|\+\+\+)[ \t]*\r?$\n?", re.S | re.M)


_PELICAN_KEY = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")
_PELICAN_MORE = re.compile(r"^[ ]{4,}(?P<value>.*)")
_PELICAN_END = re.compile(r"^(-{3}|\.{3})(\s.*)?")
PELICAN_SINGLE = frozenset({"tags", "date", "modified", "status", "category", "author", "save_as", "url",
                            "authors", "slug"})
"""Keys Pelican takes once (the first definition wins); others given twice become lists."""


def parse_pelican_metadata(text: str) -> tuple[dict[str, Any], str] | None:
    """Metadata and body of a Markdown file in Pelican's own form, read as Python-Markdown's
    ``meta`` extension (which Pelican's Markdown reader uses) reads it: ``Key: value`` lines
    (keys lower-cased, values stripped, lines indented four spaces continue a value) up to
    the first blank line. A value given once is a string; a key given twice is a list, or its
    first value for the keys Pelican takes once. None when the first line is no ``Key: value``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    if not lines or not _PELICAN_KEY.match(lines[0]):
        return None
    values: dict[str, list[str]] = {}
    key: str | None = None
    start = len(lines)  # where the body begins
    for index, line in enumerate(lines):
        if not line.strip() or _PELICAN_END.match(line):
            start = index + 1  # the closing line is not part of the body
            break
        match = _PELICAN_KEY.match(line)
        more = _PELICAN_MORE.match(line)
        if match:
            key = match.group("key").lower().strip()
            values.setdefault(key, []).append(match.group("value").strip())
        elif more and key:
            values[key].append(more.group("value").strip())
        else:
            start = index
            break
    meta: dict[str, Any] = {}
    for name, found in values.items():
        meta[name] = found[0] if len(found) == 1 or name in PELICAN_SINGLE else found
    return meta, "\n".join(lines[start:])


def parse_markdown(path: Path, rel: str, *, front_matter: bool = True) -> MarkdownFile:
    """Read a Markdown file and load its front matter as Hugo or Jekyll would, or its
    metadata as Pelican would (``Key: value`` lines, no front matter delimiters).

    ``front_matter=False``: the file's body only, its YAML or TOML front matter left unloaded
    (``meta`` None, no error for front matter that does not load; ``load_front_matter``
    loads it later): what the content check reads, at a fraction of the cost."""
    if not path.is_file():
        return MarkdownFile(rel, exists=False, error="file is missing")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return MarkdownFile(rel, exists=True, error=f"cannot be read: {exc}")
    match = _FRONT.match(text)
    if not match:
        pelican = parse_pelican_metadata(text)
        if pelican is not None:
            return MarkdownFile(rel, exists=True, meta=pelican[0], body=pelican[1], form="pelican")
        return MarkdownFile(rel, exists=True, body=text, error="has no front matter")
    form = "toml" if match.group(1) == "+++" else "yaml"
    unloaded = MarkdownFile(rel, exists=True, body=text[match.end():], form=form, front=match.group(2))
    return load_front_matter(unloaded) if front_matter else unloaded


def load_front_matter(md: MarkdownFile) -> MarkdownFile:
    """``md`` as ``parse_markdown`` gives it with its front matter loaded; ``md`` itself when it
    holds none left to load (read with it loaded, or Pelican's metadata, or none at all)."""
    if md.front is None:
        return md
    rel, raw, body, form = md.path, md.front, md.body, md.form
    try:
        meta = tomllib.loads(raw) if form == "toml" else yaml.load(raw, Loader=_SAFE_LOADER)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return MarkdownFile(rel, exists=True, body=body, error=f"front matter does not load: {first}")
    if not isinstance(meta, dict):
        return MarkdownFile(rel, exists=True, body=body, error="front matter is not a mapping")
    return MarkdownFile(rel, exists=True, meta=meta, body=body, form=form)


@dataclass
class DataFile:
    path: str
    exists: bool
    ids: set[str] | None = None
    """Comment ids named in the file; None when the file names none (cannot be checked)."""
    error: str | None = None
    records: dict[str, Any] = field(default_factory=dict)
    """Comment id -> the record (mapping) that carries it."""


_ID_KEYS = ("id", "comment_id", "source_id", "blogger_id")


def _collect_ids(data: Any, ids: set[str], records: dict[str, Any]) -> None:
    if isinstance(data, dict):
        for key in _ID_KEYS:
            if key in data and data[key] is not None:
                ids.add(str(data[key]))
                records.setdefault(str(data[key]), data)
        for value in data.values():
            _collect_ids(value, ids, records)
    elif isinstance(data, list):
        for value in data:
            _collect_ids(value, ids, records)


def parse_data_file(path: Path, rel: str) -> DataFile:
    """A comments data file (JSON or YAML) beside the Markdown posts."""
    if not path.is_file():
        return DataFile(rel, exists=False, error="file is missing")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_SAFE_LOADER)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return DataFile(rel, exists=True, error=f"does not load: {first}")
    ids: set[str] = set()
    records: dict[str, Any] = {}
    _collect_ids(data, ids, records)
    return DataFile(rel, exists=True, ids=ids or None, records=records)


# -- the whole context -----------------------------------------------------------------
def _table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?",
                        (name,)).fetchone() is not None


def _rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, args)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


@dataclass
class Context:
    out_dir: Path
    conn: sqlite3.Connection
    raw_posts: list[RawPost]
    orphan_raw_comments: list[RawComment]
    blog_info: BlogInfo | None
    pages: list[dict[str, Any]]
    issues: list[dict[str, Any]]
    has_normalised: bool
    posts: dict[str, dict[str, Any]]
    posts_by_url: dict[str, dict[str, Any]]
    comments: dict[str, dict[str, Any]]
    comments_by_post: dict[str, list[dict[str, Any]]]
    authors: int
    author_names: list[tuple[str, str]]
    cruft_hits: list[dict[str, Any]]
    has_ledger: bool
    ledger: dict[tuple[str, str, str], str]
    formats: tuple[str, ...]
    trial_limit: int = 0
    """The archive holds a trial run's newest N posts (``--limit N``, meta ``trial``); 0: the whole blog."""
    image_counts: dict[str, int] = field(default_factory=dict)
    """Pictures of the Markdown export (``ImageTally.counts``), set by the content check."""
    _wxr: dict[str, WxrFile] = field(default_factory=dict)
    _wxr_names: list[str] | None = None
    _md: dict[str, MarkdownFile] = field(default_factory=dict)
    _md_bodies: dict[str, MarkdownFile] = field(default_factory=dict)
    _data: dict[str, DataFile] = field(default_factory=dict)

    # -- lookups -----------------------------------------------------------------------
    def is_deleted(self, post_id: str | None) -> bool:
        """The post was deleted from the live blog (``posts.deleted_at``): not exported on purpose."""
        row = self.posts.get(post_id) if post_id else None
        return bool(row and row.get("deleted_at"))

    def live_posts(self) -> list[dict[str, Any]]:
        return [row for row in self.posts.values() if not row.get("deleted_at")]

    def live_comments(self) -> list[dict[str, Any]]:
        return [row for row in self.comments.values() if not self.is_deleted(row["post_id"])]

    def deleted_urls(self) -> dict[str, str]:
        return {row["url"]: row["deleted_at"] for row in self.posts.values() if row.get("deleted_at")}

    def post_for(self, raw: RawPost) -> dict[str, Any] | None:
        row = self.posts_by_url.get(raw.url)
        if row is None and raw.post_id:
            row = self.posts.get(raw.post_id)
        return row

    def comment_for(self, raw: RawComment, post: dict[str, Any] | None) -> dict[str, Any] | None:
        if raw.comment_id and raw.comment_id in self.comments:
            return self.comments[raw.comment_id]
        if post is not None:
            row = self.comments.get(f"{post['id']}-{raw.position}")
            if row is not None:
                return row
            if raw.permalink:
                for candidate in self.comments_by_post.get(post["id"], ()):
                    if candidate.get("url") == raw.permalink:
                        return candidate
        return None

    def wxr(self, name: str) -> WxrFile:
        if name not in self._wxr:
            self._wxr[name] = parse_wxr(self.out_dir / name, name)
        return self._wxr[name]

    def wxr_files(self) -> list[WxrFile]:
        if self._wxr_names is None:  # the ledger is read once: so are the names it gives
            self._wxr_names = sorted({loc for (fmt, _t, _i), loc in self.ledger.items() if fmt == "wxr"})
        return [self.wxr(name) for name in self._wxr_names]

    def markdown(self, rel: str) -> MarkdownFile:
        if rel not in self._md:
            unloaded = self._md_bodies.get(rel)  # read already: only its front matter to load
            self._md[rel] = (load_front_matter(unloaded) if unloaded is not None
                             else parse_markdown(self.out_dir / rel, rel))
        return self._md[rel]

    def read_shared_files(self) -> None:
        """Parse the WXR files and the comments data files the ledger names, and read its
        Markdown files (their front matter left for ``markdown`` to load), which the ledger and
        the content check both read: done before the content check forks, its child shares them."""
        self.wxr_files()
        for rel in sorted({loc for (fmt, t, _i), loc in self.ledger.items() if fmt == "markdown" and t == "comment"}):
            self.data_file(rel)
        for rel in sorted({loc for (fmt, t, _i), loc in self.ledger.items() if fmt == "markdown" and t != "comment"}):
            self.markdown_body(rel)

    def markdown_body(self, rel: str) -> MarkdownFile:
        """The file as ``markdown`` reads it when that has read it already, else read for its
        body only (``parse_markdown(front_matter=False)``): ``exists`` and ``body`` are the same."""
        if rel in self._md:
            return self._md[rel]
        if rel not in self._md_bodies:
            self._md_bodies[rel] = parse_markdown(self.out_dir / rel, rel, front_matter=False)
        return self._md_bodies[rel]

    def data_file(self, rel: str) -> DataFile:
        if rel not in self._data:
            self._data[rel] = parse_data_file(self.out_dir / rel, rel)
        return self._data[rel]

    def old_hosts(self) -> set[str]:
        hosts: set[str] = set()
        urls = [p.url for p in self.raw_posts]
        if self.blog_info and self.blog_info.url:
            urls.append(self.blog_info.url)
        for url in urls:
            host = (urlsplit(url).hostname or "").lower()
            if host:
                hosts.add(host)
                if host.startswith("www."):
                    hosts.add(host[4:])
                else:
                    hosts.add("www." + host)
        return hosts

    def blog_timezone(self) -> str | None:
        return self.blog_info.timezone if self.blog_info else None


def load_context(out_dir: Path) -> tuple[Context, Archive]:
    """Open ``DIR/blog.db`` and load what the checks need. Raises ``ArchiveError``."""
    db_path = out_dir / ARCHIVE_NAME
    if not db_path.is_file():
        raise ArchiveError(no_archive_message(db_path, out_dir))
    try:
        with open(db_path, "rb") as handle:
            header = handle.read(16)
    except OSError as exc:
        raise ArchiveError(f"cannot read {db_path}: {exc}") from exc
    if header and header != b"SQLite format 3\x00":
        raise ArchiveError(f"{db_path} is not a blogport archive (not an SQLite database)")
    try:
        archive = Archive(db_path)
        conn = archive.conn
        raw_posts = list(archive.raw_posts())
        orphans = archive.orphan_raw_comments()
        blog_info = archive.blog_info()
        trial_limit = int((archive.get_meta("trial") or {}).get("limit") or 0)
        pages = _rows(conn, "SELECT url, status, kind, size, error, fetched_at FROM pages ORDER BY url")
        issues = _rows(conn, "SELECT url, kind, reason, at FROM crawl_issues ORDER BY id")
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{db_path} is not a readable blogport archive: {exc}") from exc

    has_normalised = _table_exists(conn, "posts") and _table_exists(conn, "comments")
    posts: dict[str, dict[str, Any]] = {}
    comments: dict[str, dict[str, Any]] = {}
    by_post: dict[str, list[dict[str, Any]]] = {}
    authors = 0
    author_names: list[tuple[str, str]] = []
    cruft: list[dict[str, Any]] = []
    if has_normalised:
        for row in _rows(conn, "SELECT * FROM posts"):
            posts[row["id"]] = row
        for row in _rows(conn, "SELECT * FROM comments ORDER BY post_id, thread_order"):
            comments[row["id"]] = row
            by_post.setdefault(row["post_id"], []).append(row)
        if _table_exists(conn, "authors"):
            author_names = [(r[0], r[1]) for r in conn.execute("SELECT id, name FROM authors ORDER BY id")]
            authors = len(author_names)
        if _table_exists(conn, "cruft_hits"):
            cruft = _rows(conn, "SELECT item_type, item_id, rule, count FROM cruft_hits")
    else:
        authors = len({(c.author_text or "").strip() for p in raw_posts for c in p.comments}
                      | {(p.author_name or "").strip() for p in raw_posts} - {""})
    has_ledger = _table_exists(conn, "export_ledger")
    ledger: dict[tuple[str, str, str], str] = {}
    if has_ledger:
        for fmt, item_type, item_id, location in conn.execute(
            "SELECT format, item_type, item_id, location FROM export_ledger"
        ):
            ledger[(fmt, item_type, str(item_id))] = location
    order = ("sqlite", "wxr", "markdown")
    present = {key[0] for key in ledger}
    formats = tuple(f for f in order if f in present) + tuple(sorted(present - set(order)))
    context = Context(
        out_dir=out_dir,
        conn=conn,
        raw_posts=raw_posts,
        orphan_raw_comments=orphans,
        blog_info=blog_info,
        pages=pages,
        issues=issues,
        has_normalised=has_normalised,
        posts=posts,
        posts_by_url={row["url"]: row for row in posts.values()},
        comments=comments,
        comments_by_post=by_post,
        trial_limit=trial_limit,
        authors=authors,
        author_names=author_names,
        cruft_hits=cruft,
        has_ledger=has_ledger,
        ledger=ledger,
        formats=formats,
    )
    return context, archive


__all__ = ["Context", "load_context", "url_month", "iso_month", "comment_key", "parse_wxr",
           "parse_markdown", "load_front_matter", "WxrFile", "WxrItem", "MarkdownFile"]
