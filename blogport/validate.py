"""Validation: the report that proves a migration lost nothing.

``validate(DIR, options)`` reads the archive (``DIR/blog.db``: pages, raw posts and comments,
crawl issues, blog facts), the normalised tables, the export ledger and the exported files
themselves, runs six checks and writes ``DIR/report.html`` (one self-contained page) and
``DIR/report.json`` (the same facts for machines).

Checks and the names their findings carry:

- ``ledger``: every post, page and comment found in the source and where it went in each
  export (ok, degraded with what was lost, or failed with the reason);
- ``totals``: comment counts the post pages declare, and the archive widget's monthly counts,
  against what was crawled;
- ``dates``: unparsed, in the future, before the blog began, time zone slips;
- ``content``: empty titles/bodies, duplicates, leftover cruft, old-host links and images;
- ``threads``: orphans, cycles, parents that do not resolve (also in the WXR);
- ``exports``: the WXR, Markdown and SQLite files as their consumers read them;
- ``crawl``: pages that failed, were refused by robots.txt or skipped for their size.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from blogport.checks.base import (
    DEGRADED,
    DELETED,
    ERROR,
    FAILED,
    OK,
    WARNING,
    Finding,
    LedgerEntry,
    Placement,
)
from blogport.checks.content import check_content
from blogport.checks.context import Context, load_context
from blogport.checks.captures import capture_report, check_captures
from blogport.checks.crawl import check_crawl
from blogport.checks.sources import check_sources
from blogport.checks.dates import check_dates
from blogport.checks.exports import check_exports
from blogport.checks.ledger import build_ledger, reconcile_totals
from blogport.checks.threads import check_threads
from blogport.report.chart import MonthCounts
from blogport.validate_options import ValidateOptions
from kernel.errors import DiskFullError, ExportError
from kernel.forked import ForkedCall
from loaders.atomic import atomic_write

log = logging.getLogger(__name__)

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
REPORT_VERSION = 1
CHECKS = ("ledger", "totals", "dates", "content", "threads", "exports", "crawl")
CHECK_TITLES = {
    "ledger": "Ledger: every item and where it went",
    "totals": "Totals declared by the source",
    "dates": "Dates",
    "content": "Content",
    "threads": "Comment threads",
    "exports": "Export files",
    "crawl": "Crawl",
}

__all__ = ["ValidateOptions", "Report", "Finding", "LedgerEntry", "Placement", "MonthCounts", "validate",
           "ERROR", "WARNING", "OK", "DEGRADED", "FAILED", "DELETED", "CHECKS"]


@dataclass(frozen=True)
class Report:
    out_dir: Path
    options: ValidateOptions
    generated_at: str
    formats: tuple[str, ...]
    totals: dict[str, Any]
    findings: tuple[Finding, ...]
    ledger: tuple[LedgerEntry, ...]
    months: tuple[MonthCounts, ...]
    cruft_stripped: tuple[tuple[str, int], ...] = ()
    blog: dict[str, Any] = field(default_factory=dict)
    captures: dict[str, Any] = field(default_factory=dict)
    """Web-archive sources: per post the capture it came from (``checks.captures.capture_report``)."""

    @property
    def html_path(self) -> Path:
        return self.out_dir / REPORT_HTML

    @property
    def json_path(self) -> Path:
        return self.out_dir / REPORT_JSON

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    @property
    def exit_code(self) -> int:
        if self.errors > self.options.max_errors:
            return 1
        if self.options.max_warnings is not None and self.warnings > self.options.max_warnings:
            return 1
        return 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def by_check(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {name: {ERROR: 0, WARNING: 0} for name in CHECKS}
        for finding in self.findings:
            counts.setdefault(finding.check, {ERROR: 0, WARNING: 0})[finding.severity] += 1
        return counts

    def summary_lines(self, *, with_report_line: bool = True) -> list[str]:
        t = self.totals
        lines = [
            f"Posts: {t['posts']['source']} found, {t['posts']['exported']} exported"
            + (f" ({', '.join(self.formats)})" if self.formats else " (no export yet)")
            + (f"; pages: {t['pages']['source']} found, {t['pages']['exported']} exported" if t["pages"]["source"] else ""),
            f"Comments: {t['comments']['source']} found, {t['comments']['exported']} exported",
            f"Authors: {t['authors']}",
        ]
        verdict = "all well" if self.ok else "FAILED"
        limits = f"(allowed: {self.options.max_errors} errors" + (
            f", {self.options.max_warnings} warnings)" if self.options.max_warnings is not None else ")")
        lines.append(f"Errors: {self.errors}, warnings: {self.warnings}: {verdict} {limits}")
        for finding in [f for f in self.findings if f.severity == ERROR][:5]:
            lines.append(f"  error [{finding.check}] {finding.message}"[:200])
        if self.errors > 5:
            lines.append(f"  ... and {self.errors - 5} more errors")
        if with_report_line:
            lines.append(f"Report: {self.html_path.resolve()} (data: {self.json_path.name})")
        return lines

    def as_dict(self, ledger: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The facts of ``report.json``; ``ledger``: the ledger's entries as dicts, made already."""
        status = Counter(entry.status for entry in self.ledger)
        return {
            "version": REPORT_VERSION,
            "generated_at": self.generated_at,
            "out_dir": str(self.out_dir),
            "ok": self.ok,
            "exit_code": self.exit_code,
            "options": {"max_errors": self.options.max_errors, "max_warnings": self.options.max_warnings},
            "blog": self.blog,
            "formats": list(self.formats),
            "totals": self.totals,
            "errors": self.errors,
            "warnings": self.warnings,
            "by_check": self.by_check(),
            "ledger_status": {OK: status.get(OK, 0), DEGRADED: status.get(DEGRADED, 0), FAILED: status.get(FAILED, 0),
                              DELETED: status.get(DELETED, 0)},
            "findings": [f.as_dict() for f in self.findings],
            "months": [m.as_dict() for m in self.months],
            "cruft_stripped": [{"rule": rule, "count": count} for rule, count in self.cruft_stripped],
            "ledger": ledger if ledger is not None else [entry.as_dict() for entry in self.ledger],
            **({"captures": self.captures} if self.captures else {}),
        }


