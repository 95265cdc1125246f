"""The export stage: ``DIR/blog.db`` normalised tables -> SQLite views, WordPress WXR,
Markdown (Hugo/Jekyll/Pelican) and redirect maps, plus the ``export_ledger`` table."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from kernel.archive import open_archive
from kernel.errors import ExportError
from kernel.wording import counted
from loaders.markdown import FLAVORS, write_markdown
from loaders.options import ALL_FORMATS, ExportOptions
from loaders.redirects import write_redirects
from loaders.source import ExportSource, Ledger
from loaders.sqlite import ensure_db_shape, write_datasette_metadata
from loaders.site_flavors import TARGETS
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
        lines: list[str] = []
        c = self.counts
        if "sqlite" in c:
            s = c["sqlite"]
            lines.append(f"SQLite: {root / 'blog.db'} ({_counts(s)};"
                         f" views, full-text search; datasette blog.db -m datasette-metadata.json)")
        if "wxr" in c:
            w = c["wxr"]
            names = [f for f in self.files if f.startswith("wordpress")]
            where = str(root / names[0]) if len(names) == 1 else f"{root}/{names[0]} ... {names[-1]} ({len(names)} files)"
            lines.append(f"WordPress WXR: {where} ({_counts(w)})")
        if "markdown" in c:
            m = c["markdown"]
            lines.append(f"Markdown ({m.get('flavor_name', '')}): {root / 'markdown'}/ ({_counts(m)}"
                         f" in {counted(m['comment_files'], 'data file')})")
        if "redirects" in c:
            rd = c["redirects"]
            theme = (f"; blogger-theme.xml for Blogger's Theme > Restore covers {counted(rd['blogger_theme_covers'], 'old URL')}"
                     if rd.get("blogger_theme_covers") else "")
            lines.append(f"Redirects to the {rd.get('target', '')} site: {root / 'redirects'}/"
                         f" ({counted(rd['rules'], 'rule')}: redirects.csv, nginx.conf, .htaccess, _redirects{theme})")
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
    steps = [f for f in ALL_FORMATS if f in options.formats] + ["redirects"]

    def step(name: str) -> None:
        if progress is not None:
            progress(steps.index(name), len(steps), name)

    started = time.monotonic()
    out_dir = Path(out_dir)
    check_options(options)
    conn = open_archive(out_dir, need="normalised").conn
    counts: dict[str, dict[str, Any]] = {}
    files: list[str] = []
    warnings: list[str] = []
    try:
        db = sqlite_utils.Database(conn)
        if "sqlite" in options.formats:
            ensure_db_shape(db)
        source = ExportSource(conn)
        ledger = Ledger(conn)
        if "sqlite" in options.formats:
            step("sqlite")
            meta = write_datasette_metadata(out_dir, source.meta.title)
            for post_id, _n, _slug, _url, kind, _status, _date in source.refs():
                ledger.add("sqlite", "page" if kind == "page" else "post", post_id, f"posts/{post_id}")
            for (comment_id,) in conn.execute(
                "SELECT c.id FROM comments c JOIN temp.export_plan x ON x.post_id = c.post_id ORDER BY c.id"
            ):
                ledger.add("sqlite", "comment", comment_id, f"comments/{comment_id}")
            counts["sqlite"] = {"posts": source.post_count, "pages": source.page_count, "comments": source.comment_count}
            files += ["blog.db", meta.name]
        if "wxr" in options.formats:
            step("wxr")
            w = write_wxr(source, out_dir, tags_as=options.tags_as, max_size=options.max_size, ledger=ledger,
                          rewrite_links=options.rewrite_links, new_url_pattern=options.new_url_pattern)
            counts["wxr"] = {"posts": w.posts, "pages": w.pages, "comments": w.comments, "files": len(w.files),
                             "retitled": w.retitled, "links_rewritten": w.links_rewritten}
            files += [p.name for p in w.files]
            if w.oversized_items:
                warnings.append(f"{w.oversized_items} WXR item(s) larger than --max-size on their own:"
                                " each got a file of its own")
        if "markdown" in options.formats:
            step("markdown")
            m = write_markdown(source, out_dir, flavor=options.flavor, new_url_pattern=options.new_url_pattern,
                               download_images=options.download_images, image_max_bytes=options.image_max_bytes,
                               ledger=ledger, rewrite_links=options.rewrite_links,
                               new_site_url=options.new_site_url)
            counts["markdown"] = {"posts": m.posts, "pages": m.pages, "drafts": m.drafts, "comments": m.comments,
                                  "comment_files": m.comment_files, "files": m.files_written, "undated": m.undated,
                                  "images_downloaded": m.images_downloaded, "images_failed": m.images_failed,
                                  "links_rewritten": m.links_rewritten, "flavor_name": options.flavor}
            files.append("markdown/")
            if m.images_failed:
                warnings.append(f"{m.images_failed} images could not be downloaded; their original links are kept")
            if m.undated and options.flavor == "jekyll":
                warnings.append(f"{m.undated} posts have no date and were put in markdown/_drafts/")
            if m.undated and options.flavor == "pelican":
                warnings.append(f"{m.undated} posts have no date (markdown/content/undated/): Pelican skips a post"
                                " without one, and still exits 0, unless pelicanconf.py sets DEFAULT_DATE")
        # The redirect maps follow the new site: the Markdown flavour's URLs, or WordPress's
        # when only the WXR (and SQLite) is exported, so redirects agree with rewritten links.
        redirect_target = options.redirects_for or (options.flavor if "markdown" in options.formats else "wordpress")
        step("redirects")
        r = write_redirects(source, out_dir, flavor=redirect_target, new_url_pattern=options.new_url_pattern,
                            tags_as=options.tags_as, new_site_url=options.new_site_url)
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
