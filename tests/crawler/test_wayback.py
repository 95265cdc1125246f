"""A blog read from a real pywb Wayback server holding wget's WARC of it, the blog offline.

One pywb serves the module: a small fixture blog of every template family, each crawled live
(for comparison), captured by wget and then taken offline.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from crawler.run import crawl
from fixtures.blogger import FAMILIES, generate_blog
from fixtures.server import FixtureServer
from kernel.archive import Archive
from kernel.errors import SourceError
from tests.crawler.pywb_server import Pywb
from tests.crawler.replay_faults import ReplayProxy
from tests.crawler.test_warc import FAST, PAGE_COLUMNS, records
from tests.crawler.warc_capture import POST_PAGES, capture_with_wget, wget_path

#: What replay and rewriting could leave in a page (pywb's and the Internet Archive's).
LEFTOVERS = ("_wb_", "wombat", "wbinfo", "WB Insert", "__wm", "id_/", "mp_/", "/static/wb_frame")


#: The collection's blog with no post page captured (``POST_PAGES`` left out by wget).
FEED_ONLY = "feed-only"


@dataclass(frozen=True)
class Archived:
    family: str
    base: str
    live: Path
    warc: Path


@dataclass(frozen=True)
class Collection:
    pywb: Pywb
    blogs: dict[str, Archived]


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("wayback")
    blogs: dict[str, Archived] = {}
    for number, family in enumerate(FAMILIES):
        blog = generate_blog(seed=37 + number, posts=4, family=family, big_thread=False)
        with FixtureServer(blog) as server:  # the live crawl, for comparison
            crawl(server.base_url + "/", root / family / "live", FAST)
            port = server.port
        warc, base = capture_with_wget(blog, root / family / "wget", port=port)  # then offline
        blogs[family] = Archived(family, base, root / family / "live", warc)
    # a blog whose post pages were never captured, only its listings and feeds
    blog = generate_blog(seed=41, posts=4, family="layout-threaded", big_thread=False)
    with FixtureServer(blog) as server:
        crawl(server.base_url + "/", root / FEED_ONLY / "live", FAST)
        port = server.port
    warc, base = capture_with_wget(blog, root / FEED_ONLY / "wget", port=port, reject=POST_PAGES,
                                   also=("feeds/comments/default?max-results=500",))
    blogs[FEED_ONLY] = Archived(FEED_ONLY, base, root / FEED_ONLY / "live", warc)
    with Pywb(root / "pywb", [b.warc for b in blogs.values()]) as pywb:
        yield Collection(pywb, blogs)


def _stored_html(out: Path) -> str:
    with Archive.in_dir(out) as archive:
        return " ".join(r[0] or "" for r in archive.conn.execute("SELECT html FROM pages"))


def _no_replay_left(text: str, *prefixes: str) -> None:
    for mark in (*LEFTOVERS, *prefixes):
        assert mark not in text, mark


@pytest.mark.parametrize("family", FAMILIES)
def test_wayback_equals_live_crawl(collection: Collection, tmp_path: Path, family: str) -> None:
    blog, pywb = collection.blogs[family], collection.pywb
    summary = crawl(blog.base, tmp_path / "out", replace(FAST, wayback=pywb.prefix))
    assert summary.via == "wayback" and summary.errors == 0
    live = records(blog.live)
    archived = records(tmp_path / "out")
    assert live and archived == live
    assert sum(len(p["comments"]) for p in archived) > 0
    assert {c["author_text"] for p in archived for c in p["comments"]} == {
        c["author_text"] for p in live for c in p["comments"]}
    with Archive.in_dir(tmp_path / "out") as archive:
        captures = archive.captures()
        rows = archive.conn.execute(f"SELECT {PAGE_COLUMNS} FROM pages ORDER BY url").fetchall()
    with Archive.in_dir(blog.live) as archive:
        live_rows = archive.conn.execute(f"SELECT {PAGE_COLUMNS} FROM pages ORDER BY url").fetchall()
    stored = {r[0] for r in rows}
    # the pages, field for field, but the ETag: pywb's raw replay does not pass it on
    no_etag = [r[:2] + r[3:] for r in live_rows if r[0] in stored]
    assert [r[:2] + r[3:] for r in rows] == no_etag
    assert {p["url"] for p in archived} <= stored
    for post in archived:
        assert captures[post["url"]]["archive"] == pywb.prefix
        assert captures[post["url"]]["capture_url"].startswith(pywb.prefix + "/")
    _no_replay_left(" ".join(r[4] or "" for r in rows), pywb.prefix)  # no banner, no rewriting


@pytest.mark.parametrize("family", FAMILIES)
def test_rewritten_replay_gives_the_raw_records(collection: Collection, tmp_path: Path, family: str) -> None:
    """A replay server without raw (``id_``) captures: pywb's rewritten, framed replay is read,
    its banner, scripts and replay URLs undone, and gives the records of the raw captures."""
    blog, pywb = collection.blogs[family], collection.pywb
    upstream = pywb.prefix.rsplit("/", 1)[0]
    with ReplayProxy(upstream, refuse_raw=True) as proxy:
        prefix = proxy.base_url + "/" + pywb.coll
        summary = crawl(blog.base, tmp_path / "out", replace(FAST, wayback=prefix))
    assert summary.errors == 0
    paths = [r.path for r in proxy.requests]
    assert any("id_/" in p and r.status == 404 for p, r in zip(paths, proxy.requests))
    assert any("mp_/" in p for p in paths)  # the framed replay's page, rewritten
    assert records(tmp_path / "out") == records(blog.live)
    with Archive.in_dir(tmp_path / "out") as archive:
        replayed = [c["capture_url"] for c in archive.captures().values()]
    assert replayed and all("id_/" not in url for url in replayed)
    _no_replay_left(_stored_html(tmp_path / "out"), prefix, upstream)


@pytest.mark.parametrize("family", FAMILIES)
def test_warc_saved_from_rewritten_replay(collection: Collection, tmp_path: Path, family: str) -> None:
    """wget saved the replay server's rewritten pages (``TSmp_/URL``) into a WARC: the WARC
    names the replay URLs, the pages carry pywb's additions; blogport reads the blog's records."""
    blog, pywb = collection.blogs[family], collection.pywb
    host = blog.base.split("//", 1)[1].rstrip("/")
    index = urllib.request.urlopen(f"{pywb.prefix}/cdx?url={host}/*&output=json", timeout=30).read().decode()
    rows = [json.loads(line) for line in index.splitlines() if line.strip()]
    urls = [f"{pywb.prefix}/{r['timestamp']}mp_/{r['url']}" for r in rows if "html" in r.get("mime", "")]
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
    subprocess.run([wget_path(), "--no-verbose", "--tries=2", "--timeout=20", "--no-warc-keep-log",
                    f"--warc-file={tmp_path / 'replayed'}", "-i", str(tmp_path / "urls.txt"),
                    "--directory-prefix", str(tmp_path / "files")], check=False, timeout=300, capture_output=True)
    warc = tmp_path / "replayed.warc.gz"
    assert b"_WBWombatInit" in gzip.open(warc).read()  # pywb's additions are in the saved pages
    summary = crawl(str(warc), tmp_path / "out", FAST)
    assert summary.errors == 0
    assert records(tmp_path / "out") == records(blog.live)
    with Archive.in_dir(tmp_path / "out") as archive:
        captures = archive.captures()
    post = records(blog.live)[0]["url"]
    assert captures[post]["capture_url"].startswith(pywb.prefix + "/") and "mp_/" in captures[post]["capture_url"]
    _no_replay_left(_stored_html(tmp_path / "out"), pywb.prefix)


def test_wayback_waits_for_retry_after(collection: Collection, tmp_path: Path) -> None:
    """CDX and replay answers 503/429 with Retry-After are waited for (never retried early)
    and retried."""
    blog, pywb = collection.blogs["layout-threaded"], collection.pywb
    post = records(blog.live)[0]["url"]
    post_path = post.split("//", 1)[1].split("/", 1)[1]
    upstream = pywb.prefix.rsplit("/", 1)[0]
    with ReplayProxy(upstream, throttle={"/cdx": (503, 1), post_path: (429, 2)}) as proxy:
        summary = crawl(blog.base, tmp_path / "out", replace(FAST, wayback=proxy.base_url + "/" + pywb.coll))
    assert summary.errors == 0
    assert records(tmp_path / "out") == records(blog.live)
    assert not [r for r in proxy.requests if r.early], "retried before the Retry-After time"
    cdx = [r.status for r in proxy.requests if "/cdx" in r.path]
    page = [r.status for r in proxy.requests if post_path in r.path]  # its capture (a ?showComment= URL may stand for it)
    assert cdx == [503, 200] and page == [429, 429, 200]


def test_wayback_retry_after_is_bounded(collection: Collection, tmp_path: Path) -> None:
    """A CDX server that asks to wait an hour is not waited for: one line, nothing written."""
    blog, pywb = collection.blogs["classic"], collection.pywb
    upstream = pywb.prefix.rsplit("/", 1)[0]
    with ReplayProxy(upstream, throttle={"/cdx": (429, 100)}, retry_after=3600) as proxy:
        with pytest.raises(SourceError, match="answered HTTP 429, asking to wait 3600 s"):
            crawl(blog.base, tmp_path / "out", replace(FAST, wayback=proxy.base_url + "/" + pywb.coll))
    assert [r.status for r in proxy.requests] == [429]  # asked once, not retried early, not waited for
    assert not (tmp_path / "out" / "blog.db").exists()


def test_wayback_posts_known_only_from_feeds(collection: Collection, tmp_path: Path) -> None:
    """The server holds the blog's listings and feeds, no post page: each post comes from its
    captured feed entry, with its comments, stored under the feed's replay capture."""
    blog, pywb = collection.blogs[FEED_ONLY], collection.pywb
    crawl(blog.base, tmp_path / "out", replace(FAST, wayback=pywb.prefix))
    live = {p["url"]: p for p in records(blog.live) if "/p/" not in p["url"]}
    archived = {p["url"]: p for p in records(tmp_path / "out")}
    with Archive.in_dir(tmp_path / "out") as archive:
        page_of = dict(archive.conn.execute("SELECT url, page_url FROM raw_posts"))
        captures = archive.captures()
        sources = {p.url: p.source for p in archive.raw_posts()}
    assert live and set(live) <= set(archived)
    for url, post in live.items():
        assert sources[url] == "feed" and url not in captures
        assert captures[page_of[url]]["capture_url"].startswith(pywb.prefix + "/")
        assert archived[url]["title"] == post["title"]
        assert {c["comment_id"] for c in archived[url]["comments"]} == {c["comment_id"] for c in post["comments"]}


