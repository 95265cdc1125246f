"""The one display of a batch: a row per blog (stage, pages, posts, comments, errors).

On a terminal it is a live table, redrawn a few times a second; piped or redirected output
gets one plain line as each blog ends; ``--json``, ``-q`` and ``--no-progress`` without a
terminal show nothing until the summary. Blogs run in several threads: every update holds
the board's lock.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import IO, Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from blogport.stages import SilentDisplay


@dataclass(frozen=True)
class Row:
    name: str
    stage: str = "waiting"
    pages: int = 0
    posts: int = 0
    comments: int = 0
    errors: int = 0
    exit_code: int | None = None


class _BlogDisplay(SilentDisplay):
    """What one blog's ``migrate`` shows: its stage, on the board."""

    def __init__(self, board: "Board", name: str) -> None:
        self.board, self.name = board, name

    def start(self, stage: str, what: str = "", *, live: bool = True) -> None:
        self.board.update(self.name, stage=stage)


class Board:
    """``with board: ...``; ``board.update(name, stage=..., pages=...)`` from any thread."""

    def __init__(self, names: Sequence[str], *, live: bool, plain: bool, out: IO[str] | None = None) -> None:
        self.rows = {name: Row(name) for name in names}
        self.lock = threading.Lock()
        self.plain = plain and not live
        self.out = out or sys.stdout
        self._live: Live | None = None
        if live:
            self._live = Live(self._table(), console=Console(stderr=True), refresh_per_second=4, transient=True,
                              get_renderable=self._table)

    def display(self, name: str) -> SilentDisplay:
        return _BlogDisplay(self, name)

    def update(self, name: str, **fields: Any) -> None:
        with self.lock:
            row = self.rows[name] = replace(self.rows[name], **fields)
        if self.plain and row.stage in ("done", "failed"):
            with self.lock:
                self.out.write(f"{row.name}: {row.stage}, {row.posts} posts, {row.comments} comments,"
                               f" {row.errors} errors, exit {row.exit_code}\n")
                self.out.flush()

    def _table(self) -> Table:
        table = Table(box=None, pad_edge=False)
        for column in ("blog", "stage", "pages", "posts", "comments", "errors"):
            table.add_column(column, justify="left" if column in ("blog", "stage") else "right")
        with self.lock:
            rows = list(self.rows.values())
        for row in rows:
            table.add_row(row.name, row.stage, str(row.pages), str(row.posts), str(row.comments), str(row.errors),
                          style="red" if row.stage == "failed" else "")
        return table

    def __enter__(self) -> "Board":
        if self._live is not None:
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
