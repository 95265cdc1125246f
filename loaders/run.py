"""The export stage: ``DIR/blog.db`` normalised tables -> SQLite views, WordPress WXR,
Markdown (Hugo/Jekyll/Pelican) and redirect maps, plus the ``export_ledger`` table."""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kernel.archive import open_archive
from kernel.errors import ExportError
from kernel.forked import ForkedCall
from kernel.wording import counted
from loaders.markdown import write_markdown
from loaders.options import ALL_FORMATS, ExportOptions
from loaders.redirects import RedirectResult, write_redirects
from loaders.source import ExportSource, Ledger
from loaders.sqlite import ensure_db_shape, write_datasette_metadata
from loaders.site_flavors import FLAVORS, FLAVORS_BY_NAME, TARGETS
from loaders.urls import check_pattern
from loaders.wxr import write_wxr

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportSummary:
    out_dir: Path
    formats: tuple[str, ...]
    counts: dict[str, dict[str, Any]]
    """Per format ("sqlite", "wxr", "markdown", "redirects"): posts, pages, comments, files..."""
    files: tuple[str, ...]
    """Files and folders written, relative to ``out_dir`` (Markdown as its folder)."""
    elapsed_s: float
    warnings: tuple[str, ...] = ()
    exit_code: int = 0

    def summary_lines(self) -> list[str]:
        root = self.out_dir.resolve()
        lines = [e.summary(root, self.counts[e.name], self.files) for e in EXPORTERS if e.name in self.counts]
        if "redirects" in self.counts:
            lines.append(_redirects_summary(root, self.counts["redirects"], self.files))
        lines.extend(f"warning: {w}" for w in self.warnings)
        lines.append(f"Export took {self.elapsed_s:.1f}s")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "formats": list(self.formats),
            "counts": self.counts,
            "files": list(self.files),
            "elapsed_s": round(self.elapsed_s, 3),
            "warnings": list(self.warnings),
            "exit_code": self.exit_code,
        }


def _counts(c: dict[str, Any]) -> str:
    return f"{counted(c['posts'], 'post')}, {counted(c['pages'], 'page')}, {counted(c['comments'], 'comment')}"


@dataclass
class _Run:
    """What every exporter of one export shares; each adds the files it wrote and its warnings."""

    out_dir: Path
    options: ExportOptions
    source: ExportSource
    ledger: Ledger
    conn: Any
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Exporter:
    """One export format: ``write`` makes its files (and ledger rows) and returns its counts,
    ``summary`` is its line of the export summary, ``check`` names the validation check that
    reads its files back as their consumer would (``blogport.checks.exports.FORMAT_CHECKS``):
    validation reports a format whose check is missing, so none passes unchecked."""

    name: str
    write: Callable[[_Run], dict[str, Any]]
    summary: Callable[[Path, dict[str, Any], tuple[str, ...]], str]
    check: str


def _write_sqlite(run: _Run) -> dict[str, Any]:
    source, ledger = run.source, run.ledger
    meta = write_datasette_metadata(run.out_dir, source.meta.title)
    for post_id, _n, _slug, _url, kind, _status, _date in source.refs():
        ledger.add("sqlite", "page" if kind == "page" else "post", post_id, f"posts/{post_id}")
    for (comment_id,) in run.conn.execute(
        "SELECT c.id FROM comments c JOIN temp.export_plan x ON x.post_id = c.post_id ORDER BY c.id"
    ):
        ledger.add("sqlite", "comment", comment_id, f"comments/{comment_id}")
    run.files += ["blog.db", meta.name]
    return {"posts": source.post_count, "pages": source.page_count, "comments": source.comment_count}


def _sqlite_summary(root: Path, s: dict[str, Any], _files: tuple[str, ...]) -> str:
    return (f"SQLite: {root / 'blog.db'} ({_counts(s)}; views, full-text search;"
            f" datasette blog.db -m datasette-metadata.json)")


