"""The ``runs`` table in ``DIR/blog.db``: one row per migrate/sync/crawl run.

``start_run`` inserts the row when a run begins (``ended`` and ``exit_status`` stay NULL, so a
run that was killed shows as never finished); ``finish_run`` fills in the counts in one
transaction. A successful sync also moves the ``SyncState`` cursor (``kernel.state``) to its
start in that transaction: the next sync asks only for what changed since then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from kernel.archive import Archive, utc_now
from kernel.state import load_sync_state, save_sync_state

RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    ended TEXT,
    command TEXT NOT NULL,
    source TEXT,
    new INTEGER,
    changed INTEGER,
    unchanged INTEGER,
    deleted INTEGER,
    failed INTEGER,
    exit_status INTEGER,
    details TEXT
)
"""


@dataclass(frozen=True)
class RunRow:
    id: int
    started: str
    ended: str | None
    command: str
    source: str | None
    new: int | None
    changed: int | None
    unchanged: int | None
    deleted: int | None
    failed: int | None
    exit_status: int | None
    details: dict[str, Any]


def ensure_runs_table(archive: Archive) -> None:
    with archive.transaction() as conn:
        conn.execute(RUNS_SCHEMA)


def start_run(archive: Archive, command: str, source: str | None, *, started: str | None = None) -> int:
    """Insert the row of a run that begins now; returns its id."""
    with archive.transaction() as conn:
        conn.execute(RUNS_SCHEMA)
        cursor = conn.execute(
            "INSERT INTO runs (started, command, source) VALUES (?, ?, ?)",
            (started or utc_now(), command, source),
        )
        return int(cursor.lastrowid)


def finish_run(
    archive: Archive,
    run_id: int,
    *,
    exit_status: int,
    new: int = 0,
    changed: int = 0,
    unchanged: int = 0,
    deleted: int = 0,
    failed: int = 0,
    details: dict[str, Any] | None = None,
) -> None:
    """Record how a run ended, in one transaction. A sync that finished with exit status 0
    (and did more than resume an unfinished migration) moves the ``SyncState`` cursor to its
    own start, in the same transaction: the next sync asks for changes since then."""
    with archive.transaction() as conn:
        conn.execute(
            "UPDATE runs SET ended=?, new=?, changed=?, unchanged=?, deleted=?, failed=?,"
            " exit_status=?, details=? WHERE id=?",
            (
                utc_now(), new, changed, unchanged, deleted, failed, exit_status,
                json.dumps(details or {}, ensure_ascii=False, sort_keys=True), run_id,
            ),
        )
        row = conn.execute("SELECT command, started FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row and row[0] == "sync" and exit_status == 0 and (details or {}).get("mode") != "resume":
            state = load_sync_state(conn)
            first = conn.execute("SELECT min(fetched_at) FROM pages").fetchone()
            save_sync_state(conn, replace(
                state, initial=state.initial or (first[0] if first else None), start=state.last,
                end=row[1], last=row[1],
            ))


def _row(values: tuple[Any, ...]) -> RunRow:
    *head, details = values
    return RunRow(*head, details=json.loads(details) if details else {})


_COLUMNS = "id, started, ended, command, source, new, changed, unchanged, deleted, failed, exit_status, details"


def list_runs(archive: Archive) -> list[RunRow]:
    if not _has_table(archive):
        return []
    return [_row(r) for r in archive.conn.execute(f"SELECT {_COLUMNS} FROM runs ORDER BY id")]


def last_successful_run(archive: Archive, commands: tuple[str, ...] = ("sync", "migrate")) -> RunRow | None:
    """The latest run of one of ``commands`` that finished with exit status 0."""
    if not _has_table(archive):
        return None
    marks = ",".join("?" for _ in commands)
    row = archive.conn.execute(
        f"SELECT {_COLUMNS} FROM runs WHERE exit_status = 0 AND command IN ({marks})"
        " ORDER BY started DESC, id DESC LIMIT 1",
        commands,
    ).fetchone()
    return _row(row) if row else None


def _has_table(archive: Archive) -> bool:
    return archive.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='runs'"
    ).fetchone() is not None
