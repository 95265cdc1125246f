"""The Markdown export's process pool: same bytes as in one process, and never a hang."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

import loaders.markdown as markdown
from loaders.options import ExportOptions
from loaders.run import export
from tests.loaders.conftest import _post, build_blog, nasty_models

PROJECT = Path(__file__).resolve().parents[2]
POSTS = 3 * markdown._PARALLEL_MIN  # enough for the pool to be used


def many_posts() -> dict[str, list]:
    models = nasty_models()
    extra = [
        _post(f"9{n:04d}", f"/2010/{1 + n % 12:02d}/post-{n}.html", f"Post number {n}: a title",
              f"<p>Paragraph <b>{n}</b> with a <a href='http://example.org/{n}'>link</a>.</p><ul><li>one</li></ul>",
              f"2010-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00+00:00",
              f"2010-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00+02:00", author_id="blogger:1")
        for n in range(POSTS)
    ]
    models["posts"] = models["posts"] + extra
    return models


def hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((folder / "markdown").rglob("*")) if p.is_file()}


@pytest.fixture()
def pool_allowed(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(markdown, "_SERIAL_FIRST", 0)  # the pool from the first batch on
    markdown.allow_process_pool(True)
    yield
    markdown.allow_process_pool(False)


def test_pool_writes_the_same_bytes_as_one_process(tmp_path: Path, pool_allowed: None) -> None:
    serial_dir = build_blog(tmp_path / "serial", many_posts())
    pooled_dir = build_blog(tmp_path / "pooled", many_posts())
    markdown.allow_process_pool(False)
    export(serial_dir, ExportOptions(formats=("markdown",)))
    markdown.allow_process_pool(True)
    export(pooled_dir, ExportOptions(formats=("markdown",)))
    serial, pooled = hashes(serial_dir), hashes(pooled_dir)
    assert len(serial) > POSTS
    assert pooled == serial


def test_library_use_from_a_program_on_stdin_does_not_hang(tmp_path: Path) -> None:
    """Pool workers re-import ``__main__``; a program read from stdin has none to import, and
    the pool would restart dying workers forever. Library callers get no pool by default."""
    folder = build_blog(tmp_path / "out", many_posts())
    script = (
        "from pathlib import Path\n"
        "from loaders.options import ExportOptions\n"
        "from loaders.run import export\n"
        f"export(Path({str(folder)!r}), ExportOptions(formats=('markdown',)))\n"
        "print('exported')\n"
    )
    proc = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=120,
                          cwd=PROJECT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "exported"
    assert len(hashes(folder)) > POSTS
