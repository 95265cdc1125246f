"""Markdown for Hugo, Jekyll or Pelican: one file per post with its front matter (YAML for
Hugo and Jekyll, Pelican's own ``Key: value`` metadata for Pelican), comments kept as
threaded data files beside the posts, optional local images. Links to the old blog in
bodies and comments point at their new site-relative URLs (``loaders.links``); a comment
anchor ``#c123`` is kept, so a theme that gives each comment of the data file
``id="c{{ .id }}"`` keeps those links landing on the comment.

Hugo: ``markdown/content/posts/<slug>.md``, pages ``markdown/content/<slug>.md``, comments
``markdown/data/comments/<slug>.json``, images ``markdown/static/images/``.
Jekyll: ``markdown/_posts/YYYY-MM-DD-<slug>.md``, drafts (and posts without a date)
``markdown/_drafts/<slug>.md``, pages ``markdown/<slug>.md``, comments
``markdown/_data/comments/<slug>.json``, images ``markdown/assets/images/``.
Pelican: posts ``markdown/content/YYYY/<slug>.md`` (posts without a date
``markdown/content/undated/<slug>.md``), pages ``markdown/content/pages/<slug>.md``, comments
``markdown/data/comments/<slug>.json`` (outside ``content/``, so Pelican never takes them for
content), images ``markdown/content/images/`` (Pelican's default ``STATIC_PATHS``), and a
``markdown/pelicanconf.py`` with the URL settings the redirect maps assume (see
``loaders.pelican`` for the metadata form: one line per value, how tags holding commas are
written). Drafts are ``Status: draft``. Pelican needs a date for a post: it skips one without
(and still exits 0), so the export summary warns about them.

The paths, front matter and body protection of each flavour are rows of
``loaders.site_flavors``; the config, layouts and the ``blogport-comments.html`` partial that
make the folder a site its engine builds (and show each post's comment thread) come from
``loaders.site``. File names Windows reserves (``con.md``) are written ``con_.md``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from kernel.errors import ExportError
from loaders.atomic import inside, write_if_changed
from loaders.images import DEFAULT_MAX_BYTES, ImageFetcher
from loaders.links import LinkRewriter
from loaders.pelican import PELICANCONF_MARKER, metadata_block, pelicanconf
from loaders.process_pool import allow_process_pool, process_pool_allowed
from loaders.site import replace_previous, write_site
from loaders.site_body import (WINDOWS_RESERVED, body_text, comment_dict, comments_json, comments_key, front_matter,
                               post_front, protect_liquid)
from loaders.site_flavors import FLAVORS, FLAVORS_BY_NAME, Flavor
from loaders.source import CommentRow, ExportSource, Ledger, PostRow, parse_iso, xml_safe
from loaders.urls import UrlMap

log = logging.getLogger(__name__)

_YEAR = re.compile(r"\d{4}")
__all__ = ["FLAVORS", "MarkdownResult", "allow_process_pool", "protect_liquid", "write_markdown"]


@dataclass
class MarkdownResult:
    files_written: int = 0
    posts: int = 0
    pages: int = 0
    drafts: int = 0
    comments: int = 0
    comment_files: int = 0
    undated: int = 0
    images_downloaded: int = 0
    images_failed: int = 0
    stale_removed: int = 0
    links_rewritten: int = 0
    site_files: int = 0
    """Config, layouts and label pages written (``loaders.site``)."""
    site_kept: tuple[str, ...] = ()
    """Shipped site files left as the person changed them."""
    replaced: int = 0
    """Files of an export in another flavour removed."""


class _Layout:
    def __init__(self, root: Path, flavor: Flavor) -> None:
        self.root = root.resolve()
        self.flavor = flavor
        self._dirs: dict[Path, tuple[Path, frozenset[str]]] = {}

    def _inside(self, rel: Path) -> Path:
        """``inside(root, root / rel)`` with each folder resolved once: a plain file name in an
        already checked folder cannot leave it unless the file itself is a symlink (the export
        never makes one, so those found when the folder is first seen are all there are)."""
        known = self._dirs.get(rel.parent)
        if known is None:
            base = inside(self.root, self.root / rel.parent)
            try:
                with os.scandir(base) as entries:
                    links = frozenset(e.name for e in entries if e.is_symlink())
            except (FileNotFoundError, NotADirectoryError):
                links = frozenset()
            known = self._dirs[rel.parent] = (base, links)
        base, links = known
        name = rel.name
        if name in ("", ".", "..") or name in links:
            return inside(self.root, self.root / rel)
        return base / name

    def post_path(self, post: PostRow) -> Path:
        rel = self.flavor.file_path(post.kind, post.status, post.slug, parse_iso(post.published_local))
        return self._inside(windows_safe(Path(rel)))

    def comments_path(self, post: PostRow) -> Path:
        return self._inside(windows_safe(Path(self.flavor.comments_dir, f"{comments_key(post)}.json")))

    def image_dir(self) -> tuple[Path, str]:
        return self.root / self.flavor.image_dir, self.flavor.image_prefix

    def managed(self) -> list[tuple[Path, str]]:
        """The folders whose files an earlier export may have written, with their suffix."""
        folders: list[tuple[Path, str]] = []
        for pattern in self.flavor.content_dirs():
            suffix = ".json" if pattern == self.flavor.comments_dir else ".md"
            head, _, rest = pattern.partition("{year}")
            if not _:
                folders.append((self.root / pattern, suffix))
                continue
            base = self.root / head
            if base.is_dir():
                with os.scandir(base) as entries:
                    years = sorted(e.name for e in entries if _YEAR.fullmatch(e.name) and e.is_dir(follow_symlinks=False))
                folders += [(base / (year + rest), suffix) for year in years]
        return folders


def windows_safe(rel: Path) -> Path:
    """``rel`` with a file name Windows reserves (``CON``, ``NUL``, ``COM1``... with any
    extension) renamed ``con_.md``: people copy these folders between machines. The URL does
    not change: it comes from the slug in the front matter."""
    stem, dot, rest = rel.name.partition(".")
    if stem.upper() in WINDOWS_RESERVED:
        return rel.with_name(f"{stem}_{dot}{rest}")
    return rel


def _ours(path: Path) -> bool:
    """Only files an earlier export wrote are removed: Markdown with our front matter, or a
    comment data file (a JSON list). Anything a person added to the folder stays."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError:
        return False
    if path.suffix == ".json":
        return head.lstrip().startswith(b"[")
    if head.startswith(b"Title:"):  # Pelican's metadata form
        return b"\nBlogger_id: " in head
    return head.startswith(b"---\n") and (b"\nblogger_id: " in head or b"\nblogger_label: " in head)


