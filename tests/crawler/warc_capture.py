"""Test helper: a fixture blog captured into a WARC file by real wget, its server then stopped."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fixtures.blogger import FixtureBlog
from fixtures.server import FixtureServer


#: ``--reject-regex`` (POSIX) of a fixture blog's post pages (``/2009/08/slug.html``).
POST_PAGES = r"/20[0-9][0-9]/[0-9][0-9]/[^/]+\.html"


def wget_path() -> str:
    found = shutil.which("wget")
    if found is None:
        pytest.fail("wget is needed to write WARC files (installed by .ci/run)")
    return found


def capture_with_wget(blog: FixtureBlog, folder: Path, name: str = "capture", port: int = 0,
                      reject: str | None = None, also: tuple[str, ...] = ()) -> tuple[Path, str]:
    """``wget --mirror --warc-file`` of ``blog`` served on 127.0.0.1; the server is stopped
    before this returns (``port``: the one a live crawl of the same blog used; ``reject``: a
    regex of URLs wget leaves out; ``also``: paths wget is given besides the home page). Returns the ``.warc.gz`` and the blog's URL as it was served."""
    folder.mkdir(parents=True, exist_ok=True)
    with FixtureServer(blog, port=port) as server:
        base = server.base_url + "/"
        subprocess.run(
            [wget_path(), "--mirror", "--no-verbose", "--tries=2", "--timeout=20", "--no-warc-keep-log",
             f"--warc-file={folder / name}", "--directory-prefix", str(folder / "files"),
             *([f"--reject-regex={reject}"] if reject else []), base, *(base + path.lstrip("/") for path in also)],
            cwd=folder, check=False, timeout=300, capture_output=True,
        )
    warc = folder / f"{name}.warc.gz"
    assert warc.is_file() and warc.stat().st_size > 0
    return warc, base
