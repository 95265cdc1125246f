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


def _post(n: int, text: str):
    from transform.models import Post

    return Post(id=str(n), url=f"http://b.example/{n}.html", title=f"Post {n}", slug=f"p{n}", body_html=f"<p>{text}</p>",
                body_text=text, published=None, published_local=None, updated=None, author_id=None, kind="post",
                status="published", date_raw=None, date_flag=None, comment_count_declared=None, language="en",
                source="html", tags=())


def _search(conn: sqlite3.Connection, word: str) -> list[int]:
    return [r[0] for r in conn.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? ORDER BY rowid", (word,))]


def test_an_index_rebuilt_after_the_saves_is_the_one_the_triggers_keep(tmp_path: Path) -> None:
    import pytest

    from transform.store import save, search_index_rebuilt_after

    texts = ["ducks swimming in the pond", "a walk in the rain", "swimmers and walkers", "nothing here"]
    by_triggers = sqlite_utils.Database(sqlite3.connect(tmp_path / "a.db", isolation_level=None), execute_plugins=False)
    rebuilt = sqlite_utils.Database(sqlite3.connect(tmp_path / "b.db", isolation_level=None), execute_plugins=False)
    for db in (by_triggers, rebuilt):
        save(db, posts=[_post(n, t) for n, t in enumerate(texts)])
    # a re-run: every row updated, one new
    again = [_post(n, t.replace("rain", "snow")) for n, t in enumerate(texts)] + [_post(9, "rain again")]
    save(by_triggers, posts=again)
    rebuilt.conn.execute("BEGIN IMMEDIATE")
    with search_index_rebuilt_after(rebuilt):
        save(rebuilt, posts=again)
        assert not [r for r in rebuilt.conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
    rebuilt.conn.execute("COMMIT")
    for word in ("swim", "rain", "snow", "walk", "nothing", "pond"):
        assert _search(rebuilt.conn, word) == _search(by_triggers.conn, word), word
    assert _search(rebuilt.conn, "rain") == [_search(rebuilt.conn, "again")[0]]
    rebuilt.conn.execute("INSERT INTO posts_fts(posts_fts) VALUES('integrity-check')")
    assert _schema(rebuilt.conn) == _schema(by_triggers.conn)
    # the triggers are back and keep the index current
    save(rebuilt, posts=[_post(12, "herons fishing")])
    assert _search(rebuilt.conn, "heron") != []
    # a failure in the saves rolls back, triggers included
    rebuilt.conn.execute("BEGIN IMMEDIATE")
    with pytest.raises(ZeroDivisionError):
        with search_index_rebuilt_after(rebuilt):
            save(rebuilt, posts=[_post(13, "owls hooting")])
            1 / 0
    rebuilt.conn.execute("ROLLBACK")
    assert _schema(rebuilt.conn) == _schema(by_triggers.conn)
    assert _search(rebuilt.conn, "owl") == []