def _write_wxr(run: _Run) -> dict[str, Any]:
    options = run.options
    w = write_wxr(run.source, run.out_dir, tags_as=options.tags_as, max_size=options.max_size, ledger=run.ledger,
                  rewrite_links=options.rewrite_links, new_url_pattern=options.new_url_pattern)
    run.files += [p.name for p in w.files]
    if w.oversized_items:
        run.warnings.append(f"{w.oversized_items} WXR item(s) larger than --max-size on their own:"
                            " each got a file of its own")
    return {"posts": w.posts, "pages": w.pages, "comments": w.comments, "files": len(w.files),
            "retitled": w.retitled, "links_rewritten": w.links_rewritten}


def _wxr_summary(root: Path, w: dict[str, Any], files: tuple[str, ...]) -> str:
    names = [f for f in files if f.startswith("wordpress")]
    where = str(root / names[0]) if len(names) == 1 else f"{root}/{names[0]} ... {names[-1]} ({len(names)} files)"
    return f"WordPress WXR: {where} ({_counts(w)})"


def _write_markdown(run: _Run) -> dict[str, Any]:
    options = run.options
    m = write_markdown(run.source, run.out_dir, flavor=options.flavor, new_url_pattern=options.new_url_pattern,
                       download_images=options.download_images, image_max_bytes=options.image_max_bytes,
                       ledger=run.ledger, rewrite_links=options.rewrite_links, new_site_url=options.new_site_url)
    run.files.append("markdown/")
    if m.images_failed:
        run.warnings.append(f"{m.images_failed} images could not be downloaded; their original links are kept")
    if m.undated and options.flavor == "jekyll":
        run.warnings.append(f"{m.undated} posts have no date and were put in markdown/_drafts/")
    if m.undated and options.flavor == "pelican":
        run.warnings.append(f"{m.undated} posts have no date (markdown/content/undated/): Pelican skips a post"
                            " without one, and still exits 0, unless pelicanconf.py sets DEFAULT_DATE")
    return {"posts": m.posts, "pages": m.pages, "drafts": m.drafts, "comments": m.comments,
            "comment_files": m.comment_files, "files": m.files_written, "undated": m.undated,
            "images_downloaded": m.images_downloaded, "images_failed": m.images_failed,
            "links_rewritten": m.links_rewritten, "flavor_name": options.flavor,
            "site_files": m.site_files, "site_files_kept": list(m.site_kept), "replaced": m.replaced}


def _markdown_summary(root: Path, m: dict[str, Any], _files: tuple[str, ...]) -> str:
    flavor = FLAVORS_BY_NAME.get(m.get("flavor_name", ""))
    build = f"; build it with: {flavor.engine} in {root / 'markdown'}" if flavor else ""
    return (f"Markdown ({m.get('flavor_name', '')}): {root / 'markdown'}/ ({_counts(m)}"
            f" in {counted(m['comment_files'], 'data file')}{build})")


def _redirects_summary(root: Path, rd: dict[str, Any], _files: tuple[str, ...]) -> str:
    theme = (f"; blogger-theme.xml for Blogger's Theme > Restore covers {counted(rd['blogger_theme_covers'], 'old URL')}"
             if rd.get("blogger_theme_covers") else "")
    return (f"Redirects to the {rd.get('target', '')} site: {root / 'redirects'}/"
            f" ({counted(rd['rules'], 'rule')}: redirects.csv, nginx.conf, .htaccess, _redirects{theme})")


EXPORTERS: tuple[Exporter, ...] = (
    Exporter("sqlite", _write_sqlite, _sqlite_summary, check="sqlite"),
    Exporter("wxr", _write_wxr, _wxr_summary, check="wxr"),
    Exporter("markdown", _write_markdown, _markdown_summary, check="markdown"),
)
"""Every export format, in the order they are written. ``loaders.options.ALL_FORMATS`` names them."""
if tuple(e.name for e in EXPORTERS) != ALL_FORMATS:
    raise RuntimeError("loaders.options.ALL_FORMATS must name the exporters of loaders.run.EXPORTERS")