def _write_pelicanconf(path: Path, title: str, language: str) -> None:
    """``markdown/pelicanconf.py``, unless someone made it their own (removed our first line)."""
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline().rstrip("\n")
    except FileNotFoundError:
        first = PELICANCONF_MARKER
    except (OSError, UnicodeDecodeError):
        first = ""
    if first != PELICANCONF_MARKER:
        log.info("%s is not blogport's: left as it is", path)
        return
    write_if_changed(path, pelicanconf(title, language).encode("utf-8"))


_BATCH = 256
"""Posts converted per round: bounded memory, enough work to share between processes."""
_PARALLEL_MIN = 64
"""Fewer bodies than this are converted in this process: a pool would cost more than it saves."""
_SERIAL_FIRST = 2 * _BATCH
"""The first posts of an export are converted and written in this process: starting the pool
(a server process and its workers, each importing this module) costs more than a small blog's
whole Markdown export, so only a blog with more posts than this starts one."""

def _batches(items: Iterator[PostRow], size: int) -> Iterator[list[PostRow]]:
    batch: list[PostRow] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_START_METHOD = "forkserver"
"""Workers start from a clean server process with this module preloaded: never ``fork`` from a
process that may run threads (a progress display, an in-process server), whose locks a forked
child could inherit held."""


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _post_text(job: tuple[str, dict[str, Any], str]) -> bytes:
    """One post file: front matter, a blank line, the body as Markdown."""
    html, front, flavor = job
    body = body_text(html, flavor)
    if FLAVORS_BY_NAME[flavor].front_matter == "pelican":
        return (metadata_block(list(front.items())) + body + "\n").encode("utf-8")
    return (front_matter(front) + "\n" + body + "\n").encode("utf-8")


def _write_all(items: list[tuple[Path, bytes]]) -> int:
    for path, data in items:
        write_if_changed(path, data)
    return len(items)


