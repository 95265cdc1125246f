"""``blogport batch LIST -o ROOT``: migrate many blogs, several at once, one display.

LIST names one source a line (a blog URL, a saved mirror folder or a Blogger export file;
blank lines and ``#`` comments are skipped). Each becomes ``ROOT/<name>/``, a normal blogport
folder (``blog.db``, the exports, the report): ``<name>`` is the blog's host with ``:`` as
``_`` (a file or folder: its name). Locally, ``jobs`` blogs are migrated at a time, each as
``blogport migrate`` would; with ``--redis`` the crawl is spread over ``blogport worker``
processes (``blogport.batch_redis``). A blog that cannot run fails alone; the others go on.

Exit: 0 all well, 1 some blog finished with item failures, 2 some blog could not run.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from blogport.batch_board import Board
from blogport.config import MigrationConfig
from blogport.migrate import migrate
from blogport.validate_options import ValidateOptions
from kernel.archive import ARCHIVE_NAME
from kernel.errors import BlogportError, InterruptedRun, SourceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchEntry:
    """One line of LIST."""

    source: str
    name: str
    line: int


@dataclass(frozen=True)
class BlogOutcome:
    """How one blog of the batch ended."""

    source: str
    name: str
    exit_code: int
    posts: int = 0
    comments: int = 0
    errors: int = 0
    pages: int = 0
    message: str = ""
    """Why the blog could not run (exit 2)."""

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "name": self.name, "exit_code": self.exit_code, "posts": self.posts,
                "comments": self.comments, "errors": self.errors, "pages": self.pages, "message": self.message}


@dataclass(frozen=True)
class BatchResult:
    root: Path
    mode: str
    """"local" or "redis"."""
    blogs: tuple[BlogOutcome, ...]
    elapsed_s: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        codes = [b.exit_code for b in self.blogs]
        if any(code >= 2 for code in codes):
            return 2
        return 1 if any(code == 1 for code in codes) else 0

    @property
    def pages(self) -> int:
        return sum(b.pages for b in self.blogs)

    def as_dict(self) -> dict[str, Any]:
        return {"root": str(self.root), "mode": self.mode, "exit_code": self.exit_code,
                "elapsed_s": round(self.elapsed_s, 3), "pages": self.pages,
                "blogs": [b.as_dict() for b in self.blogs], **self.details}

    def summary_lines(self) -> list[str]:
        """The summary table: blog, posts, comments, errors, exit code."""
        rows = [("blog", "posts", "comments", "errors", "exit")]
        rows += [(b.name, str(b.posts), str(b.comments), str(b.errors), str(b.exit_code)) for b in self.blogs]
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
                 for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        for b in self.blogs:
            if b.message:
                lines.append(f"{b.name}: {b.message}")
        verdict = {0: "all well", 1: "some blogs had item failures", 2: "some blogs could not run"}[self.exit_code]
        lines.append(f"{len(self.blogs)} blogs in {self.elapsed_s:.1f} s into {self.root.resolve()}/: {verdict}")
        return lines


# -- the list ---------------------------------------------------------------------------
def folder_name(source: str) -> str:
    """ROOT/<name> of a source: the blog's host (``:`` as ``_``), or the file's or folder's name."""
    text = source.strip()
    if "://" not in text and not Path(text).expanduser().exists() and "." in text.split("/")[0]:
        text = "https://" + text
    if "://" in text:
        netloc = (urllib.parse.urlsplit(text).netloc or "").lower().rsplit("@", 1)[-1]
        return netloc.replace(":", "_") or "blog"
    name = Path(text).expanduser().resolve().name
    return name.replace(":", "_") or "blog"


