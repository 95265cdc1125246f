"""Run orchestration: ``migrate`` = crawl, transform, export, validate, in one go.

Each stage is shown as it starts and ends (``blogport.stages``). Ctrl-C stops the whole run:
the stage that was interrupted keeps what it stored, nothing after it runs, and
``InterruptedRun`` (exit 130) says to run the same command again. The output folder is
checked first: a folder that holds another blog's archive, or files that are not
blogport's, is refused unless ``force``.

While a live blog's crawl process works, this process only waits for it: it imports the
later stages' modules meanwhile (``StageWarmup``), so their start-up is not paid after the crawl.

A live blog whose export fetches pictures keeps its crawl process once the crawl has ended
(``crawler.run.KeptCrawlProcess``): the export has it fetch the pictures in its own reactor
(``loaders.images.download_through``), and it is ended when the export ends, however it ends.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blogport.config import MigrationConfig, save_config
from blogport.lock import LOCK_NAME, hold_lock
from blogport.runs import finish_run, start_run
from blogport.stages import SilentDisplay, disk_full_guard
from blogport.validate_options import ValidateOptions
from kernel.archive import ARCHIVE_NAME, Archive
from kernel.errors import BlogportError, ExportError, InterruptedRun
from loaders.atomic import TEMP_NAME, remove_stale_temps

if TYPE_CHECKING:
    from crawler.run import EarlyCrawlProcess

log = logging.getLogger(__name__)

IGNORED_NAMES = frozenset({LOCK_NAME, ".DS_Store", "Thumbs.db"})
"""Files that do not make a folder "not empty"."""
OLD_ARCHIVE = ARCHIVE_NAME + ".old"


def set_archive_aside(out_dir: Path, stored: str) -> None:
    """Rename DIR/blog.db (with SQLite's -wal/-shm files) to DIR/blog.db.old."""
    for suffix in ("", "-wal", "-shm"):
        old = out_dir / (ARCHIVE_NAME + suffix)
        if old.exists():
            os.replace(old, out_dir / (OLD_ARCHIVE + suffix))
        else:
            (out_dir / (OLD_ARCHIVE + suffix)).unlink(missing_ok=True)
    log.warning("the archive of %s in %s was set aside as %s", stored, out_dir, OLD_ARCHIVE)


WARM_MODULES = ("transform.run", "loaders.run", "blogport.validate", "blogport.report.render")
"""The modules the stages after the crawl import, imported while a live crawl's process works."""


class StageWarmup:
    """Imports ``modules`` in a thread of its own (``start``, once the crawl process has its
    job); ``join`` waits for it, before the stages that use them run. A module that fails to
    import is left to the stage's own import, which says what is wrong."""

    def __init__(self, modules: tuple[str, ...] = WARM_MODULES) -> None:
        self.modules = modules
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._import, name="blogport-warmup", daemon=True)
            self.thread.start()

    def _import(self) -> None:
        for name in self.modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - raised again, in one line, by the stage that needs it
                return

    def join(self) -> None:
        """Wait for the imports: no thread is left once the crawl stage is over (the export
        forks only while this process runs one thread)."""
        thread, self.thread = self.thread, None
        if thread is not None:
            thread.join()


@dataclass
class MigrateResult:
    out_dir: Path
    stages: dict[str, Any] = field(default_factory=dict)
    exit_code: int = 0

    def results_line(self) -> str:
        """The one line that ends a migration: where everything is."""
        where = f"{self.out_dir.resolve()}/"
        report = self.stages.get("validate")
        if report is None:
            return f"Everything is in {where}"
        verdict = "all well" if report.exit_code == 0 else "FAILED: see the report"
        return f"Everything is in {where}; report: {report.html_path.name} ({verdict})"

    def summary_lines(self) -> list[str]:
        lines: list[str] = []
        for name, summary in self.stages.items():
            lines.append(f"[{name}]")
            lines.extend(f"  {line}" for line in stage_lines(summary))
        lines.append(self.results_line())
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "exit_code": self.exit_code,
                "stages": {k: v.as_dict() for k, v in self.stages.items()}}


VIA_WORDS = {
    "feeds": "read the blog's Atom feeds",
    "html": "walked the blog's HTML pages",
    "mirror": "read a saved mirror folder",
    "export": "read a Blogger backup file",
}
"""How the crawl summary says what was read."""


