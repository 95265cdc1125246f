"""``blogport batch --redis`` and ``blogport worker`` for real: a redis-server started by the
test, fixture blogs on 127.0.0.1 (served slowly by the test's own server, so that requests
are in flight when something is killed), worker and coordinator processes killed with
SIGKILL part-way. Every blog's archive must equal what ``blogport migrate`` gives for that
blog alone."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from tests.blogport.test_batch import CRAWL_FLAGS, assert_same_archive, migrate_alone, unreachable_url, write_list
from tests.redis_server import RedisServer, redis_server  # noqa: F401 - the fixture

PROJECT = Path(__file__).resolve().parents[2]
WAIT_S = 240.0


class SlowServer(FixtureServer):
    """A fixture blog answering each request after ``pause`` seconds; counts the requests it
    serves at once."""

    def __init__(self, blog: Any, pause: float) -> None:
        super().__init__(blog)
        self.pause = pause
        self.in_flight = 0
        self.most_in_flight = 0
        self._count = threading.Lock()

    def _handle(self, h: Any, head: bool) -> None:
        with self._count:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.pause)
            super()._handle(h, head)
        finally:
            with self._count:
                self.in_flight -= 1


class Processes:
    """blogport processes of one test; whatever still runs at the end is killed."""

    def __init__(self, logs: Path) -> None:
        self.started: list[subprocess.Popen[str]] = []
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)

    def blogport(self, *args: str, log_name: str = "") -> subprocess.Popen[str]:
        stderr: Any = subprocess.PIPE
        if log_name:  # a worker's log, for the person reading a failure
            stderr = open(self.logs / f"{log_name}-{len(self.started)}.log", "w", encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "blogport.cli", *args], cwd=PROJECT, text=True,
                                stdout=subprocess.PIPE, stderr=stderr)
        if log_name:
            stderr.close()
        self.started.append(proc)
        return proc

    def worker(self, url: str, *options: str) -> subprocess.Popen[str]:
        return self.blogport("-v", "worker", "--redis", url, "--idle-exit", "60", "--json", *options, log_name="worker")

    def kill_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path / "logs")
    try:
        yield procs
    finally:
        procs.kill_all()


def wait_until(condition: Any, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=WAIT_S)
    return proc.returncode, out, err


def workers_alive(url: str, count: int) -> bool:
    return redis.Redis.from_url(url).scard("blogport:workers") >= count


def stored_pages(db: Path, kinds: tuple[str, ...] = ("post", "comments")) -> set[str]:
    if not db.is_file():
        return set()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        marks = ",".join("?" * len(kinds))
        rows = conn.execute(f"SELECT url FROM pages WHERE status = 200 AND error IS NULL AND kind IN ({marks})", kinds)
        return {row[0] for row in rows}
    except sqlite3.Error:
        return set()
    finally:
        conn.close()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_a_worker_killed_midway_loses_nothing(tmp_path: Path, redis_server: RedisServer,  # noqa: F811
                                              processes: Processes) -> None:
    blogs = [generate_blog(seed=41 + i, posts=14) for i in range(3)]
    servers = [SlowServer(blog, pause=0.05).start() for blog in blogs]
    try:
        listing = write_list(tmp_path / "blogs.txt", [s.base_url + "/" for s in servers])
        doomed = processes.worker(redis_server.url, "--id", "doomed")
        survivor = processes.worker(redis_server.url, "--id", "survivor")
        wait_until(lambda: workers_alive(redis_server.url, 2), "both workers")
        batch = processes.blogport("batch", str(listing), "-o", str(tmp_path / "root"), "--redis", redis_server.url,
                                   *CRAWL_FLAGS, "--json")
        db = redis.Redis.from_url(redis_server.url)
        wait_until(lambda: sum(len(s.requests) for s in servers) >= 20 and db.scard("blogport:inflight:doomed"),
                   "the doomed worker to have requests in flight")
        assert batch.poll() is None
        doomed.send_signal(signal.SIGKILL)
        code, out, err = finish(batch)
        assert code == 0, err
        assert doomed.wait() == -signal.SIGKILL and survivor.poll() is None
        result = json.loads(out)
        assert [b["exit_code"] for b in result["blogs"]] == [0, 0, 0]
        assert result["requeued"] > 0  # what the killed worker had taken went back to the queue ...
        for server in servers:  # ... and every page is stored, once, as migrate stores it
            alone = migrate_alone(server.base_url + "/", tmp_path / f"alone-{server.port}")
            assert_same_archive(tmp_path / "root" / f"127.0.0.1_{server.port}" / "blog.db", alone)
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize("redis_kept", [True, False], ids=["redis-kept", "redis-lost"])
def test_the_coordinator_killed_resumes_fetching_nothing_stored(tmp_path: Path, redis_server: RedisServer,  # noqa: F811
                                                                processes: Processes, redis_kept: bool) -> None:
    with SlowServer(generate_blog(seed=51, posts=16), pause=0.05) as server:
        listing = write_list(tmp_path / "blogs.txt", [server.base_url + "/"])
        root = tmp_path / "root"
        archive = root / f"127.0.0.1_{server.port}" / "blog.db"
        command = ("batch", str(listing), "-o", str(root), "--redis", redis_server.url, *CRAWL_FLAGS, "--json")
        worker = processes.worker(redis_server.url)
        coordinator = processes.blogport(*command)
        wait_until(lambda: len(stored_pages(archive)) >= 6, "a few stored post pages")
        coordinator.send_signal(signal.SIGKILL)
        assert coordinator.wait() == -signal.SIGKILL
        if not redis_kept:  # the queue, the filter and the pages in flight are all gone
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            redis.Redis.from_url(redis_server.url).flushall()
            worker = processes.worker(redis_server.url)
        stored = stored_pages(archive)
        server.clear_log()
        code, out, err = finish(processes.blogport(*command))
        assert code == 0, err
        again = {r.path for r in server.requests} & {path_of(url) for url in stored}
        assert not again, f"pages stored before the kill were fetched again: {sorted(again)[:5]}"
        assert_same_archive(archive, migrate_alone(server.base_url + "/", tmp_path / "alone"))


def test_politeness_is_shared_by_the_workers(tmp_path: Path, redis_server: RedisServer,  # noqa: F811
                                             processes: Processes) -> None:
    with SlowServer(generate_blog(seed=61, posts=3), pause=0.3) as server:
        listing = write_list(tmp_path / "blogs.txt", [server.base_url + "/"])
        # each worker takes two requests at a time: on their own, two workers would have four in flight
        workers = [processes.worker(redis_server.url, "--concurrency", "2") for _ in range(2)]
        wait_until(lambda: workers_alive(redis_server.url, 2), "both workers")
        code, out, err = finish(processes.blogport(
            "batch", str(listing), "-o", str(tmp_path / "root"), "--redis", redis_server.url, "--via", "html",
            "--concurrency", "2", "--no-download-images", "--no-progress", "--json"))
        assert code == 0, err
        for worker in workers:  # told to stop: a graceful shutdown, with its summary
            worker.send_signal(signal.SIGTERM)
        fetched = [json.loads(finish(w)[1])["pages_fetched"] for w in workers]
    assert all(n > 0 for n in fetched), fetched  # both workers fetched from the blog ...
    assert 1 <= server.most_in_flight <= 2  # ... never more than --concurrency at once, all together


def test_redis_unreachable_is_one_line(tmp_path: Path) -> None:
    listing = write_list(tmp_path / "blogs.txt", ["http://127.0.0.1:9/"])
    url = unreachable_url().replace("http://", "redis://") + "0"
    for args in (("batch", str(listing), "-o", str(tmp_path / "root"), "--redis", url),
                 ("worker", "--redis", url)):
        done = subprocess.run([sys.executable, "-m", "blogport.cli", *args], cwd=PROJECT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 2
        assert done.stderr.startswith("blogport: error: cannot reach Redis at ") and len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "root").exists()
