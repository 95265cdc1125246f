"""Ctrl-C during ``migrate``'s crawl stops the whole command: nothing after the crawl runs,
exit 130, "interrupted: run the same command again to resume"; and the same command resumes.

Real processes: the ``blogport`` command in a child process, SIGINT sent to it as a terminal
would (the crawl's own Scrapy process is in its own session: only blogport gets the signal,
and stops it gracefully), the fixture blog over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from tests.blogport.cli_process import PROJECT, blogport
from tests.blogport.test_resume import count, integrity, stored_post_pages

INTERRUPT_AFTER_POSTS = 5


def interrupt_part_way(args: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    """Run ``blogport ARGS`` one request at a time and send it SIGINT (Ctrl-C) once it has
    stored INTERRUPT_AFTER_POSTS post pages; wait for it to end by itself."""
    proc = subprocess.Popen([sys.executable, "-m", "blogport.cli", *args], cwd=PROJECT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while stored_post_pages(db) < INTERRUPT_AFTER_POSTS:
            assert proc.poll() is None, "blogport ended before it could be interrupted"
            assert time.monotonic() < deadline, "blogport stored too few pages in time"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_ctrl_c_during_the_crawl_stops_migrate_and_the_same_command_resumes(tmp_path: Path) -> None:
    blog = generate_blog(seed=33, posts=80)
    out = tmp_path / "site"
    db = out / "blog.db"
    with FixtureServer(blog) as server:
        args = ["migrate", server.base_url + "/", "-o", str(out), "--via", "html", "--concurrency", "1",
                "--no-progress"]
        stopped = interrupt_part_way(args, db)

        assert stopped.returncode == 130, stopped.stderr
        assert "blogport: interrupted: run the same command again to resume" in stopped.stderr
        assert "Traceback" not in stopped.stderr
        # nothing after the crawl ran: no normalised tables, no exports, no report
        for name in ("wordpress.xml", "markdown", "redirects", "report.html", "report.json"):
            assert not (out / name).exists(), f"{name} was written after Ctrl-C"
        assert "[transform]" not in stopped.stdout and "[crawl]" in stopped.stdout
        assert integrity(db) == "ok"
        conn = sqlite3.connect(db)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            status = conn.execute("SELECT exit_status FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
        finally:
            conn.close()
        assert "posts" not in tables or count(db, "SELECT count(*) FROM posts") == 0
        assert status == 130
        partial = stored_post_pages(db)
        assert partial >= INTERRUPT_AFTER_POSTS

        resumed = blogport(*args[:-3], "--no-throttle", "--no-progress")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert stored_post_pages(db) > partial
    assert count(db, "SELECT count(*) FROM posts") == len(blog.visible_items)
    assert (out / "wordpress.xml").is_file() and (out / "report.json").is_file()


def test_ctrl_c_during_blogport_crawl_is_exit_130_and_keeps_the_pages(tmp_path: Path) -> None:
    blog = generate_blog(seed=34, posts=60)
    out = tmp_path / "archive"
    with FixtureServer(blog) as server:
        stopped = interrupt_part_way(["crawl", server.base_url + "/", "-o", str(out), "--via", "html",
                                      "--concurrency", "1", "--no-progress", "--json"], out / "blog.db")
    assert stopped.returncode == 130, stopped.stderr
    assert stopped.stderr.strip().splitlines()[-1] == "blogport: interrupted: run the same command again to resume"
    data = json.loads(stopped.stdout)
    assert data["interrupted"] is True and data["exit_code"] == 130
    assert integrity(out / "blog.db") == "ok" and stored_post_pages(out / "blog.db") >= INTERRUPT_AFTER_POSTS