_PARALLEL_WXR_ITEMS = 500
"""An export of at least this many posts, pages and comments in both WXR and Markdown writes
the WXR, then the redirect maps, in a forked child process while this one writes the Markdown
(two cores: their time comes off the export, the Markdown being the longer part); a smaller
one writes them here, where a child would cost more than it saves."""


def _can_fork_wxr(run: _Run) -> bool:
    """The WXR may go to a child: both formats, a big enough blog, and fork possible."""
    formats = run.options.formats
    source = run.source
    return ("wxr" in formats and "markdown" in formats and ForkedCall.possible()
            and source.post_count + source.page_count + source.comment_count >= _PARALLEL_WXR_ITEMS)


_LEDGER_CHUNK = 2000
"""Ledger rows per pickled chunk in the file a WXR child hands its ledger over in."""


def _wxr_in_child(out_dir: Path, options: ExportOptions
                  ) -> tuple[dict[str, Any], list[str], list[str], str, RedirectResult]:
    """In the forked child: the WXR, then the redirect maps, from a connection of its own (the
    parent's is never touched), returned as (counts, files, warnings, the path of a temporary
    file holding the WXR's ledger rows in pickled chunks: a big blog's rows never sit in memory
    at once, what ``write_redirects`` returned)."""
    conn = open_archive(out_dir, need="normalised").conn
    source = ExportSource(conn)
    ledger = Ledger(conn)
    run = _Run(out_dir, options, source, ledger, conn)
    counts = _write_wxr(run)
    ledger.flush()
    fd, path = tempfile.mkstemp(prefix=".wxr-ledger.", suffix=".tmp", dir=out_dir)  # a name remove_stale_temps knows
    try:
        with os.fdopen(fd, "wb") as fh:
            cursor = conn.execute("SELECT format, item_type, item_id, location FROM temp.ledger_new")
            while rows := cursor.fetchmany(_LEDGER_CHUNK):
                pickle.dump(rows, fh, protocol=pickle.HIGHEST_PROTOCOL)
        redirects = _write_redirects(source, out_dir, options)
    except BaseException:
        os.unlink(path)
        raise
    return counts, run.files, run.warnings, path, redirects


def _redirect_target(options: ExportOptions) -> str:
    """The site the redirect maps point at: the Markdown flavour's URLs, or WordPress's when
    only the WXR (and SQLite) is exported, so redirects agree with rewritten links."""
    return options.redirects_for or (options.flavor if "markdown" in options.formats else "wordpress")


def _write_redirects(source: ExportSource, out_dir: Path, options: ExportOptions) -> RedirectResult:
    return write_redirects(source, out_dir, flavor=_redirect_target(options), new_url_pattern=options.new_url_pattern,
                           tags_as=options.tags_as, new_site_url=options.new_site_url)


def _ledger_rows(path: str) -> Iterator[tuple[str, str, str, str]]:
    """The rows a WXR child left in ``path``, chunk by chunk; the file is removed."""
    try:
        with open(path, "rb") as fh:
            while True:
                try:
                    rows = pickle.load(fh)
                except EOFError:
                    return
                yield from rows
    finally:
        os.unlink(path)


