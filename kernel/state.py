"""``SyncState``: where ``sync`` stands, one record in ``DIR/blog.db`` (table ``sync_state``).

The cursor follows dlt's vocabulary: ``initial`` is where the first run began (the first page
the migration fetched), ``start`` is the value a run asks for changes from (fixed for the
run: the previous successful run's ``end``), ``end`` is the upper bound of that run (its own
start time), and ``last`` is the highest value the archive is known complete up to (``end``
of the latest successful run). Beside the cursor, the record keeps the validators of the
auxiliary requests (feed probes, robots.txt), the posts noticed gone from the blog, and the
fingerprint of the archive the exports were last written from.

``save_sync_state`` must be called inside the transaction that writes the data the state
describes (``Archive.transaction()``), so the two cannot drift apart: it refuses otherwise.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

TABLE = "sync_state"
_SCHEMA = f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL)"
#: Meta keys an older archive kept the same facts in (read once, when no record exists yet).
_LEGACY_KEYS = {"validators": "sync_probes", "deleted": "deleted_posts", "exported": "sync_exported"}


def _frozen(value: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class SyncState:
    initial: str | None = None
    start: str | None = None
    last: str | None = None
    end: str | None = None
    validators: Mapping[str, Mapping[str, Any]] = field(default_factory=_frozen)
    """URL -> {"etag", "last_modified", "sha256", ...} of feed probes and robots.txt."""
    deleted: Mapping[str, str] = field(default_factory=_frozen)
    """Post URL -> when sync noticed it gone (the truth behind ``posts.deleted_at``)."""
    exported: str | None = None
    """Fingerprint of the archive's records (and deletions) the exports were written from."""

    def to_json(self) -> str:
        data = {name: getattr(self, name) for name in ("initial", "start", "last", "end", "exported")}
        data["validators"] = {k: dict(v) for k, v in self.validators.items()}
        data["deleted"] = dict(self.deleted)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "SyncState":
        data = json.loads(text)
        return cls(
            initial=data.get("initial"),
            start=data.get("start"),
            last=data.get("last"),
            end=data.get("end"),
            validators=_frozen({k: _frozen(v) for k, v in (data.get("validators") or {}).items()}),
            deleted=_frozen(data.get("deleted")),
            exported=data.get("exported"),
        )


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def load_sync_state(conn: sqlite3.Connection) -> SyncState:
    """The archive's ``SyncState`` (an empty one when sync never ran)."""
    if _has_table(conn, TABLE):
        row = conn.execute(f"SELECT state FROM {TABLE} WHERE id = 1").fetchone()
        if row:
            return SyncState.from_json(row[0])
    legacy: dict[str, Any] = {}
    if _has_table(conn, "meta"):
        for name, key in _LEGACY_KEYS.items():
            found = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if found and found[0] is not None:
                legacy[name] = json.loads(found[0])
    if not legacy:
        return SyncState()
    return SyncState.from_json(json.dumps(legacy))


def save_sync_state(conn: sqlite3.Connection, state: SyncState) -> None:
    """Write ``state`` as part of the caller's transaction (which also writes its data)."""
    if not conn.in_transaction:
        raise RuntimeError("save_sync_state belongs in the transaction that writes the data it describes")
    conn.execute(_SCHEMA)
    conn.execute(
        f"INSERT INTO {TABLE} (id, state) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state",
        (state.to_json(),),
    )
