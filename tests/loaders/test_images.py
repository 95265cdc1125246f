"""Images that move: full-size URLs, which hosts, and the download through Scrapy against a
real HTTP server of the test's own on 127.0.0.1 (a 500 then OK, an oversized image, a 404,
a page that is not an image, a redirect to another host)."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import sqlite3
import subprocess
import struct
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel.errors import DiskFullError
from loaders.image_urls import ImageHosts, find_images, full_size_url, is_blogger_image_host, rewrite_images
from loaders.images import MANIFEST, download
from loaders.options import ExportOptions
from loaders.run import export
from tests.loaders.conftest import build_blog
from tests.disks import small_tmpfs
from transform.models import Author, Comment, Post


def _png(seed: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00" + bytes([seed % 256, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


BLOGGER = "https://1.bp.blogspot.com/-AbC/XyZ/AAAAAAAAAB4/q1w2e3r4t5y"


# -- which URL, which host ----------------------------------------------------------------
def test_blogger_thumbnails_become_their_originals() -> None:
    assert full_size_url(f"{BLOGGER}/s320/handshake.jpg") == f"{BLOGGER}/s1600/handshake.jpg"
    assert full_size_url(f"{BLOGGER}/w400-h300-c/a.png") == f"{BLOGGER}/s1600/a.png"
    assert full_size_url(f"{BLOGGER}/s1600-h/a.png") == f"{BLOGGER}/s1600/a.png"
    assert full_size_url(f"{BLOGGER}/S220/Ian+Curtis.jpg") == f"{BLOGGER}/s1600/Ian+Curtis.jpg"
    # the numbered hosts serve every picture alike: one name for one picture
    assert full_size_url(BLOGGER.replace("//1.", "//3.") + "/s320/a.jpg") == f"{BLOGGER}/s1600/a.jpg"
    assert full_size_url("https://blogger.googleusercontent.com/img/a/AVvXsEh9=s320") == \
        "https://blogger.googleusercontent.com/img/a/AVvXsEh9=s0"
    assert full_size_url("https://blogger.googleusercontent.com/img/a/AVvXsEh9=w640-h426-rw") == \
        "https://blogger.googleusercontent.com/img/a/AVvXsEh9=s0"
    assert full_size_url("https://blogger.googleusercontent.com/img/b/R29v/AVvX/s320/name.jpg") == \
        "https://blogger.googleusercontent.com/img/b/R29v/AVvX/s1600/name.jpg"
    # only Blogger's hosts: a path that merely looks like a size elsewhere is left alone
    assert full_size_url("https://example.com/s320/a.png") == "https://example.com/s320/a.png"


def test_image_hosts() -> None:
    for host in ("1.bp.blogspot.com", "blogger.googleusercontent.com", "lh3.googleusercontent.com", "lh5.ggpht.com"):
        assert is_blogger_image_host(host)
    for host in ("www.flickr.com", "bp.blogspot.com.evil.example", "example.blogspot.com"):
        assert not is_blogger_image_host(host)
    public = ImageHosts.for_blog(["https://myblog.blogspot.com", "https://myblog.blogspot.com/2009/08/x.html"])
    assert public.allows("https://www.myblog.blogspot.com/a.png") and public.allows(f"{BLOGGER}/s320/a.jpg")
    assert not public.allows("http://www.flickr.com/a.jpg")
    local = ImageHosts.for_blog(["http://127.0.0.1:8000/2009/08/x.html"])
    assert local.allows("http://127.0.0.1:8000/images/1.png")
    assert not local.allows(f"{BLOGGER}/s320/a.jpg"), "a blog on this machine sends no request off it"


def test_find_images_pairs_a_thumbnail_with_its_link() -> None:
    hosts = ImageHosts.for_blog(["https://myblog.blogspot.com"])
    html = (f'<a href="{BLOGGER}/s1600/big.jpg" imageanchor="1"><img src="{BLOGGER}/s320/big.jpg" /></a>'
            '<a href="http://www.flickr.com/photos/x/1/"><img src="https://myblog.blogspot.com/own.png"></a>'
            '<img src="http://www.flickr.com/hot.jpg">'
            f'<a href="{BLOGGER}/s1600/bare.jpg">the picture</a>'
            '<img src="/relative.png">')
    refs = find_images(html, hosts)
    assert [(r.url, r.src, r.href) for r in refs] == [
        (f"{BLOGGER}/s1600/big.jpg", f"{BLOGGER}/s320/big.jpg", f"{BLOGGER}/s1600/big.jpg"),
        ("https://myblog.blogspot.com/own.png", "https://myblog.blogspot.com/own.png", None),
        (f"{BLOGGER}/s1600/bare.jpg", None, f"{BLOGGER}/s1600/bare.jpg"),
    ]
    out = rewrite_images(html, hosts, {f"{BLOGGER}/s1600/big.jpg": "/images/a.jpg"})
    assert out.count("/images/a.jpg") == 2 and "s320" not in out
    assert "http://www.flickr.com/photos/x/1/" in out and "http://www.flickr.com/hot.jpg" in out
    assert f"{BLOGGER}/s1600/bare.jpg" in out  # not in the map: kept
    # without a map: every movable picture points at its full size (what the WXR carries)
    full = rewrite_images(f'<img src="{BLOGGER}/s320/x.jpg?a=1&amp;b=2">', hosts)
    assert full == f'<img src="{BLOGGER}/s1600/x.jpg?a=1&amp;b=2">'


# -- download through Scrapy --------------------------------------------------------------
class _Images(http.server.BaseHTTPRequestHandler):
    hits: dict[str, int] = {}
    flaky_failures = 1

    def do_GET(self) -> None:
        hits = type(self).hits
        hits[self.path] = hits.get(self.path, 0) + 1
        if self.path.startswith("/full/pic"):
            self._send(200, "image/png", _png(1))
        elif self.path == "/same-bytes.png":
            self._send(200, "image/png", _png(1))
        elif self.path == "/flaky.png":
            if hits[self.path] <= type(self).flaky_failures:
                self._send(500, "text/plain", b"busy")
            else:
                self._send(200, "image/png", _png(2))
        elif self.path == "/big.png":
            self._send(200, "image/png", _png(3) + b"\0" * 5000)
        elif self.path == "/page.png":
            self._send(200, "text/html", b"<html><body>not a picture</body></html>")
        elif self.path == "/away.png":
            port = self.server.server_address[1]
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.2:{port}/full/pic.png")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, "text/plain", b"missing")

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def image_blog(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    _Images.hits = {}
    _Images.flaky_failures = 1
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    one = (f'<p><a href="{base}/full/pic.png"><img src="{base}/thumb/pic.png" width="320"></a></p>'
           + "".join(f'<p><img src="{base}/{name}"></p>' for name in
                     ("flaky.png", "big.png", "missing.png", "page.png", "away.png"))
           + '<p><img src="http://www.flickr.com/elsewhere.jpg"></p>')
    two = (f'<p>Again: <a href="{base}/full/pic.png"><img src="{base}/thumb/pic.png"></a> and <img src="{base}/same-bytes.png"></p>'
           f'<p>On Blogger, never asked for from a blog on this machine: <img src="{BLOGGER}/s320/hot.jpg"></p>')
    posts = [Post(id=str(n), url=f"{base}/2012/01/p{n}.html", title=f"Pictures {n}", slug=f"p{n}", body_html=body,
                  body_text="words", published=f"2012-01-0{n}T00:00:00+00:00",
                  published_local=f"2012-01-0{n}T00:00:00+00:00", author_id="a")
             for n, body in ((1, one), (2, two))]
    folder = build_blog(tmp_path / "img", {"authors": [Author("a", "A")], "tags": [], "posts": posts, "comments": []})
    conn = sqlite3.connect(folder / "blog.db")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'blog_info'",
                 (json.dumps({"url": base + "/", "title": "Pictures", "language": "en"}),))
    conn.commit()
    conn.close()
    try:
        yield folder, base
    finally:
        server.shutdown()
        server.server_close()


def _options(flavor: str = "hugo") -> ExportOptions:
    return ExportOptions(formats=("markdown",), flavor=flavor, download_images=True, image_max_bytes=2000)


def test_images_are_fetched_once_at_full_size_and_links_rewritten(image_blog: tuple[Path, str]) -> None:
    folder, base = image_blog
    summary = export(folder, _options())
    images = folder / "markdown" / "static" / "images"
    names = sorted(p.name for p in images.iterdir())
    assert len(names) == 2  # pic.png (also same-bytes.png: the same picture, kept once) and flaky.png
    assert "/thumb/pic.png" not in _Images.hits, "the thumbnail is not fetched: its full size is"
    assert _Images.hits["/full/pic.png"] == 1, "shared by two posts, fetched once"
    assert _Images.hits["/flaky.png"] == 2, "a 500, then retried"
    one = (folder / "markdown" / "content" / "posts" / "p1.md").read_text()
    two = (folder / "markdown" / "content" / "posts" / "p2.md").read_text()
    pic = next(n for n in names if (images / n).read_bytes() == _png(1))
    assert one.count(f"/images/{pic}") == 2, "the img src and the link around it"
    assert f"{base}/full/pic.png" not in one and f"{base}/thumb/pic.png" not in one
    assert two.count(f"/images/{pic}") == 3
    assert f"{BLOGGER}/s320/hot.jpg" in two
    for kept in ("big.png", "missing.png", "page.png", "away.png"):
        assert f"{base}/{kept}" in one, f"{kept} failed: its link is kept"
    assert "http://www.flickr.com/elsewhere.jpg" in one
    assert "www.flickr.com" not in "".join(_Images.hits)
    manifest = json.loads((folder / "images" / MANIFEST).read_text())["images"]
    causes = {url.rsplit("/", 1)[1]: entry.get("cause") for url, entry in manifest.items()}
    assert causes == {"pic.png": None, "same-bytes.png": None, "flaky.png": None, "big.png": "too-large",
                      "missing.png": "gone", "page.png": "not-image", "away.png": "refused-host"}
    counts = summary.counts["markdown"]
    assert counts["images_downloaded"] == 3 and counts["images_failed"] == 4
    digest = hashlib.sha256(_png(1)).hexdigest()
    assert pic == f"{digest[:16]}.png", "named by its checksum"
    assert any("4 images could not be downloaded" in w for w in summary.warnings)


def test_pictures_in_comments_move_with_the_defaults(image_blog: tuple[Path, str], tmp_path: Path) -> None:
    _folder, base = image_blog
    assert ExportOptions().download_images, "downloading is the default, as on the command line"
    post = Post(id="9", url=f"{base}/2012/02/talk.html", title="Talk", slug="talk", body_html="<p>No picture</p>",
                body_text="No picture", published="2012-02-01T00:00:00+00:00",
                published_local="2012-02-01T00:00:00+00:00", author_id="a")
    said = (f'<p>Mine: <a href="{base}/full/pic.png"><img src="{base}/thumb/pic.png"></a>'
            f' and <img src="{base}/missing.png"></p>')
    comment = Comment(id="c1", post_id="9", body_html=said, body_text="Mine:", published="2012-02-02T00:00:00+00:00",
                      published_local="2012-02-02T00:00:00+00:00", author_id="a")
    folder = build_blog(tmp_path / "talk", {"authors": [Author("a", "A")], "tags": [], "posts": [post],
                                            "comments": [comment]})
    summary = export(folder, ExportOptions(formats=("markdown",)))
    (data,) = (folder / "markdown" / "data" / "comments").glob("*.json")
    (body,) = [c["body_html"] for c in json.loads(data.read_text(encoding="utf-8"))]
    pic = f"{hashlib.sha256(_png(1)).hexdigest()[:16]}.png"
    assert body.count(f"/images/{pic}") == 2 and f"{base}/full/pic.png" not in body
    assert f"{base}/missing.png" in body, "a failed picture keeps its link"
    assert (folder / "markdown" / "static" / "images" / pic).read_bytes() == _png(1)
    assert summary.counts["markdown"]["images_downloaded"] == 1
    assert summary.counts["markdown"]["images_failed"] == 1


def test_a_second_export_fetches_nothing_and_another_flavour_reuses_the_store(image_blog: tuple[Path, str]) -> None:
    folder, _base = image_blog
    export(folder, _options())
    first = dict(_Images.hits)
    export(folder, _options())
    export(folder, _options("jekyll"))
    assert _Images.hits == first, "nothing requested again"
    jekyll = folder / "markdown" / "assets" / "images"
    assert sorted(p.name for p in jekyll.iterdir()) == sorted(p.name for p in (folder / "markdown" / "static" / "images").iterdir())
    post = next((folder / "markdown" / "_posts").glob("*-p2.md")).read_text()
    assert "/assets/images/" in post


def test_a_failure_that_may_pass_is_tried_again_by_the_next_export(image_blog: tuple[Path, str]) -> None:
    folder, base = image_blog
    _Images.flaky_failures = 100  # every attempt of this export fails
    summary = export(folder, _options())
    assert summary.counts["markdown"]["images_failed"] == 5
    assert f"{base}/flaky.png" in (folder / "markdown" / "content" / "posts" / "p1.md").read_text()
    attempts = _Images.hits["/flaky.png"]
    assert attempts > 1
    _Images.flaky_failures = 0
    summary = export(folder, _options())
    assert _Images.hits["/flaky.png"] == attempts + 1
    assert _Images.hits["/missing.png"] == 1, "a 404 is not asked again"
    assert summary.counts["markdown"]["images_failed"] == 4
    assert f"{base}/flaky.png" not in (folder / "markdown" / "content" / "posts" / "p1.md").read_text()


def test_images_stay_linked_without_download(image_blog: tuple[Path, str]) -> None:
    folder, base = image_blog
    export(folder, ExportOptions(formats=("markdown",), download_images=False))
    assert _Images.hits == {}
    assert not (folder / "images").exists()
    assert f"{base}/thumb/pic.png" in (folder / "markdown" / "content" / "posts" / "p1.md").read_text()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path, "64k") as mount:
        yield mount


class _Huge(_Images):
    def do_GET(self) -> None:
        self._send(200, "image/png", _png(len(self.path)) + self.path.encode() + b"\0" * 300_000)


def test_a_full_disk_ends_the_download_with_one_error_and_no_half_file(small_disk: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Huge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(DiskFullError) as caught:
            download([f"{base}/{n}x.png" for n in range(1, 4)], small_disk / "images",
                     ImageHosts(frozenset({"127.0.0.1"}), blogger=False), max_bytes=10_000_000)
    finally:
        server.shutdown()
        server.server_close()
    assert str(small_disk) in str(caught.value) and "no space left" in str(caught.value)
    assert [p.name for p in (small_disk / "images").iterdir()] == [], "no half-written image or temporary file"


class _Stuck(_Images):
    asked = threading.Event()
    release = threading.Event()

    def do_GET(self) -> None:
        type(self).asked.set()
        type(self).release.wait(120)
        self._send(200, "image/png", _png(9))


_PARENT = """
import sys
from pathlib import Path
from loaders.image_urls import ImageHosts
from loaders.images import download
download([sys.argv[1]], Path(sys.argv[2]), ImageHosts(frozenset({"127.0.0.1"}), blogger=False))
"""


def test_the_download_never_outlives_the_export_that_started_it(tmp_path: Path) -> None:
    _Stuck.asked.clear()
    _Stuck.release.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stuck)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slow.png"
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, url, str(tmp_path / "images")], cwd=Path(__file__).parents[2])
    try:
        assert _Stuck.asked.wait(120), "the download child asks for the image"
        kids = Path(f"/proc/{parent.pid}/task/{parent.pid}/children")
        (child,) = [int(pid) for pid in kids.read_text().split()]
        parent.kill()
        parent.wait()
        for _ in range(600):
            if not Path(f"/proc/{child}").exists() or "zombie" in _state(child):
                break
            time.sleep(0.05)
        assert not Path(f"/proc/{child}").exists() or "zombie" in _state(child), "the child stopped with its parent"
    finally:
        _Stuck.release.set()
        server.shutdown()
        server.server_close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split("\n", 1)[0].lower()
    except (OSError, IndexError):
        return "gone"
