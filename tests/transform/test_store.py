"""The normalised schema: made once, in one transaction, the same as sqlite-utils makes it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from transform.store import _FTS, NORMALISED_SCHEMA, ensure_schema


def _schema(conn: sqlite3.Connection) -> dict[str, str]:
    return {name: sql for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")}


def test_full_text_search_is_what_sqlite_utils_enable_fts_makes(tmp_path: Path) -> None:
    ours = sqlite_utils.Database(sqlite3.connect(tmp_path / "ours.db", isolation_level=None), execute_plugins=False)
    ensure_schema(ours)
    theirs = sqlite_utils.Database(sqlite3.connect(tmp_path / "theirs.db", isolation_level=None),
                                   execute_plugins=False)
    theirs.executescript(NORMALISED_SCHEMA)
    for table, columns in _FTS.items():
        theirs[table].enable_fts(list(columns), create_triggers=True, tokenize="porter")
    assert _schema(ours.conn) == _schema(theirs.conn)
    assert ours["posts"].detect_fts() == "posts_fts" and ours["comments"].detect_fts() == "comments_fts"
    # the triggers keep the index current
    ours.conn.execute("INSERT INTO posts (id, url, title, slug, body_html, body_text) VALUES"
                      " ('1', 'u', 'Walking', 'w', '', 'the ducks were swimming')")
    assert ours.conn.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'swim'").fetchall() == [(1,)]


def test_a_complete_schema_is_only_looked_at(tmp_path: Path) -> None:
    db = sqlite_utils.Database(sqlite3.connect(tmp_path / "blog.db", isolation_level=None), execute_plugins=False)
    ensure_schema(db)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    ensure_schema(db)
    assert statements == ["SELECT name FROM sqlite_master", "PRAGMA table_info(comments)"]


def test_an_older_comments_table_gets_its_new_column(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "blog.db", isolation_level=None)
    old = NORMALISED_SCHEMA.replace(",\n    cycle INTEGER NOT NULL DEFAULT 0", "")
    assert old != NORMALISED_SCHEMA
    conn.executescript(old)
    conn.execute("INSERT INTO posts (id, url, title, slug, body_html, body_text) VALUES ('1', 'u', 't', 's', '', 'x')")
    ensure_schema(sqlite_utils.Database(conn, execute_plugins=False))
    assert "cycle" in {row[1] for row in conn.execute("PRAGMA table_info(comments)")}
    # an index made after the posts were: it holds them
    assert conn.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'x'").fetchall() == [(1,)]
