"""``kernel.archive.open_archive``: one check of DIR/blog.db for every stage, by what it needs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kernel.archive import ARCHIVE_NEEDS, Archive, open_archive
from kernel.errors import ArchiveError
from kernel.records import RawPost


def test_missing_archive_is_named(tmp_path: Path) -> None:
    for need in ARCHIVE_NEEDS:
        with pytest.raises(ArchiveError, match="no archive at"):
            open_archive(tmp_path, need=need)
    assert not (tmp_path / "blog.db").exists()


def test_a_file_that_is_not_an_archive_is_refused_untouched(tmp_path: Path) -> None:
    (tmp_path / "blog.db").write_bytes(b"not sqlite at all" * 64)
    with pytest.raises(ArchiveError, match="not a blogport archive"):
        open_archive(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    sqlite3.connect(other / "blog.db").execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(ArchiveError, match="no raw_posts/raw_comments/meta tables"):
        open_archive(other)
    with sqlite3.connect(other / "blog.db") as conn:
        assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master")} == {"t"}  # nothing written


def test_the_exports_need_normalised_posts(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        archive.store_page("https://b.example/2010/01/x.html", status=200, body="<html/>", kind="post",
                           posts=[RawPost(url="https://b.example/2010/01/x.html", title="X", body_html="x")])
    with open_archive(tmp_path) as archive:  # raw records are enough for the transform
        assert archive.conn.execute("SELECT count(*) FROM raw_posts").fetchone() == (1,)
    with pytest.raises(ArchiveError, match="has no normalised posts yet: run blogport transform"):
        open_archive(tmp_path, need="normalised")
    with sqlite3.connect(tmp_path / "blog.db") as conn:
        for table in ("authors", "tags", "post_tags", "comments"):
            conn.execute(f"CREATE TABLE {table} (id)")
        conn.execute("CREATE TABLE posts (id, deleted_at)")
    with pytest.raises(ArchiveError, match="holds 1 crawled posts but none transformed"):
        open_archive(tmp_path, need="normalised")


def test_another_schema_version_is_refused(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        archive.set_meta("schema_version", 99)
    with pytest.raises(ArchiveError, match="schema version 99"):
        open_archive(tmp_path)


def test_an_archive_made_before_a_table_was_added_gets_it_when_opened(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        archive.conn.execute("DROP TABLE captures")
    with open_archive(tmp_path) as archive:
        assert archive.conn.execute("SELECT count(*) FROM captures").fetchone() == (0,)
        assert archive.get_meta("schema_version") == 1


def test_a_complete_archive_is_opened_without_a_write(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        archive.set_meta("x", 1)
    db = tmp_path / "blog.db"
    before = db.read_bytes()
    with open_archive(tmp_path) as archive:
        assert archive.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert archive.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
        # nothing was written: the write-ahead log holds no frame
        assert (tmp_path / "blog.db-wal").stat().st_size == 0
    assert db.read_bytes() == before
    assert not (tmp_path / "blog.db-wal").exists()


def test_a_complete_archive_opens_while_a_crawl_writes_to_it(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        archive.set_meta("x", 1)
    writer = sqlite3.connect(tmp_path / "blog.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a crawl's write in progress holds the write lock
    writer.execute("INSERT INTO meta (key, value) VALUES ('y', '2')")
    try:
        with open_archive(tmp_path) as archive:  # opening takes no write lock: no wait
            assert archive.get_meta("x") == 1 and archive.get_meta("y") is None
    finally:
        writer.execute("ROLLBACK")
        writer.close()
