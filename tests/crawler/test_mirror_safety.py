"""A saved mirror folder is read without leaving it: links out of the folder are never
followed, and a folder full of files blogport cannot place gives a summary, not a flood."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from crawler.options import CrawlOptions
from crawler.run import crawl
from fixtures.blogger import generate_blog
from fixtures.mirror import write_mirror
from fixtures.site import render_site
from kernel.archive import Archive
from kernel.errors import SourceError

FAST = CrawlOptions(via="html", autothrottle=False, progress=False)


def _mirror(tmp_path: Path, seed: int = 61) -> tuple[Path, Path]:
    blog = generate_blog(seed=seed, posts=5, family="layout-flat", big_thread=False)
    site = render_site(blog, "http://127.0.0.1:8080")
    saved = tmp_path / "saved"
    return saved, write_mirror(site, saved)


def test_a_post_file_linked_out_of_the_folder_is_not_read(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    saved, host_dir = _mirror(tmp_path)
    secret = tmp_path / "secret.html"  # outside the mirror: looks like a page, must never be read
    secret.write_text("<html><body>root:x:0:0:SECRET-PASSWD-LINE</body></html>")
    linked = host_dir / "2011" / "01" / "passwd.html"
    linked.parent.mkdir(parents=True, exist_ok=True)
    linked.symlink_to(secret)
    (host_dir / "2011" / "02").mkdir(parents=True, exist_ok=True)
    (host_dir / "2011" / "02" / "etc.html").symlink_to("/etc/passwd")
    (host_dir / "outside-dir").symlink_to(tmp_path, target_is_directory=True)  # a folder linked out
    with caplog.at_level(logging.WARNING, logger="crawler.mirror"):
        summary = crawl(str(saved), tmp_path / "out", FAST)
    assert summary.posts_found > 0
    with Archive.in_dir(tmp_path / "out") as archive:
        dump = "\n".join(line for line in archive.conn.iterdump())
    assert "SECRET-PASSWD-LINE" not in dump and "root:x:0:0" not in dump
    assert "passwd.html" not in dump and "etc.html" not in dump
    outside = [r.getMessage() for r in caplog.records if "outside" in r.getMessage()]
    assert len(outside) == 1 and outside[0].startswith("3 links to files outside")


def test_thousands_of_files_it_cannot_place_give_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    for i in range(2000):
        (junk / f"photo{i}.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(16))
        (junk / f"page{i}.html").write_text(f"<html><body><p>note {i}</p></body></html>")
    caplog.set_level(logging.WARNING, logger="crawler.mirror")
    with pytest.raises(SourceError, match="does not look like a saved Blogger blog"):
        crawl(str(junk), tmp_path / "out", FAST)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    # the same files beside a real mirror: the blog is read, one line says what was skipped
    saved, host_dir = _mirror(tmp_path, seed=62)
    for i in range(2000):
        (saved / f"page{i}.html").write_text(f"<html><body><p>note {i}</p></body></html>")
    caplog.clear()
    summary = crawl(str(saved), tmp_path / "out2", FAST)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert summary.posts_found > 0
    assert warnings == [warnings[0]] and warnings[0].startswith("2000 saved pages were skipped")