def stage_lines(summary: Any) -> list[str]:
    """A stage's summary lines. The crawl's first line says whether feeds or HTML pages were
    read; the validation report's own "Report:" line is left to the results line, so a
    migration ends with one line saying where everything is."""
    if hasattr(summary, "html_path"):
        return list(summary.summary_lines(with_report_line=False))
    lines = list(summary.summary_lines())
    via = getattr(summary, "via", None)
    if lines and via in VIA_WORDS and VIA_WORDS[via] not in lines[0]:
        lines[0] = f"{lines[0]}: {VIA_WORDS[via]}"
    return lines


def prepare_out_dir(out_dir: Path) -> None:
    """Create ``out_dir`` (and its parents); one clear ``ExportError`` when it cannot be."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ExportError(f"cannot use {out_dir} as the output folder: a file of that name exists") from None
    except OSError as exc:
        raise ExportError(f"cannot create the output folder {out_dir}: {exc.strerror or exc}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write into the output folder {out_dir}: permission denied")


def source_identity(source: str) -> str:
    """What makes two sources the same blog: the host of a URL (scheme, ``www.``, Blogger's
    country domains and the path aside), or the resolved path of a mirror folder or file."""
    text = source.strip()
    if "://" not in text and not Path(text).expanduser().exists() and "." in text.split("/")[0]:
        text = "https://" + text
    if "://" in text:
        parts = urllib.parse.urlsplit(text)
        host = (parts.hostname or "").lower().removeprefix("www.")
        if ".blogspot." in host:
            host = host.split(".blogspot.")[0] + ".blogspot"
        port = parts.port if parts.port not in (None, 80, 443) else None
        return "url:" + host + (f":{port}" if port else "")
    return "path:" + str(Path(text).expanduser().resolve())


def stored_source(out_dir: Path) -> str | None:
    """The source the archive in ``out_dir`` was filled from (read-only), or None."""
    path = out_dir / ARCHIVE_NAME
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        for key in ("config", "source"):
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row:
                value = json.loads(row[0])
                if isinstance(value, dict) and value.get("source"):
                    return str(value["source"])
    except (sqlite3.Error, ValueError):
        raise ExportError(f"{path} is not a blogport archive; choose another output folder,"
                          " or pass --force to replace it") from None
    finally:
        conn.close()
    return None


def other_blog(source: str, out_dir: Path) -> str | None:
    """The source of the archive in ``out_dir`` when it is another blog than ``source``."""
    if not (out_dir / ARCHIVE_NAME).is_file():
        return None
    stored = stored_source(out_dir)
    if stored is not None and source_identity(stored) != source_identity(source):
        return stored
    return None


def check_out_dir(source: str, out_dir: Path, *, force: bool = False, require_empty: bool = True) -> None:
    """Refuse (``ExportError``, exit 2), changing nothing, an output folder that holds another
    blog's archive, or (``require_empty``: exports will be written there) files that blogport
    did not write. With ``force`` a folder that is not empty is written into, and another
    blog's archive is to be set aside (``set_archive_aside``, under the lock)."""
    if not out_dir.is_dir():
        return
    if (out_dir / ARCHIVE_NAME).is_file():
        stored = other_blog(source, out_dir)
        if stored is not None and not force:
            raise ExportError(
                f"{out_dir} holds the archive of another blog ({stored}); choose another output folder,"
                f" or pass --force to set that archive aside (as {OLD_ARCHIVE}) and start a new one"
            )
        return
    if force or not require_empty:
        return
    if not require_empty:
        return
    others = sorted(name for name in os.listdir(out_dir) if name not in IGNORED_NAMES and not TEMP_NAME.match(name))
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise ExportError(
            f"{out_dir} is not empty and holds no blogport archive ({shown}); exports would overwrite files"
            " in it: choose a new or empty folder, or pass --force to write into it"
        )


def run_stage(name: str, display: SilentDisplay, out_dir: Path, work: Callable[[], Any], *,
              what: str = "", live: bool = True) -> Any:
    """Run one stage with its header, live line and summary; Ctrl-C -> ``InterruptedRun``."""
    display.start(name, what, live=live)
    try:
        with disk_full_guard(out_dir):
            summary = work()
    except KeyboardInterrupt:
        display.abort()
        raise InterruptedRun(name) from None
    display.end(stage_lines(summary))
    return summary


