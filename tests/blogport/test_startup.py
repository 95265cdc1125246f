"""Start-up: what needs no crawl imports no Scrapy or Twisted (about a second of start-up), and
the Markdown export of simple bodies no BeautifulSoup or markdownify (a quarter of a second)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from fixtures.blogger import generate_blog
from fixtures.export import render_blogger_export

PROJECT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from blogport.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'bs4', 'markdownify'})
                        | ({m for m in sys.modules} & {'blogport.validate', 'blogport.checks'}))))
"""


def imported(*args: str) -> list[str]:
    """Which of Scrapy, Twisted, BeautifulSoup, markdownify and the validation checks the command imported."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=PROJECT,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def crawl_stack_imported(*args: str) -> list[str]:
    return [m for m in imported(*args) if m in ("scrapy", "twisted")]


def test_help_imports_no_crawler_stack() -> None:
    assert crawl_stack_imported("--help") == []


def test_export_file_migrate_imports_no_crawler_stack(tmp_path: Path) -> None:
    export = tmp_path / "blog.xml"
    export.write_bytes(render_blogger_export(generate_blog(seed=2, posts=3, big_thread=False)))
    out = tmp_path / "out"
    assert crawl_stack_imported("migrate", str(export), "-o", str(out), "--no-progress", "--no-download-images") == []
    assert (out / "wordpress.xml").is_file() and (out / "report.html").is_file()


def test_migrate_without_the_report_imports_no_checks(tmp_path: Path) -> None:
    export = tmp_path / "blog.xml"
    export.write_bytes(render_blogger_export(generate_blog(seed=2, posts=3, big_thread=False)))
    out = tmp_path / "out"
    args = ("migrate", str(export), "-o", str(out), "--no-progress", "--no-download-images", "--no-validate")
    assert imported(*args) == []
    assert (out / "wordpress.xml").is_file() and not (out / "report.html").exists()


LOADER_PROBE = """
import json, sys
from blogport.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted({m for m in sys.modules} & {'sqlite_utils', 'importlib.metadata', 'loaders.markdown'})))
"""


def test_transform_imports_no_export_modules(tmp_path: Path) -> None:
    """The transform command needs neither the package metadata (the version the exports write)
    nor the Markdown writer, which the migrate that made its archive needed; neither command
    imports sqlite-utils (the SQLite export rebuilds its full-text indexes itself)."""
    blog = generate_blog(seed=2, posts=3, big_thread=False)
    export = tmp_path / "blog.xml"
    export.write_bytes(render_blogger_export(blog))
    out = tmp_path / "out"

    def probe(*args: str) -> list[str]:
        proc = subprocess.run([sys.executable, "-c", LOADER_PROBE, *args], capture_output=True, text=True,
                              cwd=PROJECT, timeout=600)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    assert probe("migrate", str(export), "-o", str(out), "--no-progress", "--no-download-images",
                 "--no-validate") == ["importlib.metadata", "loaders.markdown"]
    with sqlite3.connect(out / "blog.db") as conn:
        conn.execute("DELETE FROM comments")
        conn.execute("DELETE FROM posts")
    assert probe("-q", "transform", str(out)) == []
    with sqlite3.connect(out / "blog.db") as conn:  # the transform did its work
        assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] == len(blog.posts)  # pages included
