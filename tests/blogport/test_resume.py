"""A crawl killed part-way (SIGKILL) resumes: nothing stored is fetched again, nothing is
duplicated, and the archive ends equal to an uninterrupted crawl's; killed mid-way it holds
whole pages only (``PRAGMA integrity_check``)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from tests.blogport.cli_process import blogport

PROJECT = Path(__file__).resolve().parents[2]
KILL_AFTER_POSTS = 12



def stored_post_pages(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM pages WHERE kind='post' AND status=200").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def kill_part_way(args: list[str], db: Path) -> subprocess.Popen[bytes]:
    """Run ``blogport ARGS`` one request at a time, and SIGKILL it (its crawl process first,
    which writes the archive, then the CLI) once it has stored KILL_AFTER_POSTS post pages."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "blogport.cli", *args, "--via", "html", "--concurrency", "1", "--no-progress"],
        cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while stored_post_pages(db) < KILL_AFTER_POSTS:
            assert proc.poll() is None, f"blogport {args[0]} ended before it could be killed"
            assert time.monotonic() < deadline, f"blogport {args[0]} stored too few pages in time"
            time.sleep(0.02)
        for pid in reversed(descendants(proc.pid)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    return proc


def descendants(pid: int) -> list[int]:
    """Child processes of ``pid`` (the crawl's Scrapy process), from /proc."""
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                text = Path(f"/proc/{current}/task/{task}/children").read_text()
            except (FileNotFoundError, PermissionError):
                continue
            for child in text.split():
                found.append(int(child))
                stack.append(int(child))
    return found


def archive_sets(db: Path) -> dict[str, set[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {
            "pages": set(conn.execute("SELECT url, status, sha256, kind FROM pages")),
            "raw_posts": set(conn.execute("SELECT url, post_id, page_url, record FROM raw_posts")),
            "raw_comments": set(conn.execute(
                "SELECT key, post_url, comment_id, page_url, position, record FROM raw_comments")),
        }
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def blog():  # type: ignore[no-untyped-def]
    return generate_blog(seed=21, posts=40)


def test_killed_crawl_resumes_to_the_same_archive(blog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        clean = tmp_path / "clean"
        done = blogport("crawl", url, "-o", str(clean), "--no-throttle", "--no-progress", "--via", "html")
        assert done.returncode == 0, done.stderr
        total_posts = count(clean / "blog.db", "SELECT count(*) FROM pages WHERE kind='post'")
        assert total_posts > KILL_AFTER_POSTS * 2

        killed = tmp_path / "killed"
        db = killed / "blog.db"
        server.clear_log()
        # One request at a time, so the kill lands part-way through.
        proc = kill_part_way(["crawl", url, "-o", str(killed)], db)
        assert proc.returncode == -signal.SIGKILL

        assert integrity(db) == "ok"
        partial = count(db, "SELECT count(*) FROM pages WHERE kind='post'")
        assert KILL_AFTER_POSTS <= partial < total_posts, "the kill did not land part-way"
        # whole pages only: every stored post page has its raw post
        assert count(db, "SELECT count(*) FROM pages p WHERE p.kind='post' AND p.status=200 AND NOT EXISTS"
                         " (SELECT 1 FROM raw_posts r WHERE r.page_url = p.url)") == 0
        conn = sqlite3.connect(db)
        stored_before = {u for (u,) in conn.execute("SELECT url FROM pages WHERE kind='post' AND status=200")}
        conn.close()
        base = server.base_url

        server.clear_log()
        resumed = blogport("crawl", url, "-o", str(killed), "--no-throttle", "--no-progress", "--via", "html")
        assert resumed.returncode == 0, resumed.stderr
        refetched = {base + r.path for r in server.requests if r.method == "GET"} & stored_before
        assert refetched == set(), f"stored post pages fetched again: {sorted(refetched)[:5]}"

    assert integrity(db) == "ok"
    got, want = archive_sets(db), archive_sets(clean / "blog.db")
    for table in ("pages", "raw_posts", "raw_comments"):
        assert sorted(got[table]) == sorted(want[table]), table
    # nothing duplicated: keys are unique and counts equal
    assert count(db, "SELECT count(*) FROM raw_comments") == count(clean / "blog.db", "SELECT count(*) FROM raw_comments")


def test_sync_finishes_a_migration_whose_crawl_was_killed(blog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A migrate killed during its crawl: the next sync resumes the crawl and writes the exports."""
    from kernel.archive import Archive

    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        out = tmp_path / "site"
        db = out / "blog.db"
        kill_part_way(["migrate", url, "-o", str(out)], db)
        assert not (out / "wordpress.xml").exists()
        with Archive(db) as archive:
            assert archive.get_meta("config") is not None
        stored_before = {u for (u,) in sqlite3.connect(db).execute(
            "SELECT url FROM pages WHERE kind='post' AND status=200")}

        server.clear_log()
        synced = blogport("sync", str(out), "--json")
        assert synced.returncode in (0, 1), synced.stderr
        import json

        data = json.loads(synced.stdout)
        assert data["mode"] == "resume" and data["exports_updated"] is True
        refetched = {server.base_url + r.path for r in server.requests if r.method == "GET"} & stored_before
        assert refetched == set()
    assert (out / "wordpress.xml").is_file()
    n_posts = count(db, "SELECT count(*) FROM posts")
    assert n_posts == len(blog.visible_items)
    assert integrity(db) == "ok"