def read_list(path: Path) -> list[BatchEntry]:
    """The sources of LIST; ``SourceError`` for a LIST that cannot be read, names nothing, or
    names one blog twice."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read the list {path}: {getattr(exc, 'strerror', None) or exc}") from None
    entries: list[BatchEntry] = []
    names: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.split(" #", 1)[0].strip()
        name = folder_name(line)
        if name in names:
            raise SourceError(f"{path}, line {number}: {line} goes to the same folder ({name}) as line {names[name]}")
        names[name] = number
        entries.append(BatchEntry(line, name, number))
    if not entries:
        raise SourceError(f"{path} names no blog (one blog URL, mirror folder or export file a line)")
    return entries


def count_records(out_dir: Path) -> tuple[int, int]:
    """(posts, comments) in the normalised tables of ``out_dir/blog.db`` (0, 0 without them)."""
    path = out_dir / ARCHIVE_NAME
    if not path.is_file():
        return 0, 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return 0, 0
    try:
        posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        comments = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
        return int(posts), int(comments)
    except sqlite3.Error:
        return 0, 0
    finally:
        conn.close()


# -- running blogs ----------------------------------------------------------------------
def finish_blog(entry: BatchEntry, out_dir: Path, config: MigrationConfig, board: Board,
                validate_options: ValidateOptions, crawl_with: Callable[[], Any] | None = None) -> BlogOutcome:
    """Migrate one blog (``crawl_with``: its archive is filled already), as ``blogport migrate``
    would; a blog that cannot run gives its one-line reason instead of raising."""
    display = board.display(entry.name)
    try:
        result = migrate(config, out_dir, validate_options=validate_options, display=display, crawl_with=crawl_with)
    except InterruptedRun:
        raise
    except BlogportError as exc:
        board.update(entry.name, stage="failed", exit_code=exc.exit_code)
        return BlogOutcome(entry.source, entry.name, exc.exit_code, message=str(exc))
    crawled = result.stages.get("crawl")
    posts, comments = count_records(out_dir)
    report = result.stages.get("validate")
    errors = int(report.errors) if report is not None else int(getattr(crawled, "errors", 0))
    outcome = BlogOutcome(entry.source, entry.name, result.exit_code, posts, comments, errors,
                          int(getattr(crawled, "pages_fetched", 0)))
    board.update(entry.name, stage="done", posts=posts, comments=comments, errors=errors, exit_code=result.exit_code)
    return outcome


class BlogPool:
    """``jobs`` daemon threads running blogs: a Ctrl-C ends the batch without waiting for them
    (each crawl process dies with blogport; every archive write is a transaction)."""

    def __init__(self, jobs: int) -> None:
        self.tasks: queue.Queue[Callable[[], BlogOutcome] | None] = queue.Queue()
        self.results: list[BlogOutcome] = []
        self.failures: list[BaseException] = []
        self.pending = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True, name=f"blogport-batch-{i}")
                        for i in range(max(1, jobs))]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        while True:
            task = self.tasks.get()
            if task is None:
                return
            try:
                outcome = task()
                with self.lock:
                    self.results.append(outcome)
            except BaseException as exc:  # an interruption or a bug: the batch reports it
                with self.lock:
                    self.failures.append(exc)
            finally:
                with self.lock:
                    self.pending -= 1

    def submit(self, task: Callable[[], BlogOutcome]) -> None:
        with self.lock:
            self.pending += 1
        self.tasks.put(task)

    def busy(self) -> bool:
        with self.lock:
            return self.pending > 0

    def check(self) -> None:
        with self.lock:
            if self.failures:
                raise self.failures[0]

    def wait(self) -> None:
        while self.busy():
            self.check()
            time.sleep(0.1)
        self.check()
        for _ in self.threads:
            self.tasks.put(None)


def config_for(template: MigrationConfig, source: str) -> MigrationConfig:
    return replace(template, source=source)


def run_local(entries: list[BatchEntry], root: Path, template: MigrationConfig, *, jobs: int, board: Board,
              validate_options: ValidateOptions) -> BatchResult:
    """Migrate every entry on this machine, ``jobs`` at a time."""
    started = time.monotonic()
    pool = BlogPool(min(jobs, len(entries)))
    for entry in entries:
        pool.submit(lambda entry=entry: finish_blog(entry, root / entry.name, config_for(template, entry.source),
                                                    board, validate_options))
    with board:
        pool.wait()
    return BatchResult(root, "local", ordered(entries, pool.results), time.monotonic() - started)


def ordered(entries: list[BatchEntry], outcomes: list[BlogOutcome]) -> tuple[BlogOutcome, ...]:
    """The outcomes in the order of LIST."""
    by_name = {o.name: o for o in outcomes}
    return tuple(by_name[e.name] for e in entries if e.name in by_name)
