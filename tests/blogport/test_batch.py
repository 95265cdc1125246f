"""``blogport batch LIST -o ROOT`` on this machine: several fixture blogs served on 127.0.0.1,
one that cannot be reached, and LISTs that cannot be used."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from blogport.batch import folder_name, read_list
from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from tests.blogport.cli_process import blogport

#: What makes two archives the same migration (timestamps aside).
ARCHIVE_QUERIES = {
    "authors": "SELECT * FROM authors ORDER BY id",
    "posts": "SELECT id, url, title, slug, published, published_local, updated, author_id, body_html, body_text,"
             " kind, status, date_raw, date_flag, comment_count_declared, language, source FROM posts ORDER BY id",
    "comments": "SELECT * FROM comments ORDER BY id",
    "tags": "SELECT * FROM tags ORDER BY id",
    "post_tags": "SELECT * FROM post_tags ORDER BY post_id, tag_id",
    "raw_posts": "SELECT * FROM raw_posts ORDER BY url",
    "raw_comments": "SELECT * FROM raw_comments ORDER BY key",
    "pages": "SELECT url, status, kind, sha256, error FROM pages ORDER BY url",
}
CRAWL_FLAGS = ("--via", "html", "--no-throttle", "--no-download-images", "--no-progress")


def archive_rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {name: conn.execute(query).fetchall() for name, query in ARCHIVE_QUERIES.items()}
    finally:
        conn.close()


def assert_same_archive(got: Path, expected: Path) -> None:
    """Posts, comments, authors, tags, raw records and pages equal (timestamps aside)."""
    a, b = archive_rows(got), archive_rows(expected)
    assert b["posts"] and b["comments"] and b["authors"]
    for name in ARCHIVE_QUERIES:
        assert a[name] == b[name], f"{name} differ: {len(a[name])} rows against {len(b[name])} from migrate"


def migrate_alone(url: str, out: Path) -> Path:
    done = blogport("migrate", url, "-o", str(out), *CRAWL_FLAGS)
    assert done.returncode == 0, done.stderr
    return out / "blog.db"


def write_list(path: Path, sources: list[str]) -> Path:
    path.write_text("# blogs to move\n\n" + "\n".join(sources) + "  # the last one\n", encoding="utf-8")
    return path


def unreachable_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there once the socket is closed


def test_batch_migrates_every_blog_and_an_unreachable_one_fails_alone(tmp_path: Path) -> None:
    blogs = [generate_blog(seed=31, posts=8), generate_blog(seed=32, posts=8)]
    with FixtureServer(blogs[0]) as one, FixtureServer(blogs[1]) as two:
        dead = unreachable_url()
        sources = [one.base_url + "/", two.base_url + "/", dead]
        listing = write_list(tmp_path / "blogs.txt", sources)
        root = tmp_path / "root"
        done = blogport("batch", str(listing), "-o", str(root), *CRAWL_FLAGS, "--json")
        assert done.returncode == 2, done.stderr
        result = json.loads(done.stdout)
        by_name = {b["name"]: b for b in result["blogs"]}
        assert [b["source"] for b in result["blogs"]] == sources  # the order of LIST
        for server in (one, two):
            name = f"127.0.0.1_{server.port}"
            folder = root / name
            assert (folder / "report.json").is_file() and (folder / "wordpress.xml").is_file()
            assert by_name[name]["exit_code"] == 0
            assert by_name[name]["posts"] == len(archive_rows(folder / "blog.db")["posts"]) > 0
        alone = migrate_alone(two.base_url + "/", tmp_path / "alone")
        assert_same_archive(root / f"127.0.0.1_{two.port}" / "blog.db", alone)
        failed = by_name[folder_name(dead)]
        assert failed["exit_code"] == 2 and "cannot reach" in failed["message"]


def test_batch_summary_table_and_exit_codes(tmp_path: Path) -> None:
    with FixtureServer(generate_blog(seed=33, posts=6)) as server:
        listing = write_list(tmp_path / "one.txt", [server.base_url + "/"])
        done = blogport("batch", str(listing), "-o", str(tmp_path / "root"), *CRAWL_FLAGS)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("blog "))
    assert header.split() == ["blog", "posts", "comments", "errors", "exit"]
    name, posts, comments, errors, code = next(line for line in lines if line.startswith(f"127.0.0.1_{server.port} ")).split()
    assert (name, errors, code) == (f"127.0.0.1_{server.port}", "0", "0")
    assert int(posts) >= 6 and int(comments) > 0
    assert "all well" in lines[-1]


def test_lists_that_cannot_be_used(tmp_path: Path) -> None:
    missing = blogport("batch", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "root"))
    assert missing.returncode == 2
    assert missing.stderr.startswith("blogport: error: cannot read the list") and "Traceback" not in missing.stderr
    empty = write_list(tmp_path / "empty.txt", [])
    empty.write_text("# nothing yet\n\n", encoding="utf-8")
    done = blogport("batch", str(empty), "-o", str(tmp_path / "root"))
    assert done.returncode == 2 and "names no blog" in done.stderr
    twice = write_list(tmp_path / "twice.txt", ["http://127.0.0.1:8000/", "http://127.0.0.1:8000/2009/"])
    done = blogport("batch", str(twice), "-o", str(tmp_path / "root"))
    assert done.returncode == 2 and "line 4" in done.stderr and "line 3" in done.stderr
    assert not (tmp_path / "root").exists()


def test_list_names_and_folders(tmp_path: Path) -> None:
    export = tmp_path / "blog-03-01-2024.xml"
    export.write_text("<feed/>", encoding="utf-8")
    listing = write_list(tmp_path / "l.txt", ["example.blogspot.com", "https://Other.Example.org:8443/x", str(export)])
    entries = read_list(listing)
    assert [e.name for e in entries] == ["example.blogspot.com", "other.example.org_8443", export.name]
    assert [e.line for e in entries] == [3, 4, 5]