def test_wayback_cdx_errors(collection: Collection, tmp_path: Path) -> None:
    blog, pywb = collection.blogs["classic"], collection.pywb
    with pytest.raises(SourceError, match="knows no capture"):
        crawl("http://never-captured.example/", tmp_path / "none", replace(FAST, wayback=pywb.prefix))
    with pytest.raises(SourceError, match="CDX server"):
        crawl(blog.base, tmp_path / "bad", replace(FAST, wayback=pywb.prefix, cdx=pywb.prefix + "/no-such-cdx"))
    assert not (tmp_path / "none" / "blog.db").exists() and not (tmp_path / "bad" / "blog.db").exists()


def test_migrate_and_sync_from_wayback(collection: Collection, tmp_path: Path) -> None:
    blog, pywb = collection.blogs["layout-threaded"], collection.pywb
    blogport = str(Path(sys.executable).parent / "blogport")
    done = subprocess.run([blogport, "migrate", blog.base, "--wayback", pywb.prefix, "-o", str(tmp_path / "out"),
                           "--no-progress"], capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    again = subprocess.run([blogport, "sync", str(tmp_path / "out"), "--json"], capture_output=True, text=True,
                           timeout=300)
    assert again.returncode in (0, 1), again.stderr
    result = json.loads(again.stdout)
    assert result["mode"] == "source" and result["posts"]["new"] == 0  # the captures again, not the dead blog
    for export in [tmp_path / "out" / "wordpress.xml", *sorted((tmp_path / "out" / "markdown").rglob("*.md"))]:
        text = export.read_text()
        assert pywb.prefix not in text and "id_/" not in text, export
    with Archive.in_dir(tmp_path / "out") as archive:
        assert archive.get_meta("source")["via"] == "wayback"
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    by_url = {row["post_url"]: row for row in report["captures"]["posts"]}
    live = records(blog.live)
    assert set(by_url) == {p["url"] for p in live}
    for row in by_url.values():  # per post: the capture it came from
        assert row["archive"] == pywb.prefix and row["capture_url"].startswith(pywb.prefix + "/")
        assert len(row["captured_at"]) == 25 and row["comment_pages_missing"] == []
