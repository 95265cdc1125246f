"""A saved mirror folder as a crawl source: the same records as the live crawl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kernel.archive import Archive
from kernel.errors import SourceError
from crawler.mirror import path_url, reconstruct_url
from crawler.options import CrawlOptions
from crawler.run import crawl
from fixtures.blogger import generate_blog
from fixtures.mirror import write_mirror
from fixtures.server import FixtureServer

FAST = CrawlOptions(via="html", autothrottle=False, progress=False)


def records(out: Path) -> list[dict]:
    """Raw posts with their comments, without the field that names the source."""
    result = []
    with Archive.in_dir(out) as archive:
        for post in archive.raw_posts():
            data = json.loads(post.to_json())
            data.pop("source", None)
            data["comments"] = [json.loads(c.to_json()) for c in post.comments]
            result.append(data)
    return result


@pytest.mark.parametrize("family", ["layout-threaded", "classic"])
def test_mirror_equals_http_crawl(tmp_path: Path, family: str) -> None:
    blog = generate_blog(seed=21, posts=10, family=family)
    with FixtureServer(blog) as server:
        crawl(server.base_url + "/", tmp_path / "http", FAST)
        host_dir = write_mirror(server.site, tmp_path / "saved")
    summary = crawl(str(tmp_path / "saved"), tmp_path / "mirror", FAST)
    assert summary.via == "mirror" and summary.errors == 0
    live = records(tmp_path / "http")
    saved = records(tmp_path / "mirror")
    assert [p["url"] for p in saved] == [p["url"] for p in live]
    assert saved == live
    assert summary.posts_found == len(live)
    # the host folder itself works as the source too
    again = crawl(str(host_dir), tmp_path / "mirror2", FAST)
    assert again.posts_found == summary.posts_found
    with Archive.in_dir(tmp_path / "mirror") as archive:
        statuses = {row[0] for row in archive.conn.execute("SELECT DISTINCT status FROM pages")}
        assert archive.get_meta("source")["via"] == "mirror"
    assert statuses == {200}


def test_folder_without_blog_pages(tmp_path: Path) -> None:
    (tmp_path / "site" / "example.com").mkdir(parents=True)
    (tmp_path / "site" / "example.com" / "index.html").write_text("<html><body><p>My shop</p></body></html>")
    with pytest.raises(SourceError, match="does not look like a saved Blogger blog"):
        crawl(str(tmp_path / "site"), tmp_path / "out", FAST)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="no saved HTML pages"):
        crawl(str(tmp_path / "empty"), tmp_path / "out", FAST)


def test_saved_file_names_to_urls(tmp_path: Path) -> None:
    assert path_url(None, ("index.html",)) == ("/", "")
    assert path_url(None, ("2009", "08", "index.html")) == ("/2009/08/", "")
    assert path_url(None, ("2009", "08", "x.html?commentPage=2")) == ("/2009/08/x.html", "commentPage=2")
    assert path_url(None, ("2009", "08", "x.html?commentPage=2.html")) == ("/2009/08/x.html", "commentPage=2")
    folder = tmp_path / "m"
    page = folder / "myblog.blogspot.com" / "2009" / "08" / "x.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html></html>")
    assert reconstruct_url(folder, page) == "https://myblog.blogspot.com/2009/08/x.html"
    port = folder / "127.0.0.1+8080" / "p" / "about.html"
    port.parent.mkdir(parents=True)
    port.write_text("<html></html>")
    assert reconstruct_url(folder, port) == "http://127.0.0.1:8080/p/about.html"