def _totals(ctx: Context, entries: list[LedgerEntry]) -> dict[str, Any]:
    def block(item_type: str) -> dict[str, Any]:
        mine = [e for e in entries if e.item_type == item_type]
        per_format = {fmt: sum(1 for e in mine for p in e.placements if p.format == fmt and p.status == OK)
                      for fmt in ctx.formats}
        return {
            "source": len(mine),
            "normalised": sum(1 for e in mine if e.item_id is not None),
            "exported": sum(1 for e in mine if e.status in (OK, DEGRADED) and e.item_id is not None and ctx.formats),
            "ok": sum(1 for e in mine if e.status == OK),
            "degraded": sum(1 for e in mine if e.status == DEGRADED),
            "failed": sum(1 for e in mine if e.status == FAILED),
            "deleted": sum(1 for e in mine if e.status == DELETED),
            "by_format": per_format,
        }

    return {
        "posts": block("post"),
        "pages": block("page"),
        "comments": block("comment"),
        "authors": ctx.authors,
        "pages_fetched": len(ctx.pages),
        "crawl_issues": len(ctx.issues),
        "declared_comments": sum(p.comment_count for p in ctx.raw_posts if p.comment_count is not None),
        "images": dict(ctx.image_counts),
    }


def _months(ctx: Context, entries: list[LedgerEntry]) -> list[MonthCounts]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        if entry.item_type == "page" or entry.status == DELETED:
            continue
        month = entry.month or "unknown"
        kind = "posts" if entry.item_type == "post" else "comments"
        counts[month][f"source_{kind}"] += 1
        if entry.status != FAILED and ctx.formats:
            counts[month][f"output_{kind}"] += 1
    widget: dict[str, int] = {}
    if ctx.blog_info:
        for month in ctx.blog_info.archive_months:
            if month.count is not None:
                widget[month.month] = month.count
                counts.setdefault(month.month, Counter())
    known = sorted(m for m in counts if re.match(r"^\d{4}-\d{2}$", m))
    if known:
        # Every month from the first to the last, so quiet months show as gaps in the chart.
        year, month = int(known[0][:4]), int(known[0][5:])
        while f"{year:04d}-{month:02d}" < known[-1] and len(counts) < 1200:
            month += 1
            if month > 12:
                year, month = year + 1, 1
            counts.setdefault(f"{year:04d}-{month:02d}", Counter())
    ordered = sorted(m for m in counts if m != "unknown")
    if "unknown" in counts:
        ordered.append("unknown")
    return [MonthCounts(m, counts[m]["source_posts"], counts[m]["output_posts"], counts[m]["source_comments"],
                        counts[m]["output_comments"], widget.get(m)) for m in ordered]


