"""``blogport sync`` fetches the pictures its export needs in the crawl's own process, kept
for them once the sync's crawl has ended (as ``migrate`` does): a new post's picture is
requested once, no image download process is started, no process is left behind, and the
exports are the same as a fresh migration of the changed blog writes; Ctrl-C while that
process fetches ends it with the sync, and the next sync finishes the job.

Real parts: the fixture blog with its pictures over HTTP on 127.0.0.1 (feeds on: sync asks
the feeds; feeds off: the incremental HTML crawl), the real archive and crawl process; which
processes sync starts is read from Python's own audit events (``subprocess.Popen``), which
are alive from ``/proc``."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from blogport.sync import sync
from fixtures.blogger import FixtureBlog, add_post, generate_blog
from fixtures.server import FixtureServer
from loaders.images import MANIFEST, STORE_DIR
from tests.blogport.cli_process import blogport
from tests.blogport.test_migrate_images import (
    _children,
    _modules,
    _picture_paths,
    _same_tree,
    interrupt_while_fetching,
    started,  # noqa: F401 - the fixture
)

NEW_PICTURE = "/images/13.png"  # the fixture's posts use 1 to 12
NOT_EXPORTS = ("blog.db", "blog.db-wal", "blog.db-shm", ".blogport.lock", "report.json", "report.html",
               "datasette-metadata.json")
"""What tells a synced folder from a fresh migration's: the archive, the report, and Datasette's
settings (a synced archive has a ``post_versions`` table to show)."""


def _with_pictured_post(blog: FixtureBlog) -> FixtureBlog:
    """The blog with a new post (published now, so the feeds' updated-min finds it) showing a
    picture no other post has."""
    changed = add_post(blog, title="A New Picture", published=datetime.now(timezone.utc).replace(microsecond=0))
    post = changed.posts[-1]
    figure = (f'<div class="separator"><a href="{blog.public_url}{NEW_PICTURE}"><img border="0" height="240"'
              f' src="{blog.public_url}{NEW_PICTURE}" width="320" /></a></div>')
    post = dataclasses.replace(post, body_html=figure + post.body_html, images=(NEW_PICTURE,))
    return dataclasses.replace(changed, posts=changed.posts[:-1] + (post,))


def _migrate(url: str, out: Path) -> None:
    done = blogport("migrate", url, "-o", str(out), "--via", "html", "--no-throttle", "--no-progress")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("feeds", [True, False], ids=["feeds", "html"])
def test_sync_fetches_a_new_picture_in_its_crawl_process(tmp_path: Path, feeds: bool,
                                                         started: list[list[str]]) -> None:  # noqa: F811
    blog = generate_blog(seed=41, posts=30, feeds=feeds)
    out, fresh = tmp_path / "site", tmp_path / "fresh"
    with FixtureServer(blog) as server:
        _migrate(server.base_url + "/", out)
        changed = _with_pictured_post(blog)
        server.publish(changed)
        server.clear_log()
        started.clear()
        before = _children()
        result = sync(out)
        assert result.exit_code == 0 and result.exports_updated and result.posts.new == 1
        assert result.mode == ("feeds" if feeds else "html")
        assert _modules(started) == ["crawler.process"], "one crawl process, no image download process"
        assert _children() <= before, "the crawl process was ended with the export"
        assert _picture_paths(server) == [NEW_PICTURE], "only the new picture is requested, once"
        assert result.stages["export"].counts["markdown"]["images_failed"] == 0
        manifest = json.loads((out / STORE_DIR / MANIFEST).read_text())["images"]
        entry = manifest[server.url(NEW_PICTURE)]
        assert entry["name"] and (out / STORE_DIR / entry["name"]).is_file()
        new_post = next(p for p in (out / "markdown").rglob("*.md") if "A New Picture" in p.read_text())
        assert f"/images/{entry['name']}" in new_post.read_text()

        # nothing changed since: the kept process is ended unused, nothing is fetched
        started.clear()
        server.clear_log()
        again = sync(out)
        assert not again.exports_updated and not _picture_paths(server)
        assert _modules(started) == ["crawler.process"] and _children() <= before

        _migrate(server.base_url + "/", fresh)
    compared = _same_tree(_exports(out, tmp_path / "a"), _exports(fresh, tmp_path / "b"))
    assert compared > 30


def _exports(out: Path, into: Path) -> Path:
    """A copy of ``out`` without ``NOT_EXPORTS``."""
    import shutil

    shutil.copytree(out, into, ignore=shutil.ignore_patterns(*NOT_EXPORTS))
    return into


def test_ctrl_c_while_the_sync_s_crawl_process_fetches_the_picture(tmp_path: Path) -> None:
    """Exit 130 in one line, the crawl process ended with blogport, no half-written picture;
    the next sync fetches the picture."""
    blog = generate_blog(seed=41, posts=20)
    out = tmp_path / "site"
    with FixtureServer(blog) as server:
        _migrate(server.base_url + "/", out)
        server.publish(_with_pictured_post(blog))
        server.fail(NEW_PICTURE, [503] * 3)  # retried after Retry-After: the fetch lasts seconds
        server.clear_log()
        interrupt_while_fetching(["sync", str(out)], out, lambda: NEW_PICTURE in _picture_paths(server),
                                 "the picture's request")

        server.clear_log()
        again = blogport("sync", str(out))
        assert again.returncode == 0, again.stderr
        assert NEW_PICTURE in _picture_paths(server)
    manifest = json.loads((out / STORE_DIR / MANIFEST).read_text())["images"]
    assert manifest[server.url(NEW_PICTURE)].get("name")
