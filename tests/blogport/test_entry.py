"""The ``blogport`` console script starts a live crawl's process before it imports its
command line, and the crawl runs in that very process.

Real parts: the fixture blog over HTTP on 127.0.0.1, the console script's entry point and its
crawl process; the order is read from Python's own audit events in the ``blogport`` process
(``tests.blogport.entry_watch``)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer

PROJECT = Path(__file__).resolve().parents[2]


def _blogport(log: Path, *args: str) -> subprocess.CompletedProcess[str]:
    log.write_text("")
    return subprocess.run([sys.executable, "-m", "tests.blogport.entry_watch", str(log), *args],
                          cwd=PROJECT, capture_output=True, text=True, timeout=300)


def test_a_crawl_of_a_url_runs_in_the_process_started_before_the_command_line(tmp_path: Path) -> None:
    blog = generate_blog(seed=12, posts=8)
    log = tmp_path / "events.log"
    with FixtureServer(blog) as server:
        run = _blogport(log, "crawl", server.base_url + "/", "-o", str(tmp_path / "out"), "--via", "html",
                        "--no-throttle", "--no-progress", "-q")
    assert run.returncode == 0, run.stderr[-3000:]
    assert log.read_text().split("\n")[:-1] == ["crawl-process", "import blogport.cli"], \
        "one crawl process, started before the command line was imported, and no other"
    conn = sqlite3.connect(tmp_path / "out" / "blog.db")
    try:
        posts = conn.execute("SELECT count(*) FROM raw_posts").fetchone()[0]
    finally:
        conn.close()
    assert posts == len(blog.visible_items)


def test_a_migrate_of_an_export_file_starts_no_crawl_process(tmp_path: Path) -> None:
    from fixtures.export import render_blogger_export

    export = tmp_path / "export.xml"
    export.write_bytes(render_blogger_export(generate_blog(seed=12, posts=4)))
    log = tmp_path / "events.log"
    run = _blogport(log, "migrate", str(export), "-o", str(tmp_path / "out"), "--no-validate", "--no-progress", "-q")
    assert run.returncode == 0, run.stderr[-3000:]
    assert log.read_text().split("\n")[:-1] == ["import blogport.cli"]


def test_a_mistaken_crawl_command_line_says_so_in_one_line(tmp_path: Path) -> None:
    log = tmp_path / "events.log"
    run = _blogport(log, "crawl", "http://127.0.0.1:9/", "--no-such-option")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "no such option" in run.stderr.lower()
    assert log.read_text().split("\n")[:-1] == ["crawl-process", "import blogport.cli"]


def test_a_wrong_guess_of_a_live_crawl_costs_nothing_but_the_idle_process(tmp_path: Path) -> None:
    # the URL right after the command is an option's value here, not the source
    from fixtures.export import render_blogger_export

    export = tmp_path / "export.xml"
    export.write_bytes(render_blogger_export(generate_blog(seed=12, posts=4)))
    log = tmp_path / "events.log"
    run = _blogport(log, "migrate", "--new-site-url", "https://new.example.com", str(export), "-o",
                    str(tmp_path / "out"), "--no-validate", "--no-progress", "-q")
    assert run.returncode == 0, run.stderr[-3000:]
    assert log.read_text().split("\n")[:-1] == ["crawl-process", "import blogport.cli"]
    assert (tmp_path / "out" / "wordpress.xml").is_file() and (tmp_path / "out" / "blog.db").is_file()


def test_ctrl_c_while_the_command_line_is_imported_says_interrupted(tmp_path: Path) -> None:
    log = tmp_path / "events.log"
    run = _blogport(log, "--interrupt-import", "crawl", "http://127.0.0.1:9/", "-o", str(tmp_path / "out"))
    assert run.returncode == 130
    assert run.stderr.strip() == "blogport: interrupted: run the same command again to resume"
    assert log.read_text().split("\n")[:-1] == ["crawl-process", "import blogport.cli"]
