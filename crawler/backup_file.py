"""Blogger "Back up content" files -> the archive (``crawler.backup_file``), as a stream.

An export is one Atom document holding the blog's settings, its template, every post, page
and comment (drafts included). It can be hundreds of megabytes, so it is read with
``lxml.etree.iterparse``: each ``entry`` is mapped (``crawler.feeds``) and then dropped, and
records go to the archive in batches, each batch one transaction. Memory stays flat whatever
the size of the file.

A comment belongs to the post or page its ``thr:in-reply-to/@ref`` names by id, whatever host
or scheme the ``href`` beside it says (a blog moved to a custom domain, ``www.``, ``https``);
the ``href`` is kept only when that post is not in the file.

The file is untrusted XML: a DOCTYPE that declares entities or names an external DTD is
refused before parsing (``UnsafeXMLError``), and the parser never expands entities, loads a
DTD or touches the network.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from kernel.archive import Archive, comment_key, utc_now
from kernel.errors import SourceError
from crawler.feeds import (
    ENTRY,
    FEED,
    SAFE_PARSER_OPTIONS,
    EntryChildren,
    FeedContext,
    FeedHeader,
    _parse_time,
    blog_info,
    check_prolog,
    comment_ref_post_id,
    entry_kind,
    entry_to_comment,
    entry_to_post,
    header_add,
    is_blogger_feed_id,
    only_namespace_errors,
    profile_key,
    setting_of,
)
from crawler.trial import newest_export_posts
from kernel.records import BlogInfo, RawComment, RawPost

log = logging.getLogger(__name__)

BATCH_SIZE = 500
_PROVISIONAL = 1_000_000_000
"""Comments are stored with provisional positions above this while streaming, then renumbered
by time within their post once the whole file has been read (comments may come before their
posts, and Blogger lists them newest first)."""
_HEAD_BYTES = 1 << 20
_REFS_TABLE = "CREATE TEMP TABLE IF NOT EXISTS backup_comment_refs (key TEXT PRIMARY KEY, ref TEXT NOT NULL)"
_BY_REF = """
WITH target AS (
    SELECT r.key AS k, p.url AS url
    FROM temp.backup_comment_refs AS r
    JOIN raw_comments AS c ON c.key = r.key
    JOIN (SELECT post_id, min(url) AS url FROM raw_posts
          WHERE page_url = ?1 AND post_id IS NOT NULL GROUP BY post_id) AS p ON p.post_id = r.ref
    WHERE c.post_url <> p.url
)
UPDATE OR REPLACE raw_comments
SET key = target.url || substr(raw_comments.key, length(raw_comments.post_url) + 1),
    post_url = target.url,
    record = json_set(raw_comments.record, '$.post_url', target.url)
