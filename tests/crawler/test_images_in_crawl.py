"""The crawl process kept for pictures (``images_after``): once its crawl has ended it waits,
runs one image download job of ``crawler.images`` in its own reactor, with the download's
own settings (not the crawl's), and exits; closed while it waits, it exits at once.

Real parts: the fixture blog over HTTP on 127.0.0.1, the real crawl process and its archive."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from crawler.options import CrawlOptions
from crawler.run import KeptCrawlProcess, child_job, run_child
from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer

OPTIONS = CrawlOptions(via="html", autothrottle=False, progress=False)


def _kept_crawl(server: FixtureServer, out: Path) -> KeptCrawlProcess:
    kept = KeptCrawlProcess()
    url = server.base_url + "/"
    result = run_child(child_job(url, out / "blog.db", OPTIONS, "html", None, images_after=True), url, False, kept)
    assert result.done is not None and result.done["finish_reason"] == "finished"
    assert result.done["images"] == "waiting" and kept.ready
    return kept


def _image_job(server: FixtureServer, store: Path, urls: list[str]) -> dict:
    return {"urls": urls, "store": str(store), "max_bytes": 1_000_000, "user_agent": "blogport-test",
            "log_level": "WARNING", "settings": {}, "hosts": [urlsplit(server.base_url).hostname], "host_suffixes": []}


def test_the_kept_crawl_process_fetches_one_image_job_and_exits(tmp_path: Path) -> None:
    blog = generate_blog(seed=41, posts=8)
    pictures = sorted({img for post in blog.visible_items for img in post.images})[:2]
    assert pictures
    with FixtureServer(blog) as server:
        kept = _kept_crawl(server, tmp_path)
        proc = kept.proc
        assert proc is not None
        pages = _page_urls(tmp_path / "blog.db")
        server.clear_log()
        urls = [server.url(p) for p in pictures] + [server.url("/images/no-such.png"), "http://localhost:9/x.png"]
        messages, complete = kept.fetch(_image_job(server, tmp_path / "images", urls))
        assert complete and proc.returncode == 0 and not kept.ready
        by_url = {m["url"]: m for m in messages}
        assert sorted(by_url) == sorted(urls)
        for picture in pictures:
            message = by_url[server.url(picture)]
            body = (tmp_path / "images" / message["name"]).read_bytes()
            assert message["ok"] and message["name"] == hashlib.sha256(body).hexdigest()[:16] + ".png"
        assert by_url[server.url("/images/no-such.png")]["cause"] == "gone"
        assert by_url["http://localhost:9/x.png"]["cause"] == "refused-host"
        # the image download's own settings: no robots.txt asked for, nothing archived
        assert "/robots.txt" not in server.requested_paths()
        assert sorted(server.requested_paths()) == sorted([*pictures, "/images/no-such.png"])
    assert _page_urls(tmp_path / "blog.db") == pages


def test_closed_while_it_waits_it_exits_and_a_plain_crawl_does_not_wait(tmp_path: Path) -> None:
    with FixtureServer(generate_blog(seed=41, posts=5)) as server:
        kept = _kept_crawl(server, tmp_path / "kept")
        proc = kept.proc
        assert proc is not None
        kept.close()
        assert proc.returncode == 0 and not kept.ready, "it ended by itself, not killed"
        assert kept.fetch({"urls": ["x"]}) == ([], False), "a closed process takes no job"

        plain = KeptCrawlProcess()
        url = server.base_url + "/"
        result = run_child(child_job(url, tmp_path / "plain" / "blog.db", OPTIONS, "html", None), url, False, plain)
        assert result.done is not None and "images" not in result.done
        assert result.returncode == 0 and not plain.ready


def _page_urls(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return sorted(r[0] for r in conn.execute("SELECT url FROM pages"))
    finally:
        conn.close()