def migrate(
    config: MigrationConfig,
    out_dir: Path,
    *,
    validate: bool = True,
    validate_options: ValidateOptions = ValidateOptions(),
    force: bool = False,
    display: SilentDisplay | None = None,
    crawl_with: Callable[[], Any] | None = None,
) -> MigrateResult:
    """Crawl ``config.source`` into ``out_dir`` and transform, export and validate it.

    Raises ``ExportError`` for an output folder that cannot be used (see ``check_out_dir``),
    ``InterruptedRun`` when the run was interrupted (nothing after that stage ran) and
    ``DiskFullError`` when the disk filled up. ``crawl_with`` replaces the crawl stage (a
    distributed batch has filled the archive already; it returns that crawl's summary)."""
    # the stages' modules are imported here, not at start-up (``blogport --help`` and the other
    # commands do not need them); a live crawl's process is started first, before anything
    # else is prepared or imported (``StageWarmup`` imports the later stages while it works)
    from crawler.run import EarlyCrawlProcess, LiveBlog, source_of

    early = None
    if crawl_with is None:
        try:
            live = isinstance(source_of(config.source, config.crawl), LiveBlog)
        except BlogportError:
            live = False  # the crawl stage says what is wrong with the source
        early = EarlyCrawlProcess().start() if live else None
    try:
        return _migrate(config, Path(out_dir), validate=validate, validate_options=validate_options, force=force,
                        display=display, crawl_with=crawl_with, early=early)
    finally:
        if early is not None:
            early.close()  # not taken: the run stopped before its crawl


def _migrate(config: MigrationConfig, out_dir: Path, *, validate: bool, validate_options: ValidateOptions,
             force: bool, display: SilentDisplay | None, crawl_with: Callable[[], Any] | None,
             early: "EarlyCrawlProcess | None") -> MigrateResult:
    from crawler.run import KeptCrawlProcess, crawl
    from loaders.images import download_through, downloads_images

    show = display or SilentDisplay()
    check_out_dir(config.source, out_dir, force=force)
    prepare_out_dir(out_dir)
    with hold_lock(out_dir):
        stored = other_blog(config.source, out_dir) if force else None
        if stored is not None:
            set_archive_aside(out_dir, stored)
        remove_stale_temps(out_dir)
        with disk_full_guard(out_dir), Archive.in_dir(out_dir) as archive:
            save_config(archive, config)
            run_id = start_run(archive, "migrate", config.source)
        result = MigrateResult(out_dir)
        # the pictures the export will fetch: by the crawl's own process, kept for them
        kept = KeptCrawlProcess() if crawl_with is None and downloads_images(config.export) else None
        warmup = StageWarmup()

        def live_crawl() -> Any:
            try:
                return crawl(config.source, out_dir, config.crawl, keep=kept, on_started=warmup.start, early=early)
            finally:
                warmup.join()

        def transform_stage() -> Any:
            from transform.run import transform  # imported by the warm-up already, after a live crawl

            return transform(out_dir, config.transform, progress=show.progress)

        def export_stage() -> Any:
            from loaders.run import export  # imported by the warm-up already, after a live crawl

            with download_through(kept):
                return export(out_dir, config.export, progress=show.progress)

        try:
            crawled = run_stage("crawl", show, out_dir, crawl_with or live_crawl, what=config.source, live=False)
            result.stages["crawl"] = crawled
            if crawled.interrupted:
                raise InterruptedRun("crawl")
            result.stages["transform"] = run_stage("transform", show, out_dir, transform_stage)
            try:
                result.stages["export"] = run_stage("export", show, out_dir, export_stage,
                                                    what=", ".join(config.export.formats))
            finally:
                if kept is not None:
                    kept.close()
            codes = [result.stages["crawl"].exit_code, result.stages["transform"].exit_code]
            if validate:
                from blogport.validate import validate as run_validate

                report = run_stage("validate", show, out_dir,
                                   lambda: run_validate(out_dir, validate_options, progress=show.progress))
                result.stages["validate"] = report
                codes.append(report.exit_code)
            result.exit_code = max(codes)
        except BaseException as exc:
            if kept is not None:
                kept.close()  # an earlier stage failed: the export's pictures are not needed
            status = exc.exit_code if isinstance(exc, InterruptedRun) else 2
            _finish(out_dir, run_id, result, status)
            raise
        _finish(out_dir, run_id, result, result.exit_code)
    show.result(result.results_line())
    return result


def _finish(out_dir: Path, run_id: int, result: MigrateResult, status: int) -> None:
    crawled = result.stages["crawl"].as_dict() if "crawl" in result.stages else {}
    try:
        with Archive.in_dir(out_dir) as archive:
            finish_run(
                archive,
                run_id,
                exit_status=status,
                new=int(crawled.get("posts_found", 0)) + int(crawled.get("comments_found", 0)),
                failed=int(crawled.get("errors", 0)),
                details=result.as_dict(),
            )
    except sqlite3.Error:
        if status == 0:
            raise  # a run that failed keeps its own error; its row stays unfinished
