"""``migrate`` of a live blog fetches the pictures its export needs in the crawl's own process
(kept once the crawl has ended): each picture is requested once, no image download process
is started, and the exports link the local pictures exactly as an export that fetched them
in a process of its own does.

Real parts: the fixture blog over HTTP on 127.0.0.1 with its pictures, the real archive, the
real crawl process; which processes ``migrate`` starts is read from Python's own audit events
(``subprocess.Popen``), which processes are still alive from ``/proc``."""

from __future__ import annotations

import filecmp
import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from blogport.config import MigrationConfig
from blogport.migrate import migrate
from crawler.options import CrawlOptions
from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from loaders.images import MANIFEST, STORE_DIR
from loaders.options import ExportOptions
from tests.blogport.cli_process import PROJECT, blogport

_started: list[list[str]] = []
_watching = threading.Event()


def _audit(event: str, args: tuple) -> None:
    if event == "subprocess.Popen" and _watching.is_set():
        _started.append([str(a) for a in (args[1] or [])])


sys.addaudithook(_audit)  # audit hooks stay for the life of the interpreter: it only records while watching


@pytest.fixture()
def started() -> Iterator[list[list[str]]]:
    """The argument lists of the processes started meanwhile."""
    _started.clear()
    _watching.set()
    try:
        yield _started
    finally:
        _watching.clear()


def _modules(started: list[list[str]]) -> list[str]:
    return [args[args.index("-m") + 1] for args in started if "-m" in args]


def _children() -> set[int]:
    """Pids of this process's living children (any thread's)."""
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        text = (task / "children").read_text()
        pids.update(int(p) for p in text.split())
    return pids


def _picture_paths(server: FixtureServer) -> list[str]:
    return [p for p in server.requested_paths() if p.startswith("/images/")]


def _config(url: str, **export: object) -> MigrationConfig:
    return MigrationConfig(source=url, crawl=CrawlOptions(via="html", autothrottle=False, progress=False),
                           export=ExportOptions(**export))  # type: ignore[arg-type]


def test_live_migrate_fetches_each_picture_once_in_the_crawl_process(tmp_path: Path, started: list[list[str]],
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    blog = generate_blog(seed=41, posts=30)
    pictures = sorted({img for post in blog.visible_items for img in post.images})
    assert len(pictures) >= 3, "the fixture blog has pictures to move"
    with FixtureServer(blog) as server:
        before = _children()
        result = migrate(_config(server.base_url + "/"), tmp_path / "site", validate=False)
        modules = _modules(started)
        assert modules == ["crawler.process"], f"one crawl process and nothing else: {modules}"
        assert _children() <= before, "the crawl process was ended with the export"
        assert sorted(_picture_paths(server)) == pictures, "each picture requested once"
        markdown = result.stages["export"].counts["markdown"]
        assert (markdown["images_downloaded"], markdown["images_failed"]) == (len(pictures), 0)
        manifest = json.loads((tmp_path / "site" / STORE_DIR / MANIFEST).read_text())["images"]
        assert sorted(manifest) == [server.url(p) for p in pictures]
        for entry in manifest.values():
            assert (tmp_path / "site" / STORE_DIR / entry["name"]).is_file()

        # again: every picture is in the store; the crawl process, kept for nothing, stops
        # as soon as the export is done
        started.clear()
        server.clear_log()
        with caplog.at_level(logging.WARNING, logger="crawler.run"):
            again = migrate(_config(server.base_url + "/"), tmp_path / "site", validate=False)
        assert again.stages["export"].counts["markdown"]["images_downloaded"] == len(pictures)
        assert not _picture_paths(server) and _modules(started) == ["crawler.process"]
        assert _children() <= before and not caplog.records

        # the same blog crawled and exported by separate commands: the export fetches the
        # pictures in a process of its own, as every export of an archive does
        started.clear()
        server.clear_log()
        other = tmp_path / "other"
        crawled = blogport("crawl", server.base_url + "/", "-o", str(other), "--via", "html", "--no-throttle",
                           "--no-progress")
        assert crawled.returncode == 0, crawled.stderr
        assert not _picture_paths(server), "a crawl alone fetches no pictures"
        for command in (["transform", str(other)], ["export", str(other)]):
            done = blogport(*command)
            assert done.returncode == 0, done.stderr
        assert sorted(_picture_paths(server)) == pictures

    site, ref = tmp_path / "site", other
    assert (site / "wordpress.xml").read_bytes() == (ref / "wordpress.xml").read_bytes()
    assert (site / STORE_DIR / MANIFEST).read_bytes() == (ref / STORE_DIR / MANIFEST).read_bytes()
    compared = _same_tree(site / "markdown", ref / "markdown")
    linked = [p for p in (site / "markdown").rglob("*.md") if "/images/" in p.read_text(encoding="utf-8")]
    assert compared > 30 and linked, "the Markdown posts link their local pictures"
    assert not any(server.base_url + "/images/" in p.read_text(encoding="utf-8") for p in linked)


def _same_tree(a: Path, b: Path) -> int:
    """The number of files compared; fails on the first that differs or is missing."""
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)
    return len(match)


