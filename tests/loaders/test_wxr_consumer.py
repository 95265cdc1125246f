"""The WXR read by the real WordPress importer's parsers (``../shared/consumers/wxr_check.php``):
every post, comment and picture arrives, with no warning; titles stay text."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import pytest

import crawler.run as crawl_run
import loaders.run as loaders_run
import transform.run as transform_run
from crawler.options import CrawlOptions
from fixtures.blogger import FixtureBlog, generate_blog
from fixtures.export import render_blogger_export
from loaders.image_urls import full_size_url, is_blogger_image_host
from loaders.options import ExportOptions
from tests.conftest import PROJECT, realdata_path
from tests.loaders.conftest import build_blog
from tests.loaders.wxr_reader import parse_wxr
from transform.models import Author, Post
from transform.options import TransformOptions

WXR_CHECK = PROJECT.parent / "shared" / "consumers" / "wxr_check.php"
_HOTLINK = re.compile(r"""src=["'](https?://\d+\.bp\.blogspot\.com/[^"']+)["']""")


def _consumer_or_skip() -> None:
    missing = []
    if shutil.which("php") is None:
        missing.append("php (Debian: php-cli php-xml php-mbstring)")
    if not WXR_CHECK.is_file():
        missing.append(str(WXR_CHECK))
    if missing:
        reason = "the WordPress importer's parsers need " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def wxr_check(path: Path, *, brief: bool = True) -> dict[str, Any]:
    """The importer's reading of ``path``: counts of the parser WordPress uses, and warnings."""
    _consumer_or_skip()
    args = ["php", str(WXR_CHECK), "--strict"] + (["--brief"] if brief else []) + [str(path)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 3), proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"], data
    return data


def _migrate_export_file(blog: FixtureBlog, out: Path, **export: Any) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    source = out / "blog-export.xml"
    source.write_bytes(render_blogger_export(blog))
    crawl_run.crawl(str(source), out, CrawlOptions(via="html", progress=False))
    transform_run.transform(out, TransformOptions())
    loaders_run.export(out, ExportOptions(formats=("wxr",), **export))
    return out


def _expected(blog: FixtureBlog) -> dict[str, int]:
    """What the fixture generator put in the blog: posts, pages, comments and distinct pictures
    (its figures on the blog's host and its one picture hot-linked from Blogger)."""
    pictures = {p.public_url + img for p in blog.posts for img in p.images}
    pictures |= {m for p in blog.posts for m in _HOTLINK.findall(p.body_html)}
    return {"posts": sum(1 for p in blog.posts if p.kind != "page"),
            "pages": sum(1 for p in blog.posts if p.kind == "page"),
            "comments": sum(len(p.comments) for p in blog.posts),
            "attachments": len(pictures)}


def test_fixture_blog_imports_whole_with_an_attachment_per_picture(tmp_path: Path) -> None:
    blog = generate_blog(seed=3, posts=40)
    out = _migrate_export_file(blog, tmp_path / "out")
    report = wxr_check(out / "wordpress.xml")
    counts = report["parsers"]["auto"]["counts"]
    expected = _expected(blog)
    assert expected["attachments"] >= 2, "the fixture blog at this seed has pictures"
    assert {k: counts[k] for k in expected} == expected
    assert report["importer_warnings"] == [] and not report["parsers_disagree"]
    # each attachment is named in its parent's body as the importer will look for it
    parsed = parse_wxr(out / "wordpress.xml")
    bodies = {p["post_id"]: p["content"] for p in parsed["posts"] if p["post_type"] != "attachment"}
    attachments = [p for p in parsed["posts"] if p["post_type"] == "attachment"]
    assert len({a["attachment_url"] for a in attachments}) == len(attachments)
    for a in attachments:
        assert a["attachment_url"] in bodies[int(a["post_parent"])]
    thumbs = [u for body in bodies.values() for u in re.findall(r"https?://[^\"']+/s320/[^\"']+", body)]
    assert thumbs == [], "a thumbnail left in a body would keep pointing at Blogger after the import"


