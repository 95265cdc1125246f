"""Sync's refusals and its bookkeeping: the runs table, the cursor, post history that survives
a run killed between the transform and the history write."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from blogport.config import MigrationConfig, save_config
from blogport.runs import finish_run, last_successful_run, list_runs, start_run
from blogport.sync import (
    CURSOR_MARGIN,
    _cursor,
    apply_deletions,
    record_versions,
    records_fingerprint,
    sync,
)
from kernel.archive import Archive
from kernel.errors import ArchiveError
from crawler.options import CrawlOptions
from kernel.records import RawPost
from transform.models import Post
from transform.store import save

PROJECT = Path(__file__).resolve().parents[2]


def test_sync_refuses_a_folder_without_an_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="was not made by blogport migrate; run migrate first"):
        sync(tmp_path)
    assert not (tmp_path / "blog.db").exists()  # nothing created


def test_sync_refuses_an_archive_without_a_saved_migration(tmp_path: Path) -> None:
    Archive.in_dir(tmp_path).close()  # a crawl, not a migrate
    proc = subprocess.run([sys.executable, "-m", "blogport.cli", "sync", str(tmp_path), "--json"],
                          capture_output=True, text=True, cwd=PROJECT, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"blogport: error: {tmp_path} was not made by blogport migrate; run migrate first")
    assert proc.stdout == ""


def test_sync_refuses_a_file_that_is_not_an_archive(tmp_path: Path) -> None:
    (tmp_path / "blog.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArchiveError):
        sync(tmp_path)


def test_unreachable_blog_is_exit_2_and_recorded_as_a_failed_run(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        save_config(archive, MigrationConfig(source="http://127.0.0.1:9/", crawl=CrawlOptions(retries=0)))
        archive.conn.execute("CREATE TABLE export_ledger (format TEXT, item_type TEXT, item_id TEXT, location TEXT)")
        archive.conn.execute("INSERT INTO export_ledger VALUES ('wxr', 'post', '1', 'wordpress.xml')")
    proc = subprocess.run([sys.executable, "-m", "blogport.cli", "sync", str(tmp_path)],
                          capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("blogport: error: cannot reach http://127.0.0.1:9/")
    with Archive.in_dir(tmp_path) as archive:
        (run,) = list_runs(archive)
        assert run.command == "sync" and run.exit_status == 2 and run.ended is not None
        assert "UnreachableError" in run.details["error"]
        assert last_successful_run(archive) is None


def test_runs_rows_and_the_cursor(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        assert _cursor(archive) is None
        archive.store_page("http://b.example/2009/08/x.html", status=200, body="<p>x</p>", kind="post",
                           fetched_at="2026-01-02T03:00:00+00:00")
        # no run yet: the first crawl's time (less the margin)
        assert _cursor(archive) == "2026-01-02T02:50:00+00:00"
        a = start_run(archive, "migrate", "http://b.example/", started="2026-01-03T00:00:00+00:00")
        finish_run(archive, a, exit_status=0, new=5)
        b = start_run(archive, "sync", "http://b.example/", started="2026-01-04T00:00:00+00:00")
        finish_run(archive, b, exit_status=1, failed=2)  # item failures: not a success
        c = start_run(archive, "sync", "http://b.example/", started="2026-01-05T00:00:00+00:00")  # killed
        runs = list_runs(archive)
        assert [(r.id, r.command, r.exit_status, r.new, r.failed) for r in runs] == [
            (a, "migrate", 0, 5, 0), (b, "sync", 1, 0, 2), (c, "sync", None, None, None)]
        assert runs[2].ended is None
        assert last_successful_run(archive).id == a
        assert CURSOR_MARGIN.total_seconds() == 600
        # a migrate may have resumed a crawl (old pages not fetched again): the first crawl still counts
        assert _cursor(archive) == "2026-01-02T02:50:00+00:00"
        d = start_run(archive, "sync", "http://b.example/", started="2026-01-06T00:00:00+00:00")
        finish_run(archive, d, exit_status=0, details={"mode": "resume"})
        assert _cursor(archive) == "2026-01-02T02:50:00+00:00"
        e = start_run(archive, "sync", "http://b.example/", started="2026-01-07T00:00:00+00:00")
        finish_run(archive, e, exit_status=0, details={"mode": "feeds"})
        assert last_successful_run(archive).id == e
        assert _cursor(archive) == "2026-01-06T23:50:00+00:00"


def _post(pid: str, body: str, title: str = "T") -> Post:
    return Post(id=pid, url=f"http://b.example/{pid}.html", title=title, slug=pid, body_html=body,
                body_text=body, published="2009-08-15T16:50:00+00:00", published_local=None)


def _versions(archive: Archive) -> list[tuple]:  # type: ignore[type-arg]
    return archive.conn.execute(
        "SELECT post_id, version, title, body_html, content_sha256, fetched_at, recorded_at FROM post_versions"
        " ORDER BY post_id, version").fetchall()


def test_post_versions_keep_every_edit_even_across_a_run_killed_after_its_transform(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        db = sqlite_utils.Database(archive.conn)
        archive.store_page("http://b.example/1.html", status=200, body="<p>old</p>", kind="post",
                           fetched_at="2026-01-01T00:00:00+00:00",
                           posts=[RawPost(url="http://b.example/1.html", title="T", body_html="<p>old</p>")])
        save(db, posts=[_post("1", "<p>old</p>"), _post("2", "<p>same</p>")])
        # a sync starts: the posts as the exports show them are version 1
        assert record_versions(archive, "2026-01-04T00:00:00+00:00") == set()
        save(db, posts=[_post("1", "<p>new</p>"), _post("2", "<p>same</p>"), _post("3", "<p>fresh</p>")])
        # ... killed here, after the transform. The next sync's first call catches up:
        assert record_versions(archive, "2026-01-05T00:00:00+00:00") == {"1"}
        assert record_versions(archive, "2026-01-05T00:00:00+00:00") == set()  # nothing new: no row
        save(db, posts=[_post("1", "<p>new</p>", title="Retitled"), _post("2", "<p>same</p>"),
                        _post("3", "<p>fresh</p>")])
        assert record_versions(archive, "2026-01-06T00:00:00+00:00") == {"1"}
        rows = _versions(archive)
    sha = lambda title, body: hashlib.sha256(f"{title}\0{body}".encode()).hexdigest()  # noqa: E731
    assert rows == [
        ("1", 1, "T", "<p>old</p>", sha("T", "<p>old</p>"), "2026-01-01T00:00:00+00:00", "2026-01-04T00:00:00+00:00"),
        ("1", 2, "T", "<p>new</p>", sha("T", "<p>new</p>"), "2026-01-01T00:00:00+00:00", "2026-01-05T00:00:00+00:00"),
        ("1", 3, "Retitled", "<p>new</p>", sha("Retitled", "<p>new</p>"), "2026-01-01T00:00:00+00:00",
         "2026-01-06T00:00:00+00:00"),
        ("2", 1, "T", "<p>same</p>", sha("T", "<p>same</p>"), None, "2026-01-04T00:00:00+00:00"),
        ("3", 1, "T", "<p>fresh</p>", sha("T", "<p>fresh</p>"), None, "2026-01-05T00:00:00+00:00"),
    ]


def test_post_versions_take_in_the_history_an_older_blogport_kept(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        db = sqlite_utils.Database(archive.conn)
        save(db, posts=[_post("1", "<p>now</p>")])
        archive.conn.execute("CREATE TABLE post_history (id INTEGER PRIMARY KEY, post_id TEXT NOT NULL, url TEXT,"
                             " title TEXT, body_html TEXT, published TEXT, updated TEXT, replaced_at TEXT NOT NULL,"
                             " body_sha256 TEXT)")
        archive.conn.execute("INSERT INTO post_history (post_id, url, title, body_html, replaced_at)"
                             " VALUES ('1', 'http://b.example/1.html', 'T', '<p>first</p>', '2026-01-02T00:00:00+00:00')")
        assert record_versions(archive, "2026-01-07T00:00:00+00:00") == {"1"}
        rows = [(r[0], r[1], r[3], r[6]) for r in _versions(archive)]
        tables = {r[0] for r in archive.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert rows == [("1", 1, "<p>first</p>", "2026-01-02T00:00:00+00:00"),
                    ("1", 2, "<p>now</p>", "2026-01-07T00:00:00+00:00")]
    assert "post_history" not in tables


def test_deleted_at_is_set_once_and_cleared_when_a_post_comes_back(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        db = sqlite_utils.Database(archive.conn)
        save(db, posts=[_post("1", "a"), _post("2", "b")])
        apply_deletions(archive.conn, {"http://b.example/1.html": "2026-01-05T00:00:00+00:00"})
        apply_deletions(archive.conn, {"http://b.example/1.html": "2026-02-01T00:00:00+00:00"})
        assert archive.conn.execute("SELECT id, deleted_at FROM posts ORDER BY id").fetchall() == [
            ("1", "2026-01-05T00:00:00+00:00"), ("2", None)]
        save(db, posts=[_post("1", "a")])  # a transform re-run keeps deleted_at
        assert archive.conn.execute("SELECT deleted_at FROM posts WHERE id='1'").fetchone()[0] is not None
        apply_deletions(archive.conn, {})
        assert archive.conn.execute("SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL").fetchone() == (0,)


def test_records_fingerprint_sees_every_record_change(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        empty = records_fingerprint(archive)
        post = RawPost(url="http://b.example/x.html", title="X", body_html="<p>x</p>")
        archive.store_page(post.url, status=200, body="<html/>", kind="post", posts=[post])
        one = records_fingerprint(archive)
        archive.store_page(post.url, status=200, body="<html/>", kind="post", posts=[post])
        assert records_fingerprint(archive) == one != empty  # a re-fetch of the same page: same records
        archive.store_page(post.url, status=200, body="<html/>", kind="post",
                           posts=[RawPost(url=post.url, title="X", body_html="<p>edited</p>")])
        assert records_fingerprint(archive) != one