def check_options(options: ExportOptions) -> None:
    unknown = [f for f in options.formats if f not in ALL_FORMATS]
    if unknown or not options.formats:
        raise ExportError(f"unknown export format {', '.join(unknown) or '(none)'}; choose from {', '.join(ALL_FORMATS)}")
    if options.flavor not in FLAVORS:
        raise ExportError(f"unknown Markdown flavour {options.flavor!r}; choose {', '.join(FLAVORS)}")
    if options.tags_as not in ("tags", "categories"):
        raise ExportError(f"labels can become 'tags' or 'categories', not {options.tags_as!r}")
    if options.max_size is not None and options.max_size <= 0:
        raise ExportError(f"--max-size must be a positive size, not {options.max_size}")
    check_pattern(options.new_url_pattern)
    if options.redirects_for is not None and options.redirects_for not in TARGETS:
        raise ExportError(f"--redirects-for must be one of {', '.join(TARGETS)}, not {options.redirects_for!r}")
    if options.new_site_url is not None:
        parts = urlsplit(options.new_site_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ExportError(f"--new-site-url must be an http(s) address such as https://example.org/ or"
                              f" https://example.org/blog/, not {options.new_site_url!r}")


def export(out_dir: Path, options: ExportOptions,
           progress: Callable[[int, int, str], None] | None = None) -> ExportSummary:
    """Export ``DIR``'s normalised tables in the chosen formats; writes ``export_ledger``.

    ``progress(done, total, what)`` is called as each format is started (for a live display)."""
    steps = [e.name for e in EXPORTERS if e.name in options.formats] + ["redirects"]

    def step(name: str) -> None:
        if progress is not None:
            progress(steps.index(name), len(steps), name)

    started = time.monotonic()
    out_dir = Path(out_dir)
    check_options(options)
    archive = open_archive(out_dir, need="normalised")
    conn = archive.conn
    counts: dict[str, dict[str, Any]] = {}
    files: list[str] = []
    warnings: list[str] = []
    try:
        # What sqlite-utils sets on a connection it is given (the SQLite export's full-text
        # statements are its own): a row replaced by REPLACE fires its delete triggers too.
        conn.execute("PRAGMA recursive_triggers=on")
        if "sqlite" in options.formats:
            ensure_db_shape(archive)
        source = ExportSource(conn)
        ledger = Ledger(conn)
        run = _Run(out_dir, options, source, ledger, conn)
        wxr_child = ForkedCall(_wxr_in_child, run.out_dir, run.options) if _can_fork_wxr(run) else None
        try:
            for exporter in EXPORTERS:
                if exporter.name not in options.formats:
                    continue
                step(exporter.name)
                if exporter.name == "wxr" and wxr_child is not None:
                    counts["wxr"] = {}  # filled in below: the formats keep their order
                    run.files.append("\0wxr")
                    warnings_at = len(run.warnings)
                    continue
                counts[exporter.name] = exporter.write(run)
            redirects: RedirectResult | None = None
            if wxr_child is not None:
                done = wxr_child.join()
                place = run.files.index("\0wxr")
                if done is None:  # the child failed: write it here, which raises what went wrong
                    wxr_run = _Run(out_dir, options, source, ledger, conn)
                    counts["wxr"] = _write_wxr(wxr_run)
                    wxr_files, wxr_warnings = wxr_run.files, wxr_run.warnings
                else:
                    counts["wxr"], wxr_files, wxr_warnings, rows_file, redirects = done
                    for row in _ledger_rows(rows_file):
                        ledger.add(*row)
                run.files[place:place + 1] = wxr_files
                run.warnings[warnings_at:warnings_at] = wxr_warnings
        finally:
            if wxr_child is not None:
                wxr_child.stop()
        files += run.files
        warnings += run.warnings
        redirect_target = _redirect_target(options)
        step("redirects")
        r = redirects if redirects is not None else _write_redirects(source, out_dir, options)  # or the child did
        counts["redirects"] = {"rules": r.rules, "target": redirect_target, "blogger_theme_covers": r.theme_covers,
                               **{f"kind_{k}": v for k, v in r.by_kind.items()}}
        if r.theme_skipped:
            warnings.append(r.theme_skipped)
        files += [f"redirects/{p.name}" for p in r.files]
        ledger_rows = ledger.commit()
        if progress is not None:
            progress(len(steps), len(steps), "done")
        log.info("export ledger: %d rows", ledger_rows)
    finally:
        conn.close()
    return ExportSummary(
        out_dir=out_dir,
        formats=tuple(options.formats),
        counts=counts,
        files=tuple(files),
        elapsed_s=time.monotonic() - started,
        warnings=tuple(warnings),
        exit_code=0,
    )