def _write_atomic(path: Path, text: str) -> None:
    """Write to a temporary name in the same folder, then rename: never a half-written report,
    with the permissions of every other exported file."""
    try:
        with atomic_write(path, "w", "utf-8", durable=False) as out:
            out.write(text)
    except DiskFullError:
        raise
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc


_JSON_LINE = json.JSONEncoder(ensure_ascii=False).encode
"""``json.dumps(value, ensure_ascii=False)``."""


def json_items(values: list[Any]) -> str:
    """The items of one of ``report.json``'s lists, one a line, as ``report_json`` writes them."""
    return ",\n  ".join(_JSON_LINE(item) for item in values)


def report_json(data: dict[str, Any], encoded: dict[str, str] | None = None) -> str:
    """``report.json``'s text: one top-level key a line, and one item a line in its lists (the
    ledger, the findings, the months). Each line is written by the json module's C encoder;
    an indented dump goes through its Python encoder, a third of the validation of a big blog.
    ``encoded``: key -> that list's items already written by ``json_items``."""

    dump = _JSON_LINE  # one encoder for every line: json.dumps with options makes one a call

    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            items = encoded[key] if encoded and key in encoded else json_items(value)
            lines.append(f" {dump(key)}: [\n  {items}\n ]")
        else:
            lines.append(f" {dump(key)}: {dump(value)}")
    return "{\n" + ",\n".join(lines) + "\n}"


_SEVERITY_ORDER = {ERROR: 0, WARNING: 1}


Progress = Callable[[int, int, str], None]
"""``progress(done, total, what)``: called as the checks run (``what`` names the next one)."""


def _no_progress(done: int, total: int, what: str) -> None:
    return None


_PARALLEL_ITEMS = 500
"""A blog of at least this many posts, pages and comments runs the content check in a forked
child process while this one builds the ledger and runs the other checks (two cores: the
content check's time comes off the validation); a smaller one runs it here, where a child
would cost more than it saves (with the child: 1,192 items 0.27 -> 0.25 s, 757 items
0.235 -> 0.185 s, 559 items 0.22 -> 0.21 s; 415 and 177 items: the same)."""


@dataclass(frozen=True)
class _Link:
    """A link the content check asks ``link_for`` for in a forked child, which has no ledger:
    it stands in the child's findings until this process resolves it."""

    item_type: str
    item_id: str
    fmt: str | None = None


def _deferred_link(item_type: str, item_id: str, fmt: str | None = None) -> Any:
    return _Link(item_type, item_id, fmt)


def _content_in_child(ctx: Context) -> tuple[list[Finding], dict[str, int]]:
    """In the forked child: the content check, which reads the exported files itself (never
    the parent's connection), with its links deferred; returned with the picture counts."""
    findings = check_content(ctx, _deferred_link)
    return findings, ctx.image_counts


def _resolve_links(findings: list[Finding], link_for: Callable[..., str | None]) -> list[Finding]:
    resolved = []
    for finding in findings:
        ref = finding.item_link
        if isinstance(ref, _Link):
            finding = dataclasses.replace(finding, item_link=link_for(ref.item_type, ref.item_id, ref.fmt))
        resolved.append(finding)
    return resolved


def _fork_content(ctx: Context, fork: bool | None) -> bool:
    """The content check may go to a child: asked for, or a big enough blog; and fork possible."""
    if fork is None:
        fork = len(ctx.posts) + len(ctx.comments) >= _PARALLEL_ITEMS
    return fork and ForkedCall.possible()


def run_checks(ctx: Context, now: datetime | None = None,
               progress: Progress = _no_progress, *,
               fork: bool | None = None,
               meanwhile: Callable[[list[LedgerEntry]], None] | None = None) -> tuple[list[LedgerEntry], list[Finding]]:
    """Every check over a loaded context: (ledger, findings sorted by check then severity).

    ``fork``: run the content check in a forked child (True), here (False), or in a child
    for a blog of ``_PARALLEL_ITEMS`` items or more (None). Either way the findings are the
    same; a child that fails leaves the check to this process."""
    child = None
    if _fork_content(ctx, fork):
        ctx.read_shared_files()  # parsed once, here: the child inherits them
        child = ForkedCall(_content_in_child, ctx)
    try:
        return _run_checks(ctx, now, progress, child, meanwhile)
    finally:
        if child is not None:
            child.stop()  # still running at an error or Ctrl-C here: ended, never left behind