class _Workers:
    """The Markdown conversion and the file writes of ``write_markdown``.

    ``convert(jobs)`` starts making post files (``_post_text``: HTML body to Markdown, front
    matter) and returns a function that gives them, in input order. ``write(items)`` writes
    (path, bytes) pairs with ``write_if_changed``, in the order given; ``wait()`` returns once
    every write is done and raises the first error. With several cores (and ``forkserver``, so
    workers start cheaply with this module imported) both run in a process pool while this
    process goes on with the next batch: creating thousands of small files is mostly waiting
    on the file system. At most one write job touches a path at a time, so each file ends up
    as last asked. The output is the same either way."""

    def __init__(self) -> None:
        usable = process_pool_allowed() and _START_METHOD in multiprocessing.get_all_start_methods()
        self.workers = min(_workers(), 4) if usable else 1
        self._pool: Any = None
        self._writing: deque[tuple[Any, frozenset[Path]]] = deque()
        self._converted = 0

    def _get_pool(self) -> Any:
        if self._pool is None:
            context = multiprocessing.get_context(_START_METHOD)
            context.set_forkserver_preload([__name__, "loaders.html_markdown"])
            self._pool = context.Pool(self.workers)
        return self._pool

    def convert(self, jobs: list[tuple[str, dict[str, Any], str]]) -> Callable[[], list[bytes]]:
        self._converted += len(jobs)
        if len(jobs) < _PARALLEL_MIN or self.workers < 2 or self._converted <= _SERIAL_FIRST:
            done = [_post_text(job) for job in jobs]
            return lambda: done
        pending = self._get_pool().map_async(_post_text, jobs, chunksize=max(1, len(jobs) // (self.workers * 4)))
        return pending.get

    def write(self, items: list[tuple[Path, bytes]]) -> None:
        while self._writing and self._writing[0][0].ready():
            self._writing.popleft()[0].get()
        paths = frozenset(path for path, _data in items)
        if any(not paths.isdisjoint(other) for _job, other in self._writing):
            self.wait()  # a path written again: after its earlier write, never beside it
        if len(items) < _PARALLEL_MIN or self.workers < 2 or self._pool is None:
            self.wait()
            _write_all(items)
        else:
            self._writing.append((self._get_pool().apply_async(_write_all, (items,)), paths))

    def wait(self) -> None:
        while self._writing:
            self._writing.popleft()[0].get()

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        pool, self._pool = self._pool, None
        try:
            if exc_type is None:
                self.wait()
        finally:
            if pool is not None:
                if exc_type is None:
                    pool.close()
                else:
                    pool.terminate()
                pool.join()


def write_markdown(source: ExportSource, out_dir: Path, *, flavor: str = "hugo", new_url_pattern: str | None = None,
                   download_images: bool = True, image_max_bytes: int = DEFAULT_MAX_BYTES,
                   ledger: Ledger | None = None, rewrite_links: bool = True,
                   new_site_url: str | None = None) -> MarkdownResult:
    """Write ``DIR/markdown/`` for ``flavor``, a site its engine builds as it is (``loaders.site``);
    returns counts and the files written. What an export in another flavour wrote there is
    removed first (blogport's own files only).

    With ``rewrite_links``, links to the old blog in post bodies and comments point at the
    new site-relative URLs (``loaders.links``), the same the front matter and redirect maps use."""
    if flavor not in FLAVORS:
        raise ExportError(f"unknown Markdown flavour {flavor!r}; choose {', '.join(FLAVORS)}")
    links = LinkRewriter(source, UrlMap(source, flavor, new_url_pattern)) if rewrite_links else None
    root = Path(out_dir) / "markdown"
    root.mkdir(parents=True, exist_ok=True)
    out_resolved = Path(out_dir).resolve()
    layout = _Layout(root, FLAVORS_BY_NAME[flavor])
    result = MarkdownResult()
    result.replaced = replace_previous(layout.root, flavor, FLAVORS, _ours,
                                       lambda name: _Layout(layout.root, FLAVORS_BY_NAME[name]).managed())
    fetcher: ImageFetcher | None = None
    if download_images:
        image_dir, prefix = layout.image_dir()
        fetcher = ImageFetcher.for_export(source, Path(out_dir), inside(root, image_dir), prefix, max_bytes=image_max_bytes)
    result = MarkdownResult()
    root_resolved = layout.root
    Prepared = tuple[PostRow, list[CommentRow], list[str], "Path | None"]

    def prepare(batch: list[PostRow]) -> tuple[list[Prepared], list[tuple[str, dict[str, Any], str]]]:
        """Link rewriting and image fetching, in post order (they keep state), and what each
        post file is made of: its HTML body and its front matter."""
        prepared: list[Prepared] = []
        jobs: list[tuple[str, dict[str, Any], str]] = []
        for post in batch:
            comments = source.comments(post.id)
            comment_bodies = [fetcher.localize(c.body_html) if fetcher else c.body_html for c in comments]
            if links is not None:
                comment_bodies = [links.rewrite(body) for body in comment_bodies]
            html = fetcher.localize(post.body_html) if fetcher else post.body_html
            if links is not None:
                html = links.rewrite(html)
            cpath = layout.comments_path(post) if comments else None
            comment_rel = cpath.relative_to(root_resolved).as_posix() if cpath is not None else None
            prepared.append((post, comments, comment_bodies, cpath))
            jobs.append((xml_safe(html), post_front(post, flavor, new_url_pattern, comment_rel), flavor))
        return prepared, jobs

    def finish(prepared: list[Prepared], texts: list[bytes]) -> None:
        """The files and ledger rows of one batch, in post order."""
        written: list[str] = []
        files: list[tuple[Path, bytes]] = []
        for (post, comments, comment_bodies, cpath), text in zip(prepared, texts, strict=True):
            path = layout.post_path(post)
            if cpath is not None:
                ids = {c.id for c in comments}
                payload = [comment_dict(c, c.parent_id in ids, b) for c, b in zip(comments, comment_bodies)]
                data = comments_json(payload) + "\n"
                files.append((cpath, data.encode("utf-8")))
                written.append(str(cpath))
                result.comment_files += 1
                result.files_written += 1
                result.comments += len(comments)
                if ledger is not None:
                    loc = cpath.relative_to(out_resolved).as_posix()
                    for c in comments:
                        ledger.add("markdown", "comment", c.id, loc)
            files.append((path, text))
            written.append(str(path))
            result.files_written += 1
            if post.kind == "page":
                result.pages += 1
            else:
                result.posts += 1
            if post.status == "draft":
                result.drafts += 1
            if parse_iso(post.published_local) is None:
                result.undated += 1
            if ledger is not None:
                ledger.add("markdown", "page" if post.kind == "page" else "post", post.id,
                           path.relative_to(out_resolved).as_posix())
        work.write(files)
        with source.transaction():  # one commit for the batch, not one per key
            for key in written:
                source.remember("md_written", key)

    # Batch k+1 is prepared and its bodies converted while batch k is written.
    with _Workers() as work:
        pending: tuple[list[Prepared], Callable[[], list[bytes]]] | None = None
        for batch in _batches(source.posts(), _BATCH):
            prepared, jobs = prepare(batch)
            started = work.convert(jobs)
            if pending is not None:
                finish(pending[0], pending[1]())
            pending = (prepared, started)
        if pending is not None:
            finish(pending[0], pending[1]())
    if flavor == "pelican":
        _write_pelicanconf(layout._inside(Path("pelicanconf.py")), source.meta.title, source.meta.language)
    site = write_site(source, layout.root, layout.flavor, new_site_url=new_site_url)
    with source.transaction():
        for label_page in site.label_pages:
            source.remember("md_written", str(label_page))
    result.site_files = len(site.written)
    result.site_kept = tuple(site.kept)
    for folder, suffix in layout.managed():
        if not folder.is_dir():
            continue
        folder_resolved = folder.resolve()
        with os.scandir(folder) as entries:  # streamed: no list of every file in memory
            for entry in entries:
                if entry.name.endswith(suffix) and entry.is_file(follow_symlinks=False):
                    stale = Path(entry.path)
                    # not a symlink, so its resolved path is its resolved folder plus its name
                    if not source.seen("md_written", str(folder_resolved / entry.name)) and _ours(stale):
                        stale.unlink()
                        result.stale_removed += 1
    if links is not None:
        result.links_rewritten = links.rewritten
    if fetcher is not None:
        result.images_downloaded = fetcher.downloaded
        result.images_failed = fetcher.failed
    return result
