"""A live ``migrate`` whose export fetches pictures keeps its crawl process for them, and that
process holds no thread here while it waits: the export's WXR (from 500 items) and
validation's content check go to forked children, and every file they write is the same as
when both run in blogport's own process.

Real parts: the fixture blog with its pictures over HTTP on 127.0.0.1, the real ``blogport``
command and its crawl process; the forks are read from Python's own ``os.fork`` audit event
in the ``blogport`` process (``tests.blogport.fork_watch``)."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from loaders.images import MANIFEST, STORE_DIR
from tests.blogport.cli_process import PROJECT

NOT_COMPARED = {"blog.db", "blog.db-wal", "blog.db-shm", ".blogport.lock", "report.json", "report.html"}


def _blogport(forks: Path, *args: str) -> subprocess.CompletedProcess[str]:
    forks.write_text("")
    return subprocess.run([sys.executable, "-m", "tests.blogport.fork_watch", str(forks), *args],
                          cwd=PROJECT, capture_output=True, text=True, timeout=400)


def _migrate(url: str, out: Path, forks: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _blogport(forks, *extra, "-vv", "migrate", url, "-o", str(out), "--via", "html", "--no-throttle",
                     "--no-progress")


def test_a_live_migrate_with_pictures_forks_its_wxr_and_content_check(tmp_path: Path) -> None:
    blog = generate_blog(seed=41, posts=100)
    items = len(blog.visible_items) + sum(len(p.comments) for p in blog.visible_items)
    pictures = sorted({img for post in blog.visible_items for img in post.images})
    assert items >= 500 and pictures, "big enough for the forks, with pictures to fetch"
    forked, here = tmp_path / "forked", tmp_path / "here"
    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        run = _migrate(url, forked, tmp_path / "forked.forks")
        assert run.returncode == 0, run.stderr[-3000:]
        # -vv: the crawl process's log (every page it fetched) came through its stderr, the
        # pictures were fetched by it, and the command ran to its end meanwhile
        assert f"{len(pictures)} images fetched by the crawl process" in run.stderr
        assert run.stderr.count("Crawled (200)") >= len(blog.visible_items)
        assert sorted(server.url(p) for p in pictures) == sorted(
            json.loads((forked / STORE_DIR / MANIFEST).read_text())["images"])
        assert {"_content_in_child", "_wxr_in_child"} <= set((tmp_path / "forked.forks").read_text().split())

        again = _migrate(url, here, tmp_path / "here.forks", "--threaded")
        assert again.returncode == 0, again.stderr[-3000:]
        assert (tmp_path / "here.forks").read_text() == "", "beside another thread nothing is forked"
        assert f"{len(pictures)} images fetched by the crawl process" in again.stderr

    compared = _same_tree(forked, here)
    assert compared > len(blog.visible_items)
    # the forked run's archive validated again in this process: the same report (two crawls
    # may store the same pages in another order, which a report's lists follow)
    recheck = tmp_path / "recheck"
    shutil.copytree(forked, recheck)
    checked = _blogport(tmp_path / "recheck.forks", "--threaded", "validate", str(recheck))
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert (tmp_path / "recheck.forks").read_text() == ""
    assert _report(recheck) == _report(forked)


def _same_tree(a: Path, b: Path) -> int:
    """The number of files compared (byte for byte); fails on the first that differs or is missing."""
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file() and p.name not in NOT_COMPARED)
    assert names == sorted(p.relative_to(b).as_posix() for p in b.rglob("*")
                           if p.is_file() and p.name not in NOT_COMPARED)
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)
    return len(match)


def _report(out: Path) -> tuple[str, str]:
    """report.json and report.html, with the folder and the time they were made masked."""
    stamp = json.loads((out / "report.json").read_text())["generated_at"]

    def masked(name: str) -> str:
        return (out / name).read_text(encoding="utf-8").replace(stamp, "STAMP").replace(str(out.resolve()), "OUT") \
            .replace(str(out), "OUT")

    return masked("report.json"), masked("report.html")