FROM target WHERE raw_comments.key = target.k AND raw_comments.page_url = ?1
"""


@dataclass(frozen=True)
class BackupReadSummary:
    """What one export file gave."""

    path: str
    sha256: str
    size: int
    posts: int = 0
    pages: int = 0
    comments: int = 0
    drafts: int = 0
    scheduled: int = 0
    settings: int = 0
    templates: int = 0
    skipped: int = 0
    """Entries of a kind blogport does not keep (none in Blogger's own exports)."""
    issues: int = 0
    """Entries that could not be mapped; each is in ``crawl_issues`` with the reason."""
    orphan_comments: int = 0
    """Comments whose post is not in the file."""
    blog: BlogInfo | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.issues else 0

    def summary_lines(self) -> list[str]:
        title = self.blog.title if self.blog and self.blog.title else "(untitled blog)"
        lines = [
            f"Blogger export {self.path}: {title}",
            f"  {self.posts} posts, {self.pages} pages, {self.comments} comments"
            f" ({self.drafts} drafts, {self.scheduled} scheduled)",
        ]
        if self.orphan_comments:
            lines.append(f"  {self.orphan_comments} comments name a post that is not in the file:"
                         " kept in blog.db (raw_comments) with that post's URL, listed by the report")
        if self.issues:
            lines.append(f"  {self.issues} entries could not be read (see crawl_issues)")
        return lines

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["blog"] = json.loads(self.blog.to_json()) if self.blog else None
        data["exit_code"] = self.exit_code
        return data


class _HashingReader:
    """File-like wrapper for iterparse: hashes and counts what it reads."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def source_uri(path: Path) -> str:
    """``page_url`` of the records that come from an export file."""
    return path.resolve().as_uri()


def read_backup(path: Path, archive: Archive, *, batch_size: int = BATCH_SIZE, limit: int = 0) -> BackupReadSummary:
    """Read a Blogger export file into ``archive``: posts, pages (drafts and scheduled marked),
    comments (threads intact), blog info from the settings, the template once in meta.

    ``limit``: a trial run (``crawler.trial``), the newest published posts and their comments only.

    Raises ``SourceError`` (one line) when the file is missing, is not XML or not a Blogger
    export, and ``UnsafeXMLError`` when it declares entities or an external DTD.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    with path.open("rb") as handle:
        check_prolog(handle.read(_HEAD_BYTES), name)
        handle.seek(0)
        reader = _HashingReader(handle)
        importer = _Importer(path, archive, batch_size)
        if limit > 0:
            importer.keep = newest_export_posts(path, limit)
        importer.run(reader)
        # drain the rest (trailing whitespace/comments) so the digest covers the whole file
        while reader.read(1 << 16):
            pass
    return importer.finish(reader.digest.hexdigest(), reader.size)


class _Importer:
    def __init__(self, path: Path, archive: Archive, batch_size: int) -> None:
        self.path = path
        self.name = path.name
        self.archive = archive
        self.batch_size = max(1, batch_size)
        self.page_url = source_uri(path)
        self.header = FeedHeader()
        self.settings: dict[str, str] = {}
        self.ctx: FeedContext | None = None
        self.posts: list[RawPost] = []
        self.comments: list[RawComment] = []
        self.refs: list[tuple[str, str]] = []
        """(comment key, post id its thr:in-reply-to/@ref names) of the comments in the batch."""
        self.post_ids: set[str] = set()
        self.counts = dict(posts=0, pages=0, comments=0, drafts=0, scheduled=0, settings=0, templates=0,
                           skipped=0, issues=0)
        self.author_keys: set[str] = set()
        self.entry_no = 0
        self.blogger_checked = False
        self.keep: set[str] | None = None
        """A trial run: the ids of the posts to read (with their comments); None for all."""

    # -- streaming ---------------------------------------------------------------------------
    def run(self, reader: _HashingReader) -> None:
        with self.archive.transaction() as conn:
            # a re-import replaces what this file gave last time
            conn.execute("DELETE FROM raw_comments WHERE page_url = ?", (self.page_url,))
            conn.execute("DELETE FROM raw_posts WHERE page_url = ?", (self.page_url,))
            conn.execute(_REFS_TABLE)
            conn.execute("DELETE FROM temp.backup_comment_refs")
        etree.clear_error_log()  # the log is per thread: judge only this file's errors
        context = etree.iterparse(reader, events=("start", "end"), **SAFE_PARSER_OPTIONS)
        root = None
        depth = 0
        root_closed = False
        try:
            for event, elem in context:
                if event == "start":
                    depth += 1
                    if root is None:
                        root = elem
                        if elem.tag != FEED:
                            raise SourceError(
                                f"{self.name} is not a Blogger export (root element"
                                f" <{etree.QName(elem).localname}>, expected an Atom <feed>)"
                            )
                    continue
                depth -= 1
                if depth == 0:
                    root_closed = True
                    continue
                if depth != 1:
                    continue
                if elem.tag == ENTRY:
                    self.entry(elem)
                elif isinstance(elem.tag, str):
                    self.header = header_add(self.header, elem)
                elem.clear(keep_tail=False)
                while elem.getprevious() is not None:
                    del root[0]
        except etree.XMLSyntaxError as exc:
            if not (root_closed and only_namespace_errors(exc)):
                where = f" (after {self.entry_no} entries)" if self.entry_no else ""
                raise SourceError(
                    f"{self.name} is not well-formed XML{where}: {' '.join(str(exc).split())[:200]}"
                ) from None
            log.info("%s: undeclared namespace prefixes (%s); read all the same", self.name, exc)
        if root is None:
            raise SourceError(f"{self.name} is empty, not an XML document")
        self.flush()
        if not self.blogger_checked and not self.header.is_blogger:
            raise SourceError(f"{self.name} is an Atom feed but not a Blogger export (feed id {self.header.feed_id!r})")

    def context(self) -> FeedContext:
        if self.ctx is None:
            locale = self.settings.get("BLOG_LOCALE")
            self.ctx = FeedContext(
                blog_url=self.header.blog_url,
                blog_id=self.header.blog_id,
                owner_uri=self.header.owner_uri,
                language=locale.replace("_", "-") if locale else None,
                template="export",
                source="export",
                reference_time=_parse_time(self.header.updated),
            )
        return self.ctx

    def entry(self, elem: etree._Element) -> None:
        self.entry_no += 1
        if not self.blogger_checked:
            ident = elem.findtext(f"{{{etree.QName(ENTRY).namespace}}}id")
            if not (self.header.is_blogger or is_blogger_feed_id(ident)):
                raise SourceError(
                    f"{self.name} is an Atom feed but not a Blogger export (feed id {self.header.feed_id!r})"
                )
            self.blogger_checked = True
        children = EntryChildren(elem)  # read once, for every question the mapping asks
        kind = entry_kind(elem, children=children)
        try:
            if kind == "settings":
                setting = setting_of(elem)
                if setting:
                    self.settings[setting[0]] = setting[1]
                    self.ctx = None
                self.counts["settings"] += 1
            elif kind == "template":
                if self.counts["templates"] == 0:
                    content = elem.find(f"{{{etree.QName(ENTRY).namespace}}}content")
                    self.archive.set_meta("blogger_template", "".join(content.itertext()) if content is not None else "")
                self.counts["templates"] += 1
            elif self.keep is not None and not self._kept(elem, kind, children):
                self.counts["skipped"] += 1
            elif kind in ("post", "page"):
                post = entry_to_post(elem, self.context(), kind, children)
                if post.post_id and post.post_id in self.post_ids:
                    # two entries with one id (hand-trimmed exports): keep both, apart by URL
                    log.warning("%s: entry %d (%s) repeats post id %s; kept under its own URL",
                                self.name, self.entry_no, post.url, post.post_id)
                    post = replace(post, post_id=None)
                elif post.post_id:
                    self.post_ids.add(post.post_id)
                self.posts.append(post)
                self.counts["posts" if kind == "post" else "pages"] += 1
                if post.status == "draft":
                    self.counts["drafts"] += 1
                elif post.status == "scheduled":
                    self.counts["scheduled"] += 1
                key = profile_key(post.author_url)
                if key:
                    self.author_keys.add(key)
            elif kind == "comment":
                comment = entry_to_comment(elem, self.context(), position=_PROVISIONAL + self.entry_no,
                                           children=children)
                self.comments.append(comment)
                ref = comment_ref_post_id(elem, children)
                if ref:
                    self.refs.append((comment_key(comment), ref))
                self.counts["comments"] += 1
            else:
                self.counts["skipped"] += 1
                log.debug("%s: entry %d of kind %r skipped", self.name, self.entry_no, kind)
        except ValueError as exc:
            self.counts["issues"] += 1
            self.archive.record_issue(f"{self.page_url}#entry-{self.entry_no}", "parse", str(exc))
        if len(self.posts) + len(self.comments) >= self.batch_size:
            self.flush()

    def _kept(self, elem: etree._Element, kind: str, children: EntryChildren) -> bool:
        """A trial run keeps the chosen posts and their comments (no pages, no drafts)."""
        assert self.keep is not None
        if kind == "comment":
            return comment_ref_post_id(elem, children) in self.keep
        if kind == "post":
            return entry_to_post(elem, self.context(), kind, children).post_id in self.keep
        return kind not in ("page",)

    def flush(self) -> None:
        if self.posts or self.comments:
            with self.archive.transaction() as conn:
                self.archive.store_records(self.page_url, self.posts, self.comments)
                conn.executemany("INSERT OR REPLACE INTO temp.backup_comment_refs (key, ref) VALUES (?, ?)", self.refs)
            self.posts, self.comments, self.refs = [], [], []

    # -- after the stream ----------------------------------------------------------------------
    def finish(self, sha256: str, size: int) -> BackupReadSummary:
        info = blog_info(self.header, self.settings)
        orphans = self.renumber_comments()
        with self.archive.transaction():
            self.archive.set_blog_info(info)
            self.archive.set_meta(
                "source_file",
                {"path": str(self.path.resolve()), "sha256": sha256, "size": size, "kind": "blogger-export",
                 "page_url": self.page_url, "imported_at": utc_now()},
            )
        return BackupReadSummary(
            path=str(self.path), sha256=sha256, size=size, orphan_comments=orphans, blog=info, **self.counts
        )

    def renumber_comments(self) -> int:
        """Resolve posts named only by id, mark comments by any of the blog's authors and number
        comments by time within each post (``crawler.feeds.comment_order_key`` in SQL). Done in
        SQLite, which sorts on disk when it must: memory stays flat. Returns the orphans."""
        conn = self.archive.conn
        ctx = replace(self.context(), author_keys=frozenset(self.author_keys))
        with self.archive.transaction():
            # 0. a comment belongs to the post or page its thr:in-reply-to/@ref names (by the
            #    numeric id: comments on a static page name ".post-ID" for the ".page-ID" entry),
            #    whatever host or scheme its href says; the href is kept when the ref is not in the file
            conn.execute(_BY_REF, (self.page_url,))
            conn.execute("DELETE FROM temp.backup_comment_refs")
            # 1. comments whose entry named the post only by its id (thr:in-reply-to/@ref)
            named_by_id = conn.execute(
                "SELECT key, record FROM raw_comments INDEXED BY raw_comments_post"
                " WHERE post_url >= 'tag:' AND post_url < 'tag;' AND page_url = ?",
                (self.page_url,),
            ).fetchall()
            for old_key, record in named_by_id:
                comment = RawComment.from_json(record)
                post_id = comment.post_url.rsplit("-", 1)[-1]
                found = conn.execute("SELECT url FROM raw_posts WHERE post_id = ? LIMIT 1", (post_id,)).fetchone()
                if found:
                    comment = replace(comment, post_url=found[0])
                    conn.execute(
                        "UPDATE OR REPLACE raw_comments SET key = ?, post_url = ?, record = ? WHERE key = ?",
                        (comment_key(comment), comment.post_url, comment.to_json(), old_key),
                    )
            # 2. comments by a blog author other than the owner (known only once all posts are read)
            if ctx.author_keys:
                conn.create_function(
                    "blogport_is_author", 1, lambda uri: 1 if ctx.is_author(uri) else 0, deterministic=True
                )
                conn.execute(
                    "UPDATE raw_comments SET record = json_set(record, '$.is_blog_author', json('true'))"
                    " WHERE page_url = ? AND json_extract(record, '$.is_blog_author') = 0"
                    " AND blogport_is_author(json_extract(record, '$.author_url'))",
                    (self.page_url,),
                )
            # 3. positions 0.. by time within each post
            conn.execute(
                """
                WITH ranked AS (
                    SELECT key AS k,
                           ROW_NUMBER() OVER (
                               PARTITION BY post_url
                               ORDER BY COALESCE(
                                            julianday(json_extract(record, '$.datetime_attr')),
                                            json_extract(record, '$.timestamp_ms') / 86400000.0 + 2440587.5
                                        ) NULLS LAST,
                                        length(comment_id), comment_id, position
                           ) - 1 AS pos
                    FROM raw_comments WHERE page_url = ?
                )
                UPDATE OR REPLACE raw_comments
                SET position = ranked.pos,
                    record = json_set(record, '$.position', ranked.pos),
                    key = CASE WHEN comment_id IS NULL OR comment_id = ''
                               THEN post_url || '#pos' || ranked.pos ELSE key END
                FROM ranked WHERE raw_comments.key = ranked.k
                """,
                (self.page_url,),
            )
            (orphans,) = conn.execute(
                "SELECT count(*) FROM raw_comments AS c WHERE c.page_url = ?"
                " AND NOT EXISTS (SELECT 1 FROM raw_posts AS p WHERE p.url = c.post_url)",
                (self.page_url,),
            ).fetchone()
        return int(orphans)
