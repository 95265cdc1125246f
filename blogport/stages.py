"""What a person sees while blogport works, and how a stage's failure reaches them.

Every stage (crawl, transform, export, validate) is shown the same way:

- on a terminal (``TerminalDisplay``): its header when it starts, a live line while it runs
  (with the total and a percentage where one is known: posts to transform, exports to
  write, checks to run), its summary when it ends;
- when the output is piped or redirected (``PlainDisplay``): plain lines, the header and the
  summary of each stage as soon as that stage ends (nothing is held back to the end);
- ``SilentDisplay`` for ``--json``, ``-q`` and library callers.

``disk_full_guard`` turns a full disk, however it surfaces (``OSError`` ENOSPC, SQLite's
"database or disk is full"), into ``DiskFullError``: one line for the person, exit 2.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.text import Text
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn

from kernel.archive import ARCHIVE_NAME
from kernel.errors import DiskFullError, is_disk_full
from kernel.forked import pause_for_forks

STAGE_TITLES = {
    "crawl": "crawling",
    "transform": "transforming",
    "export": "exporting",
    "validate": "validating",
}


class SilentDisplay:
    """Shows nothing."""

    crawl_live = False
    """Whether the crawl should draw its own live line (``CrawlOptions.progress``)."""

    def start(self, stage: str, what: str = "", *, live: bool = True) -> None:
        return None

    def progress(self, done: int, total: int | None, what: str = "") -> None:
        return None

    def end(self, lines: Sequence[str]) -> None:
        return None

    def result(self, line: str) -> None:
        return None

    def abort(self) -> None:
        """The stage was interrupted: take the live line away."""
        return None


class PlainDisplay(SilentDisplay):
    """Plain lines for a pipe or a log file: each stage's header and summary as it ends."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out or sys.stdout
        self.stage = ""
        self.what = ""

    def start(self, stage: str, what: str = "", *, live: bool = True) -> None:
        self.stage, self.what = stage, what

    def _write(self, line: str) -> None:
        self.out.write(line + "\n")

    def end(self, lines: Sequence[str]) -> None:
        self._write(f"[{self.stage}]" + (f" {self.what}" if self.what else ""))
        for line in lines:
            self._write(f"  {line}")
        self.out.flush()

    def result(self, line: str) -> None:
        self._write(line)
        self.out.flush()


class TerminalDisplay(SilentDisplay):
    """Header, live line (stderr, drawn with rich, gone when the stage ends), summary."""

    crawl_live = True

    def __init__(self, out: Console | None = None, err: Console | None = None) -> None:
        self.out = out or Console(highlight=False)
        self.err = err or Console(stderr=True, highlight=False)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._what = ""
        self._unpause: Callable[[], object] = lambda: None
        self.stage = ""

    def start(self, stage: str, what: str = "", *, live: bool = True) -> None:
        self.stage = stage
        header = Text(f"[{stage}]", style="bold")
        if what:
            header.append(f" {what}")
        self.out.print(header, highlight=False)
        if not live:
            return
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[what]}"),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        )
        self._progress.start()
        # its refresh thread stops for the moment a stage forks work to the second core
        self._unpause = pause_for_forks(self._progress.stop, self._progress.start)
        self._task = self._progress.add_task(STAGE_TITLES.get(stage, stage), total=None, what="")

    def progress(self, done: int, total: int | None, what: str = "") -> None:
        if self._progress is None or self._task is None:
            return
        label = f"{done}/{total} {what}".strip() if total else what
        # A new named step (an export format, a check) is drawn at once, so each one shows
        # even when it ends before the next timed refresh; plain counts wait for the timer.
        named_step = bool(what) and what != self._what
        self._what = what
        self._progress.update(self._task, completed=done, total=total, what=label, refresh=named_step)

    def _stop(self) -> None:
        if self._progress is not None:
            self._unpause()
            self._progress.stop()
        self._progress, self._task, self._what = None, None, ""

    def end(self, lines: Sequence[str]) -> None:
        self._stop()
        for line in lines:
            self.out.print(f"  {line}", markup=False, highlight=False)

    def result(self, line: str) -> None:
        self._stop()
        self.out.print(line, markup=False, highlight=False)

    def abort(self) -> None:
        self._stop()


Display = SilentDisplay
"""The interface: ``SilentDisplay`` and its subclasses."""


def make_display(*, quiet: bool = False, machine: bool = False, live: bool = True) -> SilentDisplay:
    """The display for this terminal: silent for ``-q``/``--json``, plain lines when piped."""
    if quiet or machine:
        return SilentDisplay()
    if live and sys.stdout.isatty() and sys.stderr.isatty():
        return TerminalDisplay()
    return PlainDisplay()


@contextmanager
def disk_full_guard(out_dir: Path) -> Iterator[None]:
    """Re-raise a full disk met inside the block as ``DiskFullError`` naming the file."""
    try:
        yield
    except DiskFullError:
        raise
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFullError(exc.filename or Path(out_dir)) from exc
    except sqlite3.Error as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFullError(Path(out_dir) / ARCHIVE_NAME) from exc
