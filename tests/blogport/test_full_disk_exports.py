"""A full disk during ``export`` or ``validate``: one line naming the device and the file,
exit 2, no temporary file left, the archive whole, and the same command succeeds once space
is freed (a small tmpfs; needs root to mount it). Temporary files a killed run left behind
are removed by the next run; the report files get the permissions of every other file."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.blogger import generate_blog
from fixtures.export import render_blogger_export
from tests.blogport.cli_process import blogport
from tests.disks import small_tmpfs

DISK_SIZE = 16 * 1024 * 1024
LEFT_FREE = 48 * 1024
"""Bytes left free on the small disk: less than any export or report of the blog below."""
ERROR = re.compile(r"^blogport: error: no space left on tmpfs \(mounted on (?P<mount>\S+)\) while writing (?P<file>\S+);"
                   r" nothing was lost, free some space and run the same command again$")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path, DISK_SIZE) as mount:
        yield mount


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backup") / "blog.xml"
    path.write_bytes(render_blogger_export(generate_blog(seed=12, posts=40)))
    return path


def fill(disk: Path) -> Path:
    """A file that leaves LEFT_FREE bytes free on ``disk``."""
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(filler, "wb") as out:
        out.write(b"\0" * max(free - LEFT_FREE, 0))
    return filler


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.endswith("-journal")]


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def assert_disk_full_line(result: subprocess.CompletedProcess[str], disk: Path) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    match = ERROR.match(lines[0])
    assert match, lines[0]
    assert match["mount"] == str(disk) and match["file"].startswith(str(disk)), lines[0]
    return match["file"]


@pytest.mark.parametrize("command", ["export", "validate"])
def test_a_full_disk_is_one_line_and_the_same_command_then_succeeds(
    small_disk: Path, backup: Path, tmp_path: Path, command: str
) -> None:
    built = tmp_path / "built"
    prepare = ["migrate", str(backup), "-o", str(built)]
    if command == "export":
        prepare += ["--to", "sqlite", "--no-validate"]  # the archive, no WXR or Markdown yet
    done = blogport(*prepare)
    assert done.returncode == 0, done.stderr
    out = small_disk / "site"
    shutil.copytree(built, out)
    filler = fill(small_disk)

    failed = blogport(command, str(out))
    assert_disk_full_line(failed, small_disk)
    assert temp_files(out) == [], "temporary files left behind"
    assert integrity(out / "blog.db") == "ok"
    if command == "validate":
        assert not (out / "report.json").exists() or (out / "report.json").read_bytes() == (
            built / "report.json").read_bytes(), "a half-written report"

    filler.unlink()
    again = blogport(command, str(out))
    assert again.returncode == 0, again.stdout + again.stderr
    assert (out / ("wordpress.xml" if command == "export" else "report.json")).is_file()


def test_temporary_files_of_a_killed_run_are_removed_by_the_next_run(backup: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    done = blogport("migrate", str(backup), "-o", str(out))
    assert done.returncode == 0, done.stderr
    posts = next(p for p in (out / "markdown").rglob("*.md")).parent
    stale = [out / ".wordpress-001.xml.k2j4h5g6.tmp", out / ".report.json.a1b2c3d4.tmp",
             posts / ".some-post.md.x_9y8z7w.tmp"]
    kept = [out / "notes.tmp", out / ".hidden-notes", posts / "draft.md.tmp"]
    for path in stale + kept:
        path.write_text("left by someone", encoding="utf-8")

    assert blogport("export", str(out)).returncode == 0
    assert [p for p in stale if p.exists()] == [], "stale temporary files were not removed"
    assert all(p.read_text(encoding="utf-8") == "left by someone" for p in kept), "a file that is not ours was removed"

    (out / ".report.html.q1w2e3r4.tmp").write_text("x", encoding="utf-8")
    assert blogport("validate", str(out)).returncode == 0
    assert not (out / ".report.html.q1w2e3r4.tmp").exists()


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_the_report_gets_the_permissions_of_every_other_file(backup: Path, tmp_path: Path, umask: int) -> None:
    out = tmp_path / "site"
    done = blogport("migrate", str(backup), "-o", str(out), preexec_fn=lambda: os.umask(umask))
    assert done.returncode == 0, done.stderr
    expected = 0o666 & ~umask
    modes = {name: stat.S_IMODE((out / name).stat().st_mode)
             for name in ("report.html", "report.json", "wordpress.xml", "datasette-metadata.json",
                          "redirects/redirects.csv")}
    assert modes == dict.fromkeys(modes, expected), {k: oct(v) for k, v in modes.items()}