def test_no_download_images_keeps_the_links_and_no_process(tmp_path: Path, started: list[list[str]]) -> None:
    blog = generate_blog(seed=41, posts=12)
    with FixtureServer(blog) as server:
        before = _children()
        migrate(_config(server.base_url + "/", download_images=False), tmp_path / "site", validate=False)
        assert _modules(started) == ["crawler.process"]
        assert _children() <= before
        assert not _picture_paths(server), "no picture is requested"
    assert not (tmp_path / "site" / STORE_DIR).exists()


def test_a_picture_that_fails_is_fetched_by_the_next_export(tmp_path: Path, started: list[list[str]]) -> None:
    blog = generate_blog(seed=41, posts=30)
    pictures = sorted({img for post in blog.visible_items for img in post.images})
    failing = pictures[0]
    with FixtureServer(blog) as server:
        server.fail(failing, [500] * 4)  # the first try and its 3 retries
        result = migrate(_config(server.base_url + "/"), tmp_path / "site", validate=False)
        assert result.stages["export"].counts["markdown"]["images_failed"] == 1
        assert _modules(started) == ["crawler.process"]
        manifest = json.loads((tmp_path / "site" / STORE_DIR / MANIFEST).read_text())["images"]
        assert manifest[server.url(failing)]["cause"] == "http"
        server.clear_log()
        again = blogport("export", str(tmp_path / "site"))
        assert again.returncode == 0, again.stderr
        assert _picture_paths(server) == [failing], "only the failed picture is asked for again"
    manifest = json.loads((tmp_path / "site" / STORE_DIR / MANIFEST).read_text())["images"]
    assert all(entry.get("name") for entry in manifest.values())


def test_ctrl_c_while_the_crawl_process_fetches_pictures(tmp_path: Path) -> None:
    """Interrupted during the pictures: exit 130 in one line, the crawl process ended with
    blogport, no half-written picture; the same command then finishes the job."""
    blog = generate_blog(seed=41, posts=30)
    pictures = sorted({img for post in blog.visible_items for img in post.images})
    out = tmp_path / "site"
    with FixtureServer(blog) as server:
        for picture in pictures:
            server.fail(picture, [503] * 3)  # retried after Retry-After: the fetch lasts seconds
        args = ["migrate", server.base_url + "/", "-o", str(out), "--via", "html", "--no-throttle", "--no-progress",
                "--no-validate"]
        interrupt_while_fetching(args, out, lambda: bool(_picture_paths(server)), "a picture request")

        resumed = blogport(*args)
        assert resumed.returncode == 0, resumed.stderr
    manifest = json.loads((out / STORE_DIR / MANIFEST).read_text())["images"]
    assert sorted(manifest) == [server.url(p) for p in pictures]
    assert all(entry.get("name") for entry in manifest.values())


def interrupt_while_fetching(args: list[str], out: Path, fetching: Callable[[], bool], what: str) -> None:
    """Run ``blogport ARGS`` into ``out``, press Ctrl-C once ``fetching`` says its crawl process
    fetches pictures, and check it ends as interrupted, with that crawl process and no
    half-written picture left."""
    with subprocess.Popen([sys.executable, "-m", "blogport.cli", *args], cwd=PROJECT, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        try:
            _wait_for(fetching, proc, what)
            crawl_processes = _crawl_processes_of(proc.pid)
            assert len(crawl_processes) == 1, "the pictures are fetched by the crawl process"
            proc.send_signal(signal.SIGINT)
            err = proc.communicate(timeout=60)[1]
        except BaseException:
            proc.kill()  # the with block then waits for it
            raise
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not _alive(crawl_processes), "the crawl process did not outlive blogport"
    assert not [p for p in (out / STORE_DIR).iterdir() if p.name.endswith(".tmp")]


def _wait_for(ready: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    give_up = time.monotonic() + 120
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"blogport ended before {what}: {proc.communicate()}")
        if time.monotonic() > give_up:
            pytest.fail(f"no {what} in time")
        time.sleep(0.02)


def _crawl_processes_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"crawler.process" in cmdline:
                found.append(int(child))
    return found


def _alive(pids: list[int]) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        living = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                living.append(pid)
        if not living:
            return False
        time.sleep(0.05)
    return True
