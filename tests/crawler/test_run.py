"""crawl(): source dispatch, errors a user can act on, resume, incremental runs, the CLI."""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from blogport.cli import main as cli
from kernel.archive import Archive
from kernel.errors import SourceError, UnreachableError
from crawler.options import CrawlOptions
from crawler.run import CrawlSummary, crawl
from crawler.urls import canonicalize
from fixtures.blogger import delete_post, generate_blog
from fixtures.server import FixtureServer

FAST = CrawlOptions(via="html", autothrottle=False, progress=False)
PROJECT = Path(__file__).resolve().parents[2]


class _PlainSite(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<html><head><title>Shop</title></head><body><h1>Not a blog</h1><a href='/a'>a</a></body></html>"
        self.send_response(200 if self.path != "/robots.txt" else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def plain_site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PlainSite)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def posts_of(out: Path) -> list[str]:
    with Archive.in_dir(out) as archive:
        return [p.to_json() + "|" + "|".join(c.to_json() for c in p.comments) for p in archive.raw_posts()]


def test_not_a_blogger_blog(tmp_path: Path, plain_site: str) -> None:
    with pytest.raises(SourceError, match="does not look like a Blogger blog"):
        crawl(plain_site, tmp_path / "out", FAST)
    assert not (tmp_path / "out" / "blog.db").exists()


def test_unreachable_host(tmp_path: Path) -> None:
    with pytest.raises(UnreachableError, match="cannot reach"):
        crawl(f"http://127.0.0.1:{closed_port()}/", tmp_path / "out", FAST)


@pytest.mark.parametrize(
    "source, message",
    [
        ("ftp://example.com/blog", "only http:// and https://"),
        ("does/not/exist", "no such file or folder"),
        ("", "no source given"),
    ],
)
def test_bad_sources(tmp_path: Path, source: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        crawl(source, tmp_path / "out", FAST)


def test_a_file_that_is_not_an_export(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(SourceError, match="not a Blogger export file"):
        crawl(str(notes), tmp_path / "out", FAST)


def test_cli_exit_codes(tmp_path: Path, plain_site: str) -> None:
    runner = CliRunner()
    blog = generate_blog(seed=4, posts=5, family="layout-flat", big_thread=False)
    with FixtureServer(blog) as server:
        ok = runner.invoke(cli, ["crawl", server.base_url + "/", "-o", str(tmp_path / "ok"), "--no-throttle", "--via", "html"])
    assert ok.exit_code == 0, ok.output
    assert "posts found: " in ok.output and "errors: 0" in ok.output
    bad = runner.invoke(cli, ["crawl", plain_site, "-o", str(tmp_path / "bad"), "--no-throttle"])
    assert bad.exit_code == 2
    assert "blogport: error:" in bad.output and "does not look like a Blogger blog" in bad.output
    assert "Traceback" not in bad.output
    down = runner.invoke(cli, ["crawl", f"http://127.0.0.1:{closed_port()}/", "-o", str(tmp_path / "down")])
    assert down.exit_code == 2 and "cannot reach" in down.output


def test_resume_after_a_stopped_crawl_equals_a_clean_run(tmp_path: Path) -> None:
    blog = generate_blog(seed=8, posts=30, family="layout-threaded")
    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        clean = crawl(url, tmp_path / "clean", FAST)
        part = crawl(url, tmp_path / "resumed", FAST, settings={"CLOSESPIDER_PAGECOUNT": 12})
        with Archive.in_dir(tmp_path / "resumed") as archive:
            stored_posts = {row[0] for row in archive.conn.execute("SELECT url FROM pages WHERE kind='post'")}
        server.clear_log()
        rest = crawl(url, tmp_path / "resumed", FAST)
        refetched = {canonicalize(server.base_url + r.path) for r in server.requests}
    assert 0 < part.posts_found < clean.posts_found
    assert stored_posts and not stored_posts & refetched  # stored post pages were not fetched again
    assert rest.reused >= len(stored_posts)
    assert posts_of(tmp_path / "resumed") == posts_of(tmp_path / "clean")
    with Archive.in_dir(tmp_path / "resumed") as archive:
        urls = [row[0] for row in archive.conn.execute("SELECT url FROM pages")]
        refusals = [i["url"] for i in archive.issues() if i["kind"] == "robots"]
    assert len(urls) == len(set(urls))
    assert refusals and len(refusals) == len(set(refusals))  # not recorded again on resume
    assert rest.robots_refused == clean.robots_refused


def test_incremental_run_asks_the_listings_and_records_gone_posts(tmp_path: Path) -> None:
    blog = generate_blog(seed=6, posts=10, family="modern", big_thread=False)
    with FixtureServer(blog) as server:
        url = server.base_url + "/"
        first = crawl(url, tmp_path, FAST)
        before = posts_of(tmp_path)
        gone = [p for p in blog.published_posts if p.kind == "post" and not p.is_seed][3]
        server.publish(delete_post(blog, gone.post_id))
        server.clear_log()
        incremental = CrawlOptions(via="html", autothrottle=False, progress=False, incremental=True)
        again = crawl(url, tmp_path, incremental)
        log = server.requests
        server.clear_log()
        quiet = crawl(url, tmp_path, incremental)  # nothing changed since
        quiet_log = [r for r in server.requests if r.path != "/robots.txt"]
    asked = [r for r in log if r.path != "/robots.txt" and r.status not in (404, 410)]
    assert asked and all(r.conditional for r in asked)  # every page asked for is one the archive holds
    assert again.not_modified == sum(1 for r in log if r.status == 304 and r.path != "/robots.txt")
    assert quiet_log and all(r.status == 304 for r in quiet_log)
    assert quiet.not_modified == len(quiet_log) and quiet.gone == 0 and quiet.errors == 0
    assert again.gone == 1 and again.errors == 0 and again.posts_found == 0
    assert again.pages_fetched < first.pages_fetched  # the listings, not every stored page
    post_pages = {r.path for r in log if r.path.endswith(".html")}
    assert post_pages == {gone.path}  # of the posts, only the one the month counts say may be gone
    gone_url = canonicalize(server.base_url + gone.path)
    assert [r.status for r in log if canonicalize(server.base_url + r.path) == gone_url] in ([404], [410])
    with Archive.in_dir(tmp_path) as archive:
        page = archive.page(gone_url)
        assert page is not None and page.status in (404, 410) and page.html and gone.title in page.html
        assert any(i["url"] == gone_url and "gone" in i["reason"] for i in archive.issues())
    assert posts_of(tmp_path) == before  # nothing lost, nothing duplicated


def test_interrupted_crawl_keeps_pages_and_says_so(tmp_path: Path) -> None:
    blog = generate_blog(seed=12, posts=60, family="layout-flat")
    out = tmp_path / "out"
    with FixtureServer(blog) as server:
        code = (
            "import sys; from pathlib import Path; from crawler.run import crawl;"
            "from crawler.options import CrawlOptions;"
            "s = crawl(sys.argv[1], Path(sys.argv[2]), CrawlOptions(via=\"html\", progress=False, concurrency=1,"
            " autothrottle=True));"
            "print('\\n'.join(s.summary_lines())); sys.exit(s.exit_code)"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", code, server.base_url + "/", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT,
            env={**os.environ, "PYTHONPATH": str(PROJECT)},
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and sum(1 for r in server.requests if r.path.endswith(".html")) < 5:
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 1, stderr
    assert "interrupted" in stdout
    with Archive.in_dir(out) as archive:
        stored = len(list(archive.raw_posts()))
    assert 0 < stored < len(blog.visible_items)


def test_summary_dict_and_lines() -> None:
    summary = CrawlSummary(source="http://x/", out_dir="/tmp/o", via="html", pages_fetched=10, posts_found=8,
                           errors=0, elapsed_s=2.0, pages_per_s=5.0)
    data = summary.as_dict()
    assert data["exit_code"] == 0 and data["pages_fetched"] == 10
    assert any("pages fetched: 10" in line for line in summary.summary_lines())
    failed = CrawlSummary(source="http://x/", out_dir="/tmp/o", via="html", errors=2)
    assert failed.exit_code == 1


AUTO = CrawlOptions(via="auto", autothrottle=False, progress=False)


def test_auto_reads_feeds_where_the_blog_serves_them(tmp_path: Path) -> None:
    blog = generate_blog(seed=21, posts=6, feeds=True)
    with FixtureServer(blog) as server:
        summary = crawl(server.base_url + "/", tmp_path, AUTO)
        paths = {entry.path.split("?")[0] for entry in server.requests}
    assert summary.via == "feeds"
    assert any(p.startswith("/feeds/") for p in paths)
    assert not any(p.endswith(".html") for p in paths), "auto with feeds on must not walk the HTML pages"
    with Archive.in_dir(tmp_path) as archive:
        assert archive.get_meta("source")["via"] == "feeds"
        urls = {post.url for post in archive.raw_posts()}
    assert {canonicalize(post.url(server.base_url)) for post in blog.visible_items} <= urls


def test_auto_walks_the_html_where_feeds_are_off(tmp_path: Path) -> None:
    blog = generate_blog(seed=22, posts=6, feeds=False)
    with FixtureServer(blog) as server:
        summary = crawl(server.base_url + "/", tmp_path, AUTO)
    assert summary.via == "html"
    assert summary.posts_found == len(blog.visible_items)


def test_auto_keeps_the_way_an_archive_was_first_filled(tmp_path: Path) -> None:
    blog = generate_blog(seed=23, posts=5, feeds=True)
    with FixtureServer(blog) as server:
        first = crawl(server.base_url + "/", tmp_path, FAST)  # an HTML archive
        again = crawl(server.base_url + "/", tmp_path, AUTO)
        feed_requests = [e for e in server.requests if e.path.startswith("/feeds/")]
    assert first.via == again.via == "html"
    # the probe may ask once; the crawl itself never reads the feeds into an HTML archive
    assert len(feed_requests) == 0


def test_unresolvable_host_is_one_line_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "blogport.cli", "crawl", "http://no-such-blog.invalid/", "-o", str(tmp_path / "o"),
         "--no-progress"],
        capture_output=True, text=True, timeout=120, cwd=PROJECT,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("blogport: error: cannot reach"), proc.stderr


def _child_pids() -> set[int]:
    """Pids of this process's living children (any thread's)."""
    return {int(p) for task in Path("/proc/self/task").iterdir() for p in (task / "children").read_text().split()}


def test_on_started_is_called_once_the_crawl_process_has_its_job(tmp_path: Path) -> None:
    """A live crawl calls ``on_started`` once, while its crawl process runs (the caller
    prepares the later stages meanwhile)."""
    blog = generate_blog(seed=5, posts=6)
    calls: list[set[int]] = []
    with FixtureServer(blog) as server:
        before = _child_pids()
        summary = crawl(server.base_url + "/", tmp_path / "live", FAST, on_started=lambda: calls.append(_child_pids()))
    assert summary.posts_found >= 6 and not summary.errors
    assert len(calls) == 1, calls
    assert calls[0] - before, "the crawl process was running when on_started was called"
    assert _child_pids() <= before