def _run_checks(ctx: Context, now: datetime | None, progress: Progress, child: ForkedCall | None,
                meanwhile: Callable[[list[LedgerEntry]], None] | None) -> tuple[list[LedgerEntry], list[Finding]]:
    total = len(CHECKS)
    progress(0, total, "ledger")
    entries, findings = build_ledger(ctx)
    by_item: dict[tuple[str, str], LedgerEntry] = {}
    for entry in entries:
        if entry.item_id is not None:
            by_item[(entry.item_type, entry.item_id)] = entry

    def link_for(item_type: str, item_id: str, fmt: str | None = None) -> str | None:
        entry = by_item.get((item_type, item_id))
        if entry is None:
            return None
        return (entry.links().get(fmt) if fmt else None) or entry.link

    progress(1, total, "totals")
    findings += reconcile_totals(ctx, link_for)
    progress(2, total, "dates")
    findings += check_dates(ctx, link_for, now)
    threads = check_threads(ctx, link_for)
    exports = check_exports(ctx)
    crawl = check_crawl(ctx) + check_sources(ctx) + check_captures(ctx)
    progress(3, total, "content")
    if meanwhile is not None:
        meanwhile(entries)  # the ledger is final: work on it while the child still runs the content check
    done = child.join() if child is not None else None
    if done is None:  # no child, or it failed: here, which raises what goes wrong
        findings += check_content(ctx, link_for)
    else:
        content, ctx.image_counts = done
        findings += _resolve_links(content, link_for)
    progress(4, total, "threads")
    findings += threads
    progress(5, total, "exports")
    findings += exports
    progress(6, total, "crawl")
    findings += crawl
    progress(total, total, "report")
    order = {name: i for i, name in enumerate(CHECKS)}
    findings.sort(key=lambda f: (order.get(f.check, len(order)), _SEVERITY_ORDER.get(f.severity, 2)))
    return entries, findings


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a validation runs, as it was afterwards.
    The checks build tens of thousands of dicts and values that all live to the end and form
    no cycles (none left to collect after a validation), which each full collection walked
    again: 6% of a 200-post validation, 11% of a 2,000-post one, and after the content
    check's fork those walks also copied the pages they touched."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def validate(out_dir: Path, options: ValidateOptions, progress: Progress = _no_progress) -> Report:
    """Check DIR and write DIR/report.html and DIR/report.json. Raises ``ArchiveError`` when
    DIR/blog.db is missing or unreadable, ``DiskFullError`` when the disk is full."""
    with _collector_paused():
        return _validate(Path(out_dir), options, progress)


def _validate(out_dir: Path, options: ValidateOptions, progress: Progress) -> Report:
    ctx, archive = load_context(out_dir)
    prepared: dict[str, Any] = {}

    def prepare(entries: list[LedgerEntry]) -> None:
        """The report's parts that depend on the ledger alone: its report.json lines and the
        page's ledger table (and the page's renderer, imported here for start-up speed)."""
        from blogport.report.render import prepare_ledger

        prepared["ledger"] = [entry.as_dict() for entry in entries]
        prepared["json"] = {"ledger": json_items(prepared["ledger"])}
        prepared["html"] = prepare_ledger(entries, ctx.formats)

    try:
        entries, findings = run_checks(ctx, progress=progress, meanwhile=prepare)
        cruft = Counter()
        for hit in ctx.cruft_hits:
            cruft[hit["rule"]] += int(hit["count"] or 0)
        info = ctx.blog_info
        report = Report(
            out_dir=out_dir,
            options=options,
            generated_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            formats=ctx.formats,
            totals=_totals(ctx, entries),
            findings=tuple(findings),
            ledger=tuple(entries),
            months=tuple(_months(ctx, entries)),
            cruft_stripped=tuple(sorted(cruft.items(), key=lambda kv: (-kv[1], kv[0]))),
            blog={"url": info.url if info else None, "title": info.title if info else None,
                  "timezone": info.timezone if info else None},
            captures=capture_report(ctx),
        )
    finally:
        archive.close()
    from blogport.report.render import render_html

    _write_atomic(report.json_path, report_json(report.as_dict(prepared.get("ledger")), prepared.get("json")))
    _write_atomic(report.html_path, render_html(report, prepared.get("html")))
    log.info("validation report written to %s", report.html_path)
    return report
