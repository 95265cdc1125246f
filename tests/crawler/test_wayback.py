"""A blog read from a real pywb Wayback server holding wget's WARC of it, the blog offline."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from crawler.run import crawl
from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from kernel.archive import Archive
from kernel.errors import SourceError
from tests.crawler.pywb_server import Pywb
from tests.crawler.test_warc import FAST, PAGE_COLUMNS, records
from tests.crawler.warc_capture import capture_with_wget


def test_wayback_equals_live_crawl(tmp_path: Path) -> None:
    blog = generate_blog(seed=37, posts=5, family="classic", big_thread=False)
    with FixtureServer(blog) as server:
        crawl(server.base_url + "/", tmp_path / "live", FAST)
        port = server.port
    warc, base = capture_with_wget(blog, tmp_path / "wget", port=port)  # the blog is offline from here
    with Pywb(tmp_path / "pywb", [warc]) as pywb:
        summary = crawl(base, tmp_path / "out", replace(FAST, wayback=pywb.prefix))
    assert summary.via == "wayback" and summary.errors == 0
    live = records(tmp_path / "live")
    archived = records(tmp_path / "out")
    assert live and archived == live
    assert sum(len(p["comments"]) for p in archived) > 0
    with Archive.in_dir(tmp_path / "out") as archive:
        captures = archive.captures()
        rows = archive.conn.execute(f"SELECT {PAGE_COLUMNS} FROM pages ORDER BY url").fetchall()
        html = " ".join(r[4] or "" for r in rows)
    with Archive.in_dir(tmp_path / "live") as archive:
        live_rows = archive.conn.execute(f"SELECT {PAGE_COLUMNS} FROM pages ORDER BY url").fetchall()
    stored = {r[0] for r in rows}
    # the pages, field for field, but the ETag: pywb's raw replay does not pass it on
    no_etag = [r[:2] + r[3:] for r in live_rows if r[0] in stored]
    assert [r[:2] + r[3:] for r in rows] == no_etag
    assert {p["url"] for p in archived} <= stored
    for post in archived:
        assert captures[post["url"]]["archive"] == pywb.prefix
        assert captures[post["url"]]["capture_url"].startswith(pywb.prefix + "/")
    assert pywb.prefix not in html and "_wb_" not in html and "wombat" not in html.lower()  # no banner, no rewriting


def test_wayback_cdx_errors(tmp_path: Path) -> None:
    blog = generate_blog(seed=38, posts=2, family="classic", big_thread=False)
    warc, base = capture_with_wget(blog, tmp_path / "wget")
    with Pywb(tmp_path / "pywb", [warc]) as pywb:
        with pytest.raises(SourceError, match="knows no capture"):
            crawl("http://never-captured.example/", tmp_path / "none", replace(FAST, wayback=pywb.prefix))
        with pytest.raises(SourceError, match="CDX server"):
            crawl(base, tmp_path / "bad", replace(FAST, wayback=pywb.prefix, cdx=pywb.prefix + "/no-such-cdx"))
    assert not (tmp_path / "none" / "blog.db").exists() and not (tmp_path / "bad" / "blog.db").exists()


def test_migrate_and_sync_from_wayback(tmp_path: Path) -> None:
    import subprocess
    import sys

    blog = generate_blog(seed=39, posts=3, family="layout-threaded", big_thread=False)
    warc, base = capture_with_wget(blog, tmp_path / "wget")
    blogport = str(Path(sys.executable).parent / "blogport")
    with Pywb(tmp_path / "pywb", [warc]) as pywb:
        done = subprocess.run([blogport, "migrate", base, "--wayback", pywb.prefix, "-o", str(tmp_path / "out"),
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
