"""The crawl's child processes never outlive blogport: SIGKILL the ``blogport crawl``
process mid-crawl and its crawl process and extraction worker are gone, and nothing writes
the archive afterwards."""

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
from tests.crawler.faultserver import FaultServer, Slow

PROJECT = Path(__file__).resolve().parents[2]
#: Longest wait for a process to appear or vanish (a bound, not a timing under test).
WAIT_S = 60.0


def _children(pid: int) -> list[int]:
    """Live (non-zombie) children of ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
def test_killing_blogport_kills_its_crawl_and_extraction_processes(tmp_path: Path) -> None:
    blog = generate_blog(seed=51, posts=150, family="layout-flat", big_thread=False)
    out = tmp_path / "out"
    with FaultServer(blog) as server:
        server.default, server.after = Slow(0.3), 120  # past the first pages, the blog is slow
        proc = subprocess.Popen(
            [sys.executable, "-m", "blogport.cli", "crawl", server.base_url + "/", "-o", str(out), "--via", "html",
             "--no-throttle", "--no-progress"],
            cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            crawl_pids: list[int] = []

            def worker_running() -> bool:
                crawl_pids[:] = _children(proc.pid)
                return any(
                    "spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")
                    for pid in crawl_pids for c in _children(pid) if _alive(c)
                )

            _wait_for(worker_running, "the extraction worker to start")

            def posts_stored() -> bool:
                try:
                    conn = sqlite3.connect(f"file:{out / 'blog.db'}?mode=ro", uri=True)
                    try:
                        return conn.execute("SELECT count(*) FROM raw_posts").fetchone()[0] > 0
                    finally:
                        conn.close()
                except sqlite3.Error:
                    return False

            _wait_for(posts_stored, "the extraction worker to store posts")  # it writes when killed
            family = crawl_pids + [c for pid in crawl_pids for c in _children(pid)]
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=WAIT_S)
            _wait_for(lambda: not any(_alive(pid) for pid in family), "the crawl's processes to die with blogport")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    db = out / "blog.db"
    before = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(out.glob("blog.db*"))]
    time.sleep(1.0)  # anything still running would write its next batch within this second
    after = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(out.glob("blog.db*"))]
    assert before == after, "something went on writing the archive after blogport was killed"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM raw_posts").fetchone()[0] > 0
    finally:
        conn.close()


def test_what_the_crawl_process_imports_before_its_job_installs_no_reactor() -> None:
    """The job names the reactor, installed once the job is read: the modules imported while
    the process waits for it (``crawler.process.PRELOADED``) must not install one."""
    code = ("import sys; from crawler.process import PRELOADED, preload; preload();"
            " print(all(m in sys.modules for m in PRELOADED), 'twisted.internet.reactor' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]


def test_a_crawl_process_started_ahead_runs_the_crawl_or_is_ended_unused(tmp_path: Path) -> None:
    from crawler.options import CrawlOptions
    from crawler.run import EarlyCrawlProcess, crawl
    from fixtures.server import FixtureServer

    unused = EarlyCrawlProcess().start()
    assert unused.proc is not None
    pid = unused.proc.pid
    unused.close()
    assert pid not in _children(os.getpid()) and unused.proc is None

    early = EarlyCrawlProcess().start()
    assert early.proc is not None
    pid = early.proc.pid
    with FixtureServer(generate_blog(seed=9, posts=5)) as server:
        summary = crawl(server.base_url + "/", tmp_path / "out", CrawlOptions(via="html", autothrottle=False,
                                                                              progress=False), early=early)
    assert summary.posts_found >= 5 and not summary.errors
    assert early.proc is None, "the crawl took the process started ahead"
    assert pid not in _children(os.getpid())
