"""A blog that survives only in a WARC file: the same records as the live crawl."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from crawler.options import CrawlOptions
from crawler.run import crawl
from crawler.warc import Capture, best_captures, read_warc
from fixtures.blogger import FAMILIES, generate_blog
from fixtures.server import FixtureServer
from kernel.archive import Archive
from kernel.errors import SourceError
from tests.crawler.warc_capture import POST_PAGES, capture_with_wget

FAST = CrawlOptions(via="html", autothrottle=False, progress=False)
#: Columns of ``pages`` compared with the live crawl: all but the fetch times (``fetched_at``,
#: and ``last_modified``, which the fixture server sets to the time it started).
PAGE_COLUMNS = "url, status, etag, sha256, html, content_type, kind, size, error"


def records(out: Path) -> list[dict]:
    result = []
    with Archive.in_dir(out) as archive:
        for post in archive.raw_posts():
            data = json.loads(post.to_json())
            data.pop("source", None)
            data["comments"] = [json.loads(c.to_json()) for c in post.comments]
            result.append(data)
    return result


def pages(out: Path, urls: set[str]) -> list[tuple]:
    with Archive.in_dir(out) as archive:
        rows = archive.conn.execute(f"SELECT {PAGE_COLUMNS} FROM pages ORDER BY url").fetchall()
    return [row for row in rows if row[0] in urls]


@pytest.mark.parametrize("family", FAMILIES)
def test_warc_equals_live_crawl(tmp_path: Path, family: str) -> None:
    blog = generate_blog(seed=33, posts=6, family=family, big_thread=False)
    with FixtureServer(blog) as server:  # the live crawl, for comparison
        crawl(server.base_url + "/", tmp_path / "live", FAST)
        port = server.port
    warc, base = capture_with_wget(blog, tmp_path / "wget", port=port)  # same URLs; then offline
    summary = crawl(str(warc), tmp_path / "out", FAST)
    assert summary.via == "warc" and summary.errors == 0
    live = records(tmp_path / "live")
    archived = records(tmp_path / "out")
    assert live and [p["url"] for p in archived] == [p["url"] for p in live]
    assert archived == live
    assert sum(len(p["comments"]) for p in archived) == sum(len(p["comments"]) for p in live) > 0
    assert summary.posts_found == len(live)
    post_urls = {p["url"] for p in live}
    with Archive.in_dir(tmp_path / "out") as archive:
        captures = archive.captures()
        fetched = dict(archive.conn.execute("SELECT url, fetched_at FROM pages"))
        assert archive.get_meta("source")["via"] == "warc"
    for url in post_urls:  # every post page came from a capture, its time kept
        assert captures[url]["archive"] == warc.name
        assert fetched[url] == captures[url]["captured_at"]
    stored = set(fetched)  # every page of the blog the capture holds, field for field
    assert pages(tmp_path / "out", stored) == pages(tmp_path / "live", stored)
    assert post_urls | {u for u in stored if "commentPage=" in u} <= stored


def test_wacz_and_best_capture(tmp_path: Path) -> None:
    blog = generate_blog(seed=34, posts=3, family="layout-threaded", big_thread=False)
    warc, _ = capture_with_wget(blog, tmp_path / "wget")
    wacz = tmp_path / "blog.wacz"
    with zipfile.ZipFile(wacz, "w") as package:
        package.write(warc, "archive/data.warc.gz")
        package.writestr("datapackage.json", "{}")
    from_warc = read_warc(warc)
    from_wacz = read_warc(wacz)
    assert [c.url for c in from_wacz.captures] == [c.url for c in from_warc.captures]
    summary = crawl(str(wacz), tmp_path / "out", FAST)
    assert summary.posts_found == crawl(str(warc), tmp_path / "out2", FAST).posts_found > 0

    def cap(ts: str, status: int, body: bytes = b"x") -> Capture:
        return Capture("http://b.example/2009/08/p.html", ts, status, (), body, "a.warc.gz")

    old_ok, new_ok, newest_404 = cap("20090801000000", 200, b"old"), cap("20100101000000", 200, b"new"), cap("20110101000000", 404)
    url = "http://b.example/2009/08/p.html"
    assert best_captures([old_ok, newest_404, new_ok])[url] is new_ok
    assert best_captures([old_ok, newest_404, new_ok], at="20091231")[url] is old_ok
    assert best_captures([newest_404])[url] is newest_404
    assert best_captures([new_ok], at="20090101") == {}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "blogport"), *args], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])


def test_bad_warc_files(tmp_path: Path) -> None:
    blog = generate_blog(seed=35, posts=3, family="classic", big_thread=False)
    warc, _ = capture_with_wget(blog, tmp_path / "wget")
    data = warc.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) // 2])
    empty = tmp_path / "empty.warc.gz"
    with gzip.open(empty, "wb") as handle:  # one warcinfo record, no responses
        handle.write(b"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
                     b"WARC-Date: 2020-01-01T00:00:00Z\r\nContent-Length: 0\r\n\r\n\r\n\r\n")
    junk = tmp_path / "junk.warc"
    junk.write_text("not a warc\n")
    for bad, words in ((cut, "truncated"), (empty, "no archived HTML pages"), (junk, "WARC")):
        with pytest.raises(SourceError, match=words):
            crawl(str(bad), tmp_path / "never", FAST)
        assert not (tmp_path / "never").exists()
        done = _cli("crawl", str(bad), "-o", str(tmp_path / "never-cli"))
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("blogport: error:") and "Traceback" not in done.stderr
        assert not (tmp_path / "never-cli" / "blog.db").exists()


def test_migrate_warc_reports_missing_comment_pages(tmp_path: Path) -> None:
    blog = generate_blog(seed=36, posts=6, family="layout-threaded", big_thread=True)
    warc, base = capture_with_wget(blog, tmp_path / "wget", reject="commentPage=")
    done = _cli("migrate", str(warc), "-o", str(tmp_path / "out"), "--no-progress")
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    text = json.dumps(report)
    assert "further comment pages were never captured" in text
    rows = report["captures"]["posts"]  # per post: the capture it came from, the comment pages missing
    with Archive.in_dir(tmp_path / "out") as archive:
        assert {row["post_url"] for row in rows} == {p.url for p in archive.raw_posts()} and len(rows) >= 6
    assert all(row["archive"] == warc.name and row["captured_at"].startswith("20") for row in rows)
    missing = [url for row in rows for url in row["comment_pages_missing"]]
    assert missing and all("commentPage=" in url for url in missing)
    assert report["captures"]["comment_pages_missing"] == len(missing)
    assert "Web-archive captures" in (tmp_path / "out" / "report.html").read_text()
    wxr = (tmp_path / "out" / "wordpress.xml").read_text()
    assert wxr.count("<item>") >= 6 and "commentPage=" not in wxr
    with Archive.in_dir(tmp_path / "out") as archive:
        assert archive.get_meta("source")["via"] == "warc"
        assert not [u for u in archive.page_urls() if "commentPage=" in u]
        assert archive.captures()
    # sync reads the web-archive file again: nothing new, nothing fetched
    again = _cli("sync", str(tmp_path / "out"), "--json")
    assert again.returncode in (0, 1), again.stderr
    result = json.loads(again.stdout)
    assert result["mode"] == "source" and result["posts"]["new"] == 0


def test_posts_known_only_from_a_feed(tmp_path: Path) -> None:
    """The archive captured the listings and the feeds but no post page: every post is
    archived from its feed entry (with the comments of the captured comment feed), marked as
    from the feed, and the report says so."""
    blog = generate_blog(seed=40, posts=5, family="layout-threaded", big_thread=False)
    with FixtureServer(blog) as server:
        crawl(server.base_url + "/", tmp_path / "live", FAST)
        port = server.port
    warc, base = capture_with_wget(blog, tmp_path / "wget", port=port, reject=POST_PAGES,
                                   also=("feeds/comments/default?max-results=500",))
    read = read_warc(warc)
    assert not [c for c in read.captures if c.url.endswith(".html") and "/20" in c.url]  # no post page captured
    crawl(str(warc), tmp_path / "out", FAST)
    live = {p["url"]: p for p in records(tmp_path / "live")}
    archived = {p["url"]: p for p in records(tmp_path / "out")}
    with Archive.in_dir(tmp_path / "out") as archive:
        sources = {p.url: (p.source, p.template) for p in archive.raw_posts()}
        page_of = dict(archive.conn.execute("SELECT url, page_url FROM raw_posts"))
        captures = archive.captures()
    posts = [url for url, p in live.items() if "/p/" not in url]
    assert posts and set(posts) <= set(archived)
    for url in posts:
        assert sources[url] == ("feed", "feed") and "/feeds/posts/" in page_of[url]
        assert page_of[url] in captures  # the feed capture it came from
        assert archived[url]["title"] == live[url]["title"] and archived[url]["labels"] == live[url]["labels"]
        assert {(c["comment_id"], c["author_text"]) for c in archived[url]["comments"]} == {
            (c["comment_id"], c["author_text"]) for c in live[url]["comments"]}
    assert sum(len(archived[u]["comments"]) for u in posts) > 0
    done = _cli("migrate", str(warc), "-o", str(tmp_path / "migrated"), "--no-progress")
    assert done.returncode in (0, 1), done.stderr
    report = json.loads((tmp_path / "migrated" / "report.json").read_text())
    rows = {row["post_url"]: row for row in report["captures"]["posts"]}
    assert report["captures"]["posts_known_only_from"]["feed"] == len(posts)
    for url in posts:
        assert rows[url]["known_via"] == "feed" and rows[url]["captured_at"] is None
    messages = [f["message"] for f in report["findings"] if f["old_url"] in posts]
    assert len([m for m in messages if "kept from its entry in the feed" in m]) == len(posts)
    wxr = (tmp_path / "migrated" / "wordpress.xml").read_text()
    assert all(live[url]["title"] in wxr for url in posts)


def test_crawl_module_imports_no_warc_reader() -> None:
    """Every run imports ``crawler.run`` (which tells a WARC source by ``WarcFile``); warcio and
    the page extraction are imported only when a web archive is read."""
    probe = ("import json, sys, crawler.run, crawler.warc;"
             " print(json.dumps(sorted(m for m in ('warcio', 'crawler.extract', 'crawler.pipelines',"
             " 'crawler.capture_rewrite') if m in sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
