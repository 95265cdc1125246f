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


def test_a_first_save_makes_the_index_at_the_end_the_same_as_one_made_before(tmp_path: Path) -> None:
    from transform.store import save, search_index_rebuilt_after

    texts = ["ducks swimming in the pond", "a walk in the rain", "swimmers and walkers"]
    made_before = sqlite_utils.Database(sqlite3.connect(tmp_path / "a.db", isolation_level=None), execute_plugins=False)
    ensure_schema(made_before)  # the whole schema first, the empty indexes and their triggers too
    fresh = sqlite_utils.Database(sqlite3.connect(tmp_path / "b.db", isolation_level=None), execute_plugins=False)
    for db in (made_before, fresh):
        db.conn.execute("BEGIN IMMEDIATE")
        with search_index_rebuilt_after(db) as save_rows:
            save_rows(posts=[_post(n, t) for n, t in enumerate(texts)])
            names = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master")}
            assert "posts" in names and "posts_ai" not in names
            # in an archive transformed for the first time, no index until the rows are in
            assert ("posts_fts" in names) == (db is made_before)
        db.conn.execute("COMMIT")
    assert _schema(fresh.conn) == _schema(made_before.conn)
    # the same index to the byte, the blog's empty comments index included
    for table in ("posts_fts_data", "posts_fts_idx", "posts_fts_docsize", "posts_fts_config",
                  "comments_fts_data", "comments_fts_idx", "comments_fts_config"):
        rows = f"SELECT * FROM {table} ORDER BY 1"
        assert fresh.conn.execute(rows).fetchall() == made_before.conn.execute(rows).fetchall(), table
    assert _search(fresh.conn, "swim") == [1] and _search(fresh.conn, "rain") == [2]
    # the triggers keep it current from then on
    save(fresh, posts=[_post(7, "herons fishing")])
    assert _search(fresh.conn, "heron") == [4]


def test_a_save_that_makes_the_schema_itself_inside_a_first_rebuild(tmp_path: Path) -> None:
    from transform.store import save, search_index_rebuilt_after

    db = sqlite_utils.Database(sqlite3.connect(tmp_path / "blog.db", isolation_level=None), execute_plugins=False)
    db.conn.execute("BEGIN IMMEDIATE")
    with search_index_rebuilt_after(db):
        save(db, posts=[_post(1, "owls hooting")])  # ensures the whole schema, triggers and all
    db.conn.execute("COMMIT")
    assert _search(db.conn, "owl") == [1]
    db.conn.execute("INSERT INTO posts_fts(posts_fts) VALUES('integrity-check')")
    triggers = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert triggers == {f"{t}_{k}" for t in _FTS for k in ("ai", "ad", "au")}