def test_split_export_keeps_every_attachment_beside_its_post(tmp_path: Path) -> None:
    blog = generate_blog(seed=3, posts=40)
    out = _migrate_export_file(blog, tmp_path / "out", max_size=120_000)
    files = sorted(out.glob("wordpress-*.xml"))
    assert len(files) > 2
    total = {"posts": 0, "pages": 0, "comments": 0, "attachments": 0}
    for path in files:
        report = wxr_check(path)
        assert report["importer_warnings"] == [], (path.name, report["importer_warnings"])  # parents in the same file
        counts = report["parsers"]["auto"]["counts"]
        for key in total:
            total[key] += counts[key]
    assert total == _expected(blog)


def _pictures_by_lxml(bodies: list[str]) -> set[str]:
    """Full-size URLs of the Blogger-hosted pictures in ``bodies``, read with lxml: each
    ``img``, or the picture its wrapping link opens, and links to a picture."""
    found: set[str] = set()
    for body in bodies:
        if not body.strip():
            continue
        root = lxml.html.fragment_fromstring(body, create_parent="div")
        for el in root.iter("img", "a"):
            url = el.get("src" if el.tag == "img" else "href") or ""
            if not is_blogger_image_host(urlsplit(url).hostname or ""):
                continue
            if el.tag == "img":
                parent = el.getparent()
                while parent is not None and parent.tag != "a":
                    parent = parent.getparent()
                href = parent.get("href", "") if parent is not None else ""
                if is_blogger_image_host(urlsplit(href).hostname or "") and "/s1600-h/" not in href:
                    url = href
            elif "/s1600-h/" in url:
                continue
            found.add(full_size_url(url))
    return found


def test_real_blogger_export_pictures_become_attachments(tmp_path: Path) -> None:
    """A real Blogger backup (emiliocoboscmc.blogspot.com, 2012): one attachment per picture."""
    source = realdata_path("ecoal95-blogger-to-wordpress/blog.xml")
    out = tmp_path / "out"
    crawl_run.crawl(str(source), out, CrawlOptions(progress=False))
    transform_run.transform(out, TransformOptions())
    conn = sqlite3.connect(out / "blog.db")
    bodies = [row[0] or "" for row in conn.execute("SELECT body_html FROM posts WHERE deleted_at IS NULL")]
    conn.close()
    expected = _pictures_by_lxml(bodies)
    assert len(expected) > 20, "this blog shows pictures from Blogger's hosts"
    loaders_run.export(out, ExportOptions(formats=("wxr",)))
    report = wxr_check(out / "wordpress.xml")
    assert report["importer_warnings"] == []
    assert report["parsers"]["auto"]["counts"]["attachments"] == len(expected)
    parsed = parse_wxr(out / "wordpress.xml")
    assert {p["attachment_url"] for p in parsed["posts"] if p["post_type"] == "attachment"} == expected
    exported = "".join(p["content"] for p in parsed["posts"])
    assert all(url.replace("&", "&amp;") in exported or url in exported for url in expected)


def test_a_title_that_shows_markup_stays_text(tmp_path: Path) -> None:
    title = "<script>alert(1)</script> & <b>not bold</b>"
    body = "<p>&lt;img src=x onerror=alert(9)&gt; is how it starts</p>"
    post = Post(id="1", url="http://x.blogspot.com/2012/01/s.html", title=title, slug="s", body_html=body,
                body_text="<img src=x onerror=alert(9)> is how it starts", published="2012-01-01T00:00:00+00:00",
                published_local="2012-01-01T00:00:00+00:00", author_id="a")
    folder = build_blog(tmp_path / "t", {"authors": [Author("a", "A <i>me</i>")], "tags": [], "posts": [post],
                                         "comments": []})
    loaders_run.export(folder, ExportOptions(formats=("wxr",)))
    report = wxr_check(folder / "wordpress.xml", brief=False)
    assert report["importer_warnings"] == []
    (item,) = report["parsers"]["auto"]["items"]
    # WordPress prints post_title as HTML: escaped, it shows the text as the blog did
    assert item["title"] == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;not bold&lt;/b&gt;"
    assert "<" not in item["title"]
    parsed = parse_wxr(folder / "wordpress.xml")
    assert parsed["posts"][0]["content"] == body, "escaped text in a body stays escaped"
